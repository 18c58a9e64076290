"""Days on which nobody is called, read in the called party's local calendar (pure; data from python-holidays).

Two kinds of closed day close a candidate zone for the whole of its local date:

* a public holiday of the zone's country (the country comes from the zone, see :func:`country_of_zone`), with the
  holidays of the subdivisions (US states, Canadian provinces, UK nations) the campaign names for that country;
* a closed date of the campaign (the company's own days off), the same date in every zone.

The country is the zone's, not the number's region: the calling window is enforced per candidate zone, and a zone
may come from the lead's postal code or the campaign's fallback zone, which have no phone region. The zone's country
is the one the tz database gives it (``zone.tab`` of the pinned ``tzdata``); an old link name (``Asia/Calcutta``,
``US/Eastern``) gets the country of the zone it is a copy of, when that copy names one country only. A zone without a
country (``UTC``, ``Etc/GMT+5``) or of a country python-holidays does not know has no public holidays (closed dates
still apply).

Holiday tables come from python-holidays (pinned), built once per (country, subdivisions, year) and cached: the
claim asks for many leads in few countries.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache
from importlib import resources

import holidays as holiday_data

# Holiday names are given in English (the rules' details are English sentences), with the country's own name beside
# it when the country's language is another one ("New Year's Day (元日)").
NAME_LANGUAGE = "en_US"


class ClosureKind(StrEnum):
    HOLIDAY = "holiday"  # a public holiday of the zone's country (or of a subdivision the campaign names)
    CLOSED_DATE = "closed_date"  # one of the campaign's closed dates


@dataclass(frozen=True, slots=True)
class Closure:
    """Why a zone is closed all day on its local ``day``."""

    kind: ClosureKind
    day: date
    zone: str
    name: str  # the holiday's name; "" for a closed date
    country: str | None = None  # ISO 3166 code of the holiday's country

    def __str__(self) -> str:
        if self.kind is ClosureKind.CLOSED_DATE:
            return f"closed date {self.day.isoformat()} in {self.zone}"
        return f"public holiday {self.name} ({self.country}, {self.day.isoformat()}) in {self.zone}"


# -- zones -> countries -----------------------------------------------------------------------------------------


def _tzdata_file(*parts: str) -> bytes | None:
    try:
        return resources.files("tzdata").joinpath("zoneinfo", *parts).read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, ModuleNotFoundError, OSError):
        return None


@lru_cache(maxsize=1)
def _zone_tab() -> Mapping[str, str]:
    """zone name -> ISO 3166 country, from the tz database's ``zone.tab`` (one country per zone)."""
    raw = _tzdata_file("zone.tab")
    table: dict[str, str] = {}
    for line in (raw or b"").decode("utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) >= 3:
            table[fields[2]] = fields[0]
    return table


@lru_cache(maxsize=1)
def _countries_by_content() -> Mapping[bytes, frozenset[str]]:
    """The countries of the listed zones, by the digest of their compiled data (a link is a copy of its zone)."""
    found: dict[bytes, set[str]] = {}
    for name, country in _zone_tab().items():
        data = _tzdata_file(*name.split("/"))
        if data is not None:
            found.setdefault(hashlib.sha256(data).digest(), set()).add(country)
    return {k: frozenset(v) for k, v in found.items()}


@lru_cache(maxsize=4096)
def country_of_zone(zone_name: str) -> str | None:
    """The ISO 3166 country of an IANA zone (``America/New_York`` -> ``US``); None for a zone of no one country."""
    table = _zone_tab()
    if zone_name in table:
        return table[zone_name]
    if ".." in zone_name or zone_name.startswith("/"):
        return None
    data = _tzdata_file(*zone_name.split("/"))
    if data is None:
        return None
    countries = _countries_by_content().get(hashlib.sha256(data).digest(), frozenset())
    return next(iter(countries)) if len(countries) == 1 else None


# -- holiday tables ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def supported_countries() -> Mapping[str, tuple[str, ...]]:
    """Countries python-holidays knows (ISO 3166 codes and its aliases), with their subdivision codes."""
    return {code: tuple(subdivs) for code, subdivs in holiday_data.list_supported_countries().items()}


def is_supported_country(country: str) -> bool:
    return country in supported_countries()


@lru_cache(maxsize=1024)
def _year_table(country: str, subdivisions: tuple[str, ...], year: int) -> Mapping[date, str]:
    """The public holidays of ``country`` in ``year`` (the national ones, and those of each subdivision), by date."""
    probe = holiday_data.country_holidays(country)
    languages = probe.supported_languages
    language = NAME_LANGUAGE if NAME_LANGUAGE in languages else None
    own = probe.default_language if probe.default_language and not probe.default_language.startswith("en") else None
    names: dict[date, list[str]] = {}
    for subdiv in (None, *subdivisions):
        english = holiday_data.country_holidays(country, subdiv=subdiv, years=year, language=language)
        local = holiday_data.country_holidays(country, subdiv=subdiv, years=year, language=own) if own else None
        for day, name in english.items():
            for part in name.split("; "):
                label = part
                if local is not None:
                    local_name = local.get(day)
                    if local_name and local_name != name and ";" not in local_name:
                        label = f"{part} ({local_name})"
                if label not in names.setdefault(day, []):
                    names[day].append(label)
    return {day: "; ".join(labels) for day, labels in names.items()}


def holiday_name(country: str, subdivisions: tuple[str, ...], day: date) -> str | None:
    """The name of the public holiday on ``day`` in ``country`` (and the named subdivisions); None on other days."""
    if not is_supported_country(country):
        return None
    return _year_table(country, subdivisions, day.year).get(day)


# -- the campaign's closed days ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClosedDays:
    """The days a campaign calls nobody, each read in the local date of the zone asked about.

    ``holidays``: the public holidays of each zone's country are closed; ``subdivisions``: per country, the
    subdivisions whose holidays close the day too (all of that country's zones: the zone does not tell the state);
    ``dates``: the campaign's own closed dates.
    """

    holidays: bool = False
    subdivisions: tuple[tuple[str, tuple[str, ...]], ...] = ()
    dates: frozenset[date] = frozenset()

    def __bool__(self) -> bool:
        return self.holidays or bool(self.dates)

    def subdivisions_of(self, country: str) -> tuple[str, ...]:
        for code, subdivs in self.subdivisions:
            if code == country:
                return subdivs
        return ()

    def closure(self, day: date, zone_name: str) -> Closure | None:
        """Why ``zone_name`` is closed all of its local ``day`` (None when it is not)."""
        return _closure(self, day, zone_name) if self else None

    def _find(self, day: date, zone_name: str) -> Closure | None:
        if day in self.dates:
            return Closure(ClosureKind.CLOSED_DATE, day, zone_name, "")
        if not self.holidays:
            return None
        country = country_of_zone(zone_name)
        if country is None:
            return None
        name = holiday_name(country, self.subdivisions_of(country), day)
        return None if name is None else Closure(ClosureKind.HOLIDAY, day, zone_name, name, country)

    def is_closed(self, day: date, zone_name: str) -> bool:
        return bool(self) and _closure(self, day, zone_name) is not None


@lru_cache(maxsize=16384)
def _closure(days: ClosedDays, day: date, zone_name: str) -> Closure | None:
    """:meth:`ClosedDays.closure`, remembered: the claim asks the same few (day, zone) pairs for many leads."""
    return days._find(day, zone_name)


NO_CLOSED_DAYS = ClosedDays()
