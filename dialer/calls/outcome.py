"""The outcome vocabulary of one attempt, shared by the tracker, the lead rules, pacing and reports."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    """How the network (and the queue) ended one dial.

    ``connected`` and ``abandoned`` are live answers; ``machine`` is an answer AMD classified as a machine, or an
    agent marked as one (a machine disposition).
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
    # An agentless (IVR) call a live person answered and the flow served to its end without an agent: no agent
    # was promised, so it is not a live answer of the abandon rate (a caller who asks for an agent and is not
    # connected is ABANDONED, one who is, CONNECTED).
    SELF_SERVICE = "self_service"

    @property
    def is_live_answer(self) -> bool:
        """Counts in the abandon-rate denominator (machines excluded)."""
        return self in (Outcome.CONNECTED, Outcome.ABANDONED)

    @property
    def is_answered(self) -> bool:
        return self in (Outcome.CONNECTED, Outcome.ABANDONED, Outcome.MACHINE, Outcome.SELF_SERVICE)

    @property
    def is_bad_number(self) -> bool:
        """The number itself is wrong: archive it rather than retry."""
        return self in (Outcome.UNALLOCATED, Outcome.INVALID_NUMBER)


AMD_HANGUP = "HANGUP"  # AMDSTATUS when the callee hung up while AMD was still listening
AMD_MACHINE = "MACHINE"  # AMDSTATUS of a machine verdict


@dataclass(frozen=True, slots=True)
class AbandonRules:
    """What a regime counts as an abandoned call -- the one definition used by the pacer's legal window (live and
    seeded from the store) and by the reports.

    * ``early_hangup_is_abandon``: a callee who hangs up within ``allowance_seconds`` of answering (during AMD,
      before any agent could be reached). US 47 CFR 64.1200(a)(7) counts a call as abandoned when it is not
      connected to a live agent within 2 s of the completed greeting: a callee gone within those 2 s was not
      abandoned by the dialer -> ``False``. Ofcom (UK) and CRTC (CA: "no live telemarketer available ... within
      two seconds") do not say; the conservative choice is kept -> ``True``.
    * ``amd_false_positive_rate``: the estimated share of AMD ``MACHINE`` verdicts that were live people (Ofcom
      counts them as abandoned live calls); each machine adds this weight to both live answers and abandons.
    """

    early_hangup_is_abandon: bool = True
    allowance_seconds: float = 2.0
    amd_false_positive_rate: float = 0.0


@dataclass(frozen=True, slots=True)
class AnswerCount:
    """How one finished call counts in the abandon rate: ``abandoned ÷ live`` summed over calls. ``estimated`` is
    the part of both that is the AMD false-positive estimate (not a call anyone saw abandoned)."""

    live: float
    abandoned: float
    estimated: float = 0.0

    @property
    def counts(self) -> bool:
        return self.live > 0.0


NOT_COUNTED = AnswerCount(0.0, 0.0)


def count_answer(
    outcome: Outcome | str | None,
    *,
    amd_status: str | None,
    seconds_after_answer: float | None,
    rules: AbandonRules,
) -> AnswerCount:
    """The abandon-rate weight of one finished call (see :class:`AbandonRules`).

    A live answer counts 1 live; an abandon also counts 1 abandoned, unless the regime excuses a callee who hung
    up during AMD (``AMDSTATUS=HANGUP``) within the allowance of the answer (measured from the answer, which is
    before the greeting ended: conservative). A machine AMD classed (``AMDSTATUS=MACHINE``) counts the
    false-positive estimate in both; one an agent heard and marked (``Disposition.is_machine``) counts nothing."""
    if outcome is None:
        return NOT_COUNTED
    outcome = Outcome(outcome)
    if outcome is Outcome.CONNECTED:
        return AnswerCount(1.0, 0.0)
    if outcome is Outcome.ABANDONED:
        early = (
            amd_status == AMD_HANGUP
            and seconds_after_answer is not None
            and 0.0 <= seconds_after_answer <= rules.allowance_seconds
        )
        return AnswerCount(1.0, 0.0 if early and not rules.early_hangup_is_abandon else 1.0)
    if outcome is Outcome.MACHINE and amd_status == AMD_MACHINE and rules.amd_false_positive_rate > 0.0:
        fp = rules.amd_false_positive_rate
        return AnswerCount(fp, fp, fp)
    return NOT_COUNTED


ANSWERED_OUTCOMES = tuple(o.value for o in Outcome if o.is_answered)  # the rows count_answer may count
