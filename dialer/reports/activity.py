"""The agent activity report: how each agent spent their logged-in time, day by day (time in state, adherence).

Definitions (docs/domain.md "Agent activity"), all from the agents' state history (table ``agent_events``):

* each change's state lasts until the agent's next change; a state still open at the range's end is counted up to
  the range's end, or now when that is earlier (never beyond);
* the seconds per state, logged-in time and occupancy are the performance report's
  (:func:`dialer.reports.performance.agent_time`, :class:`~dialer.reports.performance.AgentTime`): ready (ringing
  included) + talking + wrap-up + paused = logged in; occupancy = (talk + wrap-up) ÷ logged in;
* days are whole days of the report's zone; a state across midnight is split at it;
* a stretch is a run of changes to the same state (a pause: with the same reason), so an agent taken back after a
  daemon restart (a change from ``logged_out`` written by the restore, while the history has them logged in) is one
  stretch, not a second sign-in or a second pause;
* a pause counts once in each range (and team) it overlaps, its seconds within it; its length, for the longest and
  the pause code's limit (``[[pause_codes]]`` ``max_minutes``), runs from its start up to its end, or the range's
  end when it is still open then;
* a team's line has its agents while they were its members (their spells, :mod:`dialer.reports.teams`).

Pure but for :func:`agent_activity_report`, which reads the store."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import groupby
from typing import Any, Literal
from zoneinfo import ZoneInfo

from dialer.agents.pausecodes import (
    RESERVED_PAUSE_REASONS,
    SUPERVISOR_PAUSE_REASON,
    PauseCode,
    pause_limits,
    pause_overdue_seconds,
)
from dialer.i18n import _
from dialer.reports.common import ReportRange, iso
from dialer.reports.performance import AgentTime, agent_time
from dialer.reports.teams import TeamTimeline, team_times
from dialer.store.admin import team_spells
from dialer.store.engine import Database
from dialer.store.reports import AgentEventFact, agent_events

LOGGED_OUT = "logged_out"
PAUSED = "paused"
PauseKind = Literal["code", "supervisor", "dialer"]  # an agent's pause code; a supervisor's forced pause; the dialer's
_KIND_ORDER: dict[str, int] = {"code": 0, "supervisor": 1, "dialer": 2}


# -- stretches of one state ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stretch:
    """One agent in one state (a pause: for one reason) from ``start`` until ``end`` (None: still, as far as the
    history goes)."""

    status: str
    reason: str | None
    start: datetime
    end: datetime | None

    def within(self, lo: datetime, hi: datetime) -> float:
        """Its seconds within ``[lo, hi)``."""
        top = hi if self.end is None else min(self.end, hi)
        return max((top - max(self.start, lo)).total_seconds(), 0.0)

    def overlaps(self, lo: datetime, hi: datetime) -> bool:
        return self.start < hi and (self.end is None or self.end > lo)


def stretches(events: Sequence[AgentEventFact]) -> list[Stretch]:
    """One agent's changes (any order) as the stretches of their states, in order: repeated changes to the state
    they were in (a restore after a restart, the same pause written again) continue it."""
    out: list[Stretch] = []
    for e in sorted(events, key=lambda e: e.at):
        reason = e.reason if e.status == PAUSED else None
        if out and out[-1].status == e.status and out[-1].reason == reason:
            continue
        if out:
            last = out[-1]
            out[-1] = Stretch(last.status, last.reason, last.start, e.at)
        out.append(Stretch(e.status, reason, e.at, None))
    return out


def signed_in(spans: Sequence[Stretch]) -> list[tuple[datetime, datetime | None]]:
    """The agent's logged-in periods (from sign-in to sign-out, None: not signed out), from their stretches."""
    out: list[tuple[datetime, datetime | None]] = []
    for logged_in, run in groupby(spans, key=lambda s: s.status != LOGGED_OUT):
        if logged_in:
            parts = list(run)
            out.append((parts[0].start, parts[-1].end))
    return out


# -- pauses -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PauseFigures:
    """The pauses for one reason: how many, their seconds in the range, the longest, and how many ran past the
    code's limit (None: the reason has no limit)."""

    reason: str | None  # the pause code, the dialer's own reason, or None: no reason given
    kind: PauseKind
    label: str  # the settings' label of a code (translated when shown), else the reason
    limit_seconds: float | None
    count: int
    seconds: float
    longest_seconds: float
    over_limit: int | None

    def plus(self, other: PauseFigures) -> PauseFigures:
        over = None if self.over_limit is None else self.over_limit + (other.over_limit or 0)
        return PauseFigures(
            self.reason,
            self.kind,
            self.label,
            self.limit_seconds,
            self.count + other.count,
            self.seconds + other.seconds,
            max(self.longest_seconds, other.longest_seconds),
            over,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "reason": self.reason,
            "kind": self.kind,
            "label": self.label,
            "limit_seconds": self.limit_seconds,
            "count": self.count,
            "seconds": round(self.seconds, 1),
            "longest_seconds": round(self.longest_seconds, 1),
            "over_limit": self.over_limit,
        }


class PauseRules:
    """What the settings' pause codes say of a pause reason: its kind, label and limit."""

    def __init__(self, codes: Sequence[PauseCode]) -> None:
        self.codes = {c.code: c for c in codes}
        self.order = {c.code: i for i, c in enumerate(codes)}
        self.limits = pause_limits(codes)

    def kind(self, reason: str | None) -> PauseKind:
        if reason == SUPERVISOR_PAUSE_REASON:
            return "supervisor"
        return "dialer" if reason in RESERVED_PAUSE_REASONS else "code"

    def empty(self, reason: str | None) -> PauseFigures:
        code = self.codes.get(reason or "")
        limit = self.limits.get(reason or "")
        label = code.label if code is not None else reason or ""
        return PauseFigures(reason, self.kind(reason), label, limit, 0, 0.0, 0.0, None if limit is None else 0)

    def sort_key(self, p: PauseFigures) -> tuple[int, int, str]:
        """The settings' codes in their order, then other codes, the supervisors' pauses, the dialer's own."""
        return (_KIND_ORDER[p.kind], self.order.get(p.reason or "", len(self.order)), p.reason or "")


def pause_figures(
    spans: Sequence[Stretch], lo: datetime, hi: datetime, rules: PauseRules
) -> dict[str | None, PauseFigures]:
    """Per reason, the pauses among ``spans`` that overlap ``[lo, hi)`` (see the module's definitions)."""
    out: dict[str | None, PauseFigures] = {}
    for s in spans:
        if s.status != PAUSED or not s.overlaps(lo, hi):
            continue
        until = hi if s.end is None else min(s.end, hi)
        length = (until - s.start).total_seconds()
        over = pause_overdue_seconds(s.reason, s.start.timestamp(), until.timestamp(), rules.limits) is not None
        one = PauseFigures(
            s.reason, rules.kind(s.reason), "", None, 1, s.within(lo, hi), length, int(over)
        )  # (reason, kind and limit from ``rules.empty``)
        out[s.reason] = (out.get(s.reason) or rules.empty(s.reason)).plus(one)
    return out


def _merge(into: dict[str | None, PauseFigures], more: Mapping[str | None, PauseFigures]) -> None:
    for reason, p in more.items():
        into[reason] = into[reason].plus(p) if reason in into else p


def _sorted(pauses: Mapping[str | None, PauseFigures], rules: PauseRules) -> tuple[PauseFigures, ...]:
    return tuple(sorted(pauses.values(), key=rules.sort_key))


# -- the report ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AgentDay:
    """One agent's day (of the report's zone): their first sign-in and last sign-out in it and their time."""

    day: date
    first_in: datetime  # when they first signed in that day (the day's start when signed in since before)
    in_before: bool  # signed in since before the day began
    last_out: datetime | None  # their last sign-out that day; None: still signed in at the day's (or report's) end
    time: AgentTime


@dataclass(frozen=True, slots=True)
class AgentActivity:
    agent: str
    time: AgentTime  # over the range
    days: tuple[AgentDay, ...]
    pauses: tuple[PauseFigures, ...]


@dataclass(frozen=True, slots=True)
class TeamActivity:
    """Several agents together (a team while they were its members, the agents in no team, or everybody): their
    seconds summed, so the occupancy is the pooled one, and their pauses per reason."""

    team: str | None
    agents: int
    time: AgentTime
    pauses: tuple[PauseFigures, ...]

    def as_json(self) -> dict[str, Any]:
        return {"team": self.team, "agents": self.agents, **time_json(self.time), "pauses": _pauses_json(self.pauses)}


@dataclass(frozen=True, slots=True)
class AgentActivityReport:
    span: ReportRange
    zone: str  # the days' zone
    counted_to: datetime | None  # the end of the time counted: the range's end, or the time of the report if earlier
    generated_at: datetime
    agents: tuple[AgentActivity, ...]
    teams: tuple[TeamActivity, ...] | None  # None: nobody was in a team in the range
    total: TeamActivity
    agent_history: bool  # the store records the agents' state history
    notes: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "report": "agents",
            "range": self.span.as_json(),
            "zone": self.zone,
            "counted_to": iso(self.counted_to),
            "generated_at": self.generated_at.isoformat(),
            "agents": [
                {
                    "agent": a.agent,
                    **time_json(a.time),
                    "days": [
                        {
                            "day": d.day.isoformat(),
                            "first_sign_in": d.first_in.isoformat(),
                            "signed_in_before": d.in_before,
                            "last_sign_out": iso(d.last_out),
                            **time_json(d.time),
                        }
                        for d in a.days
                    ],
                    "pauses": _pauses_json(a.pauses),
                }
                for a in self.agents
            ],
            "teams": None if self.teams is None else [t.as_json() for t in self.teams],
            "total": self.total.as_json(),
            "agent_history": self.agent_history,
            "notes": list(self.notes),
        }


def time_json(t: AgentTime) -> dict[str, Any]:
    return {
        "logged_in_seconds": round(t.logged_in, 1),
        "ready_seconds": round(t.ready, 1),
        "talk_seconds": round(t.talking, 1),
        "wrapup_seconds": round(t.wrapup, 1),
        "pause_seconds": round(t.paused, 1),
        "occupancy": t.occupancy,
    }


def _pauses_json(pauses: Iterable[PauseFigures]) -> list[dict[str, Any]]:
    return [p.as_json() for p in pauses]


def day_bounds(start: datetime, end: datetime, zone: str) -> list[tuple[date, datetime, datetime]]:
    """The days of ``zone`` that ``[start, end)`` touches: (day, from, to), each cut to the range."""
    tz = ZoneInfo(zone)
    out: list[tuple[date, datetime, datetime]] = []
    day = start.astimezone(tz).date()
    while True:
        lo = datetime.combine(day, time(0), tz)
        if lo >= end:
            return out
        hi = datetime.combine(day + timedelta(days=1), time(0), tz)
        out.append((day, max(lo, start), min(hi, end)))
        day += timedelta(days=1)


def _agent_days(
    events: Sequence[AgentEventFact], spans: Sequence[Stretch], days: Sequence[tuple[date, datetime, datetime]]
) -> tuple[AgentDay, ...]:
    """``events``: one agent's, oldest first. Each day reads only its own changes and the one it starts in."""
    periods = signed_in(spans)
    ats = [e.at for e in events]
    out = []
    for day, lo, hi in days:
        own = events[max(bisect_right(ats, lo) - 1, 0) : bisect_left(ats, hi)]
        spent = agent_time(own, lo, hi).get(own[0].agent) if own else None
        inside = [(a, b) for a, b in periods if a < hi and (b is None or b > lo)]
        if spent is None or not spent.logged_in or not inside:
            continue
        first, last = inside[0][0], inside[-1][1]
        out.append(
            AgentDay(
                day=day,
                first_in=max(first, lo),
                in_before=first < lo,
                last_out=last if last is not None and last < hi else None,
                time=spent,
            )
        )
    return tuple(out)


def build_agent_activity(
    events: Sequence[AgentEventFact] | None,
    span: ReportRange,
    *,
    now: datetime,
    zone: str,
    pause_codes: Sequence[PauseCode],
    teams: TeamTimeline | None = None,
) -> AgentActivityReport:
    """Pure: the report of ``events`` (each agent's changes in the range and their last one before it; None: the
    store keeps no state history) over ``span``, days in ``zone``, counted up to ``now`` at the latest."""
    rules = PauseRules(pause_codes)
    timeline = teams or TeamTimeline(())
    notes: list[str] = []
    history = list(events or ())
    first = min((e.at for e in history), default=now)
    start = span.start or first
    end = min(span.end or now, now)
    counted_to: datetime | None = end if end > start else None
    if events is None:
        notes.append(_("agent state history is not recorded (no agent_events table): no agent activity to show"))
    elif counted_to is None:
        notes.append(_("the range starts after the time of the report: nothing to count yet"))
    by_agent: dict[str, list[AgentEventFact]] = defaultdict(list)
    for e in sorted(history, key=lambda e: e.at):
        by_agent[e.agent].append(e)
    days = day_bounds(start, end, zone) if counted_to is not None else []
    agents: list[AgentActivity] = []
    spans_of: dict[str, list[Stretch]] = {}
    for agent in sorted(by_agent):
        own = by_agent[agent]
        spent = agent_time(own, start, end)[agent] if counted_to is not None else None
        if spent is None or not spent.logged_in:
            continue
        spans = spans_of[agent] = stretches(own)
        agents.append(
            AgentActivity(
                agent=agent,
                time=spent,
                days=_agent_days(own, spans, days),
                pauses=_sorted(pause_figures(spans, start, end, rules), rules),
            )
        )
    total_pauses: dict[str | None, PauseFigures] = {}
    for a in agents:
        _merge(total_pauses, {p.reason: p for p in a.pauses})
    total = TeamActivity(None, len(agents), AgentTime.pooled(a.time for a in agents), _sorted(total_pauses, rules))
    team_lines = None
    if timeline:
        team_lines = _teams(timeline, by_agent, spans_of, start, end, rules)
    elif events is not None:
        notes.append(_("teams: no agent was in a team in this period; figures are per agent"))
    return AgentActivityReport(
        span=span,
        zone=zone,
        counted_to=counted_to,
        generated_at=now,
        agents=tuple(agents),
        teams=team_lines,
        total=total,
        agent_history=events is not None,
        notes=tuple(notes),
    )


def _teams(
    timeline: TeamTimeline,
    by_agent: Mapping[str, Sequence[AgentEventFact]],
    spans_of: Mapping[str, Sequence[Stretch]],
    start: datetime,
    end: datetime,
    rules: PauseRules,
) -> tuple[TeamActivity, ...]:
    """Each team's agents while they were its members (the agents while in no team last): their time cut by the
    team they were in at each moment, their pauses in each team they overlapped. ``spans_of``: the stretches of
    the agents signed in in the range."""
    names = list(spans_of)
    history = [e for agent in names for e in by_agent[agent]]
    times = team_times(timeline, history, names, start, end)
    members: dict[str | None, list[AgentTime]] = defaultdict(list)
    for (team, _agent), spent in times.items():
        if spent.logged_in:
            members[team].append(spent)
    pauses: dict[str | None, dict[str | None, PauseFigures]] = defaultdict(dict)
    for agent, spans in spans_of.items():
        for team, lo, hi in timeline.pieces(agent, start, end):
            _merge(pauses[team], pause_figures(spans, lo, hi, rules))
    return tuple(
        TeamActivity(team, len(members[team]), AgentTime.pooled(members[team]), _sorted(pauses[team], rules))
        for team in sorted(members, key=lambda t: (t is None, t or ""))
    )


async def agent_activity_report(
    db: Database,
    span: ReportRange,
    *,
    now: datetime,
    zone: str,
    pause_codes: Sequence[PauseCode],
    agents: Collection[str] | None = None,
) -> AgentActivityReport:
    """The stored state history of ``agents`` (None: everybody) over ``span``, as the report; a team's line has
    only those agents."""
    events = await agent_events(db, span.start, span.end, agents=agents)
    spells = await team_spells(db, span.start, span.end)
    if agents is not None:
        spells = [s for s in spells if s.agent in agents]
    return build_agent_activity(events, span, now=now, zone=zone, pause_codes=pause_codes, teams=TeamTimeline(spells))
