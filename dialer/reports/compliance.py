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
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, TextIO

from dialer.calls.outcome import ANSWERED_OUTCOMES, AnswerCount, Outcome, count_answer
from dialer.campaign.config import CampaignConfig
from dialer.campaign.phones import Phone, normalize, time_zones_for_e164
from dialer.campaign.rules import LeadSnapshot, effective_zones
from dialer.reports.common import (
    ReportRange,
    esc,
    html_page,
    html_table,
    iso,
    pct,
    ratio,
    verdict,
    write_csv,
)
from dialer.store.campaigns import load_stored_campaign
from dialer.store.engine import Database
from dialer.store.reports import DncFacts, ReportAttempt, dnc_facts, dnc_listed_since, iter_report_attempts

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
    machine: bool  # classed machine by AMD (the false-positive estimate applies to these)
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
    amd_false_positives: float  # machines × the configured false-positive rate (0 without AMD)
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
            return (
                "callees who hang up within 2 s of answering (during AMD, before an agent could be reached) count "
                "as abandoned (conservative: the regime's text does not excuse them)"
            )
        return (
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


def _offence(a: ReportAttempt, detail: str) -> Offence:
    return Offence(a.id, a.lead_id, a.phone, a.started_at, detail)


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


def _zone(name: str) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def _seconds_after_answer(a: ReportAttempt) -> float | None:
    if a.answered_at is None or a.ended_at is None:
        return None
    return (a.ended_at - a.answered_at).total_seconds()


def _abandon_time(a: ReportAttempt) -> datetime:
    return a.ended_at or a.answered_at or a.started_at


def _median(values: Sequence[float]) -> float | None:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else None


class _Rule:
    """One check, fed call by call: exact counts, the first EXAMPLES offences as evidence."""

    def __init__(self) -> None:
        self.checked = 0
        self.violations = 0
        self.examples: list[Offence] = []

    def offend(self, a: ReportAttempt, detail: str) -> None:
        self.violations += 1
        if len(self.examples) < EXAMPLES:
            self.examples.append(_offence(a, detail))


class ComplianceScan:
    """Every check over the campaign's attempts, fed page by page in start order (bounded memory: per call it
    keeps only the answered calls' times for the abandon windows, and the last abandon per lead and number).

    Attempts before the range (the 72 h look-back) only feed the re-call rule."""

    def __init__(self, config: CampaignConfig, span: ReportRange) -> None:
        self.config, self.span = config, span
        self.recall_gap = config.no_recall_after_abandon or RECALL_GAP
        self.rules = config.abandon_rules
        self.min_ring = float(config.regime_preset.min_ring_seconds)
        self.attempts = 0
        self.outcomes: Counter[str] = Counter()
        self.events: list[AnswerEvent] = []
        self.window, self.recall, self.dnc = _Rule(), _Rule(), _Rule()
        self.ring, self.caller, self.connect = _Rule(), _Rule(), _Rule()
        self.no_zone = 0
        self.last_abandon_lead: dict[int, datetime] = {}
        self.last_abandon_phone: dict[str, datetime] = {}
        self.unanswered = 0
        self.rings: list[float] = []
        self.cancelled_short = 0
        self.caller_ids: Counter[str] = Counter()
        self._valid_caller: dict[str, bool] = {}
        self.waits: list[float] = []

    def in_range(self, a: ReportAttempt) -> bool:
        span = self.span
        return (span.start is None or a.started_at >= span.start) and (span.end is None or a.started_at < span.end)

    def add(self, page: Sequence[ReportAttempt], dnc_listed: dict[str, datetime]) -> None:
        for a in page:
            if self.in_range(a):
                self._check(a, dnc_listed)
            if a.outcome == Outcome.ABANDONED.value:
                at = _abandon_time(a)
                self.last_abandon_lead[a.lead_id] = at
                self.last_abandon_phone[a.phone] = at

    def _check(self, a: ReportAttempt, dnc_listed: dict[str, datetime]) -> None:
        config = self.config
        self.attempts += 1
        self.outcomes[a.outcome or "in_progress"] += 1
        count = count_answer(
            a.outcome,
            amd_status=a.amd_status,
            seconds_after_answer=_seconds_after_answer(a),
            rules=self.rules,
        )
        if a.outcome in ANSWERED_OUTCOMES:
            at = a.answered_at or a.ended_at or a.started_at
            self.events.append(AnswerEvent.of(at, a.outcome, count))
        # Calling window, in every zone of the number dialled.
        self.window.checked += 1
        zones = zones_of_attempt(a, config)
        if not zones:
            self.no_zone += 1
            self.window.offend(a, "no time zone known for the number: the window cannot have been checked")
        elif not config.window.is_open_everywhere(a.started_at, zones):
            closed = [z for z in zones if not config.window.is_open_in(a.started_at, z)]
            local = ", ".join(f"{a.started_at.astimezone(_zone(z)).strftime('%a %H:%M')} {z}" for z in closed)
            self.window.offend(a, f"window closed in {local}")
        # Re-call after an abandon (same lead or same number).
        self.recall.checked += 1
        prior = [t for t in (self.last_abandon_lead.get(a.lead_id), self.last_abandon_phone.get(a.phone)) if t]
        if prior:
            since = a.started_at - max(prior)
            if timedelta(0) <= since < self.recall_gap:
                self.recall.offend(a, f"re-called {since.total_seconds() / 3600:.1f} h after an abandoned call")
        # DNC at the time of the call.
        self.dnc.checked += 1
        listed = dnc_listed.get(a.phone)
        if listed is not None and listed <= a.started_at:
            self.dnc.offend(a, f"number on a DNC list since {listed.isoformat()}")
        # Minimum ring of unanswered calls.
        if a.outcome == Outcome.NO_ANSWER.value:
            self.unanswered += 1
            if a.ring_seconds is not None:
                self.ring.checked += 1
                self.rings.append(a.ring_seconds)
                if a.ring_seconds < self.min_ring:
                    self.ring.offend(a, f"released after {a.ring_seconds:.1f} s of ringing")
        elif a.outcome == Outcome.CANCELLED.value and a.ring_seconds is not None and a.ring_seconds < self.min_ring:
            self.cancelled_short += 1
        # Caller ID present and diallable.
        self.caller.checked += 1
        cid = (a.caller_id or "").strip()
        if not cid:
            self.caller.offend(a, "no caller ID")
        else:
            self.caller_ids[cid] += 1
            valid = self._valid_caller.get(cid)
            if valid is None:
                number = cid.rsplit("<", 1)[-1].rstrip(">").strip() if "<" in cid else cid
                valid = self._valid_caller[cid] = isinstance(normalize(number, config.default_region), Phone)
            if not valid:
                self.caller.offend(a, f"caller ID {cid!r} is not a valid diallable number")
        # Answer -> agent (informational).
        if a.outcome == Outcome.CONNECTED.value:
            self.connect.checked += 1
            if a.answered_at is not None and a.connected_at is not None:
                wait = (a.connected_at - a.answered_at).total_seconds()
                self.waits.append(wait)
                if wait > config.max_connect_seconds:
                    self.connect.offend(a, f"agent connected {wait:.1f} s after answer")

    def checks(self, facts: DncFacts) -> tuple[Check, ...]:
        config = self.config
        gap_hours = self.recall_gap.total_seconds() / 3600
        recall_required = config.no_recall_after_abandon is not None
        waits = sorted(self.waits)

        def check(rule: _Rule, name: str, text: str, required: bool, figures: dict[str, Any], note: str = "") -> Check:
            return Check(name, text, required, rule.checked, rule.violations, tuple(rule.examples), figures, note)

        return (
            check(
                self.window,
                "calling_window",
                "every call starts inside the campaign's calling window in every time zone of the number",
                True,
                {"window": config.window.to_mapping(), "no_time_zone": self.no_zone},
            ),
            check(
                self.recall,
                "recall_after_abandon",
                f"no call to a lead or number within {gap_hours:g} h of an abandoned call to it",
                recall_required,
                {"gap_hours": gap_hours},
                "" if recall_required else "not required by this regime; reported for information",
            ),
            check(
                self.dnc,
                "dnc",
                "no call to a number on a DNC list (global or the campaign's) at the time of the call",
                True,
                {
                    "scrubbed_at_import": facts.scrubbed_at_import,
                    "leads_set_aside_as_dnc": facts.leads_set_aside,
                    "campaign_dnc_entries": facts.campaign_entries,
                    "campaign_dnc_added_in_range": facts.campaign_entries_added,
                    "global_dnc_entries": facts.global_entries,
                },
                "measurable: calls to listed numbers (recomputed), rows refused at import, leads set aside as DNC; "
                "claims refused because a number joined a DNC list after import are not recorded one by one",
            ),
            check(
                self.ring,
                "minimum_ring",
                f"unanswered calls ring at least {self.min_ring:g} s before the dialer releases them",
                config.regime_preset.min_ring_seconds > 0,
                {
                    "minimum_seconds": self.min_ring,
                    "configured_ring_timeout_seconds": config.ring_timeout_seconds,
                    "configured_timeout_ok": config.ring_timeout_seconds >= self.min_ring,
                    "unanswered_calls": self.unanswered,
                    "ring_time_unknown": self.unanswered - self.ring.checked,
                    "shortest_seconds": min(self.rings) if self.rings else None,
                    "median_seconds": _median(self.rings),
                    "cancelled_by_dialer_before_minimum": self.cancelled_short,
                },
                "calls cancelled by the dialer itself (shutdown drain) are counted apart",
            ),
            check(
                self.caller,
                "caller_id",
                "every call presents a valid, diallable caller ID",
                True,
                {"caller_ids_used": dict(self.caller_ids.most_common(10)), "configured": config.caller_id.number},
            ),
            check(
                self.connect,
                "connect_time",
                f"a live answer reaches an agent within {config.max_connect_seconds:g} s (measured from answer)",
                False,
                {
                    "limit_seconds": config.max_connect_seconds,
                    "median_seconds": waits[len(waits) // 2] if waits else None,
                    "p95_seconds": waits[int(len(waits) * 0.95)] if waits else None,
                },
                "informational: the rule's clock starts at the end of the greeting, this one at answer",
            ),
        )

    def report(self, now: datetime, facts: DncFacts) -> ComplianceReport:
        self.events.sort(key=lambda e: e.at)
        return ComplianceReport(
            campaign=self.config.name,
            regime=self.config.regime.value,
            span=self.span,
            generated_at=now,
            attempts=self.attempts,
            outcomes=dict(sorted(self.outcomes.items())),
            abandon=abandon_section(self.events, self.config, self.span, now),
            checks=self.checks(facts),
        )


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


def build_compliance(
    config: CampaignConfig,
    history: Sequence[ReportAttempt],
    span: ReportRange,
    now: datetime,
    *,
    dnc_listed: dict[str, datetime],
    dnc: DncFacts,
) -> ComplianceReport:
    """Pure: ``history`` = the campaign's attempts, in start order, from 72 h before the range start to its end."""
    scan = ComplianceScan(config, span)
    scan.add(sorted(history, key=lambda a: (a.started_at, a.id)), dnc_listed)
    return scan.report(now, dnc)


async def compliance_report(db: Database, campaign: str, span: ReportRange, *, now: datetime) -> ComplianceReport:
    """Raises ``UnknownCampaignError`` for an unknown campaign. Reads the attempts page by page."""
    record, config = await load_stored_campaign(db, campaign)
    lookback = max(config.no_recall_after_abandon or RECALL_GAP, RECALL_GAP)
    wide = span.widened(lookback)
    scan = ComplianceScan(config, span)
    async for page in iter_report_attempts(db, record.id, wide.start, span.end):
        listed = await dnc_listed_since(db, record.id, [a.phone for a in page if scan.in_range(a)])
        scan.add(page, listed)
    return scan.report(now, await dnc_facts(db, record.id, span.start, span.end))


# -- renderers --------------------------------------------------------------------------------------------------


def duration_label(length: timedelta) -> str:
    """24 h, 72 h; whole days from 2 days up (30 days)."""
    hours = length.total_seconds() / 3600
    return f"{hours / 24:g} days" if hours >= 48 and hours % 24 == 0 else f"{hours:g} h"


def _window_line(label: str, w: AbandonWindow | None) -> str:
    if w is None:
        return f"  {label}: no answered calls"
    fp = f" + {w.amd_false_positives:.1f} AMD estimate" if w.machines and w.amd_false_positives else ""
    return (
        f"  {label}: {pct(w.rate)} ({w.abandoned}{fp} abandoned of {w.live_answers} live answers) "
        f"{w.start:%Y-%m-%d %H:%M} → {w.end:%Y-%m-%d %H:%M} UTC  [{'ok' if w.within_cap else 'OVER CAP'}]"
    )


def render_compliance_text(report: ComplianceReport) -> str:
    a = report.abandon
    period = duration_label(a.regime_window)
    lines = [
        f"Compliance report — campaign {report.campaign} (regime {report.regime})",
        f"range: {iso(report.span.start) or 'beginning'} → {iso(report.span.end) or 'now'}; "
        f"{report.attempts} attempts; overall: {'PASS' if report.passed else 'FAIL'}",
        f"abandon rate (cap {a.cap:.0%} of live answers per {period}"
        + (f", AMD false-positive rate {a.amd_false_positive_rate:.1%}" if a.amd_false_positive_rate else "")
        + "):",
        _window_line("whole range", a.overall),
        _window_line(f"worst {period} window", a.worst_regime_window),
        _window_line(f"current {period} window", a.current_regime_window),
        _window_line("worst rolling 24 h", a.worst_24h),
        _window_line("current 24 h", a.current_24h),
    ]
    for i, p in enumerate(a.periods_30d, 1):
        lines.append(_window_line(f"30-day period {i}", p))
    lines.append(f"  early hang-ups: {a.early_hangup_rule}; {a.excused_early_hangups} not counted")
    for c in report.checks:
        status = "PASS" if c.passed else ("FAIL" if c.required else "note")
        lines.append(f"{c.name}: {status} — {c.violations} of {c.checked} calls; {c.rule}")
        for k, v in c.figures.items():
            if k != "window":
                lines.append(f"    {k}: {v}")
        for o in c.examples:
            lines.append(
                f"    attempt {o.attempt_id} lead {o.lead_id} {o.phone} {o.started_at.isoformat()}: {o.detail}"
            )
        if c.note:
            lines.append(f"    ({c.note})")
    return "\n".join(lines)


def compliance_rows(report: ComplianceReport) -> list[list[Any]]:
    """Long format: section, item, metric, value (one table, easy to pivot)."""
    rows: list[list[Any]] = [
        ["report", report.campaign, "regime", report.regime],
        ["report", report.campaign, "attempts", report.attempts],
        ["report", report.campaign, "passed", report.passed],
    ]

    def window_rows(name: str, w: AbandonWindow | None) -> None:
        if w is None:
            return
        for key, value in w.as_json().items():
            rows.append(["abandon_rate", name, key, value])

    a = report.abandon
    window_rows("overall", a.overall)
    window_rows("worst_regime_window", a.worst_regime_window)
    window_rows("current_regime_window", a.current_regime_window)
    window_rows("worst_24h", a.worst_24h)
    window_rows("current_24h", a.current_24h)
    for i, p in enumerate(a.periods_30d, 1):
        window_rows(f"period_30d_{i}", p)
    for c in report.checks:
        rows.append(["check", c.name, "required", c.required])
        rows.append(["check", c.name, "checked", c.checked])
        rows.append(["check", c.name, "violations", c.violations])
        rows.append(["check", c.name, "passed", c.passed])
        for k, v in c.figures.items():
            rows.append(["check", c.name, k, v if isinstance(v, int | float | str | bool) or v is None else str(v)])
        for o in c.examples:
            rows.append(
                ["offence", c.name, f"attempt {o.attempt_id}", f"{o.phone} {o.started_at.isoformat()} {o.detail}"]
            )
    return rows


def compliance_csv(report: ComplianceReport, stream: TextIO) -> int:
    return write_csv(stream, ["section", "item", "metric", "value"], compliance_rows(report))


def _window_cells(label: str, w: AbandonWindow | None) -> list[object]:
    if w is None:
        return [label, "", "", 0, 0, 0, "n/a", "no answered calls"]
    return [
        label,
        f"{w.start:%Y-%m-%d %H:%M}",
        f"{w.end:%Y-%m-%d %H:%M}",
        w.live_answers,
        w.abandoned,
        round(w.amd_false_positives, 2),
        pct(w.rate),
        "within cap" if w.within_cap else "OVER CAP",
    ]


def render_compliance_html(report: ComplianceReport) -> str:
    """A printable page (inline CSS, no scripts, no external assets)."""
    a = report.abandon
    period = duration_label(a.regime_window)
    windows = [
        _window_cells("whole range", a.overall),
        _window_cells(f"worst {period} (regime window)", a.worst_regime_window),
        _window_cells(f"current {period}", a.current_regime_window),
        _window_cells("worst rolling 24 h", a.worst_24h),
        _window_cells("current 24 h", a.current_24h),
        *(_window_cells(f"30-day period {i}", p) for i, p in enumerate(a.periods_30d, 1)),
    ]
    parts = [
        f"<h1>Compliance report — {esc(report.campaign)}</h1>",
        f"<p>Regime <b>{esc(report.regime)}</b>; calls started {esc(iso(report.span.start) or 'from the beginning')}"
        f" to {esc(iso(report.span.end) or 'now')}; {report.attempts} attempts; generated "
        f"{esc(report.generated_at.isoformat(timespec='seconds'))}. Overall: {verdict(report.passed)}</p>",
        f"<h2>Abandon rate (cap {a.cap:.0%} of live answers per {period}) {verdict(a.within_cap)}</h2>",
        '<p class="note">Abandoned ÷ live answers (connected + abandoned; machines excluded)'
        + (
            f"; AMD: machines × {a.amd_false_positive_rate:.1%} counted as abandoned live calls (Ofcom)"
            if a.amd_false_positive_rate
            else ""
        )
        + f". Early hang-ups: {esc(a.early_hangup_rule)}; {a.excused_early_hangups} not counted. Times in UTC.</p>",
        html_table(["window", "from", "to", "live answers", "abandoned", "AMD estimate", "rate", ""], windows),
        "<h2>Checks</h2>",
        html_table(
            ["check", "rule", "calls checked", "violations", "result"],
            [
                [c.name, c.rule, c.checked, c.violations, "PASS" if c.passed else ("FAIL" if c.required else "note")]
                for c in report.checks
            ],
        ),
    ]
    for c in report.checks:
        parts.append(f"<h2>{esc(c.name)} {verdict(c.passed) if c.required else ''}</h2><p>{esc(c.rule)}</p>")
        figures = [[k, v if isinstance(v, int | float) else str(v)] for k, v in c.figures.items()]
        if figures:
            parts.append(html_table(["figure", "value"], figures))
        if c.examples:
            parts.append(
                html_table(
                    ["attempt", "lead", "number", "started (UTC)", "detail"],
                    [[o.attempt_id, o.lead_id, o.phone, o.started_at.isoformat(), o.detail] for o in c.examples],
                )
            )
        if c.note:
            parts.append(f'<p class="note">{esc(c.note)}</p>')
    return html_page(f"Compliance — {report.campaign}", "\n".join(parts))
