"""The compliance scan: every check of :mod:`dialer.reports.compliance` fed call by call from the store's
report queries (page by page, bounded memory), and the report of a stored campaign."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from babel.dates import format_date, format_datetime

from dialer.calls.outcome import ANSWERED_OUTCOMES, Outcome, count_answer
from dialer.campaign.config import CampaignConfig
from dialer.campaign.phones import Phone, normalize
from dialer.i18n import _, babel_locale
from dialer.reports.common import ReportRange
from dialer.reports.compliance import (
    EXAMPLES,
    RECALL_GAP,
    AnswerEvent,
    Check,
    ComplianceReport,
    Offence,
    abandon_section,
    zones_of_attempt,
)
from dialer.store.campaigns import load_stored_campaign
from dialer.store.engine import Database
from dialer.store.reports import DncFacts, ReportAttempt, dnc_facts, dnc_listed_since, iter_report_attempts


def _offence(a: ReportAttempt, detail: str) -> Offence:
    return Offence(a.id, a.lead_id, a.phone, a.started_at, detail)


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
            self.window.offend(a, _("no time zone known for the number: the window cannot have been checked"))
        elif not config.window.is_open_everywhere(a.started_at, zones):
            closed = [z for z in zones if not config.window.is_open_in(a.started_at, z)]
            # A public holiday or closed date of the called party's local calendar closes the window all day.
            closures = [c for c in (config.window.closure_at(a.started_at, z) for z in closed) if c is not None]
            if closures:
                days = _(", ").join(
                    f"{c.name or _('closed date')} {format_date(c.day, 'medium', locale=babel_locale())} {c.zone}"
                    for c in closures
                )
                self.window.offend(a, _("no calls that day in {place}").format(place=days))
            else:
                local = _(", ").join(
                    f"{format_datetime(a.started_at, 'EEE HH:mm', tzinfo=_zone(z), locale=babel_locale())} {z}"
                    for z in closed
                )
                self.window.offend(a, _("window closed in {place}").format(place=local))
        # Re-call after an abandon (same lead or same number).
        self.recall.checked += 1
        prior = [t for t in (self.last_abandon_lead.get(a.lead_id), self.last_abandon_phone.get(a.phone)) if t]
        if prior:
            since = a.started_at - max(prior)
            if timedelta(0) <= since < self.recall_gap:
                self.recall.offend(
                    a,
                    _("re-called {hours} h after an abandoned call").format(
                        hours=f"{since.total_seconds() / 3600:.1f}"
                    ),
                )
        # DNC at the time of the call.
        self.dnc.checked += 1
        listed = dnc_listed.get(a.phone)
        if listed is not None and listed <= a.started_at:
            self.dnc.offend(a, _("number on a DNC list since {time}").format(time=listed.isoformat()))
        # Minimum ring of unanswered calls.
        if a.outcome == Outcome.NO_ANSWER.value:
            self.unanswered += 1
            if a.ring_seconds is not None:
                self.ring.checked += 1
                self.rings.append(a.ring_seconds)
                if a.ring_seconds < self.min_ring:
                    self.ring.offend(a, _("released after {n} s of ringing").format(n=f"{a.ring_seconds:.1f}"))
        elif a.outcome == Outcome.CANCELLED.value and a.ring_seconds is not None and a.ring_seconds < self.min_ring:
            self.cancelled_short += 1
        # Caller ID present and diallable.
        self.caller.checked += 1
        cid = (a.caller_id or "").strip()
        if not cid:
            self.caller.offend(a, _("no caller ID"))
        else:
            self.caller_ids[cid] += 1
            valid = self._valid_caller.get(cid)
            if valid is None:
                number = cid.rsplit("<", 1)[-1].rstrip(">").strip() if "<" in cid else cid
                valid = self._valid_caller[cid] = isinstance(normalize(number, config.default_region), Phone)
            if not valid:
                self.caller.offend(a, _("caller ID {number} is not a valid diallable number").format(number=repr(cid)))
        # Answer -> agent (informational).
        if a.outcome == Outcome.CONNECTED.value:
            self.connect.checked += 1
            if a.answered_at is not None and a.connected_at is not None:
                wait = (a.connected_at - a.answered_at).total_seconds()
                self.waits.append(wait)
                if wait > config.max_connect_seconds:
                    self.connect.offend(a, _("agent connected {n} s after answer").format(n=f"{wait:.1f}"))

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
                _("every call starts inside the campaign's calling window in every time zone of the number"),
                True,
                {
                    "window": config.window.to_mapping(),
                    "holidays": bool(config.holidays.observe),
                    "closed_dates": [d.isoformat() for d in config.closed_dates],
                    "no_time_zone": self.no_zone,
                },
            ),
            check(
                self.recall,
                "recall_after_abandon",
                _("no call to a lead or number within {hours} h of an abandoned call to it").format(
                    hours=f"{gap_hours:g}"
                ),
                recall_required,
                {"gap_hours": gap_hours},
                "" if recall_required else _("not required by this regime; reported for information"),
            ),
            check(
                self.dnc,
                "dnc",
                _("no call to a number on a DNC list (global or the campaign's) at the time of the call"),
                True,
                {
                    "scrubbed_at_import": facts.scrubbed_at_import,
                    "leads_set_aside_as_dnc": facts.leads_set_aside,
                    "campaign_dnc_entries": facts.campaign_entries,
                    "campaign_dnc_added_in_range": facts.campaign_entries_added,
                    "global_dnc_entries": facts.global_entries,
                },
                _(
                    "measurable: calls to listed numbers (recomputed), rows refused at import, leads set aside as DNC; "
                    "claims refused because a number joined a DNC list after import are not recorded one by one"
                ),
            ),
            check(
                self.ring,
                "minimum_ring",
                _("unanswered calls ring at least {n} s before the dialer releases them").format(
                    n=f"{self.min_ring:g}"
                ),
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
                _("calls cancelled by the dialer itself (shutdown drain) are counted apart"),
            ),
            check(
                self.caller,
                "caller_id",
                _("every call presents a valid, diallable caller ID"),
                True,
                {
                    "caller_ids_used": dict(self.caller_ids.most_common(10)),
                    "configured": config.caller_id.number,
                    # (the campaign's local numbers, when it has some: any of them is as configured)
                    **(
                        {"local_presence": [n.number for n in config.caller_id.local]} if config.caller_id.local else {}
                    ),
                },
            ),
            check(
                self.connect,
                "connect_time",
                _("a live answer reaches an agent within {n} s (measured from answer)").format(
                    n=f"{config.max_connect_seconds:g}"
                ),
                False,
                {
                    "limit_seconds": config.max_connect_seconds,
                    "median_seconds": _median(waits),
                    "p95_seconds": waits[int(len(waits) * 0.95)] if waits else None,
                },
                _("informational: the rule's clock starts at the end of the greeting, this one at answer"),
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
