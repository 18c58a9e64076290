"""The one definition of an inbound queue's figures, shared by the live dashboard and the inbound report (pure).

For the calls that ended in a range (docs/domain.md, "Inbound service level"):

* **offered** = every caller who called the queue, refused ones included;
* a **short abandon** is a caller who hung up within ``short_abandon_seconds`` of joining (a wrong number, a
  change of mind): counted apart and left out of the rates below, as contact centres do;
* **service level** = answered within ``answer_within_seconds`` ÷ (offered − short abandons);
* **abandon rate** = callers who hung up waiting (short ones excluded) ÷ (offered − short abandons);
* **ASA** (average speed of answer) = mean wait of the answered calls; **longest wait** = the longest any caller
  waited, answered or not; **mean talk** = mean conversation of the answered calls whose talk time is known.

Timed-out callers (the queue's bound reached) and refused ones (no agent could take calls) count in the
denominator and never as answered: they were not served.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from dialer.inbound.calls import InboundOutcome
from dialer.reports.common import ratio


class Visit(Protocol):
    """What the figures read of a caller's visit: a live :class:`~dialer.inbound.calls.InboundCall` or a stored
    record."""

    @property
    def outcome(self) -> InboundOutcome | None: ...

    @property
    def wait_seconds(self) -> float: ...

    @property
    def talk_seconds(self) -> float | None: ...


@dataclass(frozen=True, slots=True)
class ServiceLevelRule:
    """The service level's target answer time and what counts as a short abandon, and the share aimed at
    (settings: ``[inbound_service_level]``)."""

    answer_within_seconds: float = 20.0
    short_abandon_seconds: float = 5.0
    target: float = 0.80  # the share to answer within answer_within_seconds (80/20)

    def as_json(self) -> dict[str, float]:
        return {
            "answer_within_seconds": self.answer_within_seconds,
            "short_abandon_seconds": self.short_abandon_seconds,
            "target": self.target,
        }


@dataclass(frozen=True, slots=True)
class QueueFigures:
    """One queue's calls over a range, per the definitions above."""

    queue: str
    offered: int = 0
    answered: int = 0
    answered_within: int = 0
    abandoned: int = 0  # hung up waiting, short abandons excluded
    short_abandoned: int = 0
    timed_out: int = 0
    refused: int = 0
    answered_wait_seconds: float = 0.0  # total wait of the answered calls (ASA = this ÷ answered)
    longest_wait_seconds: float | None = None
    talk_seconds: float = 0.0
    talked: int = 0  # answered calls whose talk time is known

    @property
    def counted(self) -> int:
        """The rates' denominator: offered − short abandons."""
        return self.offered - self.short_abandoned

    @property
    def service_level(self) -> float | None:
        return ratio(self.answered_within, self.counted)

    @property
    def abandon_rate(self) -> float | None:
        return ratio(self.abandoned, self.counted)

    @property
    def average_speed_of_answer(self) -> float | None:
        return ratio(self.answered_wait_seconds, self.answered)

    @property
    def mean_talk_seconds(self) -> float | None:
        return ratio(self.talk_seconds, self.talked)

    def as_json(self) -> dict[str, Any]:
        return {
            "queue": self.queue,
            "offered": self.offered,
            "answered": self.answered,
            "answered_within": self.answered_within,
            "abandoned": self.abandoned,
            "short_abandoned": self.short_abandoned,
            "timed_out": self.timed_out,
            "refused": self.refused,
            "service_level": self.service_level,
            "abandon_rate": self.abandon_rate,
            "average_speed_of_answer": self.average_speed_of_answer,
            "longest_wait_seconds": self.longest_wait_seconds,
            "mean_talk_seconds": self.mean_talk_seconds,
        }


def queue_figures(queue: str, visits: Iterable[Visit], rule: ServiceLevelRule) -> QueueFigures:
    """The figures of ``queue`` over ``visits`` (finished ones; a visit still waiting is skipped)."""
    offered = answered = within = abandoned = short = timed_out = refused = talked = 0
    waited = talk = 0.0
    longest: float | None = None
    for v in visits:
        if v.outcome is None:
            continue
        offered += 1
        wait = max(0.0, v.wait_seconds)
        if v.outcome is not InboundOutcome.REFUSED or wait > 0:
            longest = wait if longest is None else max(longest, wait)
        if v.outcome is InboundOutcome.ANSWERED:
            answered += 1
            waited += wait
            within += wait <= rule.answer_within_seconds
            if v.talk_seconds is not None:
                talked += 1
                talk += max(0.0, v.talk_seconds)
        elif v.outcome is InboundOutcome.ABANDONED:
            if wait < rule.short_abandon_seconds:
                short += 1
            else:
                abandoned += 1
        elif v.outcome is InboundOutcome.TIMED_OUT:
            timed_out += 1
        else:
            refused += 1
    return QueueFigures(
        queue=queue,
        offered=offered,
        answered=answered,
        answered_within=within,
        abandoned=abandoned,
        short_abandoned=short,
        timed_out=timed_out,
        refused=refused,
        answered_wait_seconds=waited,
        longest_wait_seconds=longest,
        talk_seconds=talk,
        talked=talked,
    )


@dataclass(frozen=True, slots=True)
class InboundQueueNow:
    """One inbound queue live: the callers waiting now, the longest of their waits so far, and the figures of the
    visits that ended in the last hour."""

    queue: str
    waiting: int
    longest_waiting_seconds: float | None
    last_hour: QueueFigures

    def as_json(self) -> dict[str, Any]:
        return {
            "queue": self.queue,
            "waiting": self.waiting,
            "longest_waiting_seconds": self.longest_waiting_seconds,
            "last_hour": self.last_hour.as_json(),
        }
