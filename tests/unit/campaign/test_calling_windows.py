"""Calling windows: local time per zone with zoneinfo, every candidate zone, DST gaps and overlaps."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

import pytest
from harness.rules import assert_first_open_everywhere, in_local_hours, instants_near, weekly_windows
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.campaign.windows import DailyHours, WeeklyWindow, WindowError

DAYTIME = WeeklyWindow.every_day("08:00-21:00")
CANADA = WeeklyWindow.from_mapping({"weekdays": "09:00-21:30", "weekend": "10:00-18:00"})


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("instant", "zone", "is_open"),
    [
        (utc(2026, 7, 1, 12, 0), "America/New_York", True),  # 08:00 EDT: start is inclusive
        (utc(2026, 1, 7, 12, 0), "America/New_York", False),  # 07:00 EST: same UTC hour, winter offset
        (utc(2026, 7, 2, 0, 59), "America/New_York", True),  # 20:59 EDT
        (utc(2026, 7, 2, 1, 0), "America/New_York", False),  # 21:00 EDT: end is exclusive
        (utc(2026, 7, 1, 18, 0), "Pacific/Honolulu", True),  # 08:00 HST
        (utc(2026, 7, 1, 17, 59), "Pacific/Honolulu", False),
        (utc(2026, 7, 1, 2, 30), "Asia/Kolkata", True),  # 08:00 IST (+05:30)
        (utc(2026, 7, 1, 2, 29), "Asia/Kolkata", False),
        (utc(2026, 1, 7, 19, 0), "Pacific/Auckland", True),  # 08:00 NZDT (+13)
        (utc(2026, 7, 1, 19, 0), "Pacific/Auckland", False),  # 07:00 NZST (+12)
    ],
)
def test_open_in_local_time(instant: datetime, zone: str, is_open: bool) -> None:
    assert DAYTIME.is_open_in(instant, zone) is is_open


def test_weekday_specific_windows_canada() -> None:
    # Saturday 2026-07-04 18:30 in Toronto: weekend hours end at 18:00.
    sat = datetime(2026, 7, 4, 18, 30, tzinfo=ZoneInfo("America/Toronto"))
    assert not CANADA.is_open_in(sat, "America/Toronto")
    # Friday 21:15 is inside the weekday 21:30 limit.
    fri = datetime(2026, 7, 3, 21, 15, tzinfo=ZoneInfo("America/Toronto"))
    assert CANADA.is_open_in(fri, "America/Toronto")
    # It is still Friday in Vancouver when it is Saturday in UTC.
    assert CANADA.is_open_in(utc(2026, 7, 4, 4, 0), "America/Vancouver")  # Fri 21:00 PDT


def test_every_candidate_zone_must_be_open() -> None:
    zones = ["America/Los_Angeles", "America/New_York"]
    at = utc(2026, 7, 1, 14, 0)  # 10:00 New York, 07:00 Los Angeles
    assert not DAYTIME.is_open_everywhere(at, zones)
    assert DAYTIME.closed_zones(at, zones) == ["America/Los_Angeles"]
    assert DAYTIME.next_open(at, zones) == utc(2026, 7, 1, 15, 0)  # 08:00 in Los Angeles
    assert DAYTIME.closes_at(utc(2026, 7, 1, 16, 0), zones) == utc(2026, 7, 2, 1, 0)  # 21:00 New York
    assert not DAYTIME.is_open_everywhere(at, [])
    assert DAYTIME.next_open(at, []) is None


def test_zones_that_never_overlap() -> None:
    narrow = WeeklyWindow.every_day("09:00-12:00")
    assert narrow.next_open(utc(2026, 7, 1), ["America/New_York", "Asia/Tokyo"]) is None


def test_spring_forward_gap_opens_at_the_transition() -> None:
    # New York 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00 UTC). A 02:30 start opens at the jump.
    early = WeeklyWindow.every_day("02:30-21:00")
    start = utc(2026, 3, 8, 5, 0)  # 00:00 EST
    opened = early.next_open(start, ["America/New_York"])
    assert opened == utc(2026, 3, 8, 7, 0)
    assert early.is_open_in(opened, "America/New_York")
    assert not early.is_open_in(opened - timedelta(seconds=1), "America/New_York")


def test_fall_back_overlap_opens_at_the_first_occurrence() -> None:
    # New York 2026-11-01: 01:00-02:00 happens twice (EDT then EST). 01:30 first occurs at 05:30 UTC.
    early = WeeklyWindow.every_day("01:30-21:00")
    assert early.next_open(utc(2026, 11, 1, 4, 0), ["America/New_York"]) == utc(2026, 11, 1, 5, 30)


def test_dst_shifts_the_utc_opening() -> None:
    london = ["Europe/London"]
    assert DAYTIME.next_open(utc(2026, 3, 28, 0, 0), london) == utc(2026, 3, 28, 8, 0)  # GMT
    assert DAYTIME.next_open(utc(2026, 3, 29, 0, 0), london) == utc(2026, 3, 29, 7, 0)  # BST from 01:00 UTC
    sydney = ["Australia/Sydney"]
    assert DAYTIME.next_open(utc(2026, 4, 4, 20, 0), sydney) == utc(2026, 4, 4, 22, 0)  # AEST from Apr 5
    assert DAYTIME.next_open(utc(2026, 10, 3, 20, 0), sydney) == utc(2026, 10, 3, 21, 0)  # AEDT from Oct 4


def test_hours_parsing() -> None:
    assert DailyHours.parse("8:00-24:00") == DailyHours(time(8), None)
    for bad in ("21:00-08:00", "8-21", "25:00-26:00", "08:00-08:00"):
        with pytest.raises(WindowError):
            DailyHours.parse(bad)
    with pytest.raises(WindowError, match="unknown day"):
        WeeklyWindow.from_mapping({"funday": "08:00-21:00"})


def test_within_reports_the_offending_days() -> None:
    wide = WeeklyWindow.from_mapping({"default": "09:00-21:00", "sat": "09:00-20:00"})
    assert wide.within(CANADA) == ["sat", "sun"]


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        DAYTIME.is_open_in(datetime(2026, 7, 1, 12), "UTC")


# -- properties -----------------------------------------------------------------------------------------------

TRANSITIONS = [
    utc(2026, 3, 8, 7, 0),  # New York spring forward
    utc(2026, 11, 1, 6, 0),  # New York fall back
    utc(2026, 3, 29, 1, 0),  # London spring forward
    utc(2026, 10, 25, 1, 0),  # London fall back
    utc(2026, 4, 4, 16, 0),  # Sydney fall back
    utc(2026, 10, 3, 16, 0),  # Sydney spring forward
]
ZONES = [
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",
    "America/Los_Angeles",
    "Pacific/Honolulu",
    "Asia/Kolkata",
    "America/St_Johns",
    "Australia/Lord_Howe",
]

instants = instants_near(TRANSITIONS, 2880, 2880)
windows = weekly_windows(DAYTIME, CANADA)
zone_sets = st.lists(st.sampled_from(ZONES), min_size=1, max_size=3, unique=True)


@settings(max_examples=300, deadline=None)
@given(window=windows, now=instants, zones=zone_sets)
def test_next_open_is_open_everywhere_and_nothing_earlier_is(
    window: WeeklyWindow, now: datetime, zones: list[str]
) -> None:
    opened = window.next_open(now, zones)
    assert_first_open_everywhere(opened, now, zones, partial(in_local_hours, window))


@settings(max_examples=300, deadline=None)
@given(window=windows, now=instants, zones=zone_sets)
def test_open_everywhere_matches_the_local_clock(window: WeeklyWindow, now: datetime, zones: list[str]) -> None:
    assert window.is_open_everywhere(now, zones) == all(in_local_hours(window, now, z) for z in zones)


def test_a_window_opening_inside_the_hour_a_clock_repeats_opens_again_when_it_comes_back() -> None:
    """Sydney sets its clock back from 03:00 to 02:00 on 5 April 2026: a window opening at 02:30 is open at 02:30
    summer time (15:30 UTC), shut at 02:00 winter time, open again at 02:30 winter time (16:30 UTC): found the
    same day, not the next (found once a horizon long enough reached such a day, by the property above)."""
    window = WeeklyWindow.every_day("02:30-12:30")
    shut_again = datetime(2026, 4, 4, 16, 0, tzinfo=UTC)  # 02:00 AEST, the hour repeated
    assert window.next_open_in(shut_again, "Australia/Sydney") == datetime(2026, 4, 4, 16, 30, tzinfo=UTC)
    zones = ["Europe/London", "Australia/Lord_Howe", "Australia/Sydney"]
    assert window.next_open(datetime(2026, 3, 8, 7, 0, tzinfo=UTC), zones) == datetime(2026, 4, 5, 1, 30, tzinfo=UTC)
