"""The tables the text and HTML renderers both show, as column names and rows (each renderer lays them out and
writes percentages its own way: ``percent``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from dialer.i18n import N_, _
from dialer.reports.common import seconds_label
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
