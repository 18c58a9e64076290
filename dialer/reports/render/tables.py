"""The tables the text and HTML renderers both show, as column names and rows (each renderer lays them out and
writes percentages its own way: ``percent``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

from dialer.i18n import N_, _
from dialer.inbound.figures import QueueFigures
from dialer.reports.common import seconds_label
from dialer.reports.inbound import InboundReport, QueueReport
from dialer.reports.performance import TeamFigures
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
