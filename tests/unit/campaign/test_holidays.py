"""Public holidays and closed dates: no call on them, read in the called party's local date in every candidate zone
(Thanksgiving in New York, 元日 in Tokyo, 春节 in Shanghai, a company's closed date, zones on either side of the date
line); the settings and the regimes' defaults; and next_open's promises as properties."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import holidays as holiday_data
import pytest
from harness.campaign import (
    cn_campaign_data,
    jp_campaign_data,
    minimal_campaign,
    minimal_campaign_data,
    refused_campaign,
)
from harness.rules import assert_first_open_everywhere, in_local_hours, instants_near, rules_campaign, weekly_windows
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.callcontrol.compliance import NumberRefused, check_rules
from dialer.campaign.config import CampaignConfig, load_campaign
from dialer.campaign.holiday_calendar import ClosedDays, ClosureKind, country_of_zone
from dialer.campaign.rules import LeadSnapshot, LeadStatus, NotDialableReason, dialability, next_dialable_at
from dialer.campaign.toml_file import campaign_toml
from dialer.campaign.windows import WeeklyWindow
from dialer.runner.state import WhyNotDialing


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


JP = load_campaign(jp_campaign_data())
CN = load_campaign(cn_campaign_data())
US = rules_campaign("us")
US_CLOSED = rules_campaign("closed", closed_dates=["2026-12-24"])
US_OFF = rules_campaign("off", holidays=False)


def lead(phone: str, *zones: str, **changes: Any) -> LeadSnapshot:
    base = LeadSnapshot(
        id=1,
        campaign="c",
        phone=phone,
        tz_candidates=zones,
        consent_source="web form",
        consent_at=utc(2026, 1, 1),
    )
    return replace(base, **changes)


NY = lead("+12125550123", "America/New_York")
TOKYO = lead("+81312345678", "Asia/Tokyo")
SHANGHAI = lead("+862165529988", "Asia/Shanghai")


# -- the verdicts -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("campaign", "snapshot", "now", "reason", "names", "opens"),
    [
        # Thursday 26 Nov 2026, 11:00 EST: Thanksgiving in New York; Friday 08:00 EST opens.
        (US, NY, utc(2026, 11, 26, 16), NotDialableReason.HOLIDAY, "Thanksgiving Day", utc(2026, 11, 27, 13)),
        # The same instant, holidays off: dialable.
        (US_OFF, NY, utc(2026, 11, 26, 16), None, "", utc(2026, 11, 26, 16)),
        # Friday 1 Jan 2027, 10:00 JST: 元日 in Tokyo; Saturday 2 Jan 09:00 JST opens (no holiday in JP).
        (JP, TOKYO, utc(2027, 1, 1, 1), NotDialableReason.HOLIDAY, "元日", utc(2027, 1, 2, 0)),
        # Saturday 6 Feb 2027, 10:00 CST: 春节; the holiday and its days off run to Wed 10 Feb; Thu 11 09:00 opens.
        (CN, SHANGHAI, utc(2027, 2, 6, 2), NotDialableReason.HOLIDAY, "春节", utc(2027, 2, 11, 1)),
        # The company's closed date: Thursday 24 Dec 2026 in New York (no public holiday); Friday is Christmas.
        (US_CLOSED, NY, utc(2026, 12, 24, 15), NotDialableReason.CLOSED_DATE, "closed date 2026-12-24", None),
        # Wednesday before Thanksgiving, 22:00 EST: the hours are closed, not the day.
        (US, NY, utc(2026, 11, 26, 3), NotDialableReason.WINDOW_CLOSED, "", utc(2026, 11, 27, 13)),
    ],
)
def test_a_holiday_in_the_called_partys_calendar_closes_the_day(
    campaign: CampaignConfig,
    snapshot: LeadSnapshot,
    now: datetime,
    reason: NotDialableReason | None,
    names: str,
    opens: datetime | None,
) -> None:
    verdict = dialability(snapshot, campaign, now, on_dnc=False)
    assert verdict.reason is reason, verdict.detail
    assert names in verdict.detail
    if opens is not None:
        assert verdict.next_dialable_at == opens
        assert next_dialable_at(snapshot, campaign, now) == opens


def test_the_closed_date_waits_past_christmas_too() -> None:
    verdict = dialability(NY, US_CLOSED, utc(2026, 12, 24, 15), on_dnc=False)
    # 24 Dec closed, 25 Dec Christmas Day: Saturday 26 Dec 08:00 EST.
    assert verdict.next_dialable_at == utc(2026, 12, 26, 13)


def test_a_retry_due_on_a_holiday_waits_for_the_day_after() -> None:
    waiting = replace(NY, status=LeadStatus.RETRY, next_dialable_at=utc(2026, 11, 26, 15))
    assert next_dialable_at(waiting, US, utc(2026, 11, 25, 15)) == utc(2026, 11, 27, 13)


def test_zones_on_either_side_of_the_date_line_each_keep_their_own_date() -> None:
    # Waitangi Day, Friday 6 Feb 2026 in Auckland (NZ); at that moment it is Thursday 5 Feb in Pago Pago (AS, a US
    # territory): same wall clock, a day apart. 5 Feb 09:00 in Pago Pago is 6 Feb 09:00 in Auckland: closed there.
    both = lead("+6491234567", "Pacific/Auckland", "Pacific/Pago_Pago")
    at = utc(2026, 2, 5, 20)  # 09:00 Auckland (6 Feb), 09:00 Pago Pago (5 Feb)
    verdict = dialability(both, US, at, on_dnc=False)
    assert verdict.reason is NotDialableReason.HOLIDAY
    assert "Waitangi Day" in verdict.detail
    assert "Pacific/Auckland" in verdict.detail
    assert "Pacific/Pago_Pago" not in verdict.detail
    # Open again when Auckland reaches Saturday 7 Feb 08:00 (Pago Pago: Friday 6 Feb 08:00, no holiday there).
    assert verdict.next_dialable_at == utc(2026, 2, 6, 19)
    assert US.window.is_open_everywhere(utc(2026, 2, 6, 19), both.tz_candidates)
    # Tokyo and New York: 元日 reaches Tokyo first; New Year's Day (US) follows it across the Pacific.
    pair = lead("+81312345678", "Asia/Tokyo", "America/New_York")
    window = WeeklyWindow.every_day("00:00-24:00").with_closed_days(ClosedDays(holidays=True))
    assert window.next_open(utc(2026, 12, 31, 14), pair.tz_candidates) == utc(2026, 12, 31, 14)  # both 31 Dec
    # 1 Jan 00:00 in Tokyo: closed until 2 Jan 00:00 JST, when New York is on 1 Jan; it opens at 00:00 on 2 Jan.
    assert window.next_open(utc(2026, 12, 31, 15), pair.tz_candidates) == utc(2027, 1, 2, 5)


def test_a_lead_whose_zone_has_no_country_only_keeps_closed_dates() -> None:
    utc_lead = lead("+12125550123", "Etc/UTC")
    campaign = rules_campaign("utc", closed_dates=["2026-11-27"])
    assert dialability(utc_lead, campaign, utc(2026, 11, 26, 12), on_dnc=False).dialable
    assert dialability(utc_lead, campaign, utc(2026, 11, 27, 12), on_dnc=False).reason is NotDialableReason.CLOSED_DATE


def test_the_breakdown_names_holidays() -> None:
    assert WhyNotDialing.no_leads({"holiday": 3}).code == "holiday"
    assert WhyNotDialing.no_leads({"closed_date": 1, "dnc": 2}).code == "holiday"
    assert WhyNotDialing.no_leads({"holiday": 3, "window_closed": 1}).code == "window_closed"


# -- zones and countries ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "country"),
    [
        ("America/New_York", "US"),
        ("America/Toronto", "CA"),
        ("Europe/London", "GB"),
        ("Asia/Tokyo", "JP"),
        ("Asia/Shanghai", "CN"),
        ("Asia/Calcutta", "IN"),  # an old name phonenumbers still gives: the zone it is a copy of
        ("US/Eastern", "US"),
        ("Pacific/Pago_Pago", "AS"),
        ("Etc/UTC", None),
        ("UTC", None),
    ],
)
def test_the_country_of_a_zone(zone: str, country: str | None) -> None:
    assert country_of_zone(zone) == country


def test_subdivisions_add_their_holidays() -> None:
    # 2026-01-02 is a bank holiday in Scotland only; the UK regime closes every nation's bank holidays.
    uk = rules_campaign("uk", regime="UK", caller_id={"number": "+442079460000"})
    london = lead("+442079460123", "Europe/London")
    assert dialability(london, uk, utc(2026, 1, 2, 12), on_dnc=False).reason is NotDialableReason.HOLIDAY
    england = rules_campaign("eng", regime="UK", caller_id={"number": "+442079460000"}, holidays={"subdivisions": {}})
    assert dialability(london, england, utc(2026, 1, 2, 12), on_dnc=False).dialable
    # A US campaign naming Massachusetts: Patriots' Day (Monday 20 April 2026) closes every US zone.
    ma = rules_campaign("ma", holidays={"subdivisions": {"us": "ma"}})
    assert ma.holidays.subdivisions == {"US": ("MA",)}
    assert dialability(NY, ma, utc(2026, 4, 20, 15), on_dnc=False).reason is NotDialableReason.HOLIDAY
    assert dialability(NY, US, utc(2026, 4, 20, 15), on_dnc=False).dialable


# -- settings ---------------------------------------------------------------------------------------------------


def test_every_regime_observes_holidays_by_default() -> None:
    for campaign in (US, JP, CN):
        assert campaign.holidays.observe is True
        assert campaign.closed_days.holidays
    uk = rules_campaign("uk", regime="UK", caller_id={"number": "+442079460000"})
    assert uk.holidays.subdivisions == {"GB": ("ENG", "NIR", "SCT", "WLS")}
    assert US.holidays.subdivisions == {}


@pytest.mark.parametrize("off", [False, "off", {"observe": False}])
def test_holidays_can_be_turned_off_outside_jp_and_cn(off: object) -> None:
    campaign = minimal_campaign(holidays=off)
    assert campaign.holidays.observe is False
    assert not campaign.closed_days


def test_jp_and_cn_refuse_to_turn_holidays_off() -> None:
    assert "the CN regime does not call on public holidays" in refused_campaign(cn_campaign_data(holidays=False))


@pytest.mark.parametrize(
    ("holidays", "closed", "message"),
    [
        ({"subdivisions": {"XX": ["A"]}}, [], "'XX' is not a country with holiday data"),
        ({"subdivisions": {"US": ["ZZ"]}}, [], "ZZ are not subdivisions of US"),
        ({"observe": "maybe"}, [], "observe"),
        ({}, ["2026-02-30"], "closed_dates"),
        ({}, [f"2026-01-01T00:00:{i:02d}" for i in range(2)] + ["x"], "closed_dates"),
    ],
)
def test_bad_holiday_settings_are_refused(holidays: dict[str, Any], closed: list[str], message: str) -> None:
    assert message in refused_campaign(minimal_campaign_data(holidays=holidays, closed_dates=closed))


def test_closed_dates_are_sorted_once_each_and_bounded() -> None:
    campaign = minimal_campaign(closed_dates=["2026-12-31", date(2026, 12, 24), "2026-12-31"])
    assert campaign.closed_dates == (date(2026, 12, 24), date(2026, 12, 31))
    too_many = [date(2026, 1, 1) + timedelta(days=i) for i in range(367)]
    assert "closed_dates" in refused_campaign(minimal_campaign_data(closed_dates=too_many))


def test_the_campaign_file_reads_back_to_the_same_closed_days() -> None:
    import tomllib

    campaign = minimal_campaign(closed_dates=["2026-12-24"], holidays={"subdivisions": {"US": ["NY"]}})
    again = load_campaign(tomllib.loads(campaign_toml(campaign)))
    assert again == campaign
    assert again.closed_days == campaign.closed_days


# -- properties -------------------------------------------------------------------------------------------------

# Holidays of the zones below, and DST transitions, to start near.
STARTS = [
    utc(2026, 11, 26, 5),  # Thanksgiving (US)
    utc(2026, 12, 24, 12),  # Christmas Eve, Christmas, Boxing Day
    utc(2026, 12, 31, 12),  # New Year (everywhere)
    utc(2026, 4, 2, 12),  # Good Friday, Easter Monday (GB, AU)
    utc(2026, 1, 25, 12),  # Australia Day
    utc(2026, 3, 8, 7),  # New York spring forward
    utc(2026, 11, 1, 6),  # New York fall back
    utc(2026, 3, 29, 1),  # London spring forward
    utc(2026, 10, 3, 16),  # Sydney spring forward (a Saturday; Labour Day Monday 5 Oct in NSW is no national one)
    utc(2026, 9, 21, 3),  # Japan's Silver Week (敬老の日, 国民の休日, 秋分の日)
]
# zone -> country, written out here (the reference does not use country_of_zone).
ZONE_COUNTRY = {
    "America/New_York": "US",
    "Europe/London": "GB",
    "Australia/Sydney": "AU",
    "America/Los_Angeles": "US",
    "Asia/Tokyo": "JP",
    "Pacific/Auckland": "NZ",
    "America/St_Johns": "CA",
}
instants = instants_near(STARTS, 2160, 4320)
plain_windows = weekly_windows(WeeklyWindow.every_day("08:00-21:00"))
closed_date_sets = st.frozensets(
    st.sampled_from(STARTS)
    .map(lambda t: t.date())
    .flatmap(lambda d: st.integers(-1, 3).map(lambda k: d + timedelta(days=k))),
    max_size=3,
)
closed_days = st.builds(ClosedDays, holidays=st.booleans(), dates=closed_date_sets)
zone_sets = st.lists(st.sampled_from(sorted(ZONE_COUNTRY)), min_size=1, max_size=3, unique=True)


def reference_closed(days: ClosedDays, instant: datetime, zone: str) -> bool:
    """The zone's local date is a closed date, or (holidays on) a public holiday of its country (python-holidays)."""
    local = instant.astimezone(ZoneInfo(zone)).date()
    if local in days.dates:
        return True
    return days.holidays and local in holiday_data.country_holidays(ZONE_COUNTRY[zone], years=local.year)


def reference_open(window: WeeklyWindow, instant: datetime, zone: str) -> bool:
    return in_local_hours(window, instant, zone) and not reference_closed(window.closed, instant, zone)


@settings(max_examples=200, deadline=None)
@given(plain=plain_windows, days=closed_days, now=instants, zones=zone_sets)
def test_next_open_never_lands_on_a_closed_day_and_skips_no_open_moment(
    plain: WeeklyWindow, days: ClosedDays, now: datetime, zones: list[str]
) -> None:
    window = plain.with_closed_days(days)
    opened = window.next_open(now, zones)
    assert_first_open_everywhere(opened, now, zones, partial(reference_open, window))
    if opened is not None:
        assert not any(reference_closed(days, opened, z) for z in zones)


@settings(max_examples=200, deadline=None)
@given(plain=plain_windows, days=closed_days, now=instants, zones=zone_sets)
def test_the_window_is_unchanged_on_days_that_are_not_closed(
    plain: WeeklyWindow, days: ClosedDays, now: datetime, zones: list[str]
) -> None:
    window = plain.with_closed_days(days)
    for z in zones:
        closed = reference_closed(days, now, z)
        assert window.is_open_in(now, z) == (plain.is_open_in(now, z) and not closed)
        assert (window.closure_at(now, z) is not None) == closed
    if not any(reference_closed(days, now, z) for z in zones):
        assert window.is_open_everywhere(now, zones) == plain.is_open_everywhere(now, zones)
    # Closed days only ever delay the opening.
    with_days, without = window.next_open(now, zones), plain.next_open(now, zones)
    if with_days is not None:
        assert without is not None
        assert without <= with_days


def test_a_closure_says_what_it_is() -> None:
    window = WeeklyWindow.every_day("08:00-21:00").with_closed_days(
        ClosedDays(holidays=True, dates=frozenset({date(2026, 12, 24)}))
    )
    holiday = window.closure_at(utc(2026, 11, 26, 16), "America/New_York")
    assert holiday is not None
    assert (holiday.kind, holiday.day, holiday.country, holiday.name) == (
        ClosureKind.HOLIDAY,
        date(2026, 11, 26),
        "US",
        "Thanksgiving Day",
    )
    closed = window.closure_at(utc(2026, 12, 24, 16), "Asia/Tokyo")  # 25 Dec 01:00 in Tokyo: not the closed date
    assert closed is None
    closed = window.closure_at(utc(2026, 12, 24, 2), "Asia/Tokyo")
    assert closed is not None
    assert closed.kind is ClosureKind.CLOSED_DATE


def test_a_number_dialled_by_hand_is_refused_on_a_holiday() -> None:
    with pytest.raises(NumberRefused) as refused_number:
        check_rules(NY, US, utc(2026, 11, 26, 16), on_dnc=False)
    assert refused_number.value.code == "holiday"
    check_rules(NY, US, utc(2026, 11, 25, 16), on_dnc=False)  # the day before: allowed
