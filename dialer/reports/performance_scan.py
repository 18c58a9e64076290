"""The performance scan: the figures of :mod:`dialer.reports.performance` fed call by call from the store's
report queries (page by page, bounded memory), and the report of a stored campaign."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from statistics import fmean
from zoneinfo import ZoneInfo

from dialer.calls.outcome import Outcome, count_answer
from dialer.campaign.config import CampaignConfig
from dialer.campaign.rules import CALLBACK_EARLY, CALLBACK_GRACE
from dialer.i18n import _
from dialer.reports.common import ReportRange, ratio, seconds_between
from dialer.reports.compliance import zones_of_attempt
from dialer.reports.performance import (
    FINAL_LEAD_STATUSES,
    AgentFigures,
    AgentTime,
    CallbackFigures,
    DispositionFigures,
    HourFigures,
    ListFigures,
    PerformanceReport,
    TeamFigures,
    agent_time,
    handle_time,
)
from dialer.reports.teams import TeamTimeline, team_times
from dialer.reports.transfers import transfer_figures
from dialer.store.admin import TeamSpell, team_spells
from dialer.store.call_legs import TransferFact, transfer_facts
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
    missed: no call and the grace has passed (or the daemon marked it missed); else pending. Only a call started
    once the callback was booked keeps it (as in the store: a call keeps the callbacks due when it starts).

    One promise is one callback: a callback whose call found the number dead and whose promise carried over to the
    lead's next phone (``carried_to``) is not counted; the one it carried over to, due at the same time, is."""
    on_time = late = missed = pending = cancelled = due = 0
    for cb in callbacks:
        if cb.carried_to is not None:
            continue
        due += 1
        if cb.state == "cancelled":
            cancelled += 1
            continue
        since = max(cb.due_at - CALLBACK_EARLY, cb.created_at)
        calls = [t for t in calls_by_lead.get(cb.lead_id, ()) if t >= since]
        if any(t <= cb.due_at + CALLBACK_GRACE for t in calls):
            on_time += 1
        elif calls:
            late += 1
        elif cb.state == "missed" or now > cb.due_at + CALLBACK_GRACE:
            missed += 1
        else:
            pending += 1
    return CallbackFigures(due, on_time, late, missed, pending, cancelled)


def _list_figures(name: str, total: int, dialled: int, by_status: dict[str, int]) -> ListFigures:
    final = sum(n for s, n in by_status.items() if s in FINAL_LEAD_STATUSES)
    return ListFigures(name, total, dialled, final, by_status)


@dataclass
class AgentTally:
    """One agent's connected calls (their conversations) in a scan: how many, sales, talk time, dispositions."""

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
        self,
        config: CampaignConfig,
        *,
        callbacks: Sequence[CallbackFact] = (),
        count_callback_calls: bool = True,
        teams: TeamTimeline | None = None,
    ) -> None:
        """``teams``: who was in which team when (None or empty: nobody in the period)."""
        self.config = config
        self.teams = teams or TeamTimeline(())
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
        self.agents: dict[str, AgentTally] = defaultdict(AgentTally)
        # (the agent's team when the call started, the agent): their calls while in that team
        self.agents_in_team: dict[tuple[str | None, str], AgentTally] = defaultdict(AgentTally)
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
                team = self.teams.team_at(a.agent, a.started_at)
                for tally in (self.agents[a.agent], self.agents_in_team[team, a.agent]):
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
        """Team figures by the scan's ``teams`` (none when nobody was in a team in the period). A report of one
        agent has no team figures (they would be that agent's)."""
        config = self.config
        notes: list[str] = []
        start = span.start or self.first_start or now
        end = min(span.end or now, now)
        times = agent_time(events, start, end) if events is not None else {}
        if events is None:
            notes.append(
                _(
                    "agent state history is not recorded (no agent_events table): ACW, AHT, ready/pause time and "
                    "occupancy are unavailable; talk time comes from the call records"
                )
            )
        agents = []
        names = set(self.agents) | (set(times) if agent_filter is None else {agent_filter} & set(times))
        for name in sorted(names):
            tally = self.agents.get(name) or AgentTally()
            t = times.get(name)
            acw = t.wrapup / tally.calls if t is not None and tally.calls else None
            mean_talk = ratio(tally.talk_seconds, tally.talks)
            agents.append(
                AgentFigures(
                    agent=name,
                    calls=tally.calls,
                    sales=tally.sales,
                    talk_seconds=tally.talk_seconds,
                    mean_talk_seconds=mean_talk,
                    acw_seconds=acw,
                    aht_seconds=handle_time(mean_talk, acw),
                    logged_in_seconds=t.logged_in if t else None,
                    ready_seconds=t.ready if t else None,
                    pause_seconds=t.paused if t else None,
                    occupancy=t.occupancy if t else None,
                    dispositions=dict(tally.dispositions.most_common()),
                    ready_announced_share=t.ready_announced_share if t else None,
                )
            )
        pooled = AgentTime.pooled(times.values())
        acw_all = pooled.wrapup / self.connected if events is not None and self.connected else None
        mean_talk_all = ratio(self.talk_total, self.talks)
        if self.unknown_zone:
            notes.append(
                _("{n} attempts without a known time zone are left out of the hour-of-day figures").format(
                    n=self.unknown_zone
                )
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
        if not self.teams:
            notes.append(_("teams: no agent was in a team in this period; figures are per agent"))
        if agent_filter is not None:
            notes.append(
                _("only calls handled by {agent}: list, callback and lead figures are for the campaign").format(
                    agent=agent_filter
                )
            )
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
            mean_answer_to_agent_seconds=ratio(self.wait_total, self.waits),
            acw_seconds=acw_all,
            aht_seconds=handle_time(mean_talk_all, acw_all),
            occupancy=pooled.occupancy if events is not None else None,
            ready_announced_share=pooled.ready_announced_share,
            teams=self._teams(names, events, start, end) if self.teams and agent_filter is None else None,
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

    def _teams(
        self, names: set[str], events: Sequence[AgentEventFact] | None, start: datetime, end: datetime
    ) -> tuple[TeamFigures, ...]:
        """The report's agents grouped by the team they were in (by name, the agents in no team last), each for
        the calls and the time they spent in it; summed as the campaign's figures are: ACW = wrap-up time ÷
        connected calls, occupancy = (talk + wrap-up) ÷ logged-in time."""
        times = team_times(self.teams, events, names, start, end) if events is not None else {}
        members: dict[str | None, set[str]] = defaultdict(set)
        for team, name in (*self.agents_in_team, *times):
            if name in names:
                members[team].add(name)
        out = []
        for team in sorted(members, key=lambda t: (t is None, t or "")):
            tallies = [self.agents_in_team.get((team, n)) or AgentTally() for n in members[team]]
            spent = AgentTime.pooled(times[team, n] for n in members[team] if (team, n) in times)
            calls = sum(t.calls for t in tallies)
            talks = sum(t.talks for t in tallies)
            mean_talk = ratio(sum(t.talk_seconds for t in tallies), talks)
            acw = spent.wrapup / calls if events is not None and calls else None
            out.append(
                TeamFigures(
                    team=team,
                    agents=len(members[team]),
                    calls=calls,
                    sales=sum(t.sales for t in tallies),
                    mean_talk_seconds=mean_talk,
                    acw_seconds=acw,
                    aht_seconds=handle_time(mean_talk, acw),
                    occupancy=spent.occupancy if events is not None else None,
                    ready_announced_share=spent.ready_announced_share,
                )
            )
        return tuple(out)


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
    transfers: Sequence[TransferFact] = (),
    teams: TeamTimeline | None = None,
) -> PerformanceReport:
    """Pure: every figure from the rows given. ``callback_attempts``: every call of the campaign in the range
    (a callback is kept by any agent's call) when ``attempts`` is filtered by agent."""
    scan = PerformanceScan(config, callbacks=callbacks, count_callback_calls=callback_attempts is None, teams=teams)
    if callback_attempts is not None:
        scan.add_callback_calls(callback_attempts)
    scan.add(sorted(attempts, key=lambda a: (a.started_at, a.id)))
    report = scan.report(span, now, agent_filter=agent_filter, leads=leads, callbacks=callbacks, events=events)
    return replace(report, transfers=transfer_figures(transfers, scan.sale_codes))


async def performance_report(
    db: Database, campaign: str, span: ReportRange, *, agent: str | None = None, now: datetime
) -> PerformanceReport:
    """Raises ``UnknownCampaignError`` for an unknown campaign. Reads the attempts page by page."""
    record, config = await load_stored_campaign(db, campaign)
    callbacks = await callbacks_due(db, record.id, span.start, span.end)
    teams = TeamTimeline(await team_spells(db, span.start, span.end))
    scan = PerformanceScan(config, callbacks=callbacks, count_callback_calls=agent is None, teams=teams)
    async for page in iter_report_attempts(db, record.id, span.start, span.end, agent=agent):
        scan.add(page)
    if agent is not None:
        # Callbacks are kept by any agent's call to the lead.
        async for page in iter_report_attempts(db, record.id, span.start, span.end):
            scan.add_callback_calls(page)
    report = scan.report(
        span,
        now,
        agent_filter=agent,
        leads=await lead_totals(db, record.id),
        callbacks=callbacks,
        events=await agent_events(db, span.start, span.end, agents=None if agent is None else [agent]),
    )
    facts = await transfer_facts(db, record.id, span.start, span.end, agent=agent)
    return replace(report, transfers=transfer_figures(facts, scan.sale_codes))


async def team_agents_time(
    db: Database, team: str, spells: Sequence[TeamSpell], start: datetime, end: datetime
) -> dict[str, AgentTime]:
    """Each agent's seconds per state in ``[start, end)`` while in ``team`` (by ``spells``), from the state history
    (an agent without a change there is left out; nobody without the history)."""
    agents = {spell.agent for spell in spells}
    events = await agent_events(db, start, end, agents=agents)
    if events is None:
        return {}
    times = team_times(TeamTimeline(spells), events, agents, start, end)
    return {agent: spent for (in_team, agent), spent in times.items() if in_team == team}
