"""My day (the console's card): an agent's figures for a day equal the reports' for that agent and day, as the CLI
prints them (``dialer report performance`` / ``agents`` / ``calls`` / ``inbound``), and their team's average is the
reports' team line per agent who worked in it. The day: Monday 2 March 2026 of the synthetic history
(reports_history.py, activity_history.py), plus an inbound call a1 answered and two of the day's callbacks made a1's
own."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import pytest
from activity_history import add_activity
from reports_history import DAY1, History
from sqlalchemy import update
from typer.testing import CliRunner

from dialer.cli import app
from dialer.inbound.calls import InboundOutcome
from dialer.reports.common import day_began
from dialer.reports.myday import DayFigures, TeamDays, my_day, team_day
from dialer.store.inbound_calls import InboundCallRecord, record_inbound_calls
from dialer.store.tables import callbacks_t, campaigns_t

NOW = DAY1 + timedelta(hours=18)  # the day's calls and a1's shift are over; the 16:00 callback was missed
DAY = "2026-03-02"


def _visit(
    caller: str, minute: int, minutes: int, outcome: InboundOutcome, wait: float, *answered: Any
) -> InboundCallRecord:
    joined = DAY1 + timedelta(minutes=minute)
    ended = joined + timedelta(minutes=minutes)
    return InboundCallRecord(None, "support", caller, joined, ended, outcome, wait, *answered)


@pytest.fixture
async def day(sqlite_history: History) -> History:
    """The day on SQLite (the CLI reads its file)."""
    return await _the_day(sqlite_history)


@pytest.fixture
async def any_day(history: History) -> History:
    """The day on SQLite and on PostgreSQL."""
    return await _the_day(history)


async def _the_day(h: History) -> History:
    db = h.db
    await add_activity(db)
    await record_inbound_calls(
        db,
        [
            _visit("+447700900999", 13 * 60, 5, InboundOutcome.ANSWERED, 10.0, 290.0, "a1"),
            _visit("+447700900998", 13 * 60 + 1, 1, InboundOutcome.ABANDONED, 60.0),
        ],
    )
    async with db.write() as conn:  # the 15:00 (kept at 15:05) and 16:00 (missed) callbacks: a1's own
        today = callbacks_t.c.due_at < DAY1 + timedelta(days=1)
        await conn.execute(update(callbacks_t).where(today).values(agent="a1"))
    return h


def _cli(url: str, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(
        app, ["report", *args, "--from", DAY, "--to", DAY, "--json", "--database", url], env={"DIALER_TZ": "UTC"}
    )
    assert result.exit_code == 0, result.output
    doc: dict[str, Any] = json.loads(result.output)
    return doc


async def _reports(url: str, *asked: tuple[str, ...]) -> list[dict[str, Any]]:
    return [await asyncio.to_thread(_cli, url, *args) for args in asked]


def _agent(doc: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(a for a in doc["agents"] if a["agent"] == name)
    return found


async def test_an_agents_day_equals_the_reports_for_that_agent_and_day(day: History) -> None:
    r = await my_day(day.db, "a1", zone="UTC", now=NOW)
    assert (r.start, r.team) == (DAY1, "north")
    perf, agents, calls, inbound = await _reports(
        day.url,
        ("performance", "--campaign", "ukspring", "--agent", "a1"),
        ("agents", "--agent", "a1"),
        ("calls", "--campaign", "ukspring", "--agent", "a1"),
        ("inbound",),
    )
    p, a = _agent(perf, "a1"), _agent(agents, "a1")
    (support,) = inbound["queues"]
    answered = _agent(support, "a1")
    mine = r.mine
    assert mine.calls_outbound == len(calls["records"]) == 11
    assert mine.calls_inbound == answered["answered"] == 1
    assert mine.calls == 12
    assert mine.live_conversations == p["calls"] + answered["answered"]
    assert (mine.sales, mine.conversion) == (p["sales"], p["conversion"])
    assert {d.code: d.count for d in mine.dispositions} == p["dispositions"]
    assert next(d for d in mine.dispositions if d.code == "sale").is_sale
    assert mine.talk_seconds == p["talk_seconds"] + answered["mean_talk_seconds"]
    # The state history's figures are the activity report's for that agent and day.
    assert mine.logged_in_seconds == a["logged_in_seconds"] == 9 * 3600
    assert (mine.ready_seconds, mine.pause_seconds, mine.wrapup_seconds, mine.occupancy) == (
        a["ready_seconds"],
        a["pause_seconds"],
        a["wrapup_seconds"],
        a["occupancy"],
    )
    # ACW and AHT as the performance report defines them, over every conversation (its calls and the inbound one).
    assert mine.acw_seconds == pytest.approx(a["wrapup_seconds"] / mine.live_conversations)
    assert mine.mean_talk_seconds == pytest.approx((p["talk_seconds"] + 290.0) / 12)
    assert mine.aht_seconds == pytest.approx(mine.mean_talk_seconds + mine.acw_seconds)
    # Every callback due that day is a1's: the performance report's reading of them.
    cb = perf["callbacks"]
    assert (
        (mine.callbacks_kept, mine.callbacks_missed, mine.callbacks_pending)
        == (
            cb["kept_on_time"] + cb["kept_late"],
            cb["missed"],
            cb["pending"],
        )
        == (1, 1, 0)
    )


async def test_the_team_average_is_the_reports_team_line_per_agent_who_worked_in_it(day: History) -> None:
    r = await my_day(day.db, "a1", zone="UTC", now=NOW)
    perf, agents = await _reports(day.url, ("performance", "--campaign", "ukspring"), ("agents",))
    north = next(t for t in perf["teams"] if t["team"] == "north")
    north_time = next(t for t in agents["teams"] if t["team"] == "north")
    team = r.team_average
    assert isinstance(team, DayFigures)
    # a1 all day, a2 until 12:00 (their morning calls; signed in only after moving to south): two agents.
    assert team.agents == 2
    assert team.live_conversations * 2 == north["calls"] + 1  # + a1's inbound call
    assert team.sales * 2 == north["sales"]
    assert team.conversion == north["conversion"]
    assert team.occupancy == north_time["occupancy"]
    assert team.logged_in_seconds == north_time["logged_in_seconds"] / 2
    assert team.wrapup_seconds == north_time["wrapup_seconds"] / 2
    assert "a2" not in json.dumps(r.as_json())  # no other agent's name


async def test_an_agent_in_no_team_and_the_days_zone(any_day: History) -> None:
    mine = (await my_day(any_day.db, "a1", zone="UTC", now=NOW)).mine
    assert (mine.calls, mine.sales, mine.logged_in_seconds, mine.callbacks_kept) == (12, 4, 9 * 3600, 1)
    r = await my_day(any_day.db, "a3", zone="Asia/Tokyo", now=NOW)
    assert r.team is None
    assert r.team_average is None
    assert r.start == day_began(NOW, "Asia/Tokyo") == DAY1 + timedelta(hours=15)  # 00:00 on the 3rd in Tokyo
    assert r.mine.logged_in_seconds == 0.0  # a3 signed out at 10:00 UTC, before Tokyo's day began
    assert r.mine.calls == 0


async def test_a_campaign_whose_stored_file_no_longer_loads_is_said_not_counted(day: History) -> None:
    async with day.db.write() as conn:
        await conn.execute(update(campaigns_t).values(config={"name": "ukspring", "dial_mode": "telepathic"}))
    r = await my_day(day.db, "a1", zone="UTC", now=NOW)
    assert r.mine.calls_outbound == 0
    assert r.mine.calls_inbound == 1  # the inbound call is no campaign's
    (note,) = r.as_json()["notes"]
    assert "ukspring" in note


async def test_one_read_of_a_teams_day_gives_each_of_its_agents_their_own(day: History) -> None:
    """The consoles of a team share one read (TeamDays): each agent's day from it equals their own read."""
    for agent in ("a1", "a2", "a3"):
        read = await team_day(day.db, agent, zone="UTC", now=NOW)
        assert agent in read.agents
        for who in read.agents:
            assert read.of(who).as_json() == (await my_day(day.db, who, zone="UTC", now=NOW)).as_json()
    north = await team_day(day.db, "a1", zone="UTC", now=NOW)
    assert "a2" not in north.agents  # in north this morning, in south now: their day is south's read


async def test_a_kept_read_serves_its_team_until_it_is_old_or_its_agent_changed_state(day: History) -> None:
    days = TeamDays(seconds=15.0)
    read = await team_day(day.db, "a1", zone="UTC", now=NOW)
    days.keep(read)
    assert days.get("a1", "UTC", NOW + timedelta(seconds=14)) is read
    assert days.get("a1", "Asia/Tokyo", NOW) is None  # another zone: another day
    assert days.get("a1", "UTC", NOW + timedelta(seconds=15)) is None  # old
    assert days.get("a1", "UTC", NOW - timedelta(seconds=1)) is None  # the clock went back
    days.forget("a1")  # a1's call ended: their console reads afresh
    assert days.get("a1", "UTC", NOW) is None
    later = DAY1 + timedelta(days=1, seconds=5)
    days.keep(await team_day(day.db, "a1", zone="UTC", now=DAY1 + timedelta(hours=23, minutes=59, seconds=55)))
    assert days.get("a1", "UTC", later) is None  # midnight passed: a new day
