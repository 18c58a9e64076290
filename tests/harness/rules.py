"""Test oracles of the lead rules, written apart from the code they check (dialer.campaign.rules)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from dialer.campaign.config import CampaignConfig, load_campaign
from dialer.campaign.rules import LeadSnapshot, LeadStatus, NotDialableReason, dialability
from dialer.campaign.windows import WeeklyWindow

# What the claim refuses outright: a lead recycled (by hand or on a schedule) must never be refused for one of these.
CLAIM_REFUSES = frozenset(
    {
        NotDialableReason.DNC,
        NotDialableReason.DONE,
        NotDialableReason.ARCHIVED,
        NotDialableReason.MAX_ATTEMPTS,
        NotDialableReason.MAX_DIALS,
        NotDialableReason.IN_CALL,
    }
)


def open_everywhere(c: CampaignConfig, at: datetime, zones: tuple[str, ...]) -> bool:
    """Whether the campaign's calling window is open at ``at`` in every one of the lead's candidate zones (its hours
    that weekday, on a local date that is no public holiday or closed date there)."""
    for zone in zones:
        local = at.astimezone(ZoneInfo(zone))
        hours = c.window.days[local.weekday()]
        if hours is None or not hours.contains(local.time()) or c.closed_days.is_closed(local.date(), zone):
            return False
    return bool(zones)


def rules_campaign(name: str, **changes: Any) -> CampaignConfig:
    """The lead-rule tests' campaign (US regime, a caller ID): ``changes`` are its TOML keys over that."""
    data: dict[str, Any] = {
        "name": name,
        "queue": "sales",
        "trunk": "PJSIP/{number}@carrier",
        "caller_id": {"number": "+12025550100"},
    }
    data.update(changes)
    return load_campaign(data)


def lead_snapshots(
    instants: st.SearchStrategy[datetime], zones: list[str], *, max_zones: int, **more: st.SearchStrategy[Any]
) -> st.SearchStrategy[LeadSnapshot]:
    """Any lead of one number: any status and counters, up to ``max_zones`` of ``zones``, its due, abandon and
    callback times among ``instants`` (or none); ``more`` draws other LeadSnapshot fields."""
    optional_instants = st.one_of(st.none(), instants)
    return st.builds(
        LeadSnapshot,
        id=st.just(1),
        campaign=st.just("p"),
        phone=st.just("+12125550123"),
        tz_candidates=st.lists(st.sampled_from(zones), max_size=max_zones, unique=True).map(tuple),
        status=st.sampled_from(list(LeadStatus)),
        attempts=st.integers(0, 7),
        dials=st.integers(0, 20),
        next_dialable_at=optional_instants,
        last_abandon_at=optional_instants,
        callback_at=optional_instants,
        callback_agent=st.sampled_from([None, "1001"]),
        **more,
    )


def assert_no_claim_rule_against(
    lead: LeadSnapshot, c: CampaignConfig, moments: Iterable[datetime], *, on_dnc: bool, agent: str | None = None
) -> None:
    """At each of ``moments`` a (recycled) lead is refused for no reason the claim checks, and whenever it is
    dialable every rule holds: the calling window in every candidate zone, the no-recall gap after an abandon."""
    for at in moments:
        verdict = dialability(lead, c, at, on_dnc=on_dnc, agent=agent)
        assert verdict.reason not in CLAIM_REFUSES
        if verdict.dialable:
            assert open_everywhere(c, at, verdict.zones)
            if c.no_recall_after_abandon is not None and lead.last_abandon_at is not None:
                assert at >= lead.last_abandon_at + c.no_recall_after_abandon


def instants_near(bases: list[datetime], minutes_before: int, minutes_after: int) -> st.SearchStrategy[datetime]:
    """Instants within ``minutes_before`` / ``minutes_after`` of one of ``bases`` (DST changes, holidays), to the
    second."""
    return st.builds(
        lambda base, minutes, seconds: base + timedelta(minutes=minutes, seconds=seconds),
        st.sampled_from(bases),
        st.integers(-minutes_before, minutes_after),
        st.integers(0, 59),
    )


# A day's calling hours "HH:MM-HH:MM" on the half hour, within the day.
WINDOW_HOURS = st.builds(
    lambda start, length: (
        f"{start // 60:02d}:{start % 60:02d}-{(start + length) // 60:02d}:{(start + length) % 60:02d}"
    ),
    st.integers(0, 22 * 60).map(lambda m: m - m % 30),
    st.integers(30, 14 * 60).map(lambda m: m - m % 30),
).filter(lambda h: int(h[6:8]) * 60 + int(h[9:11]) <= 24 * 60)


def weekly_windows(*fixed: WeeklyWindow) -> st.SearchStrategy[WeeklyWindow]:
    """Weekly windows: one of ``fixed`` (the presets), the same hours every day, or weekdays / Saturday / Sunday
    apart."""
    return st.one_of(
        *(st.just(w) for w in fixed),
        WINDOW_HOURS.map(WeeklyWindow.every_day),
        st.fixed_dictionaries(
            {"weekdays": WINDOW_HOURS, "sat": WINDOW_HOURS, "sun": st.sampled_from(["closed", "10:00-18:00"])}
        ).map(WeeklyWindow.from_mapping),
    )


def in_local_hours(window: WeeklyWindow, instant: datetime, zone: str) -> bool:
    """Reference: whether ``instant`` is inside the window's hours on the local wall clock and weekday in ``zone``
    (closed days aside)."""
    local = instant.astimezone(ZoneInfo(zone))
    hours = window.days[local.weekday()]
    return hours is not None and hours.start <= local.time() and (hours.end is None or local.time() < hours.end)


def assert_first_open_everywhere(
    opened: datetime | None, now: datetime, zones: list[str], is_open: Callable[[datetime, str], bool]
) -> None:
    """``opened`` (a window's ``next_open(now, zones)``) is the first instant from ``now`` at which the reference
    ``is_open(instant, zone)`` holds in every zone: open everywhere, and not a second before nor at any 7-minute step
    since ``now``; ``None`` (no common instant) is confirmed by a two-week scan at 15-minute steps."""

    def everywhere(instant: datetime) -> bool:
        return all(is_open(instant, z) for z in zones)

    if opened is None:
        probe = now
        while probe < now + timedelta(days=14):
            assert not everywhere(probe)
            probe += timedelta(minutes=15)
        return
    assert opened >= now
    assert everywhere(opened)
    if opened > now:
        assert not everywhere(opened - timedelta(seconds=1))
        probe = now
        while probe < opened:
            assert not everywhere(probe)
            probe += timedelta(minutes=7)
