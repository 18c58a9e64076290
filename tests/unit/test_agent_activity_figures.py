"""The agent activity report's computation (pure): time in each state per agent and day, sign-in and sign-out,
pauses per code against its limit, team lines by spells; a state still open counted up to the range's end or now,
a day boundary splitting time, a restore after a daemon restart counted once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.agents.pausecodes import DEFAULT_PAUSE_CODES, PauseCode
from dialer.reports.activity import AgentActivityReport, PauseFigures, build_agent_activity, stretches
from dialer.reports.common import ReportRange
from dialer.reports.performance import agent_time
from dialer.reports.teams import TeamTimeline
from dialer.store.admin import TeamSpell
from dialer.store.reports import AgentEventFact

DAY = datetime(2026, 3, 2, tzinfo=UTC)
RANGE = ReportRange(DAY, DAY + timedelta(days=2))
LATER = DAY + timedelta(days=10)


def ev(minutes: float, status: str, reason: str | None = None, agent: str = "a1") -> AgentEventFact:
    return AgentEventFact(agent, DAY + timedelta(minutes=minutes), status, reason)


def report(
    events: list[AgentEventFact],
    span: ReportRange = RANGE,
    *,
    now: datetime = LATER,
    zone: str = "UTC",
    spells: tuple[TeamSpell, ...] = (),
) -> AgentActivityReport:
    return build_agent_activity(
        events, span, now=now, zone=zone, pause_codes=DEFAULT_PAUSE_CODES, teams=TeamTimeline(spells)
    )


def seconds(r: AgentActivityReport) -> tuple[float, float, float, float, float]:
    (a,) = r.agents
    t = a.time
    return (t.logged_in, t.ready, t.talking, t.wrapup, t.paused)


# (case, events, range, now, zone) -> (logged in, ready, talk, wrap-up, paused) in minutes
CASES = [
    (
        "a shift: ringing is ready time, logged out is not counted",
        [
            ev(0, "ready"),
            ev(10, "ringing"),
            ev(11, "talking"),
            ev(20, "wrapup"),
            ev(25, "paused", "break"),
            ev(40, "ready"),
            ev(60, "logged_out"),
        ],
        RANGE,
        LATER,
        "UTC",
        (60, 31, 9, 5, 15),
    ),
    (
        "a state still open at the range's end counts up to it, never beyond",
        [ev(24 * 60 + 23 * 60, "ready")],
        RANGE,
        LATER,
        "UTC",
        (60, 60, 0, 0, 0),
    ),
    (
        "... or up to now when the range ends later",
        [ev(0, "ready"), ev(30, "talking")],
        RANGE,
        DAY + timedelta(minutes=45),
        "UTC",
        (45, 30, 15, 0, 0),
    ),
    (
        "a state begun before the range counts from its start",
        [AgentEventFact("a1", DAY - timedelta(hours=1), "paused", "lunch"), ev(30, "logged_out")],
        RANGE,
        LATER,
        "UTC",
        (30, 0, 0, 0, 30),
    ),
    (
        "a daemon restart: the agent taken back in their state is not counted twice",
        [ev(0, "ready", "login"), ev(20, "ready", "restored"), ev(40, "logged_out")],
        RANGE,
        LATER,
        "UTC",
        (40, 40, 0, 0, 0),
    ),
]


@pytest.mark.parametrize(("case", "events", "span", "now", "zone", "minutes"), CASES, ids=[c[0] for c in CASES])
def test_time_in_each_state(
    case: str,
    events: list[AgentEventFact],
    span: ReportRange,
    now: datetime,
    zone: str,
    minutes: tuple[float, ...],
) -> None:
    r = report(events, span, now=now, zone=zone)
    assert seconds(r) == tuple(60.0 * m for m in minutes), case
    (a,) = r.agents
    assert sum(seconds(r)[1:]) == a.time.logged_in


def test_occupancy_is_the_performance_reports() -> None:
    events = [ev(0, "ready"), ev(10, "talking"), ev(20, "wrapup"), ev(25, "paused", "break"), ev(60, "logged_out")]
    r = report(events)
    (a,) = r.agents
    same = agent_time(events, RANGE.start or DAY, RANGE.end or LATER)["a1"]
    assert a.time == same
    assert a.time.occupancy == same.occupancy == 15 / 60
    assert r.total.time.occupancy == same.occupancy


def test_a_day_boundary_of_the_reports_zone_splits_the_time() -> None:
    """Tokyo's 3 March starts at 15:00 UTC on the 2nd: an hour either side of it."""
    events = [
        ev(14 * 60, "ready", "login"),
        ev(15 * 60 - 30, "talking"),
        ev(15 * 60 + 30, "wrapup"),
        ev(16 * 60, "logged_out"),
    ]
    r = report(events, zone="Asia/Tokyo")
    (a,) = r.agents
    first, second = a.days
    assert (first.day, second.day) == (date(2026, 3, 2), date(2026, 3, 3))
    assert (first.time.logged_in, first.time.ready, first.time.talking) == (3600.0, 1800.0, 1800.0)
    assert (second.time.logged_in, second.time.talking, second.time.wrapup) == (3600.0, 1800.0, 1800.0)
    assert first.first_in == DAY + timedelta(hours=14)
    assert (first.in_before, first.last_out) == (False, None)  # still signed in at that day's end
    assert second.in_before
    assert second.last_out == DAY + timedelta(hours=16)
    assert first.time.logged_in + second.time.logged_in == a.time.logged_in


def test_first_sign_in_and_last_sign_out_of_each_day() -> None:
    events = [
        ev(8 * 60, "ready", "login"),
        ev(12 * 60, "logged_out"),
        ev(13 * 60, "ready", "login"),
        ev(17 * 60, "logged_out"),
        ev(24 * 60 + 9 * 60, "paused", "login"),
    ]
    (a,) = report(events, now=DAY + timedelta(days=1, hours=10)).agents
    monday, tuesday = a.days
    assert (monday.first_in, monday.last_out) == (DAY + timedelta(hours=8), DAY + timedelta(hours=17))
    assert monday.time.logged_in == 8 * 3600
    assert (tuesday.first_in, tuesday.last_out) == (DAY + timedelta(days=1, hours=9), None)
    assert tuesday.time.logged_in == 3600  # up to now


def test_pauses_per_code_against_its_limit_the_dialers_own_and_the_supervisors_apart() -> None:
    events = [
        ev(0, "paused", "login"),
        ev(1, "ready"),
        ev(10, "paused", "break"),
        ev(30, "ready"),  # a 20 min break: over 15
        ev(40, "paused", "break"),
        ev(50, "paused", "lunch"),  # from one code to another: two pauses
        ev(100, "ready"),  # lunch 50 min: within 60
        ev(110, "paused", "supervisor"),
        ev(115, "paused", "mystery"),  # a code since removed from the settings
        ev(120, "logged_out"),
    ]
    (a,) = report(events).agents
    got = {p.reason: p for p in a.pauses}
    assert [p.reason for p in a.pauses] == ["break", "lunch", "mystery", "supervisor", "login"]
    assert got["break"] == PauseFigures("break", "code", "Break", 900.0, 2, 1800.0, 1200.0, 1)
    assert (got["lunch"].count, got["lunch"].over_limit) == (1, 0)
    assert (got["mystery"].kind, got["mystery"].limit_seconds, got["mystery"].over_limit) == ("code", None, None)
    assert (got["supervisor"].kind, got["supervisor"].over_limit) == ("supervisor", None)
    assert (got["login"].kind, got["login"].seconds) == ("dialer", 60.0)
    assert sum(p.seconds for p in a.pauses) == a.time.paused


def test_a_pause_taken_back_after_a_restart_is_one_pause_and_one_sign_in() -> None:
    events = [
        ev(0, "ready", "login"),
        ev(10, "paused", "break"),
        ev(15, "paused", "break"),
        ev(30, "ready"),
        ev(40, "logged_out"),
    ]
    (a,) = report(events).agents
    (brk,) = a.pauses
    assert (brk.count, brk.longest_seconds, brk.over_limit) == (1, 1200.0, 1)
    assert len(stretches(events)) == 4
    (day,) = a.days
    assert (day.first_in, day.last_out) == (DAY, DAY + timedelta(minutes=40))


def test_a_pause_still_open_is_judged_up_to_the_range_end() -> None:
    span = ReportRange(DAY, DAY + timedelta(hours=1))
    (a,) = report([ev(50, "paused", "break")], span).agents
    (brk,) = a.pauses
    assert (brk.seconds, brk.longest_seconds, brk.over_limit) == (600.0, 600.0, 0)
    (a,) = report([ev(30, "paused", "break")], span).agents
    assert a.pauses[0].over_limit == 1


def test_limits_come_from_the_settings_pause_codes() -> None:
    codes = [PauseCode(code="coffee", label="Coffee", max_minutes=5)]
    r = build_agent_activity(
        [ev(0, "paused", "coffee"), ev(6, "logged_out")], RANGE, now=LATER, zone="UTC", pause_codes=codes
    )
    (coffee,) = r.agents[0].pauses
    assert (coffee.label, coffee.limit_seconds, coffee.over_limit) == ("Coffee", 300.0, 1)


def test_a_team_line_has_its_agents_while_they_were_members_and_the_total_everybody() -> None:
    """a1 is in north until 09:30 then in south; a2 in north throughout; a3 in no team."""
    move = DAY + timedelta(hours=9, minutes=30)
    spells = (
        TeamSpell("a1", "north", None, move),
        TeamSpell("a1", "south", move, None),
        TeamSpell("a2", "north", None, None),
    )
    events = [
        ev(9 * 60, "ready", agent="a1"),
        ev(9 * 60 + 20, "paused", "break", agent="a1"),
        ev(9 * 60 + 40, "ready", agent="a1"),
        ev(10 * 60, "logged_out", agent="a1"),
        ev(9 * 60, "talking", agent="a2"),
        ev(10 * 60, "logged_out", agent="a2"),
        ev(9 * 60, "wrapup", agent="a3"),
        ev(9 * 60 + 30, "logged_out", agent="a3"),
    ]
    r = report(events, spells=spells)
    assert r.teams is not None
    teams = {t.team: t for t in r.teams}
    assert [t.team for t in r.teams] == ["north", "south", None]
    assert (teams["north"].agents, teams["north"].time.logged_in) == (2, 5400.0)
    assert (teams["south"].agents, teams["south"].time.logged_in) == (1, 1800.0)
    assert teams["north"].time.occupancy == 3600 / 5400
    # the break across the move counts once in each team, its minutes where they were spent
    assert [(p.count, p.seconds) for p in teams["north"].pauses] == [(1, 600.0)]
    assert [(p.count, p.seconds) for p in teams["south"].pauses] == [(1, 600.0)]
    assert (teams[None].agents, teams[None].time.wrapup) == (1, 1800.0)
    assert r.total.agents == 3
    assert r.total.time.logged_in == sum(t.time.logged_in for t in r.teams) == 9000.0
    assert [(p.count, p.seconds, p.over_limit) for p in r.total.pauses] == [(1, 1200.0, 1)]


def test_no_history_and_a_range_in_the_future_are_said() -> None:
    r = build_agent_activity(None, RANGE, now=LATER, zone="UTC", pause_codes=DEFAULT_PAUSE_CODES)
    assert (r.agents, r.agent_history) == ((), False)
    assert any("not recorded" in n for n in r.notes)
    r = report([ev(0, "ready")], ReportRange(LATER + timedelta(days=1), None))
    assert r.agents == ()
    assert r.counted_to is None


STATUSES = ["logged_out", "ready", "ringing", "talking", "wrapup", "paused"]
REASONS = [None, "break", "lunch", "login", "supervisor", "restored"]


@settings(max_examples=150, deadline=None)
@given(
    changes=st.lists(
        st.tuples(
            st.sampled_from(["a1", "a2"]),
            st.integers(min_value=-600, max_value=3 * 24 * 60),
            st.sampled_from(STATUSES),
            st.sampled_from(REASONS),
        ),
        max_size=40,
    ),
    now_minutes=st.integers(min_value=0, max_value=4 * 24 * 60),
    zone=st.sampled_from(["UTC", "Asia/Tokyo", "America/New_York", "Asia/Kolkata"]),
)
def test_the_states_sum_to_the_logged_in_time_each_day_and_over_the_range(
    changes: list[tuple[str, int, str, str | None]], now_minutes: int, zone: str
) -> None:
    events = [ev(m, status, reason, agent=agent) for agent, m, status, reason in changes]
    now = DAY + timedelta(minutes=now_minutes)
    r = report(events, now=now, zone=zone, spells=(TeamSpell("a1", "north", None, DAY + timedelta(hours=30)),))
    end = min(RANGE.end or now, now)
    for a in r.agents:
        t = a.time
        assert t.ready + t.talking + t.wrapup + t.paused == pytest.approx(t.logged_in)
        assert 0 < t.logged_in <= (end - (RANGE.start or DAY)).total_seconds()
        assert sum(d.time.logged_in for d in a.days) == pytest.approx(t.logged_in)
        assert sum(p.seconds for p in a.pauses) == pytest.approx(t.paused)
        for d in a.days:
            assert sum((d.time.ready, d.time.talking, d.time.wrapup, d.time.paused)) == pytest.approx(d.time.logged_in)
            assert d.last_out is None or d.first_in <= d.last_out <= end
    assert r.total.time.logged_in == pytest.approx(sum(a.time.logged_in for a in r.agents))
    assert sum(t.time.logged_in for t in r.teams or ()) == pytest.approx(r.total.time.logged_in)
