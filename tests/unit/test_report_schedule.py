"""Report schedules, pure (dialer.reports.schedule): when a schedule runs next (daily, weekly, monthly, in its zone
across DST changes and month ends), which period a run reports on, what a send's outcome leaves, and what a schedule
refuses. The clock is passed in."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from dialer.reports.schedule import (
    ReportSchedule,
    ReportScheduleError,
    after_send,
    parse_at,
    parse_weekday,
    retry_delay,
    valid_address,
)

PARIS = "Europe/Paris"
NEW_YORK = "America/New_York"


def schedule(**changes: object) -> ReportSchedule:
    values: dict[str, object] = {
        "report": "compliance",
        "target": "demo",
        "formats": ("csv",),
        "period": "yesterday",
        "cadence": "daily",
        "at": time(7, 0),
        "recipients": ("manager@example.com",),
        "zone": PARIS,
    }
    values.update(changes)
    return ReportSchedule(**values)  # type: ignore[arg-type]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_daily_runs_at_the_local_time_in_winter_and_in_summer() -> None:
    daily = schedule()
    assert daily.next_run(utc(2026, 1, 10, 5, 0)) == utc(2026, 1, 10, 6, 0)  # 07:00 CET
    assert daily.next_run(utc(2026, 1, 10, 6, 0)) == utc(2026, 1, 11, 6, 0)  # strictly after
    assert daily.next_run(utc(2026, 7, 10, 4, 0)) == utc(2026, 7, 10, 5, 0)  # 07:00 CEST


def test_daily_across_the_spring_and_autumn_changes() -> None:
    daily = schedule()
    # Paris moves to summer time on 29 March 2026 at 02:00: 07:00 that day is 05:00 UTC.
    assert daily.next_run(utc(2026, 3, 28, 6, 0)) == utc(2026, 3, 29, 5, 0)
    # ... and back on 25 October 2026: 07:00 is 06:00 UTC again.
    assert daily.next_run(utc(2026, 10, 24, 5, 0)) == utc(2026, 10, 25, 6, 0)


def test_a_time_the_spring_gap_skips_runs_later_that_day_and_a_repeated_one_once() -> None:
    at_0230 = schedule(at=time(2, 30), zone=NEW_YORK)
    # New York skips 02:00-03:00 on 8 March 2026: 02:30 is read as 03:30 EDT (07:30 UTC), once.
    first = at_0230.next_run(utc(2026, 3, 8, 0, 0))
    assert first == utc(2026, 3, 8, 7, 30)
    assert at_0230.next_run(first) == utc(2026, 3, 9, 6, 30)  # 02:30 EDT the next day
    at_0130 = schedule(at=time(1, 30), zone=NEW_YORK)
    # 1 November 2026 repeats 01:00-02:00: the first 01:30 (EDT, 05:30 UTC), not again at 06:30 UTC.
    first = at_0130.next_run(utc(2026, 11, 1, 0, 0))
    assert first == utc(2026, 11, 1, 5, 30)
    assert at_0130.next_run(first) == utc(2026, 11, 2, 6, 30)


def test_weekly_runs_on_its_weekday() -> None:
    monday = schedule(cadence="weekly", weekday=0, at=time(8, 15), zone="UTC")
    # 10 January 2026 is a Saturday.
    assert monday.next_run(utc(2026, 1, 10, 12, 0)) == utc(2026, 1, 12, 8, 15)
    assert monday.next_run(utc(2026, 1, 12, 8, 15)) == utc(2026, 1, 19, 8, 15)
    paris_monday = schedule(cadence="weekly", weekday=0)  # 07:00 in Paris, the week summer time starts
    assert paris_monday.next_run(utc(2026, 3, 23, 6, 0)) == utc(2026, 3, 30, 5, 0)


def test_monthly_on_a_day_some_months_lack_runs_on_their_last_day() -> None:
    the_31st = schedule(cadence="monthly", day=31, zone="UTC", period="last_month")
    assert the_31st.next_run(utc(2026, 1, 31, 8, 0)) == utc(2026, 2, 28, 7, 0)
    assert the_31st.next_run(utc(2026, 2, 28, 7, 0)) == utc(2026, 3, 31, 7, 0)
    assert the_31st.next_run(utc(2028, 2, 1, 0, 0)) == utc(2028, 2, 29, 7, 0)  # leap year
    first = schedule(cadence="monthly", day=1, zone="Asia/Tokyo")
    assert first.next_run(utc(2026, 12, 15, 0, 0)) == utc(2026, 12, 31, 22, 0)  # 1 January 07:00 JST


def test_the_period_is_the_local_day_week_or_month_before_the_slot() -> None:
    slot = utc(2026, 3, 30, 5, 0)  # 07:00 in Paris, the day after the spring change
    assert schedule().period_of(slot) == (utc(2026, 3, 28, 23, 0), utc(2026, 3, 29, 22, 0))  # a 23-hour day
    assert schedule(period="last_7_days").period_of(slot) == (utc(2026, 3, 22, 23, 0), utc(2026, 3, 29, 22, 0))
    autumn = utc(2026, 10, 26, 6, 0)  # the day after Paris goes back to winter time: a 25-hour yesterday
    assert schedule().period_of(autumn) == (utc(2026, 10, 24, 22, 0), utc(2026, 10, 25, 23, 0))
    monthly = schedule(period="last_month", cadence="monthly", day=1)
    assert monthly.period_of(utc(2026, 3, 1, 6, 0)) == (utc(2026, 1, 31, 23, 0), utc(2026, 2, 28, 23, 0))
    assert monthly.period_of(utc(2026, 1, 1, 6, 0)) == (utc(2025, 11, 30, 23, 0), utc(2025, 12, 31, 23, 0))


def test_a_failed_send_is_retried_for_the_same_slot_then_failed_and_the_schedule_moves_on() -> None:
    daily = schedule(zone="UTC")
    slot = utc(2026, 5, 4, 7, 0)
    delays = (timedelta(minutes=1), timedelta(minutes=4))
    now = slot
    first = after_send(daily, slot, 0, sent=False, now=now, delays=delays)
    assert (first.status, first.next_run_at, first.slot_at, first.failures) == (
        "retrying",
        now + timedelta(minutes=1),
        slot,
        1,
    )
    second = after_send(daily, slot, 1, sent=False, now=first.next_run_at, delays=delays)
    assert (second.status, second.slot_at, second.failures) == ("retrying", slot, 2)
    assert second.next_run_at == first.next_run_at + timedelta(minutes=4)
    last = after_send(daily, slot, 2, sent=False, now=second.next_run_at, delays=delays)
    assert (last.status, last.next_run_at, last.slot_at, last.failures) == (
        "failed",
        utc(2026, 5, 5, 7, 0),
        utc(2026, 5, 5, 7, 0),
        0,
    )
    ok = after_send(daily, slot, 1, sent=True, now=first.next_run_at, delays=delays)
    assert (ok.status, ok.next_run_at, ok.failures) == ("ok", utc(2026, 5, 5, 7, 0), 0)


def test_a_partial_send_is_retried_for_the_same_slot_and_stays_partial_after_the_last_try() -> None:
    daily = schedule(zone="UTC")
    slot = utc(2026, 5, 4, 7, 0)
    delays = (timedelta(minutes=1),)
    first = after_send(daily, slot, 0, sent=True, partial=True, now=slot, delays=delays)
    assert (first.status, first.next_run_at, first.slot_at, first.failures) == (
        "partial",
        slot + timedelta(minutes=1),
        slot,
        1,
    )
    last = after_send(daily, slot, 1, sent=True, partial=True, now=first.next_run_at, delays=delays)
    assert (last.status, last.slot_at, last.failures) == ("partial", utc(2026, 5, 5, 7, 0), 0)


def test_a_daemon_down_for_days_sends_one_catch_up_run() -> None:
    daily = schedule(zone="UTC")
    late = after_send(daily, utc(2026, 5, 1, 7, 0), 0, sent=True, now=utc(2026, 5, 4, 9, 0))
    assert late.next_run_at == utc(2026, 5, 5, 7, 0)


def test_retry_delays_are_bounded() -> None:
    assert retry_delay(1) == timedelta(minutes=1)
    assert retry_delay(4) is None
    with pytest.raises(ValueError, match="counts from 1"):
        retry_delay(0)


@pytest.mark.parametrize(
    "bad",
    [
        {"recipients": ("not an address",)},
        {"recipients": ("a@b",)},
        {"recipients": ("Boss <boss@example.com>",)},
        {"recipients": ("x@example.com", "X@example.com")},
        {"recipients": ()},
        {"target": None},
        {"formats": ("csv", "csv")},
        {"formats": ("pdf",)},
        {"formats": (), "html_body": False},
        {"cadence": "weekly"},
        {"cadence": "monthly", "day": 32},
        {"weekday": 2},
        {"zone": "Mars/Olympus"},
        {"language": "fr"},
        {"report": "calls"},
        {"period": "tomorrow"},
    ],
)
def test_a_schedule_refuses_what_it_cannot_keep(bad: dict[str, object]) -> None:
    with pytest.raises(ReportScheduleError):
        schedule(**bad)


def test_inputs_are_read_and_the_document_round_trips() -> None:
    assert parse_at("7:05") == time(7, 5)
    assert parse_weekday("Friday") == 4
    assert valid_address(" a.b+c@mail.example.co.jp ") == "a.b+c@mail.example.co.jp"
    for bad in ("24:00", "7h", "07:60"):
        with pytest.raises(ReportScheduleError):
            parse_at(bad)
    inbound = schedule(report="inbound", target=None, cadence="weekly", weekday=6, language="zh_TW", html_body=True)
    assert inbound.language == "zh-Hant"
    assert ReportSchedule.from_document(inbound.document()) == inbound
