"""The agent activity report read from the store (SQLite and PostgreSQL): the history of activity_history.py, whose
figures are known; the CLI prints it."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from activity_history import DAY2, add_activity
from reports_history import DAY1, NOW, History
from typer.testing import CliRunner

from dialer.agents.pausecodes import DEFAULT_PAUSE_CODES
from dialer.cli import app
from dialer.reports import ReportRange
from dialer.reports.activity import agent_activity_report

TWO_DAYS = ReportRange(DAY1, DAY2 + timedelta(days=1))


@pytest.fixture
async def activity(history: History) -> History:
    await add_activity(history.db)
    return history


@pytest.fixture
async def sqlite_activity(sqlite_history: History) -> History:
    await add_activity(sqlite_history.db)
    return sqlite_history


async def test_each_agents_time_day_by_day_from_the_stored_history(activity: History) -> None:
    r = await agent_activity_report(activity.db, TWO_DAYS, now=NOW, zone="UTC", pause_codes=DEFAULT_PAUSE_CODES)
    agents = {a.agent: a for a in r.agents}
    assert list(agents) == ["a1", "a2", "a3"]
    a1 = agents["a1"]
    monday, tuesday = a1.days
    assert (monday.day, monday.first_in, monday.last_out) == (
        date(2026, 3, 2),
        DAY1 + timedelta(hours=8),
        DAY1 + timedelta(hours=17),
    )
    t = monday.time
    assert (t.logged_in, t.talking, t.wrapup, t.paused) == (9 * 3600, 595.0, 120.0, 60 + 1200 + 2700)
    assert t.ready == 9 * 3600 - 595 - 120 - 3960
    # day 2: still ready at the range's end (midnight), counted up to it
    assert (tuesday.first_in, tuesday.last_out, tuesday.time.logged_in) == (DAY2 + timedelta(hours=8), None, 16 * 3600)
    brk = next(p for p in a1.pauses if p.reason == "break")
    assert (brk.count, brk.seconds, brk.longest_seconds, brk.over_limit) == (2, 1800.0, 1200.0, 1)  # restored once
    assert [p.reason for p in a1.pauses] == ["break", "lunch", "login"]
    a2 = agents["a2"]
    assert [(d.day, d.time.logged_in, d.time.talking) for d in a2.days] == [
        (date(2026, 3, 2), 7200.0, 1800.0),
        (date(2026, 3, 3), 2100.0, 1800.0),
    ]
    assert a2.time.occupancy == (3600 + 300) / 9300
    (forced,) = agents["a3"].pauses
    assert (forced.kind, forced.over_limit) == ("supervisor", None)
    assert r.teams is not None
    teams = {t.team: t for t in r.teams}
    assert (teams["north"].agents, teams["north"].time.logged_in) == (1, a1.time.logged_in)
    assert (teams["south"].agents, teams["south"].time.logged_in) == (1, a2.time.logged_in)  # moved before the shift
    assert (teams[None].agents, teams[None].time.logged_in) == (1, 3600.0)
    assert r.total.time.logged_in == sum(a.time.logged_in for a in r.agents)


async def test_the_report_of_some_agents_and_a_zones_days(activity: History) -> None:
    r = await agent_activity_report(
        activity.db, TWO_DAYS, now=NOW, zone="Asia/Tokyo", pause_codes=DEFAULT_PAUSE_CODES, agents=["a2"]
    )
    (a2,) = r.agents
    assert [(d.day, d.time.logged_in) for d in a2.days] == [(date(2026, 3, 3), 9300.0)]  # all on Tokyo's 3rd
    assert r.teams is not None
    assert [t.team for t in r.teams] == ["south"]


def test_the_cli_prints_the_report(sqlite_activity: History, cli: CliRunner) -> None:
    asked = ["report", "agents", "--from", "2026-03-02", "--to", "2026-03-03", "--database", sqlite_activity.url]
    text = cli.invoke(app, asked, env={"DIALER_LANG": "en", "TZ": "UTC", "DIALER_TZ": "UTC"})
    assert text.exit_code == 0, text.output
    assert "Agent activity" in text.output
    assert "a2" in text.output
    as_json = cli.invoke(app, [*asked, "--json", "--agent", "a1"], env={"DIALER_TZ": "UTC"})
    assert as_json.exit_code == 0, as_json.output
    doc = json.loads(as_json.output)
    assert [a["agent"] for a in doc["agents"]] == ["a1"]
    bad = cli.invoke(app, ["report", "agents", "--from", "soon", "--database", sqlite_activity.url])
    assert bad.exit_code != 0
