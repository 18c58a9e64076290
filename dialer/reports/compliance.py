"""Compliance evidence for one campaign: the figures a regulator asks for, recomputed from the call records.

Nothing here trusts the dialer's own bookkeeping: every check is recomputed from the attempts table (and the
lead's time zones, the DNC lists, the campaign file), so a bug in the runner shows up here as a failed check.

* Abandon rate = abandoned ÷ live answers (connected + abandoned; machines excluded). With AMD, Ofcom requires
  an estimate of live people wrongly classed as machines to count as abandoned *live* calls: machines × the
  campaign's configured false-positive rate is added to both the abandoned count and the live answers.
  Each call counts at the instant a live person answered (``answered_at``; ``ended_at`` when unknown).
* The regime's cap is measured over its window (UK: any 24 h; US/CA: 30 days): the report gives the worst
  rolling window of that length, the window ending now, and both the rolling 24 h and consecutive 30-day figures.
* Re-call after abandon (UK, 72 h): any later attempt to the same lead or the same number within 72 h of an
  abandoned call.
* Calling window: every attempt's start time against the campaign's window in every zone of the number dialled
  (the lead's postal-code zone when the campaign prefers it), like the dialer's own rules.
* DNC: calls placed to a number already on a DNC list that applies to the campaign (global or its own) at the
  time of the call; plus what was blocked (rows scrubbed at import, leads set aside as DNC).
* Minimum ring: unanswered calls (no answer) the dialer released before the regime's minimum ring time.
* Caller ID: every attempt must carry a valid, diallable caller ID.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from dialer.calls.outcome import AnswerCount, Outcome
from dialer.campaign.config import CampaignConfig
from dialer.campaign.phones import time_zones_for_e164
from dialer.campaign.rules import LeadSnapshot, effective_zones
from dialer.i18n import _
from dialer.reports.common import (
    ReportRange,
    ratio,
)
from dialer.store.reports import ReportAttempt

DAY = timedelta(hours=24)
THIRTY_DAYS = timedelta(days=30)
RECALL_GAP = timedelta(hours=72)  # Ofcom: no re-call within 72 h of an abandoned call (unless an agent is sure)
EXAMPLES = 20  # offending calls listed per check (the counts are exact)


# -- abandon rate -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AnswerEvent:
    """One answered call as the abandon rate sees it."""

    at: datetime
    live: bool  # a live person (connected or abandoned)
    abandoned: bool  # counted abandoned under the regime's rules (``count_answer``)
    machine: bool  # a machine: AMD's verdict (carrying the false-positive estimate) or an agent's mark (none)
    estimated: float = 0.0  # this call's AMD false-positive estimate (``count_answer``), added to both sides
    excused: bool = False  # abandoned outcome the regime does not count (callee gone within the 2 s allowance)

    @classmethod
    def of(cls, at: datetime, outcome: str | None, count: AnswerCount) -> AnswerEvent:
        """The event of one answered call from its ``count_answer`` weight (the one definition)."""
        seen_live = count.live - count.estimated >= 1.0
        seen_abandoned = seen_live and count.abandoned - count.estimated >= 1.0
        return cls(
            at,
            seen_live,
            seen_abandoned,
            outcome == Outcome.MACHINE.value,
            count.estimated,
            outcome == Outcome.ABANDONED.value and not seen_abandoned,
        )


@dataclass(frozen=True, slots=True)
class AbandonWindow:
    start: datetime
    end: datetime
    live_answers: int
    abandoned: int
    machines: int
    amd_false_positives: float  # AMD machine verdicts × the configured false-positive rate (0 without AMD)
    rate: float | None  # (abandoned + estimate) ÷ (live answers + estimate); None without any live answer
    cap: float

    @property
    def within_cap(self) -> bool:
        return self.rate is None or self.rate <= self.cap

    def as_json(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "live_answers": self.live_answers,
            "abandoned": self.abandoned,
            "machines": self.machines,
            "amd_false_positive_estimate": round(self.amd_false_positives, 3),
            "rate": self.rate,
            "cap": self.cap,
            "within_cap": self.within_cap,
        }


def _window(events: Sequence[AnswerEvent], start: datetime, end: datetime, cap: float) -> AbandonWindow:
    """The answers in ``[start, end)``; ``events`` in time order."""
    inside = events[bisect_left(events, start, key=_at) : bisect_left(events, end, key=_at)]
    live = sum(e.live for e in inside)
    abandoned = sum(e.abandoned for e in inside)
    machines = sum(e.machine for e in inside)
    estimate = sum(e.estimated for e in inside)
    return _make_window(start, end, live, abandoned, machines, cap, estimate)


def _at(event: AnswerEvent) -> datetime:
    return event.at


def _make_window(
    start: datetime, end: datetime, live: int, abandoned: int, machines: int, cap: float, estimate: float
) -> AbandonWindow:
    estimate = max(estimate, 0.0)  # (a running sum of floats may end a hair below zero)
    return AbandonWindow(
        start, end, live, abandoned, machines, estimate, ratio(abandoned + estimate, live + estimate), cap
    )


def worst_window(events: Sequence[AnswerEvent], length: timedelta, cap: float) -> AbandonWindow | None:
    """The rolling window of ``length`` with the highest abandon rate. A window's count only changes when it
    starts at an event, so windows starting at each event are the only candidates (two pointers, O(n)).
    Ties go to the window with more live answers (the stronger evidence)."""
    n = len(events)
    if n == 0:
        return None
    best: AbandonWindow | None = None
    live = abandoned = machines = 0
    estimate = 0.0
    j = 0
    for i in range(n):
        end = events[i].at + length
        while j < n and events[j].at < end:
            live += events[j].live
            abandoned += events[j].abandoned
            machines += events[j].machine
            estimate += events[j].estimated
            j += 1
        window = _make_window(events[i].at, end, live, abandoned, machines, cap, estimate)
        if window.rate is not None and (
            best is None
            or best.rate is None
            or window.rate > best.rate
            or (window.rate == best.rate and window.live_answers > best.live_answers)
        ):
            best = window
        live -= events[i].live
        abandoned -= events[i].abandoned
        machines -= events[i].machine
        estimate -= events[i].estimated
    if best is None:  # machines only, no live answer at all
        machines = sum(e.machine for e in events)
        return _make_window(events[0].at, events[0].at + length, 0, 0, machines, cap, 0.0)
    return best


def periods(
    events: Sequence[AnswerEvent], first: datetime, last: datetime, length: timedelta, cap: float
) -> list[AbandonWindow]:
    """Consecutive periods of ``length`` from ``first`` covering up to ``last``."""
    out = []
    start = first
    while start <= last:
        out.append(_window(events, start, start + length, cap))
        start += length
    return out


@dataclass(frozen=True, slots=True)
class AbandonSection:
    regime_window: timedelta  # the window the regime's cap is measured over
    cap: float
    amd_false_positive_rate: float
    overall: AbandonWindow | None
    worst_regime_window: AbandonWindow | None
    current_regime_window: AbandonWindow
    worst_24h: AbandonWindow | None
    current_24h: AbandonWindow
    periods_30d: tuple[AbandonWindow, ...]
    early_hangup_is_abandon: bool = True  # the regime's decision (see ``AbandonRules``)
    excused_early_hangups: int = 0  # callees gone within the 2 s allowance, not counted as abandoned

    @property
    def early_hangup_rule(self) -> str:
        if self.early_hangup_is_abandon:
            return _(
                "callees who hang up within 2 s of answering (during AMD, before an agent could be reached) count "
                "as abandoned (conservative: the regime's text does not excuse them)"
            )
        return _(
            "callees who hang up within 2 s of answering (during AMD, before an agent could be reached) are live "
            "answers, not abandons (47 CFR 64.1200(a)(7): abandoned = not connected to an agent within 2 s of "
            "the completed greeting)"
        )

    @property
    def within_cap(self) -> bool:
        worst = self.worst_regime_window
        return (worst is None or worst.within_cap) and self.current_regime_window.within_cap

    def as_json(self) -> dict[str, Any]:
        def opt(w: AbandonWindow | None) -> dict[str, Any] | None:
            return None if w is None else w.as_json()

        return {
            "regime_window_hours": self.regime_window.total_seconds() / 3600,
            "cap": self.cap,
            "amd_false_positive_rate": self.amd_false_positive_rate,
            "overall": opt(self.overall),
            "worst_regime_window": opt(self.worst_regime_window),
            "current_regime_window": self.current_regime_window.as_json(),
            "rolling_24h": {"worst": opt(self.worst_24h), "current": self.current_24h.as_json()},
            "periods_30d": [p.as_json() for p in self.periods_30d],
            "early_hangup_is_abandon": self.early_hangup_is_abandon,
            "early_hangup_rule": self.early_hangup_rule,
            "excused_early_hangups": self.excused_early_hangups,
            "within_cap": self.within_cap,
        }


def abandon_section(
    events: Sequence[AnswerEvent], config: CampaignConfig, span: ReportRange, now: datetime
) -> AbandonSection:
    """``events``: the answered calls of the range, in time order."""
    cap, fp_rate, window = config.abandon_cap, config.amd_false_positive_rate, config.abandon_window
    # The dialer's clock writes the times: with a sped-up simulated clock (or clock skew between hosts) the last
    # answers may lie after the reporter's "now"; windows "ending now" then end at the last answer instead.
    tick = timedelta(microseconds=1)
    latest = events[-1].at + tick if events else now
    first = span.start or (events[0].at if events else now)
    end_all = max(latest, span.end or now)
    overall = (
        _make_window(
            first,
            end_all,
            sum(e.live for e in events),
            sum(e.abandoned for e in events),
            sum(e.machine for e in events),
            cap,
            sum(e.estimated for e in events),
        )
        if events
        else None
    )
    current_end = span.end if span.end is not None else max(now, latest)
    return AbandonSection(
        regime_window=window,
        cap=cap,
        amd_false_positive_rate=fp_rate,
        overall=overall,
        worst_regime_window=worst_window(events, window, cap),
        current_regime_window=_window(events, current_end - window, current_end, cap),
        worst_24h=worst_window(events, DAY, cap),
        current_24h=_window(events, current_end - DAY, current_end, cap),
        periods_30d=tuple(periods(events, first, end_all - tick, THIRTY_DAYS, cap)) if events else (),
        early_hangup_is_abandon=config.abandon_rules.early_hangup_is_abandon,
        excused_early_hangups=sum(e.excused for e in events),
    )


# -- the other checks -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Offence:
    """One call that broke a rule (listed as evidence; the count in the check is exact)."""

    attempt_id: int
    lead_id: int
    phone: str
    started_at: datetime
    detail: str

    def as_json(self) -> dict[str, Any]:
        return {
            "attempt_id": self.attempt_id,
            "lead_id": self.lead_id,
            "phone": self.phone,
            "started_at": self.started_at.isoformat(),
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    rule: str  # the rule in one line
    required: bool  # does the campaign's regime require it (else informational)
    checked: int  # calls examined
    violations: int
    examples: tuple[Offence, ...] = ()
    figures: dict[str, Any] = field(default_factory=dict)
    note: str = ""

    @property
    def passed(self) -> bool:
        return self.violations == 0

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "rule": self.rule,
            "required": self.required,
            "checked": self.checked,
            "violations": self.violations,
            "passed": self.passed,
            "figures": self.figures,
            "examples": [o.as_json() for o in self.examples],
            "note": self.note,
        }


@lru_cache(maxsize=65536)
def _number_zones(e164: str) -> tuple[str, ...]:
    return time_zones_for_e164(e164)


def zones_of_attempt(a: ReportAttempt, config: CampaignConfig) -> tuple[str, ...]:
    """The zones whose window had to be open for this call: the rules' zones for the lead's current phone, the
    dialled number's own zones when the attempt dialled another (an alternative phone before a switch)."""
    candidates = a.lead_tz_candidates if a.phone == a.lead_phone else _number_zones(a.phone)
    lead = LeadSnapshot(
        id=a.lead_id,
        campaign=config.name,
        phone=a.phone,
        tz_candidates=candidates,
        postal_zones=a.lead_postal_zones,
    )
    return effective_zones(lead, config)


# -- the report -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ComplianceReport:
    campaign: str
    regime: str
    span: ReportRange
    generated_at: datetime
    attempts: int
    outcomes: dict[str, int]
    abandon: AbandonSection
    checks: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        return self.abandon.within_cap and all(c.passed for c in self.checks if c.required)

    def check(self, name: str) -> Check:
        return next(c for c in self.checks if c.name == name)

    def as_json(self) -> dict[str, Any]:
        return {
            "report": "compliance",
            "campaign": self.campaign,
            "regime": self.regime,
            "range": self.span.as_json(),
            "generated_at": self.generated_at.isoformat(),
            "attempts": self.attempts,
            "outcomes": self.outcomes,
            "abandon_rate": self.abandon.as_json(),
            "checks": {c.name: c.as_json() for c in self.checks},
            "calls_outside_window": self.check("calling_window").violations,
            "passed": self.passed,
        }
