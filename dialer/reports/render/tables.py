"""The tables the text and HTML renderers both show, as column names and rows (each renderer lays them out and
writes percentages its own way: ``percent``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

from dialer.i18n import N_, _, ngettext
from dialer.inbound.figures import QueueFigures
from dialer.reports.activity import AgentActivityReport, PauseFigures
from dialer.reports.common import seconds_label, shown_time
from dialer.reports.inbound import InboundReport, QueueReport
from dialer.reports.performance import AgentTime, TeamFigures
from dialer.reports.staffing import ERLANG_A, ERLANG_C, Interval, StaffingForecast, slot_label
from dialer.reports.transfers import TransferFigures

Percent = Callable[[float | None], str]

TRANSFER_AGENT_COLUMNS = (
    N_("agent"),
    N_("transfers"),
    N_("blind"),
    N_("warm"),
    N_("3-way"),
    N_("to closers"),
    N_("closer sales"),
    N_("closer conversion"),
)
CLOSER_COLUMNS = (N_("closer"), N_("calls received"), N_("sales"), N_("conversion"))


def transfer_agent_rows(t: TransferFigures, percent: Percent) -> list[list[object]]:
    """One row per agent who transferred: transfers by kind, those to closers and what the closers sold."""
    return [
        [
            a.agent,
            a.transfers,
            a.blind,
            a.warm,
            a.conference,
            a.to_closers,
            a.closer_sales,
            percent(a.closer_conversion),
        ]
        for a in t.agents
    ]


def closer_rows(t: TransferFigures, percent: Percent) -> list[list[object]]:
    """One row per closer: the calls transferred to them, their sales and conversion."""
    return [[c.closer, c.received, c.sales, percent(c.conversion)] for c in t.closers]


TEAM_COLUMNS = (
    N_("team"),
    N_("agents"),
    N_("calls"),
    N_("sales"),
    N_("conversion"),
    N_("AHT"),
    N_("occupancy"),
    N_("ready in N s"),
)


def team_rows(teams: Sequence[TeamFigures], percent: Percent) -> list[list[object]]:
    """One row per team (its agents together), the agents in no team last."""
    return [
        [
            _("(no team)") if t.team is None else t.team,
            t.agents,
            t.calls,
            t.sales,
            percent(t.conversion),
            seconds_label(t.aht_seconds),
            percent(t.occupancy),
            percent(t.ready_announced_share),
        ]
        for t in teams
    ]


INBOUND_COLUMNS = (
    N_("offered"),
    N_("answered"),
    N_("within target"),
    N_("service level"),
    N_("abandoned"),
    N_("short abandons"),
    N_("timed out"),
    N_("refused"),
    N_("abandon rate"),
    N_("ASA"),
    N_("longest wait"),
    N_("mean talk"),
)
INBOUND_AGENT_COLUMNS = (N_("agent"), N_("answered"), N_("mean talk"))


def inbound_cells(f: QueueFigures, percent: Percent) -> list[object]:
    """One queue's (or hour's) figures, in INBOUND_COLUMNS order."""
    return [
        f.offered,
        f.answered,
        f.answered_within,
        percent(f.service_level),
        f.abandoned,
        f.short_abandoned,
        f.timed_out,
        f.refused,
        percent(f.abandon_rate),
        seconds_label(f.average_speed_of_answer),
        seconds_label(f.longest_wait_seconds),
        seconds_label(f.mean_talk_seconds),
    ]


def inbound_hour_rows(r: InboundReport, q: QueueReport, percent: Percent) -> list[list[object]]:
    """One row per hour with calls (its start in the report's zone), then the queue's total."""
    tz = ZoneInfo(r.zone)
    rows: list[list[object]] = [
        [h.start.astimezone(tz).strftime("%Y-%m-%d %H:00"), *inbound_cells(h.figures, percent)] for h in q.hours
    ]
    rows.append([_("total"), *inbound_cells(q.total, percent)])
    return rows


def inbound_agent_rows(q: QueueReport) -> list[list[object]]:
    return [[a.agent, a.answered, seconds_label(a.mean_talk_seconds)] for a in q.agents]


def inbound_rule_line(r: InboundReport, percent: Percent) -> str:
    return _(
        "service level: answered within {seconds} s, target {target}; callers who hung up within {short} s are short "
        "abandons, left out of the rates"
    ).format(
        seconds=f"{r.rule.answer_within_seconds:g}",
        target=percent(r.rule.target),
        short=f"{r.rule.short_abandon_seconds:g}",
    )


# -- agent activity -------------------------------------------------------------------------------------------------

# The columns of ``time_cells`` (right-aligned), which end both activity tables.
TIME_COLUMNS = (N_("logged in"), N_("ready"), N_("talk"), N_("wrap-up"), N_("paused"), N_("occupancy"))
_TIME_RIGHT = (True,) * len(TIME_COLUMNS)
ACTIVITY_COLUMNS = (N_("agent"), N_("day"), N_("first sign-in"), N_("last sign-out"), *TIME_COLUMNS)
ACTIVITY_RIGHT = (False, False, False, False, *_TIME_RIGHT)
ACTIVITY_TEAM_COLUMNS = (N_("team"), N_("agents"), *TIME_COLUMNS)
ACTIVITY_TEAM_RIGHT = (False, True, *_TIME_RIGHT)
PAUSE_COLUMNS = (
    N_("who"),
    N_("pause"),
    N_("kind"),
    N_("pauses"),
    N_("time"),
    N_("longest"),
    N_("limit"),
    N_("over the limit"),
)
PAUSE_RIGHT = (False, False, False, True, True, True, True, True)
_PAUSE_KINDS = {"code": N_("agent's code"), "supervisor": N_("supervisor"), "dialer": N_("dialer's own")}


def hms(seconds: float | None) -> str:
    """A duration as hours:minutes:seconds (``7:05:09``), the way time in state is read; ``n/a`` for none."""
    if seconds is None:
        return _("n/a")
    whole = round(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def time_cells(t: AgentTime, percent: Percent) -> list[object]:
    """An agent's (or several agents') time, under ``TIME_COLUMNS``: logged in, ready, talk, wrap-up, paused,
    occupancy."""
    return [hms(t.logged_in), hms(t.ready), hms(t.talking), hms(t.wrapup), hms(t.paused), percent(t.occupancy)]


def activity_rows(r: AgentActivityReport, percent: Percent) -> list[list[object]]:
    """One row per agent and day (sign-in and sign-out times in the report's zone), then the agent's total when
    they worked more than one day."""
    tz = ZoneInfo(r.zone)
    rows: list[list[object]] = []
    for a in r.agents:
        for d in a.days:
            first = d.first_in.astimezone(tz).strftime("%H:%M")
            last = _("still signed in") if d.last_out is None else d.last_out.astimezone(tz).strftime("%H:%M")
            rows.append(
                [a.agent, d.day.isoformat(), _("before") if d.in_before else first, last, *time_cells(d.time, percent)]
            )
        if len(a.days) != 1:
            rows.append([a.agent, _("total"), "", "", *time_cells(a.time, percent)])
    return rows


def activity_team_rows(r: AgentActivityReport, percent: Percent) -> list[list[object]]:
    """One row per team (its agents while members; the agents in no team last), then every agent together."""
    teams = r.teams or ()
    rows: list[list[object]] = [
        [_("(no team)") if t.team is None else t.team, t.agents, *time_cells(t.time, percent)] for t in teams
    ]
    rows.append([_("all agents"), r.total.agents, *time_cells(r.total.time, percent)])
    return rows


def pause_cells(who: str, p: PauseFigures) -> list[object]:
    reason = _(p.label) if p.kind == "code" and p.label else p.reason or _("(no reason)")
    return [
        who,
        reason,
        _(_PAUSE_KINDS[p.kind]),
        p.count,
        hms(p.seconds),
        hms(p.longest_seconds),
        "" if p.limit_seconds is None else hms(p.limit_seconds),
        "" if p.over_limit is None else p.over_limit,
    ]


def activity_pause_rows(r: AgentActivityReport) -> list[list[object]]:
    """Each agent's pauses by reason, then each team's and everybody's."""
    rows = [pause_cells(a.agent, p) for a in r.agents for p in a.pauses]
    for t in r.teams or ():
        rows += [pause_cells(_("team {team}").format(team=t.team or _("(no team)")), p) for p in t.pauses]
    rows += [pause_cells(_("all agents"), p) for p in r.total.pauses]
    return rows


def activity_range_line(r: AgentActivityReport) -> str:
    return _("time signed in from {start} to {end}, days in {zone}").format(
        start=shown_time(r.span.start) or _("the beginning"), end=shown_time(r.counted_to) or _("now"), zone=r.zone
    )


# -- the inbound staffing forecast ---------------------------------------------------------------------------------

WEEKDAY_NAMES = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
STAFFING_COLUMNS = (
    N_("day"),
    N_("interval"),
    N_("forecast offered"),
    N_("handle time (s)"),
    N_("Erlangs"),
    N_("agents required"),
    N_("agents to schedule"),
    N_("expected service level"),
    N_("expected occupancy"),
    N_("expected abandon rate"),
    N_("agents required (Erlang C)"),
    N_("agents required (Erlang A)"),
    N_("actual offered"),
    N_("agents logged in"),
    N_("holiday"),
)


def staffing_days(r: StaffingForecast) -> list[str]:
    """The grid's day columns: the weekday's short name and the date."""
    return [
        f"{_(WEEKDAY_NAMES[d.weekday()])} {d.strftime('%m-%d')}" + (f" ({_('holiday')})" if r.holiday(d) else "")
        for d in r.days
    ]


MODEL_NAMES = {ERLANG_A: N_("Erlang A"), ERLANG_C: N_("Erlang C")}


def staffing_model_line(r: StaffingForecast) -> str:
    """Which model sized the agents, and why."""
    return _("agents sized with {model}: {why}").format(model=_(MODEL_NAMES[r.model]), why=r.model_reason)


def staffing_holiday_line(r: StaffingForecast) -> str | None:
    """The planned week's public holidays (None: none)."""
    if not r.holidays:
        return None
    days = ", ".join(f"{d.isoformat()} {name}" for d, name in r.holidays)
    return _("public holidays this week (forecast as ordinary days): {days}").format(days=days)


def staffing_rule_line(r: StaffingForecast, percent: Percent) -> str:
    t = r.target
    used = sum(1 for w in r.history if w.used)
    rule = _(
        "target: {target} answered within {seconds} s; occupancy at most {occupancy}; shrinkage {shrinkage}"
    ).format(
        target=percent(t.target),
        seconds=f"{t.within_seconds:g}",
        occupancy=percent(t.max_occupancy),
        shrinkage=percent(t.shrinkage),
    )
    history = ngettext("history: {n} week", "history: {n} weeks", used).format(n=used)
    return _("{rule}; {history}; times in {zone}").format(rule=rule, history=history, zone=r.zone)


def staffing_handle_line(r: StaffingForecast) -> str:
    return _("mean talk {talk}, mean wrap-up {wrap} (over the history)").format(
        talk=seconds_label(r.mean_talk_seconds), wrap=seconds_label(r.mean_wrap_seconds)
    )


def _agents_cell(i: Interval) -> str:
    if not i.seconds:
        return "-"
    return "?" if i.scheduled is None else str(i.scheduled)


def _offered_cell(i: Interval) -> str:
    if not i.seconds:
        return "-"
    forecast = f"{i.forecast_offered:.1f}"
    return forecast if i.actual_offered is None else f"{forecast}/{i.actual_offered}"


def _logged_in_cell(i: Interval) -> str:
    if not i.seconds:
        return "-"
    shown = "?" if i.scheduled is None else str(i.scheduled)
    return shown if i.actual_logged_in is None else f"{shown}/{i.actual_logged_in:.1f}"


def _models_cell(i: Interval) -> str:
    if not i.seconds:
        return "-"
    a = "?" if i.agents_erlang_a is None else str(i.agents_erlang_a)
    c = "?" if i.agents_erlang_c is None else str(i.agents_erlang_c)
    return f"{a}/{c}"


def _abandon_cell(i: Interval) -> str:
    if not i.seconds:
        return "-"
    return "" if i.abandon_rate is None else f"{100 * i.abandon_rate:.1f}%"


def _grid(r: StaffingForecast, cell: Callable[[Interval], str]) -> list[list[object]]:
    return [[slot_label(s), *(cell(r.cell(d, s)) for d in r.days)] for s in r.busy_slots()]


def staffing_agent_grid(r: StaffingForecast) -> list[list[object]]:
    """Intervals × weekdays: the agents to schedule."""
    return _grid(r, _agents_cell)


def staffing_offered_grid(r: StaffingForecast) -> list[list[object]]:
    """Intervals × weekdays: the forecast offered calls, "/actual" once the interval is over."""
    return _grid(r, _offered_cell)


def staffing_models_grid(r: StaffingForecast) -> list[list[object]]:
    """Intervals × weekdays: the agents required by Erlang A / by Erlang C."""
    return _grid(r, _models_cell)


def staffing_abandon_grid(r: StaffingForecast) -> list[list[object]]:
    """Intervals × weekdays: the expected abandon rate (Erlang A)."""
    return _grid(r, _abandon_cell)


def staffing_logged_in_grid(r: StaffingForecast) -> list[list[object]]:
    """Intervals × weekdays: the agents to schedule, "/mean logged in" once the interval is over."""
    return _grid(r, _logged_in_cell)
