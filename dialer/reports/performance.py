"""Contact-centre performance of one campaign: the figures managers already know, from the call records.

Definitions (docs/domain.md):
* contact rate = live answers (connected + abandoned) ÷ attempts;
* conversion = sales ÷ connected calls (a disposition with ``is_sale``), and the share of each disposition;
* talk time of a call = ``ended_at − connected_at`` (agent connected until hang-up); AHT = talk + ACW (after-call
  work); ACW, ready (waiting) and pause time and occupancy = (talk + wrap-up) ÷ logged-in time need the agents'
  state history (table ``agent_events``): without it they are reported as unavailable, never guessed;
* FCR = leads whose first connected call in the range got a final disposition ÷ leads connected in the range;
* callbacks: kept on time (a call to the lead within 15 min of the due time), kept late, missed, pending;
* list penetration = leads dialled at least once ÷ leads; exhaustion = leads in a final status ÷ leads;
* contact rate by hour of day, in the called party's local time (the first zone of the number);
* attempts per lead (histogram of the range's attempts).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import fmean
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from dialer.calls.outcome import Outcome, count_answer
from dialer.campaign.config import CampaignConfig
from dialer.reports.common import (
    ReportRange,
    esc,
    html_page,
    html_table,
    iso,
    pct,
    ratio,
    seconds_between,
    svg_bar_chart,
    write_csv,
)
from dialer.reports.compliance import zones_of_attempt
from dialer.store.campaigns import load_stored_campaign
from dialer.store.engine import Database
from dialer.store.reports import (
    AgentEventFact,
    CallbackFact,
    LeadTotals,
    ReportAttempt,
    agent_events,
    callbacks_due,
    iter_report_attempts,
    lead_totals,
)

LIVE = tuple(o.value for o in Outcome if o.is_live_answer)
CALLBACK_EARLY = timedelta(minutes=2)  # a call this much before the due time still keeps the promise
CALLBACK_GRACE = timedelta(minutes=15)  # ... and up to this much after it
FINAL_LEAD_STATUSES = ("done", "archived", "dnc", "exhausted")


# -- agent time from the state history --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AgentTime:
    logged_in: float
    ready: float  # waiting for a call (ringing included)
    talking: float
    wrapup: float
    paused: float

    @property
    def occupancy(self) -> float | None:
        return ratio(self.talking + self.wrapup, self.logged_in)


def agent_time(events: Sequence[AgentEventFact], start: datetime, end: datetime) -> dict[str, AgentTime]:
    """Seconds per state per agent within ``[start, end)``; each event's state lasts until the agent's next one."""
    per_agent: dict[str, list[AgentEventFact]] = defaultdict(list)
    for e in sorted(events, key=lambda e: e.at):
        per_agent[e.agent].append(e)
    out = {}
    for agent, changes in per_agent.items():
        spent: dict[str, float] = defaultdict(float)
        for i, e in enumerate(changes):
            until = changes[i + 1].at if i + 1 < len(changes) else end
            lo, hi = max(e.at, start), min(until, end)
            if hi > lo:
                spent[e.status] += (hi - lo).total_seconds()
        ready = spent["ready"] + spent["ringing"]
        out[agent] = AgentTime(
            logged_in=sum(v for k, v in spent.items() if k != "logged_out"),
            ready=ready,
            talking=spent["talking"],
            wrapup=spent["wrapup"],
            paused=spent["paused"],
        )
    return out


# -- figures ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AgentFigures:
    agent: str
    calls: int  # connected calls handled
    sales: int
    talk_seconds: float
    mean_talk_seconds: float | None
    acw_seconds: float | None  # mean after-call work per call (state history)
    aht_seconds: float | None  # mean talk + ACW (None without the state history)
    logged_in_seconds: float | None
    ready_seconds: float | None
    pause_seconds: float | None
    occupancy: float | None
    dispositions: dict[str, int]

    @property
    def conversion(self) -> float | None:
        return ratio(self.sales, self.calls)

    def as_json(self) -> dict[str, Any]:
        return {
            "agent": self.agent,
            "calls": self.calls,
            "sales": self.sales,
            "conversion": self.conversion,
            "talk_seconds": round(self.talk_seconds, 1),
            "mean_talk_seconds": _r(self.mean_talk_seconds),
            "acw_seconds": _r(self.acw_seconds),
            "aht_seconds": _r(self.aht_seconds),
            "logged_in_seconds": _r(self.logged_in_seconds),
            "ready_seconds": _r(self.ready_seconds),
            "pause_seconds": _r(self.pause_seconds),
            "occupancy": self.occupancy,
            "dispositions": self.dispositions,
        }


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


@dataclass(frozen=True, slots=True)
class HourFigures:
    hour: int  # 0..23, the called party's local time
    attempts: int
    live_answers: int

    @property
    def contact_rate(self) -> float | None:
        return ratio(self.live_answers, self.attempts)

    def as_json(self) -> dict[str, Any]:
        return {
            "hour": self.hour,
            "attempts": self.attempts,
            "live_answers": self.live_answers,
            "contact_rate": self.contact_rate,
        }


@dataclass(frozen=True, slots=True)
class DispositionFigures:
    code: str
    label: str
    count: int
    is_sale: bool
    final: bool
    share: float | None  # of dispositioned calls

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "label": self.label,
            "count": self.count,
            "is_sale": self.is_sale,
            "final": self.final,
            "share": self.share,
        }


@dataclass(frozen=True, slots=True)
class CallbackFigures:
    due: int
    kept_on_time: int
    kept_late: int
    missed: int
    pending: int
    cancelled: int

    @property
    def kept_rate(self) -> float | None:
        return ratio(self.kept_on_time, self.kept_on_time + self.kept_late + self.missed)

    def as_json(self) -> dict[str, Any]:
        return {
            "due": self.due,
            "kept_on_time": self.kept_on_time,
            "kept_late": self.kept_late,
            "missed": self.missed,
            "pending": self.pending,
            "cancelled": self.cancelled,
            "kept_on_time_rate": self.kept_rate,
            "grace_minutes": CALLBACK_GRACE.total_seconds() / 60,
        }


@dataclass(frozen=True, slots=True)
class ListFigures:
    name: str
    total: int
    dialled: int
    final: int
    by_status: dict[str, int]

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "leads": self.total,
            "dialled": self.dialled,
            "penetration": ratio(self.dialled, self.total),
            "final": self.final,
            "exhaustion": ratio(self.final, self.total),
            "by_status": self.by_status,
        }


@dataclass(frozen=True, slots=True)
class PerformanceReport:
    campaign: str
    span: ReportRange
    agent_filter: str | None
    generated_at: datetime
    attempts: int
    outcomes: dict[str, int]
    connected: int
    abandoned: int
    machines: int
    sales: int
    talk_seconds_total: float
    mean_talk_seconds: float | None
    mean_answer_to_agent_seconds: float | None  # the called party's wait: answer -> agent connected
    acw_seconds: float | None
    aht_seconds: float | None
    occupancy: float | None
    agents: tuple[AgentFigures, ...]
    hours: tuple[HourFigures, ...]
    dispositions: tuple[DispositionFigures, ...]
    undispositioned: int  # connected calls without a disposition (yet)
    leads_connected: int
    leads_resolved_first_contact: int
    callbacks: CallbackFigures
    lists: tuple[ListFigures, ...]
    leads_total: ListFigures
    attempts_per_lead: dict[int, int]  # attempts in the range -> leads
    attempts_to_first_contact: float | None  # mean attempts up to and including the first live answer
    agent_history: bool  # agent state history available (ACW, ready/pause, occupancy)
    notes: tuple[str, ...]
    counted_live: float = 0.0  # live answers as the regime counts them (+ the AMD false-positive estimate)
    counted_abandoned: float = 0.0  # abandons as the regime counts them (+ the AMD false-positive estimate)

    @property
    def live_answers(self) -> int:
        return self.connected + self.abandoned

    @property
    def contact_rate(self) -> float | None:
        return ratio(self.live_answers, self.attempts)

    @property
    def conversion(self) -> float | None:
        return ratio(self.sales, self.connected)

    @property
    def fcr(self) -> float | None:
        return ratio(self.leads_resolved_first_contact, self.leads_connected)

    @property
    def abandon_rate(self) -> float | None:
        """As the regime counts it (``count_answer``: AMD estimate, early hang-ups), like the compliance report."""
        return ratio(self.counted_abandoned, self.counted_live)

    def as_json(self) -> dict[str, Any]:
        dialled_leads = sum(self.attempts_per_lead.values())
        return {
            "report": "performance",
            "campaign": self.campaign,
            "range": self.span.as_json(),
            "agent": self.agent_filter,
            "generated_at": self.generated_at.isoformat(),
            "attempts": self.attempts,
            "connected": self.connected,
            "abandoned": self.abandoned,
            "machines": self.machines,
            "live_answers": self.live_answers,
            "outcomes": self.outcomes,
            "contact_rate": self.contact_rate,
            "abandon_rate": self.abandon_rate,
            "sales": self.sales,
            "conversion": self.conversion,
            "talk_seconds_total": round(self.talk_seconds_total, 1),
            "mean_talk_seconds": _r(self.mean_talk_seconds),
            "mean_answer_to_agent_seconds": None
            if self.mean_answer_to_agent_seconds is None
            else round(self.mean_answer_to_agent_seconds, 2),
            "acw_seconds": _r(self.acw_seconds),
            "aht_seconds": _r(self.aht_seconds),
            "occupancy": self.occupancy,
            "agents": [a.as_json() for a in self.agents],
            "teams": None,
            "hours": [h.as_json() for h in self.hours],
            "dispositions": [d.as_json() for d in self.dispositions],
            "undispositioned": self.undispositioned,
            "first_contact_resolution": {
                "leads_connected": self.leads_connected,
                "resolved_on_first_connected_call": self.leads_resolved_first_contact,
                "rate": self.fcr,
            },
            "callbacks": self.callbacks.as_json(),
            "lists": [lst.as_json() for lst in self.lists],
            "leads": self.leads_total.as_json(),
            "attempts_per_lead": {
                "histogram": {str(k): v for k, v in sorted(self.attempts_per_lead.items())},
                "leads_dialled": dialled_leads,
                "mean": ratio(self.attempts, dialled_leads),
                "mean_to_first_contact": self.attempts_to_first_contact,
            },
            "agent_history": self.agent_history,
            "notes": list(self.notes),
        }


def talk_seconds(a: ReportAttempt) -> float | None:
    if a.outcome != Outcome.CONNECTED.value:
        return None
    return seconds_between(a.connected_at, a.ended_at)


def local_hour(a: ReportAttempt, config: CampaignConfig) -> int | None:
    zones = zones_of_attempt(a, config)
    if not zones:
        return None
    return a.started_at.astimezone(ZoneInfo(zones[0])).hour


def callback_figures(
    callbacks: Sequence[CallbackFact], attempts: Sequence[ReportAttempt], now: datetime
) -> CallbackFigures:
    calls_by_lead: dict[int, list[datetime]] = defaultdict(list)
    for a in attempts:
        calls_by_lead[a.lead_id].append(a.started_at)
    return callback_figures_from_calls(callbacks, calls_by_lead, now)


def callback_figures_from_calls(
    callbacks: Sequence[CallbackFact], calls_by_lead: Mapping[int, Sequence[datetime]], now: datetime
) -> CallbackFigures:
    """Kept on time: a call to the lead from 2 min before to 15 min after the due time; late: a call after that;
    missed: no call and the grace has passed (or the daemon marked it missed); else pending."""
    on_time = late = missed = pending = cancelled = 0
    for cb in callbacks:
        if cb.state == "cancelled":
            cancelled += 1
            continue
        calls = [t for t in calls_by_lead.get(cb.lead_id, ()) if t >= cb.due_at - CALLBACK_EARLY]
        if any(t <= cb.due_at + CALLBACK_GRACE for t in calls):
            on_time += 1
        elif calls:
            late += 1
        elif cb.state == "missed" or now > cb.due_at + CALLBACK_GRACE:
            missed += 1
        else:
            pending += 1
    return CallbackFigures(len(callbacks), on_time, late, missed, pending, cancelled)


def _list_figures(name: str, total: int, dialled: int, by_status: dict[str, int]) -> ListFigures:
    final = sum(n for s, n in by_status.items() if s in FINAL_LEAD_STATUSES)
    return ListFigures(name, total, dialled, final, by_status)


@dataclass
class _AgentTally:
    calls: int = 0
    sales: int = 0
    talk_seconds: float = 0.0
    talks: int = 0
    dispositions: Counter[str] = field(default_factory=Counter)


@dataclass
class _LeadTally:
    attempts: int = 0
    first_connected_resolved: bool | None = None  # None until the lead's first connected call
    first_live_at_attempt: int | None = None


class PerformanceScan:
    """The performance figures, fed page by page in start order (bounded memory: per agent, per hour and per lead
    tallies; per call nothing is kept)."""

    def __init__(
        self, config: CampaignConfig, *, callbacks: Sequence[CallbackFact] = (), count_callback_calls: bool = True
    ) -> None:
        self.config = config
        self.sale_codes = {d.code for d in config.dispositions if d.is_sale}
        self.rules = config.abandon_rules
        self.final_codes = {d.code for d in config.dispositions if d.final or d.is_dnc}
        self.callback_leads = {cb.lead_id for cb in callbacks}
        self.count_callback_calls = count_callback_calls
        self.callback_calls: dict[int, list[datetime]] = defaultdict(list)
        self.first_start: datetime | None = None
        self.attempts = 0
        self.outcomes: Counter[str] = Counter()
        self.connected = 0
        self.counted = (0.0, 0.0)  # (live answers, abandoned) as the regime counts them (``count_answer``)
        self.sales = 0
        self.talk_total = 0.0
        self.talks = 0
        self.wait_total = 0.0
        self.waits = 0
        self.undispositioned = 0
        self.agents: dict[str, _AgentTally] = defaultdict(_AgentTally)
        self.per_hour: dict[int, list[int]] = {h: [0, 0] for h in range(24)}
        self.unknown_zone = 0
        self.dispositioned: Counter[str] = Counter()
        self.leads: dict[int, _LeadTally] = defaultdict(_LeadTally)

    def add_callback_calls(self, page: Sequence[ReportAttempt]) -> None:
        """Calls that may keep a callback (every agent's, when the report is filtered by agent)."""
        for a in page:
            if a.lead_id in self.callback_leads:
                self.callback_calls[a.lead_id].append(a.started_at)

    def add(self, page: Sequence[ReportAttempt]) -> None:
        if self.count_callback_calls:
            self.add_callback_calls(page)
        for a in page:
            if self.first_start is None or a.started_at < self.first_start:
                self.first_start = a.started_at
            self.attempts += 1
            self.outcomes[a.outcome or "in_progress"] += 1
            live = a.outcome in LIVE
            after = (
                (a.ended_at - a.answered_at).total_seconds()
                if a.answered_at is not None and a.ended_at is not None
                else None
            )
            count = count_answer(a.outcome, amd_status=a.amd_status, seconds_after_answer=after, rules=self.rules)
            self.counted = (self.counted[0] + count.live, self.counted[1] + count.abandoned)
            if a.disposition:
                self.dispositioned[a.disposition] += 1
            hour = local_hour(a, self.config)
            if hour is None:
                self.unknown_zone += 1
            else:
                self.per_hour[hour][0] += 1
                self.per_hour[hour][1] += live
            lead = self.leads[a.lead_id]
            lead.attempts += 1
            if live and lead.first_live_at_attempt is None:
                lead.first_live_at_attempt = lead.attempts
            if a.outcome != Outcome.CONNECTED.value:
                continue
            self.connected += 1
            sale = a.disposition in self.sale_codes
            self.sales += sale
            self.undispositioned += not a.disposition
            if lead.first_connected_resolved is None:
                lead.first_connected_resolved = a.disposition in self.final_codes
            talk = talk_seconds(a)
            if talk is not None:
                self.talk_total += talk
                self.talks += 1
            wait = seconds_between(a.answered_at, a.connected_at)
            if wait is not None:
                self.wait_total += wait
                self.waits += 1
            if a.agent:
                tally = self.agents[a.agent]
                tally.calls += 1
                tally.sales += sale
                tally.dispositions[a.disposition or "(none)"] += 1
                if talk is not None:
                    tally.talk_seconds += talk
                    tally.talks += 1

    def report(
        self,
        span: ReportRange,
        now: datetime,
        *,
        agent_filter: str | None,
        leads: LeadTotals,
        callbacks: Sequence[CallbackFact],
        events: Sequence[AgentEventFact] | None,
    ) -> PerformanceReport:
        config = self.config
        notes: list[str] = []
        start = span.start or self.first_start or now
        end = min(span.end or now, now)
        times = agent_time(events, start, end) if events is not None else {}
        if events is None:
            notes.append(
                "agent state history is not recorded (no agent_events table): ACW, AHT, ready/pause time and "
                "occupancy are unavailable; talk time comes from the call records"
            )
        agents = []
        names = set(self.agents) | (set(times) if agent_filter is None else {agent_filter} & set(times))
        for name in sorted(names):
            tally = self.agents.get(name) or _AgentTally()
            t = times.get(name)
            acw = t.wrapup / tally.calls if t is not None and tally.calls else None
            mean_talk = tally.talk_seconds / tally.talks if tally.talks else None
            agents.append(
                AgentFigures(
                    agent=name,
                    calls=tally.calls,
                    sales=tally.sales,
                    talk_seconds=tally.talk_seconds,
                    mean_talk_seconds=mean_talk,
                    acw_seconds=acw,
                    aht_seconds=(mean_talk or 0.0) + acw if acw is not None else None,
                    logged_in_seconds=t.logged_in if t else None,
                    ready_seconds=t.ready if t else None,
                    pause_seconds=t.paused if t else None,
                    occupancy=t.occupancy if t else None,
                    dispositions=dict(tally.dispositions.most_common()),
                )
            )
        total_wrap = sum(t.wrapup for t in times.values()) if events is not None else None
        acw_all = total_wrap / self.connected if total_wrap is not None and self.connected else None
        mean_talk_all = self.talk_total / self.talks if self.talks else None
        logged = sum(t.logged_in for t in times.values())
        occupancy = ratio(sum(t.talking + t.wrapup for t in times.values()), logged) if events is not None else None
        if self.unknown_zone:
            notes.append(
                f"{self.unknown_zone} attempts without a known time zone are left out of the hour-of-day figures"
            )
        hours = tuple(HourFigures(h, n, live) for h, (n, live) in sorted(self.per_hour.items()))

        by_code = {d.code for d in config.dispositions}
        total_disp = sum(self.dispositioned.values())
        dispositions = [
            DispositionFigures(
                d.code,
                d.label,
                self.dispositioned.get(d.code, 0),
                d.is_sale,
                d.final,
                ratio(self.dispositioned.get(d.code, 0), total_disp),
            )
            for d in config.dispositions
        ]
        for code, n in sorted(self.dispositioned.items()):
            if code not in by_code:  # a code since removed from the campaign file
                dispositions.append(DispositionFigures(code, code, n, False, False, ratio(n, total_disp)))

        connected_leads = [t for t in self.leads.values() if t.first_connected_resolved is not None]
        to_first_contact = [t.first_live_at_attempt for t in self.leads.values() if t.first_live_at_attempt]
        attempts_per_lead = Counter(t.attempts for t in self.leads.values())
        lists = tuple(_list_figures(lst.name, lst.total, lst.dialled, lst.by_status) for lst in leads.lists)
        notes.append("teams: no team assignment is stored; figures are per agent")
        if agent_filter is not None:
            notes.append(f"only calls handled by {agent_filter}: list, callback and lead figures are for the campaign")
        return PerformanceReport(
            campaign=config.name,
            span=span,
            agent_filter=agent_filter,
            generated_at=now,
            attempts=self.attempts,
            outcomes=dict(sorted(self.outcomes.items())),
            connected=self.connected,
            counted_live=self.counted[0],
            counted_abandoned=self.counted[1],
            abandoned=self.outcomes.get(Outcome.ABANDONED.value, 0),
            machines=self.outcomes.get(Outcome.MACHINE.value, 0),
            sales=self.sales,
            talk_seconds_total=self.talk_total,
            mean_talk_seconds=mean_talk_all,
            mean_answer_to_agent_seconds=self.wait_total / self.waits if self.waits else None,
            acw_seconds=acw_all,
            aht_seconds=(mean_talk_all or 0.0) + acw_all if acw_all is not None else None,
            occupancy=occupancy,
            agents=tuple(agents),
            hours=hours,
            dispositions=tuple(dispositions),
            undispositioned=self.undispositioned,
            leads_connected=len(connected_leads),
            leads_resolved_first_contact=sum(1 for t in connected_leads if t.first_connected_resolved),
            callbacks=callback_figures_from_calls(callbacks, self.callback_calls, now),
            lists=lists,
            leads_total=_list_figures("all lists", leads.total, leads.dialled, leads.by_status),
            attempts_per_lead=dict(sorted(attempts_per_lead.items())),
            attempts_to_first_contact=fmean(to_first_contact) if to_first_contact else None,
            agent_history=events is not None,
            notes=tuple(notes),
        )


def build_performance(
    config: CampaignConfig,
    attempts: Sequence[ReportAttempt],
    span: ReportRange,
    now: datetime,
    *,
    agent_filter: str | None = None,
    leads: LeadTotals,
    callbacks: Sequence[CallbackFact],
    events: Sequence[AgentEventFact] | None,
    callback_attempts: Sequence[ReportAttempt] | None = None,
) -> PerformanceReport:
    """Pure: every figure from the rows given. ``callback_attempts``: every call of the campaign in the range
    (a callback is kept by any agent's call) when ``attempts`` is filtered by agent."""
    scan = PerformanceScan(config, callbacks=callbacks, count_callback_calls=callback_attempts is None)
    if callback_attempts is not None:
        scan.add_callback_calls(callback_attempts)
    scan.add(sorted(attempts, key=lambda a: (a.started_at, a.id)))
    return scan.report(span, now, agent_filter=agent_filter, leads=leads, callbacks=callbacks, events=events)


async def performance_report(
    db: Database, campaign: str, span: ReportRange, *, agent: str | None = None, now: datetime
) -> PerformanceReport:
    """Raises ``UnknownCampaignError`` for an unknown campaign. Reads the attempts page by page."""
    record, config = await load_stored_campaign(db, campaign)
    callbacks = await callbacks_due(db, record.id, span.start, span.end)
    scan = PerformanceScan(config, callbacks=callbacks, count_callback_calls=agent is None)
    async for page in iter_report_attempts(db, record.id, span.start, span.end, agent=agent):
        scan.add(page)
    if agent is not None:
        # Callbacks are kept by any agent's call to the lead.
        async for page in iter_report_attempts(db, record.id, span.start, span.end):
            scan.add_callback_calls(page)
    return scan.report(
        span,
        now,
        agent_filter=agent,
        leads=await lead_totals(db, record.id),
        callbacks=callbacks,
        events=await agent_events(db, span.start, span.end, agent=agent),
    )


# -- renderers --------------------------------------------------------------------------------------------------


def _secs(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} s"


def _wait(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} s"


def render_performance_text(r: PerformanceReport) -> str:
    fcr = r.fcr
    lines = [
        f"Performance report — campaign {r.campaign}" + (f", agent {r.agent_filter}" if r.agent_filter else ""),
        f"range: {iso(r.span.start) or 'beginning'} → {iso(r.span.end) or 'now'}",
        f"attempts {r.attempts}, live answers {r.live_answers} (connected {r.connected}, abandoned {r.abandoned}), "
        f"machines {r.machines}; contact rate {pct(r.contact_rate)}; abandon rate {pct(r.abandon_rate)}",
        f"sales {r.sales}, conversion {pct(r.conversion)} of connected calls; FCR {pct(fcr)} "
        f"({r.leads_resolved_first_contact} of {r.leads_connected} leads connected)",
        f"talk: mean {_secs(r.mean_talk_seconds)}, total {r.talk_seconds_total / 3600:.2f} h; "
        f"ACW {_secs(r.acw_seconds)}; AHT {_secs(r.aht_seconds)}; occupancy {pct(r.occupancy)}; "
        f"called party waited {_wait(r.mean_answer_to_agent_seconds)} for an agent",
        f"leads {r.leads_total.total}: penetration {pct(ratio(r.leads_total.dialled, r.leads_total.total))}, "
        f"exhaustion {pct(ratio(r.leads_total.final, r.leads_total.total))}; attempts per lead "
        + ", ".join(f"{k}×{v}" for k, v in r.attempts_per_lead.items()),
        "callbacks: " + ", ".join(f"{k} {v}" for k, v in r.callbacks.as_json().items() if k != "grace_minutes"),
        "outcomes: " + ", ".join(f"{k} {v}" for k, v in r.outcomes.items()),
        "dispositions: "
        + ", ".join(f"{d.code} {d.count}" for d in r.dispositions if d.count)
        + f" (none yet: {r.undispositioned})",
        "agent      calls  sales  mean talk  ACW     AHT     occupancy",
    ]
    for a in r.agents:
        lines.append(
            f"{a.agent:<10} {a.calls:5d}  {a.sales:5d}  {_secs(a.mean_talk_seconds):>9}  {_secs(a.acw_seconds):>6}  "
            f"{_secs(a.aht_seconds):>6}  {pct(a.occupancy, 1):>9}"
        )
    busy = [h for h in r.hours if h.attempts]
    if busy:
        lines.append(
            "contact rate by local hour: "
            + ", ".join(f"{h.hour:02d}h {pct(h.contact_rate, 0)} ({h.attempts})" for h in busy)
        )
    lines.extend(f"note: {n}" for n in r.notes)
    return "\n".join(lines)


def performance_rows(r: PerformanceReport) -> list[list[Any]]:
    """Long format: section, item, metric, value."""
    rows: list[list[Any]] = []
    for key, value in r.as_json().items():
        if isinstance(value, int | float | str | bool) or value is None:
            rows.append(["summary", r.campaign, key, value])
    for key, value in r.as_json()["first_contact_resolution"].items():
        rows.append(["fcr", r.campaign, key, value])
    for key, value in r.callbacks.as_json().items():
        rows.append(["callbacks", r.campaign, key, value])
    for a in r.agents:
        for key, value in a.as_json().items():
            if key not in ("agent", "dispositions"):
                rows.append(["agent", a.agent, key, value])
        for code, n in a.dispositions.items():
            rows.append(["agent_disposition", a.agent, code, n])
    for d in r.dispositions:
        rows.append(["disposition", d.code, "count", d.count])
        rows.append(["disposition", d.code, "share", d.share])
    for h in r.hours:
        rows.append(["hour", f"{h.hour:02d}", "attempts", h.attempts])
        rows.append(["hour", f"{h.hour:02d}", "live_answers", h.live_answers])
        rows.append(["hour", f"{h.hour:02d}", "contact_rate", h.contact_rate])
    for lst in (*r.lists, r.leads_total):
        for key, value in lst.as_json().items():
            if key not in ("name", "by_status"):
                rows.append(["list", lst.name, key, value])
        for status, n in lst.by_status.items():
            rows.append(["list_status", lst.name, status, n])
    for k, v in r.attempts_per_lead.items():
        rows.append(["attempts_per_lead", str(k), "leads", v])
    for note in r.notes:
        rows.append(["note", r.campaign, "note", note])
    return rows


def performance_csv(r: PerformanceReport, stream: TextIO) -> int:
    return write_csv(stream, ["section", "item", "metric", "value"], performance_rows(r))


def hourly_contact_svg(r: PerformanceReport) -> str:
    shown = [h for h in r.hours if h.attempts] or list(r.hours)
    first, last = shown[0].hour, shown[-1].hour
    hours = [h for h in r.hours if first <= h.hour <= last]
    return svg_bar_chart(
        f"Contact rate by hour of day (called party's local time) — {r.campaign}",
        [f"{h.hour:02d}" for h in hours],
        [h.contact_rate for h in hours],
    )


def disposition_svg(r: PerformanceReport) -> str:
    shown = [d for d in r.dispositions if d.count] or list(r.dispositions)
    most = max((d.count for d in shown), default=0)
    return svg_bar_chart(
        f"Dispositions — {r.campaign}",
        [d.code for d in shown],
        [float(d.count) for d in shown],
        value_format="{:.0f}",
        y_max=float(max(4, math.ceil(most / 4) * 4)),  # four whole-number ticks
    )


def render_performance_html(r: PerformanceReport) -> str:
    summary: list[list[object]] = [
        ["attempts", r.attempts],
        ["live answers", r.live_answers],
        ["connected", r.connected],
        ["abandoned", r.abandoned],
        ["contact rate", pct(r.contact_rate)],
        ["sales", r.sales],
        ["conversion (of connected)", pct(r.conversion)],
        ["first-contact resolution", pct(r.fcr)],
        ["mean talk", _secs(r.mean_talk_seconds)],
        ["called party's wait for an agent (mean)", _wait(r.mean_answer_to_agent_seconds)],
        ["ACW", _secs(r.acw_seconds)],
        ["AHT", _secs(r.aht_seconds)],
        ["occupancy", pct(r.occupancy)],
        ["list penetration", pct(ratio(r.leads_total.dialled, r.leads_total.total))],
        ["list exhaustion", pct(ratio(r.leads_total.final, r.leads_total.total))],
    ]
    parts = [
        f"<h1>Performance — {esc(r.campaign)}{' — ' + esc(r.agent_filter) if r.agent_filter else ''}</h1>",
        f"<p>Calls started {esc(iso(r.span.start) or 'from the beginning')} to {esc(iso(r.span.end) or 'now')}; "
        f"generated {esc(r.generated_at.isoformat(timespec='seconds'))}.</p>",
        "<h2>Summary</h2>",
        html_table(["figure", "value"], summary),
        "<h2>Agents</h2>",
        html_table(
            ["agent", "calls", "sales", "conversion", "mean talk", "ACW", "AHT", "ready", "paused", "occupancy"],
            [
                [
                    a.agent,
                    a.calls,
                    a.sales,
                    pct(a.conversion),
                    _secs(a.mean_talk_seconds),
                    _secs(a.acw_seconds),
                    _secs(a.aht_seconds),
                    _secs(a.ready_seconds),
                    _secs(a.pause_seconds),
                    pct(a.occupancy),
                ]
                for a in r.agents
            ],
        ),
        "<h2>Contact rate by hour (called party's local time)</h2>",
        hourly_contact_svg(r),
        "<h2>Dispositions</h2>",
        disposition_svg(r),
        html_table(
            ["code", "label", "count", "share", "sale", "final"],
            [
                [d.code, d.label, d.count, pct(d.share), "yes" if d.is_sale else "", "yes" if d.final else ""]
                for d in r.dispositions
            ],
        ),
        "<h2>Callbacks</h2>",
        html_table(["figure", "value"], [[k, v if v is not None else "n/a"] for k, v in r.callbacks.as_json().items()]),
        "<h2>Lead lists</h2>",
        html_table(
            ["list", "leads", "dialled", "penetration", "final", "exhaustion"],
            [
                [
                    lst.name,
                    lst.total,
                    lst.dialled,
                    pct(ratio(lst.dialled, lst.total)),
                    lst.final,
                    pct(ratio(lst.final, lst.total)),
                ]
                for lst in (*r.lists, r.leads_total)
            ],
        ),
        "<h2>Attempts per lead</h2>",
        html_table(["attempts", "leads"], [[k, v] for k, v in r.attempts_per_lead.items()]),
        *(f'<p class="note">{esc(n)}</p>' for n in r.notes),
    ]
    return html_page(f"Performance — {r.campaign}", "\n".join(parts))
