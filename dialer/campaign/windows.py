"""Calling windows in the called party's local time, computed with zoneinfo (never fixed offsets).

A window is a per-weekday list of local opening hours (``start`` inclusive, ``end`` exclusive). A lead with several
candidate zones may be called only while the window is open in EVERY one of them, so "when does it open next" is the
earliest instant at which all zones are open simultaneously.

DST: local wall-clock times are derived from the instant with ``astimezone``, so an instant is open iff its local
time on its local weekday lies in that day's hours. A window start that falls in a spring-forward gap opens at the
first instant whose local time is past it (the transition itself); in a fall-back overlap it opens at the first of
the two occurrences.

Closed days (:class:`~dialer.campaign.holiday_calendar.ClosedDays`: public holidays of each zone's country, the
campaign's closed dates) close a zone for the whole of its local date: the hours of that weekday do not apply there.
A lead whose zones lie in different countries (or on either side of the date line) waits for a moment when every zone
is open on a day that is not closed in that zone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dialer.campaign.holiday_calendar import NO_CLOSED_DAYS, ClosedDays, Closure
from dialer.i18n import M_

WEEKDAY_KEYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
# How far ahead next_open searches for a moment when every zone is open at once (long enough for a fortnight of
# closed days: 春节 or Golden Week after a weekend closed by the window).
SEARCH_HORIZON = timedelta(days=31)


class WindowError(ValueError):
    """A window specification that cannot be parsed or is not a valid interval."""


@lru_cache(maxsize=2048)
def zone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name (cached); raises WindowError for an unknown name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise WindowError(M_("unknown time zone {name}", name=repr(name))) from exc


def is_known_zone(name: str) -> bool:
    try:
        zone(name)
    except WindowError:
        return False
    return True


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")


@dataclass(frozen=True, slots=True)
class DailyHours:
    """Opening hours of one local day: ``start <= local time < end`` (``end`` may be 24:00, stored as None)."""

    start: time
    end: time | None  # None means midnight at the end of the day (24:00)

    def __post_init__(self) -> None:
        if self.end is not None and self.end <= self.start:
            raise WindowError(
                M_("window {window} ends before it starts (overnight windows are not supported)", window=str(self))
            )

    @classmethod
    def parse(cls, text: str) -> DailyHours:
        """Parse ``"HH:MM-HH:MM"`` (``24:00`` allowed as the end)."""
        m = _HOURS.match(text)
        if not m:
            raise WindowError(M_("hours {text} are not of the form HH:MM-HH:MM", text=repr(text)))
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2 != 0):
            raise WindowError(M_("hours {text} contain an impossible time", text=repr(text)))
        return cls(time(h1, m1), None if h2 == 24 else time(h2, m2))

    def contains(self, local: time) -> bool:
        return self.start <= local and (self.end is None or local < self.end)

    def within(self, outer: DailyHours) -> bool:
        """True when these hours lie entirely inside ``outer``."""
        if self.start < outer.start:
            return False
        if outer.end is None:
            return True
        return self.end is not None and self.end <= outer.end

    def __str__(self) -> str:
        end = "24:00" if self.end is None else self.end.strftime("%H:%M")
        return f"{self.start.strftime('%H:%M')}-{end}"


@dataclass(frozen=True, slots=True)
class WeeklyWindow:
    """Hours per local weekday, Monday first; ``None`` means closed all day. ``closed``: the days closed all day in
    a zone's local calendar (public holidays, closed dates), whatever the weekday's hours."""

    days: tuple[DailyHours | None, DailyHours | None, DailyHours | None, DailyHours | None, DailyHours | None,
                DailyHours | None, DailyHours | None]  # fmt: skip
    closed: ClosedDays = NO_CLOSED_DAYS

    def with_closed_days(self, closed: ClosedDays) -> WeeklyWindow:
        """The same hours, closed on ``closed`` days."""
        return WeeklyWindow(self.days, closed)

    @classmethod
    def every_day(cls, hours: DailyHours | str) -> WeeklyWindow:
        h = DailyHours.parse(hours) if isinstance(hours, str) else hours
        return cls((h, h, h, h, h, h, h))

    @classmethod
    def from_mapping(cls, spec: dict[str, str], base: WeeklyWindow | None = None) -> WeeklyWindow:
        """Build from ``{"default": "08:00-21:00", "sat": "10:00-18:00", "sun": "closed", "weekdays": ...}``.

        Keys: ``default`` (every day), ``weekdays`` (mon-fri), ``weekend`` (sat, sun) and the day names; more
        specific keys win. Days not mentioned keep ``base`` (or are closed without a base).
        """
        unknown = set(spec) - {"default", "weekdays", "weekend", *WEEKDAY_KEYS}
        if unknown:
            raise WindowError(
                M_("unknown day key(s) {keys}; use default, weekdays, weekend, mon..sun", keys=sorted(unknown))
            )
        days: list[DailyHours | None] = list(base.days) if base else [None] * 7

        def parse(value: str) -> DailyHours | None:
            if not isinstance(value, str):
                raise WindowError(
                    M_("hours must be a string like '08:00-21:00' or 'closed', not {value}", value=repr(value))
                )
            return None if value.strip().lower() == "closed" else DailyHours.parse(value)

        for key, indexes in (("default", range(7)), ("weekdays", range(5)), ("weekend", range(5, 7))):
            if key in spec:
                hours = parse(spec[key])
                for i in indexes:
                    days[i] = hours
        for i, key in enumerate(WEEKDAY_KEYS):
            if key in spec:
                days[i] = parse(spec[key])
        return cls((days[0], days[1], days[2], days[3], days[4], days[5], days[6]))

    def to_mapping(self) -> dict[str, str]:
        """The weekly hours (closed days are settings of their own)."""
        return {key: ("closed" if h is None else str(h)) for key, h in zip(WEEKDAY_KEYS, self.days, strict=True)}

    def within(self, outer: WeeklyWindow) -> list[str]:
        """The day names on which these hours exceed ``outer`` (empty when fully inside; closed days not compared)."""
        bad = []
        for key, mine, theirs in zip(WEEKDAY_KEYS, self.days, outer.days, strict=True):
            if mine is None:
                continue
            if theirs is None or not mine.within(theirs):
                bad.append(key)
        return bad

    # -- instants -------------------------------------------------------------------------------------------

    def is_open_in(self, now: datetime, zone_name: str) -> bool:
        """Is the window open at instant ``now`` in the local time of ``zone_name``?"""
        _require_aware(now)
        local = now.astimezone(zone(zone_name))
        hours = self.days[local.weekday()]
        return hours is not None and hours.contains(local.time()) and not self.closed.is_closed(local.date(), zone_name)

    def closure_at(self, now: datetime, zone_name: str) -> Closure | None:
        """Why the local date of ``now`` in ``zone_name`` is closed all day (holiday, closed date), or None."""
        _require_aware(now)
        if not self.closed:
            return None
        return self.closed.closure(now.astimezone(zone(zone_name)).date(), zone_name)

    def closed_zones(self, now: datetime, zones: Iterable[str]) -> list[str]:
        """The zones (of ``zones``) in which the window is closed at ``now``."""
        return [z for z in zones if not self.is_open_in(now, z)]

    def is_open_everywhere(self, now: datetime, zones: Sequence[str]) -> bool:
        """Open in every zone at once. An empty zone list is never open: the caller must pick a fallback."""
        return bool(zones) and all(self.is_open_in(now, z) for z in zones)

    def next_open_in(self, now: datetime, zone_name: str) -> datetime | None:
        """Earliest instant >= ``now`` at which the window is open in ``zone_name`` (None if never within
        SEARCH_HORIZON and a week)."""
        if self.is_open_in(now, zone_name):
            return now
        tz = zone(zone_name)
        local_day = now.astimezone(tz).date()
        for offset in range(SEARCH_HORIZON.days + 8):
            day = local_day + timedelta(days=offset)
            hours = self.days[day.weekday()]
            if hours is None or self.closed.is_closed(day, zone_name):
                continue
            opening = _first_instant_at_or_after(day, hours, tz)
            if opening is not None and opening >= now:
                return opening
            if opening is not None:
                # A clock set back repeats the opening time later that day (the window opens again then).
                again = datetime.combine(day, hours.start, tzinfo=tz).replace(fold=1).astimezone(UTC)
                local = again.astimezone(tz)
                if again >= now and local.date() == day and hours.contains(local.time()):
                    return again
        return None

    def next_open(self, now: datetime, zones: Sequence[str]) -> datetime | None:
        """Earliest instant >= ``now`` at which the window is open in all ``zones`` simultaneously.

        Iterates "jump to the latest next opening among the closed zones": every zone closed at t stays closed
        until its own next opening, so no common open instant is skipped. None when the zones never overlap within
        SEARCH_HORIZON (e.g. candidate zones 12 hours apart with a narrow window), or when ``zones`` is empty.
        """
        _require_aware(now)
        if not zones:
            return None
        t = now
        limit = now + SEARCH_HORIZON
        while t <= limit:
            closed = self.closed_zones(t, zones)
            if not closed:
                return t
            nexts = [self.next_open_in(t, z) for z in closed]
            if any(n is None for n in nexts):
                return None
            later = max(n for n in nexts if n is not None)
            # Guard against a zone that reports itself open at `later` yet closed at t == later (cannot happen with
            # consistent tz data, but never loop forever).
            t = later if later > t else t + timedelta(minutes=1)
        return None

    def closes_at(self, now: datetime, zones: Sequence[str]) -> datetime | None:
        """When an open window next closes in any of the zones (None if it is not open now)."""
        if not self.is_open_everywhere(now, zones):
            return None
        ends: list[datetime] = []
        for z in zones:
            tz = zone(z)
            local = now.astimezone(tz)
            hours = self.days[local.weekday()]
            assert hours is not None
            if hours.end is None:
                end_local = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=tz)
            else:
                end_local = datetime.combine(local.date(), hours.end, tzinfo=tz)
            ends.append(end_local.astimezone(UTC))
        return min(ends)


def _first_instant_at_or_after(day: date, hours: DailyHours, tz: ZoneInfo) -> datetime | None:
    """The first UTC instant on local ``day`` whose local time is >= ``hours.start`` and inside ``hours``."""
    first = datetime.combine(day, hours.start, tzinfo=tz).astimezone(UTC)  # fold=0: first occurrence / pre-gap offset
    second = datetime.combine(day, hours.start, tzinfo=tz).replace(fold=1).astimezone(UTC)
    lo, hi = min(first, second), max(first, second)

    def opened(instant: datetime) -> bool:
        local = instant.astimezone(tz)
        return local.date() == day and hours.contains(local.time())

    if opened(lo):
        return lo
    if not opened(hi):
        return None
    # The start lies in a spring-forward gap: bisect to the transition (to the second).
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if opened(mid):
            hi = mid
        else:
            lo = mid
    return hi.replace(microsecond=0) if opened(hi.replace(microsecond=0)) else hi
