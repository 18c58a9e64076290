"""The outcome vocabulary of one attempt, shared by the tracker, the lead rules, pacing and reports."""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """How the network (and the queue) ended one dial.

    ``connected`` and ``abandoned`` are live answers; ``machine`` is an answer classified by AMD.
    The others never reached a person.
    """

    CONNECTED = "connected"  # a live person was bridged to an agent
    ABANDONED = "abandoned"  # a live person answered and no agent took the call in time (or they hung up queued)
    MACHINE = "machine"  # answered by an answering machine (AMD verdict MACHINE)
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    CONGESTION = "congestion"
    UNALLOCATED = "unallocated"  # Q.850 cause 1: the number does not exist
    INVALID_NUMBER = "invalid_number"  # Q.850 cause 28: the number is malformed
    FAILED = "failed"  # could not be dialled at all (no route, unknown technology, ...)
    CANCELLED = "cancelled"  # the dialer hung it up before an answer (drain, shutdown)

    @property
    def is_live_answer(self) -> bool:
        """Counts in the abandon-rate denominator (machines excluded)."""
        return self in (Outcome.CONNECTED, Outcome.ABANDONED)

    @property
    def is_answered(self) -> bool:
        return self in (Outcome.CONNECTED, Outcome.ABANDONED, Outcome.MACHINE)

    @property
    def is_bad_number(self) -> bool:
        """The number itself is wrong: archive it rather than retry."""
        return self in (Outcome.UNALLOCATED, Outcome.INVALID_NUMBER)
