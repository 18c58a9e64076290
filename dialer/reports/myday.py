"""My day: one agent's own figures since the start of their local day, beside their team's average (the agent
console's "My day" card, ``GET /api/me/today``). Every figure is an existing report's, for one agent and one day
(docs/domain.md "My day"):

* **outbound calls** = the agent's call records started in the day (``dialer report calls --agent``), **inbound
  calls** = the inbound visits they answered (the inbound report's agents); **calls handled** = both;
* **live conversations** = the connected calls the agent handled (the performance report's agent ``calls``) + the
  inbound calls they answered; **sales** and the dispositions by outcome are the performance report's (a
  disposition with ``is_sale`` is a sale), **conversion** = sales ÷ connected calls, as there;
* **talk time** = the talk of those calls (call records: connected to hang-up; inbound: the queue's talk time);
  **ACW** = wrap-up time ÷ live conversations and **AHT** = mean talk + ACW (``handle_time``), as the performance
  report's for an agent;
* time **ready**, **paused**, **in wrap-up**, **logged in** and **occupancy** are the agent activity report's
  (``agent_time``: the state history, up to now);
* **callbacks** are the agent's own (personal) callbacks due in the day, read as the performance report reads them
  (``callback_figures_from_calls``): kept (on time or late), missed, pending.

The **team** is the one the agent is in now; its figures are what its agents did while they were its members today
(their spells, as the performance and activity reports' team lines), and its **average** is per agent who worked
in it today (signed in, or a call): counts and times divided by those agents, ratios (conversion, AHT, occupancy)
pooled, as the reports' team lines pool them. No other agent's name is in it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from dialer.campaign.config import CampaignConfig, CampaignConfigError
from dialer.i18n import _
from dialer.reports.common import day_began, iso, ratio
from dialer.reports.inbound import inbound_agents
from dialer.reports.performance import AgentTime, agent_time, handle_time, one_decimal
from dialer.reports.performance_scan import AgentTally, PerformanceScan, callback_figures_from_calls
from dialer.reports.teams import TeamTimeline, team_times
from dialer.store.admin import team_spells
from dialer.store.campaigns import list_campaigns, load_stored_campaign
from dialer.store.engine import Database
from dialer.store.inbound_calls import InboundCallRecord, inbound_calls
from dialer.store.reports import CallbackFact, agent_events, callbacks_due, iter_report_attempts

# The figures of seconds (or of a mean) that may be unknown: None without the state history or without a call.
_SECONDS = (
    "mean_talk_seconds",
    "acw_seconds",
    "aht_seconds",
    "logged_in_seconds",
    "ready_seconds",
    "pause_seconds",
    "wrapup_seconds",
)


@dataclass(frozen=True, slots=True)
class DispositionCount:
    code: str
    label: str
    is_sale: bool
    count: float  # an agent's calls; the team's: per agent

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "label": self.label, "is_sale": self.is_sale, "count": self.count}


@dataclass(frozen=True, slots=True)
class DayFigures:
    """One agent's day, or (``agents`` > 1 or a team) a team's average per agent. Counts and seconds are per agent
    (an agent's own: whole numbers); ratios pooled. Time figures are None without the state history."""

    agents: int
    calls_outbound: float
    calls_inbound: float
    live_conversations: float
    talk_seconds: float
    mean_talk_seconds: float | None
    acw_seconds: float | None
    aht_seconds: float | None
    logged_in_seconds: float | None
    ready_seconds: float | None
    pause_seconds: float | None
    wrapup_seconds: float | None
    occupancy: float | None
    sales: float
    conversion: float | None
    dispositions: tuple[DispositionCount, ...]
    callbacks_kept: float
    callbacks_missed: float
    callbacks_pending: float

    @property
    def calls(self) -> float:
        return self.calls_outbound + self.calls_inbound

    def as_json(self) -> dict[str, Any]:
        return {
            "agents": self.agents,
            "calls": self.calls,
            "calls_outbound": self.calls_outbound,
            "calls_inbound": self.calls_inbound,
            "live_conversations": self.live_conversations,
            "talk_seconds": round(self.talk_seconds, 1),
            **{name: one_decimal(getattr(self, name)) for name in _SECONDS},
            "occupancy": self.occupancy,
            "sales": self.sales,
            "conversion": self.conversion,
            "dispositions": [d.as_json() for d in self.dispositions],
            "callbacks": {
                "kept": self.callbacks_kept,
                "missed": self.callbacks_missed,
                "pending": self.callbacks_pending,
            },
        }


@dataclass(frozen=True, slots=True)
class MyDay:
    agent: str
    zone: str
    start: datetime  # the day's start (midnight in ``zone``)
    now: datetime  # counted up to
    mine: DayFigures
    team: str | None  # the agent's team now (None: in no team)
    team_average: DayFigures | None
    notes: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "agent": self.agent,
            "zone": self.zone,
            "from": iso(self.start.astimezone(UTC)),
            "to": iso(self.now),
            "mine": self.mine.as_json(),
            "team": self.team,
            "team_average": None if self.team_average is None else self.team_average.as_json(),
            "notes": list(self.notes),
        }


@dataclass
class _Part:
    """The facts of one agent's day, or of a team's agents while members: summed, then divided per agent."""

    records: int = 0
    tally: AgentTally = field(default_factory=AgentTally)
    inbound: int = 0
    inbound_talk: float = 0.0
    inbound_talked: int = 0
    callbacks: list[CallbackFact] = field(default_factory=list)

    def add(self, tally: AgentTally) -> None:
        t = self.tally
        t.calls += tally.calls
        t.sales += tally.sales
        t.talk_seconds += tally.talk_seconds
        t.talks += tally.talks
        t.dispositions.update(tally.dispositions)


@dataclass(frozen=True, slots=True)
class _Campaign:
    config: CampaignConfig
    scan: PerformanceScan
    records: Counter[tuple[str | None, str]]  # (team when started, agent) -> call records


def _figures(
    part: _Part,
    spent: AgentTime | None,
    agents: int,
    labels: dict[str, tuple[str, bool]],
    calls_by_lead: dict[int, list[datetime]],
    now: datetime,
) -> DayFigures:
    n = max(agents, 1)
    t = part.tally
    conversations = t.calls + part.inbound
    talk = t.talk_seconds + part.inbound_talk
    mean_talk = ratio(talk, t.talks + part.inbound_talked)
    acw = spent.wrapup / conversations if spent is not None and conversations else None
    kept = callback_figures_from_calls(part.callbacks, calls_by_lead, now)

    def per(x: float) -> float:
        return x / n

    def per_time(x: float | None) -> float | None:
        return None if x is None else x / n

    dispositions = tuple(
        DispositionCount(code, *labels.get(code, (code, False)), per(count))
        for code, count in sorted(t.dispositions.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    return DayFigures(
        agents=agents,
        calls_outbound=per(part.records),
        calls_inbound=per(part.inbound),
        live_conversations=per(conversations),
        talk_seconds=per(talk),
        mean_talk_seconds=mean_talk,
        acw_seconds=acw,
        aht_seconds=handle_time(mean_talk, acw),
        logged_in_seconds=per_time(spent.logged_in if spent else None),
        ready_seconds=per_time(spent.ready if spent else None),
        pause_seconds=per_time(spent.paused if spent else None),
        wrapup_seconds=per_time(spent.wrapup if spent else None),
        occupancy=spent.occupancy if spent else None,
        sales=per(t.sales),
        conversion=ratio(t.sales, t.calls),
        dispositions=dispositions,
        callbacks_kept=per(kept.kept_on_time + kept.kept_late),
        callbacks_missed=per(kept.missed),
        callbacks_pending=per(kept.pending),
    )


def _labels(configs: Iterable[CampaignConfig]) -> dict[str, tuple[str, bool]]:
    """Each disposition code's label and whether it is a sale (the first campaign naming it)."""
    out: dict[str, tuple[str, bool]] = {}
    for config in configs:
        for d in config.dispositions:
            out.setdefault(d.code, (d.label, d.is_sale))
    return out


@dataclass(frozen=True, slots=True)
class TeamDay:
    """One read of a day: the figures of every agent of a team (or of one agent in no team) and the team's
    average, from which each of its agents' :class:`MyDay` is made (one scan serves the whole team's consoles)."""

    zone: str
    start: datetime
    now: datetime
    team: str | None
    agents: frozenset[str]  # whose MyDay this read gives: the team's members now (or the one agent)
    mine: dict[str, DayFigures]
    team_average: DayFigures | None
    notes: tuple[str, ...]

    def of(self, agent: str) -> MyDay:
        """``agent``'s day (one of :attr:`agents`)."""
        return MyDay(
            agent=agent,
            zone=self.zone,
            start=self.start,
            now=self.now,
            mine=self.mine[agent],
            team=self.team,
            team_average=self.team_average,
            notes=self.notes,
        )


# How long one read of a team's day serves its agents' consoles (each reads every 30 s, and after each call).
DAY_READ_SECONDS = 15.0


@dataclass
class TeamDays:
    """The day reads kept for :data:`DAY_READ_SECONDS` of the daemon's clock, by (agent, zone). One read gives every
    agent of a team their own figures and the team's average (:class:`dialer.reports.myday.TeamDay`), so it is
    kept for each of them: a team's consoles share one scan of the day's records instead of one each. An agent's
    own state change (a call ended, a wrap-up over) forgets their entry, so the read their console makes then is
    fresh (and serves their team)."""

    seconds: float = DAY_READ_SECONDS
    kept: dict[tuple[str, str], TeamDay] = field(default_factory=dict)

    def get(self, agent: str, zone: str, now: datetime) -> TeamDay | None:
        day = self.kept.get((agent, zone))
        if day is None or not 0 <= (now - day.now).total_seconds() < self.seconds or day_began(now, zone) != day.start:
            return None
        return day

    def keep(self, day: TeamDay) -> None:
        for key in [k for k, kept in self.kept.items() if (day.now - kept.now).total_seconds() >= self.seconds]:
            del self.kept[key]  # the stale ones go (the map stays about one entry per agent and zone)
        for agent in day.agents:
            self.kept[(agent, day.zone)] = day

    def forget(self, agent: str) -> None:
        for key in [k for k in self.kept if k[0] == agent]:
            del self.kept[key]


async def my_day(db: Database, agent: str, *, zone: str, now: datetime) -> MyDay:
    """``agent``'s figures from midnight in ``zone`` up to ``now``, and their team's average (module docstring)."""
    return (await team_day(db, agent, zone=zone, now=now)).of(agent)


async def team_day(db: Database, agent: str, *, zone: str, now: datetime) -> TeamDay:
    """The day of ``agent``'s team now (every agent in it now, and its average), or of ``agent`` alone when in no
    team: one scan of the day's records for all of them."""
    start = day_began(now, zone)
    day_end = day_began(start + timedelta(hours=36), zone)  # the next midnight (a 23- or 25-hour day too)
    spells = await team_spells(db, start, now)
    timeline = TeamTimeline(spells)
    team = timeline.team_at(agent, now)
    # The agent, and (in a team) every agent who was in it at some time today.
    members = {agent} | ({s.agent for s in spells if s.team == team} if team is not None else set())
    # Whose own figures this read gives: the agent, and the team's members now.
    current = frozenset(who for who in members if who == agent or timeline.team_at(who, now) == team)

    def in_team(who: str | None, at: datetime) -> bool:
        return who is not None and who in members and team is not None and timeline.team_at(who, at) == team

    campaigns: list[_Campaign] = []
    calls_by_lead: dict[int, list[datetime]] = {}
    mine = {who: _Part() for who in current}
    theirs = _Part()
    unread: list[str] = []
    for record in await list_campaigns(db):
        try:
            _record, config = await load_stored_campaign(db, record.name)
        except CampaignConfigError:
            unread.append(record.name)  # said in the notes, never counted with another campaign's rules
            continue
        callbacks = [
            cb
            for cb in await callbacks_due(db, record.id, start, day_end)
            if cb.agent in current or in_team(cb.agent, cb.due_at)
        ]
        # As the performance report of one agent: their calls scanned, the callbacks kept by anyone's call.
        scan = PerformanceScan(config, callbacks=callbacks, count_callback_calls=False, teams=timeline)
        records: Counter[tuple[str | None, str]] = Counter()
        # Everybody's calls only when a callback may be kept by one, or for the team; else the agent's alone.
        only = agent if team is None and not callbacks else None
        async for page in iter_report_attempts(db, record.id, start, now, agent=only):
            scan.add_callback_calls(page)
            ours = [a for a in page if a.agent is not None and a.agent in members]
            scan.add(ours)
            records.update((timeline.team_at(a.agent, a.started_at), a.agent) for a in ours if a.agent)
        campaigns.append(_Campaign(config, scan, records))
        for lead, calls in scan.callback_calls.items():
            calls_by_lead.setdefault(lead, []).extend(calls)
        for who, part in mine.items():
            part.callbacks += [cb for cb in callbacks if cb.agent == who]
            part.records += sum(n for (_team, by), n in records.items() if by == who)
            part.add(scan.agents.get(who) or AgentTally())
        theirs.callbacks += [cb for cb in callbacks if in_team(cb.agent, cb.due_at)]
        theirs.records += sum(n for (in_, who), n in records.items() if in_ == team and who in members)
        for who in members:
            theirs.add(scan.agents_in_team.get((team, who)) or AgentTally())
    visits = await inbound_calls(db, since=start, until=now)
    for who, part in mine.items():
        _add_inbound(part, [v for v in visits if v.agent == who])
    _add_inbound(theirs, [v for v in visits if in_team(v.agent, v.joined_at)])

    events = await agent_events(db, start, now, agents=members)
    spent = agent_time(events, start, now) if events is not None else None
    times = team_times(timeline, events, members, start, now) if events is not None and team is not None else {}
    worked = _worked(members, team, campaigns, times, [v.agent for v in visits if in_team(v.agent, v.joined_at)])
    labels = _labels(c.config for c in campaigns)
    team_spent = None if events is None else AgentTime.pooled(t for (in_, _who), t in times.items() if in_ == team)
    return TeamDay(
        zone=zone,
        start=start,
        now=now,
        team=team,
        agents=current,
        mine={
            who: _figures(part, None if spent is None else spent.get(who), 1, labels, calls_by_lead, now)
            for who, part in mine.items()
        },
        team_average=None if team is None else _figures(theirs, team_spent, len(worked), labels, calls_by_lead, now),
        notes=tuple(
            _("campaign {campaign}: its stored file no longer loads; its calls are not counted").format(campaign=name)
            for name in unread
        ),
    )


def _add_inbound(part: _Part, visits: Sequence[InboundCallRecord]) -> None:
    for figures in inbound_agents(visits):
        part.inbound += figures.answered
        part.inbound_talk += figures.talk_seconds
        part.inbound_talked += figures.talked


def _worked(
    members: Iterable[str],
    team: str | None,
    campaigns: Sequence[_Campaign],
    times: dict[tuple[str | None, str], AgentTime],
    answered_by: Iterable[str | None],
) -> set[str]:
    """The team's agents who worked in it today: signed in while members, or a call while members."""
    answered = set(answered_by)

    def worked(who: str) -> bool:
        spent = times.get((team, who))
        called = any(c.records.get((team, who)) for c in campaigns)
        return (spent is not None and spent.logged_in > 0) or called or who in answered

    return {who for who in members if worked(who)}
