"""The inbound staffing forecast (dialer.reports.staffing): the weighted forecast, the agents Erlang C gives for it,
DST days in the queue's zone, forecast against actual, the store read on both databases, and `dialer plan inbound`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from harness.agents import QueuePbx
from harness.cli import run
from harness.databases import BOTH_DATABASES, database_spec, migrated, sqlite_spec
from hypothesis import given, settings
from hypothesis import strategies as st
from staffing_history import NOW, QUEUE, WEEK, add_staffing_history
from typer.testing import CliRunner

from dialer.agents.history import AgentHistoryWriter
from dialer.agents.registry import Agent, AgentChange, AgentRegistry, AgentStatus
from dialer.agents.service import AgentService
from dialer.clock import ManualClock
from dialer.i18n import use_locale
from dialer.inbound.calls import InboundOutcome
from dialer.inbound.erlang import agents_required, agents_required_a, erlang_a, service_level, with_shrinkage
from dialer.inbound.figures import ServiceLevelRule
from dialer.reports.common import ReportError
from dialer.reports.output import render
from dialer.reports.staffing import (
    StaffingForecast,
    StaffingQuestion,
    StaffingTarget,
    build_staffing_forecast,
    parse_target,
    planned_week,
    serving_periods,
    slot_spans,
    staffing_forecast,
)
from dialer.runner.learning import HandleKind, handle_times
from dialer.store.agent_history import (
    QUEUES_CHANGED_REASON,
    AgentEventRecord,
    recent_agent_events,
    record_agent_events,
)
from dialer.store.inbound_calls import InboundCallRecord
from dialer.store.reports import AgentEventFact, agent_events

RULE = ServiceLevelRule()
TARGET = StaffingTarget.of(RULE)
LONDON = ZoneInfo("Europe/London")


def _answered(joined: datetime, talk: float = 170.0) -> InboundCallRecord:
    end = joined + timedelta(seconds=5 + talk)
    return InboundCallRecord(None, QUEUE, "", joined, end, InboundOutcome.ANSWERED, 5.0, talk, "PJSIP/1001")


def _calls(start: datetime, count: int, spread: timedelta = timedelta(minutes=30)) -> list[InboundCallRecord]:
    return [_answered(start + spread * i / count) for i in range(count)]


@pytest.mark.parametrize("kind", BOTH_DATABASES)
async def test_the_forecast_weighs_recent_weeks_more_and_sizes_each_half_hour_with_erlang_a_and_c(
    kind: str, tmp_path: Path
) -> None:
    async with database_spec(kind, tmp_path / f"{kind}.db") as spec, migrated(spec) as db:
        await add_staffing_history(db)
        r = await staffing_forecast(db, StaffingQuestion(QUEUE, WEEK + timedelta(days=3), NOW, TARGET, RULE))
    assert r.week == WEEK
    assert [(w.start.isoformat(), w.weight, w.used) for w in r.history] == [
        ("2026-02-23", 4, True),
        ("2026-02-16", 3, True),
        ("2026-02-09", 2, True),
        ("2026-02-02", 1, False),
    ]
    assert r.mean_talk_seconds == 150.0
    assert r.mean_wrap_seconds == 30.0  # a1's care wrap-ups; a2's outbound one is another queue's
    forecast = (4 * 8 + 3 * 7 + 2 * 6) / 9  # every caller offered, short abandons included
    friday_ten = r.cell(WEEK + timedelta(days=4), 20)
    assert friday_ten.label == "10:00"
    assert friday_ten.forecast_offered == pytest.approx(forecast)
    assert friday_ten.handle_seconds == 180.0
    erlangs = forecast * 180.0 / 1800.0
    assert friday_ten.erlangs == pytest.approx(erlangs)
    # every half-hour of the history: 5 answered after 10 s (6 with 8 callers), one abandon after 40 s, the short
    # abandon left out -- 30 half-hours a week, 3 weeks: 8 400 s waited, 90 abandons
    patience = 8400.0 / 90
    assert (r.patience.abandons, r.patience.mean_seconds) == (90, pytest.approx(patience))
    assert r.model == "erlang-a"
    assert "93 s" in r.model_reason
    assert friday_ten.agents_erlang_c == agents_required(erlangs, 180.0, 20.0, 0.80, 0.85) == 2
    assert friday_ten.agents_erlang_a == agents_required_a(erlangs, 180.0, patience, 20.0, 0.80, 0.85) == 2
    assert friday_ten.agents == 2
    assert friday_ten.scheduled == with_shrinkage(2, 0.30) == 3
    expected = erlang_a(erlangs, 2, 180.0, patience, 20.0)
    assert friday_ten.service_level == pytest.approx(expected.service_level)
    assert friday_ten.abandon_rate == pytest.approx(expected.abandoned)
    assert friday_ten.service_level > service_level(erlangs, 2, 180.0, 20.0)  # callers who give up shorten the queue
    assert friday_ten.actual_offered is None
    assert friday_ten.actual_logged_in is None
    assert r.cell(WEEK + timedelta(days=5), 20).forecast_offered == 0.0  # nothing on Saturdays
    assert r.cell(WEEK + timedelta(days=5), 20).scheduled == 0
    assert r.busy_slots() == list(range(18, 24))
    assert any("2026-02-02" in note for note in r.notes)


async def test_forecast_against_actual_for_the_part_of_the_week_that_is_over(tmp_path: Path) -> None:
    async with database_spec("sqlite", tmp_path / "s.db") as spec, migrated(spec) as db:
        await add_staffing_history(db)
        r = await staffing_forecast(db, StaffingQuestion(QUEUE, WEEK, NOW, TARGET, RULE))
    monday_nine, monday_half_past = r.cell(WEEK, 18), r.cell(WEEK, 19)
    assert monday_nine.actual_offered == 10
    # a1 the whole half-hour, a2 from 09:15; a3, signed in to another queue only, is not the queue's agent
    assert monday_nine.actual_logged_in == pytest.approx(1.5)
    assert monday_half_past.actual_logged_in == pytest.approx(2.0)
    assert r.cell(WEEK, 22).actual_logged_in == pytest.approx(1.0)
    assert r.cell(WEEK, 16).actual_offered == 0
    assert r.cell(WEEK, 16).actual_logged_in == 0.0
    wednesday_half_eleven = r.cell(WEEK + timedelta(days=2), 23)  # ends at 12:00, now: over
    assert wednesday_half_eleven.actual_offered == 10
    assert r.cell(WEEK + timedelta(days=2), 24).actual_offered is None  # 12:00-12:30 is not over
    assert r.has_actuals
    text = render(r, "text")
    assert "Offered calls: forecast/actual" in text
    assert "7.2/10" in text


def _in_london(week: date, today: date) -> StaffingQuestion:
    return StaffingQuestion(QUEUE, week, datetime.combine(today, time(), UTC), TARGET, RULE, zone="Europe/London")


def test_dst_days_skip_or_repeat_a_half_hour_and_volumes_stay_a_rate() -> None:
    def local(day: date, hh: int, mm: int, fold: int = 0) -> datetime:
        return datetime(day.year, day.month, day.day, hh, mm, tzinfo=LONDON, fold=fold).astimezone(UTC)

    # London falls back on Sunday 25 October 2026 (02:00 BST -> 01:00 GMT): 01:00-01:30 happens twice.
    sundays = [date(2026, 10, 4), date(2026, 10, 11), date(2026, 10, 18), date(2026, 10, 25)]
    visits: list[InboundCallRecord] = []
    for sunday in sundays:
        visits += _calls(local(sunday, 1, 0), 12)  # 12 callers in each real half-hour from 01:00
    visits += _calls(local(sundays[-1], 1, 0, fold=1), 12)  # ... and in the repeated one
    assert len(slot_spans(sundays[-1], 2, LONDON)) == 2
    week = build_staffing_forecast(_in_london(date(2026, 11, 2), date(2026, 10, 28)), visits, [], None)
    sunday_one = week.cell(date(2026, 11, 8), 2)
    assert sunday_one.forecast_offered == pytest.approx(12.0)  # not (4·24 + ...)/10: the doubled day is a rate of 12
    # Planning the week of the change itself (the history then ends before it): that Sunday's 01:00 lasts an hour.
    ahead = build_staffing_forecast(_in_london(date(2026, 10, 19), date(2026, 10, 14)), visits[:-24], [], None)
    doubled = ahead.cell(date(2026, 10, 25), 2)
    assert doubled.seconds == 3600
    assert doubled.forecast_offered == pytest.approx(24.0)
    assert doubled.agents == sunday_one.agents  # the same rate: the same agents, for an hour
    # Spring forward (Sunday 29 March 2026, 01:00 GMT -> 02:00 BST): 01:00-01:59 never happens, nothing is forecast.
    spring_call = _answered(local(date(2026, 3, 22), 1, 10))
    spring = build_staffing_forecast(_in_london(date(2026, 3, 23), date(2026, 3, 24)), [spring_call], [], None)
    skipped = spring.cell(date(2026, 3, 29), 2)
    assert skipped.seconds == 0
    assert skipped.forecast_offered == 0.0
    assert "01:00" in render(spring, "text")
    assert "01:00" not in render(spring, "csv").split("2026-03-29")[-1][:20]


def test_the_target_week_and_settings_parse_with_clear_errors() -> None:
    assert parse_target("80/20") == (0.80, 20.0)
    assert parse_target(" 90% / 15s ") == (0.90, 15.0)
    for bad in ("80", "100/20", "0/20", "80/20/3", "eighty/20"):
        with pytest.raises(ReportError, match="target"):
            parse_target(bad)
    assert StaffingTarget.of(RULE, "90/30").as_json()["within_seconds"] == 30.0
    with pytest.raises(ReportError, match="shrinkage"):
        StaffingTarget.of(RULE, shrinkage=1.0)
    now = datetime(2026, 3, 4, 23, 30, tzinfo=UTC)
    assert planned_week(None, now, "UTC") == date(2026, 3, 9)
    assert planned_week(None, now, "Asia/Tokyo") == date(2026, 3, 9)  # already Thursday in Tokyo: still next week
    assert planned_week(None, datetime(2026, 3, 8, 16, tzinfo=UTC), "Asia/Tokyo") == date(2026, 3, 16)
    assert planned_week("2026-03-05", now, "UTC") == date(2026, 3, 2)
    with pytest.raises(ReportError, match="YYYY-MM-DD"):
        planned_week("next week", now, "UTC")


def test_no_history_is_said_and_sizes_nobody() -> None:
    r = build_staffing_forecast(StaffingQuestion(QUEUE, WEEK, NOW, TARGET, RULE), [], [], None)
    assert r.busy_slots() == []
    assert r.notes == ("no call in the history's weeks: nothing to forecast",)
    assert "no calls forecast in the week" in render(r, "text")
    assert all(i.scheduled == 0 for i in r.intervals)


@pytest.fixture
async def staffing_db(tmp_path: Path) -> AsyncIterator[str]:
    spec = sqlite_spec(tmp_path / "cli.db")
    async with migrated(spec) as db:
        await add_staffing_history(db)
    return spec.url


def test_dialer_plan_inbound_prints_the_week_grid(staffing_db: str, cli: CliRunner) -> None:
    base = ["plan", "inbound", "--queue", QUEUE, "--week-of", "2026-03-04", "--database", staffing_db]
    code, out, err = run(cli, *base)
    assert code == 0, err
    assert "Agents to schedule" in out
    assert "Mon 03-02" in out
    code, out, err = run(cli, *base, "--json", "--target", "90/15", "--shrinkage", "0.2")
    doc = json.loads(out)
    assert doc["target"] == {"target": 0.9, "within_seconds": 15.0, "max_occupancy": 0.85, "shrinkage": 0.2}
    assert doc["intervals"][18]["actual_offered"] == 10  # the week is over by now: forecast against actual
    code, out, err = run(cli, *base, "--json", "--model", "erlang-c")
    assert (json.loads(out)["model"], json.loads(out)["model_reason"]) == ("erlang-c", "Erlang C asked for")
    code, out, err = run(cli, *base, "--json")
    assert json.loads(out)["model"] == "erlang-a"  # 90 abandons in the history: the patience is known
    code, out, err = run(cli, *base, "--model", "erlang-b")
    assert code == 1
    assert "erlang-a or erlang-c" in err
    code, out, err = run(cli, *base, "--csv")
    assert out.splitlines()[0].startswith("day,interval,forecast offered")
    code, out, err = run(cli, "plan", "inbound", "--queue", "nope", "--database", staffing_db)
    assert code == 1
    assert "no inbound queue nope" in err
    code, out, err = run(cli, *base, "--target", "80")
    assert code == 1
    assert "percent/seconds" in err
    code, out, err = run(cli, "plan")
    assert code == 2
    assert "--campaign" in err


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=40), min_size=4, max_size=4), st.integers(min_value=0, max_value=3))
def test_the_forecast_is_the_weighted_mean_of_the_weeks_and_more_calls_never_need_fewer_agents(
    counts: list[int], busier: int
) -> None:
    # Four history weeks (oldest first), each with `counts[k]` callers on Monday 09:00-09:30 and one at Tuesday 03:00
    # (so every week has data and counts, a zero too).
    mondays = [date(2026, 2, 2) + timedelta(weeks=k) for k in range(4)]

    def history(counts: list[int]) -> list[InboundCallRecord]:
        visits: list[InboundCallRecord] = []
        for monday, count in zip(mondays, counts, strict=True):
            visits += _calls(datetime.combine(monday, time(9), UTC), count)
            visits.append(_answered(datetime.combine(monday + timedelta(days=1), time(3), UTC)))
        return visits

    question = StaffingQuestion(QUEUE, WEEK, NOW, TARGET, RULE)
    cell = build_staffing_forecast(question, history(counts), [], None).cell(WEEK, 18)
    assert cell.forecast_offered == pytest.approx(sum((k + 1) * c for k, c in enumerate(counts)) / 10)
    assert min(counts) - 1e-9 <= cell.forecast_offered <= max(counts) + 1e-9
    more = [c + 5 if k == busier else c for k, c in enumerate(counts)]
    busier_cell = build_staffing_forecast(question, history(more), [], None).cell(WEEK, 18)
    assert busier_cell.forecast_offered > cell.forecast_offered
    assert (busier_cell.agents or 0) >= (cell.agents or 0)


def _abandoned(joined: datetime, wait: float) -> InboundCallRecord:
    end = joined + timedelta(seconds=wait)
    return InboundCallRecord(None, QUEUE, "", joined, end, InboundOutcome.ABANDONED, wait)


def _with_abandons(abandons: int) -> list[InboundCallRecord]:
    """A history week (23 February) of 60 answered callers on Monday 09:00 (5 s each) and ``abandons`` who gave up
    after 30 s (and one short abandon: not a sign of patience)."""
    nine = datetime(2026, 2, 23, 9, tzinfo=UTC)
    visits = _calls(nine, 60)
    visits += [_abandoned(nine + timedelta(seconds=10 * i), 30.0) for i in range(abandons)]
    return [*visits, _abandoned(nine, 2.0)]


def test_erlang_a_when_the_patience_is_known_soundly_else_erlang_c_and_the_output_says_why() -> None:
    def forecast(abandons: int, model: str | None = None) -> StaffingForecast:
        return build_staffing_forecast(
            StaffingQuestion(QUEUE, WEEK, NOW, TARGET, RULE, model=model), _with_abandons(abandons), [], None
        )

    sound = forecast(20)  # 60·5 + 20·30 = 900 s waited over 20 abandons: 45 s
    assert (sound.model, sound.patience.mean_seconds, sound.patience.abandons) == ("erlang-a", 45.0, 20)
    assert sound.model_reason == "mean patience 45 s, estimated from 20 abandons"
    monday_nine = sound.cell(WEEK, 18)
    assert monday_nine.agents == monday_nine.agents_erlang_a
    assert monday_nine.agents_erlang_c is not None
    assert monday_nine.agents_erlang_a is not None
    assert monday_nine.agents_erlang_a <= monday_nine.agents_erlang_c
    assert monday_nine.abandon_rate is not None
    assert 0 < monday_nine.abandon_rate < 1
    assert "agents sized with Erlang A: mean patience 45 s" in render(sound, "text")

    rough = forecast(19)
    assert rough.model == "erlang-c"
    assert rough.model_reason.endswith("fewer than 20, too few to rely on")
    assert rough.cell(WEEK, 18).agents == rough.cell(WEEK, 18).agents_erlang_c
    assert rough.cell(WEEK, 18).agents_erlang_a is not None  # still shown
    assert rough.cell(WEEK, 18).abandon_rate is None
    assert "Expected abandon rate" not in render(rough, "text")
    asked = forecast(19, "erlang-a")
    assert asked.model == "erlang-a"
    assert "asked for" in asked.model_reason
    none = forecast(0, "erlang-a")
    assert none.model == "erlang-c"
    assert none.model_reason == "no caller gave up waiting in the history: the patience cannot be estimated"
    assert none.cell(WEEK, 18).agents_erlang_a is None
    told = forecast(20, "erlang-c")
    assert (told.model, told.model_reason) == ("erlang-c", "Erlang C asked for")
    assert told.cell(WEEK, 18).agents == told.cell(WEEK, 18).agents_erlang_c
    with pytest.raises(ReportError, match="erlang-a or erlang-c"):
        StaffingQuestion(QUEUE, WEEK, NOW, TARGET, RULE, model="erlang-b")


def test_a_holiday_in_the_history_is_left_out_and_one_in_the_planned_week_is_marked() -> None:
    # In London: Good Friday (3 April 2026) and Easter Monday (6 April) are bank holidays. Plan the week of 13
    # April: its history is the weeks of 16, 23, 30 March and 6 April (weights 1 .. 4), 10 callers each Monday and
    # Friday at 09:00 but 2 on the holidays (the centre ran a skeleton service).
    def local(day: date) -> datetime:
        return datetime.combine(day, time(9), LONDON).astimezone(UTC)

    visits: list[InboundCallRecord] = []
    for monday in (date(2026, 3, 16), date(2026, 3, 23), date(2026, 3, 30), date(2026, 4, 6)):
        for day in (monday, monday + timedelta(days=4)):
            visits += _calls(local(day), 2 if day in (date(2026, 4, 3), date(2026, 4, 6)) else 10)
    now = datetime(2026, 4, 13, 8, tzinfo=UTC)
    question = StaffingQuestion(QUEUE, date(2026, 4, 13), now, TARGET, RULE, zone="Europe/London")
    r = build_staffing_forecast(question, visits, [], None)
    assert r.cell(date(2026, 4, 13), 18).forecast_offered == pytest.approx(10.0)  # 6 April's weight 4 to the others
    assert r.cell(date(2026, 4, 17), 18).forecast_offered == pytest.approx(10.0)  # 3 April's weight 3 likewise
    # the UK regime keeps every nation's bank holidays (the zone does not tell the nation): St Patrick's Day too
    assert r.history_holidays == (
        (date(2026, 3, 17), "Saint Patrick's Day"),
        (date(2026, 4, 3), "Good Friday"),
        (date(2026, 4, 6), "Easter Monday"),
    )
    assert any(
        n.startswith("history days left out (public holiday): 2026-03-17 (Saint Patrick's Day)") for n in r.notes
    )
    assert r.holidays == ()

    easter = build_staffing_forecast(
        StaffingQuestion(QUEUE, date(2026, 4, 6), now - timedelta(weeks=2), TARGET, RULE, zone="Europe/London"),
        visits,
        [],
        None,
    )
    assert easter.holidays == ((date(2026, 4, 6), "Easter Monday"),)
    assert easter.holiday(date(2026, 4, 6)) == "Easter Monday"
    text = render(easter, "text")
    assert "Mon 04-06 (holiday)" in text
    assert "public holidays this week (forecast as ordinary days): 2026-04-06 Easter Monday" in text
    assert "Mon 04-06 (holiday)" in render(easter, "html")
    rows = render(easter, "csv").splitlines()
    assert rows[0].endswith(",holiday")
    assert any(row.startswith("2026-04-06,") and row.endswith(",Easter Monday") for row in rows)
    assert not any(row.startswith("2026-04-07,") and row.endswith("Monday") for row in rows)
    doc = easter.as_json()
    assert doc["holidays"] == [{"day": "2026-04-06", "name": "Easter Monday"}]
    assert doc["intervals"][0]["holiday"] == "Easter Monday"
    assert doc["intervals"][48]["holiday"] is None


def test_a_weekday_that_was_a_holiday_in_every_history_week_keeps_its_calls() -> None:
    # One week of history (6 April 2026, Easter Monday in London): leaving the holiday out would leave Monday with no
    # history at all and forecast no call; it is kept, and the notes say so.
    visits = _calls(datetime.combine(date(2026, 4, 6), time(9), LONDON).astimezone(UTC), 4)
    now = datetime(2026, 4, 13, 8, tzinfo=UTC)
    question = StaffingQuestion(QUEUE, date(2026, 4, 13), now, TARGET, RULE, weeks=1, zone="Europe/London")
    r = build_staffing_forecast(question, visits, [], None)
    assert r.cell(date(2026, 4, 13), 18).forecast_offered == pytest.approx(4.0)
    assert r.history_holidays == ()
    assert (
        "history days kept although public holidays (their weekday was one in every week): 2026-04-06 (Easter Monday)"
        in r.notes
    )


@pytest.mark.parametrize("kind", BOTH_DATABASES)
async def test_the_agents_logged_in_are_those_signed_in_to_the_queue(kind: str, tmp_path: Path) -> None:
    # The daemon records each agent's queues with every state change; rows written before that (queues NULL) count
    # the agent whatever their queues, and the notes say so.
    clock = ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC).timestamp())
    async with database_spec(kind, tmp_path / f"{kind}.db") as spec, migrated(spec) as db:
        writer = AgentHistoryWriter(db, clock)
        signed = Agent("ann", "PJSIP/1001", "Ann", queues=frozenset({QUEUE, "sales"}), status=AgentStatus.READY)
        writer.on_change(AgentChange("ann", AgentStatus.LOGGED_OUT, AgentStatus.READY, clock.now(), "login"), signed)
        writer.on_change(
            AgentChange("bob", AgentStatus.LOGGED_OUT, AgentStatus.READY, clock.now() + 60, "login"),
            Agent("bob", "PJSIP/1002", "Bob", queues=frozenset({"sales"}), status=AgentStatus.READY),
        )
        await writer.flush()
        await record_agent_events(db, [AgentEventRecord("cy", datetime(2026, 3, 2, 9, tzinfo=UTC), "ready", None)])
        events = await agent_events(db, datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 3, tzinfo=UTC))
    assert events is not None
    assert {e.agent: e.queues for e in events} == {"ann": (QUEUE, "sales"), "bob": ("sales",), "cy": None}
    r = build_staffing_forecast(StaffingQuestion(QUEUE, WEEK, NOW, TARGET, RULE), [], [], events)
    assert r.cell(WEEK, 18).actual_logged_in == pytest.approx(2.0)  # ann and cy (not known: counted); not bob
    assert any("do not say which queues" in n for n in r.notes)
    nine = datetime(2026, 3, 2, 9, tzinfo=UTC)
    changes = [
        AgentEventFact("ann", nine, "ready", None, (QUEUE,)),
        AgentEventFact("ann", nine + timedelta(minutes=10), "paused", "lunch", ("sales",)),  # moved to sales
        AgentEventFact("ann", nine + timedelta(minutes=20), "ready", None, (QUEUE, "sales")),
        AgentEventFact("ann", nine + timedelta(minutes=30), "logged_out", None, ()),
        AgentEventFact("ann", nine + timedelta(minutes=40), "ready", None, (QUEUE,)),
    ]
    assert serving_periods(changes, QUEUE) == (
        [
            (nine, nine + timedelta(minutes=10)),
            (nine + timedelta(minutes=20), nine + timedelta(minutes=30)),
            (nine + timedelta(minutes=40), None),
        ],
        False,
    )


@pytest.mark.parametrize("kind", BOTH_DATABASES)
async def test_a_change_of_queues_while_signed_in_counts_from_that_moment(kind: str, tmp_path: Path) -> None:
    # ann is ready in "sales" from 09:00, joins the planned queue at 09:10 and leaves it at 09:25 while paused,
    # taking no call: she counts for the queue from 09:10 to 09:25, her time in state runs on.
    nine = datetime(2026, 3, 2, 9, tzinfo=UTC)
    clock = ManualClock(nine.timestamp())
    async with database_spec(kind, tmp_path / f"{kind}.db") as spec, migrated(spec) as db:
        service = AgentService(AgentRegistry(), QueuePbx(), clock.now)
        service.start()
        writer = AgentHistoryWriter(db, clock)
        service.add_listener(writer.on_change)
        service.add_queues_listener(writer.on_queues)
        service.register("ann", "PJSIP/1001")
        await service.login("ann", ["sales"])
        await service.ready("ann")
        await clock.advance(600)
        await service.login("ann", ["sales", QUEUE])
        await clock.advance(300)
        await service.pause("ann", "lunch")
        await clock.advance(600)
        ann = await service.login("ann", ["sales"])
        assert (ann.status, ann.since) == (AgentStatus.PAUSED, (nine + timedelta(minutes=15)).timestamp())
        await service.stop()
        await writer.flush()
        events = await agent_events(db, nine, nine + timedelta(hours=1), agents=["ann"])
        # bob changes queues in the wrap-up of a call of the queue: that wrap-up is still one, 60 s long.
        at = [nine + timedelta(seconds=s) for s in (0, 30, 50, 90)]
        await record_agent_events(
            db,
            [
                AgentEventRecord("bob", at[0], "talking", "ready", queue=QUEUE, queues=(QUEUE,)),
                AgentEventRecord("bob", at[1], "wrapup", "talking", queue=QUEUE, queues=(QUEUE,)),
                AgentEventRecord("bob", at[2], "wrapup", "wrapup", QUEUES_CHANGED_REASON, queues=(QUEUE, "sales")),
                AgentEventRecord("bob", at[3], "ready", "wrapup", queues=(QUEUE, "sales")),
            ],
        )
        learnt_from = await recent_agent_events(db, QUEUE, nine, 100)
    assert events is not None
    assert [(e.at, e.status, e.reason, e.queues) for e in events] == [
        (nine, "paused", "login", ("sales",)),
        (nine, "ready", "ready", ("sales",)),
        (nine + timedelta(minutes=10), "ready", QUEUES_CHANGED_REASON, (QUEUE, "sales")),
        (nine + timedelta(minutes=15), "paused", "lunch", (QUEUE, "sales")),
        (nine + timedelta(minutes=25), "paused", "lunch", ("sales",)),  # the pause reads as one
    ]
    assert serving_periods(events, QUEUE) == (
        [(nine + timedelta(minutes=10), nine + timedelta(minutes=25))],
        False,
    )
    r = build_staffing_forecast(StaffingQuestion(QUEUE, WEEK, NOW, TARGET, RULE), [], [], events)
    assert r.cell(WEEK, 18).actual_logged_in == pytest.approx(0.5)  # 15 of the half-hour's 30 minutes
    assert [e.status for e in learnt_from] == ["talking", "wrapup", "ready"]  # ann took no call of the queue
    assert list(handle_times(QUEUE, learnt_from)) == [("bob", HandleKind.TALK, 30.0), ("bob", HandleKind.WRAP, 60.0)]


async def test_the_forecast_computed_off_the_loop_speaks_the_readers_language(tmp_path: Path) -> None:
    # Erlang A runs in a thread (not on the event loop): the thread keeps the reader's language.
    async with database_spec("sqlite", tmp_path / "ja.db") as spec, migrated(spec) as db:
        await add_staffing_history(db)
        with use_locale("ja"):
            r = await staffing_forecast(db, StaffingQuestion(QUEUE, WEEK, NOW, TARGET, RULE))
    assert r.model_reason == "平均待ち許容時間 93 秒（90 件の放棄から推定）"
