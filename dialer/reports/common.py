"""What every report shares: the date range, formula-safe CSV, HTML escaping and hand-written SVG bar charts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dialer.i18n import M_, _, format_datetime, format_percent, format_seconds


class ReportError(ValueError):
    """A report cannot be built as asked (bad range, unknown campaign ...); the message says why."""


@dataclass(frozen=True, slots=True)
class ReportRange:
    """Attempts started in ``[start, end)``; None = unbounded. Both tz-aware."""

    start: datetime | None = None
    end: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if value is not None and value.utcoffset() is None:
                raise ReportError(M_("{name} {value} has no time zone", name=name, value=value.isoformat()))
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ReportError(
                M_(
                    "the range ends ({end}) before it starts ({start})",
                    end=self.end.isoformat(),
                    start=self.start.isoformat(),
                )
            )

    def widened(self, before: timedelta) -> ReportRange:
        """The same range starting ``before`` earlier (history a rule looks back on)."""
        return ReportRange(None if self.start is None else self.start - before, self.end)

    def as_json(self) -> dict[str, str | None]:
        return {"from": iso(self.start), "to": iso(self.end)}


def day_began(now: datetime, zone: str) -> datetime:
    """When "today" began at ``now`` in ``zone``: that day's midnight there (a reader's day, a campaign's)."""
    tz = ZoneInfo(zone)
    return datetime.combine(now.astimezone(tz).date(), time(0), tz)


# Dates a report may name: later arithmetic (the day after an end date, time zones) stays inside datetime's range.
REPORT_YEARS = (1970, 2999)


def parse_when(value: str | None, *, end: bool) -> datetime | None:
    """A date (``YYYY-MM-DD``: the whole day, so an end date includes that day) or an ISO 8601 date-time; UTC when
    no zone is given. Raises ReportError."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            day = datetime.combine(date.fromisoformat(text), time(0), UTC)
            parsed = day + timedelta(days=1) if end else day
        else:
            parsed = datetime.fromisoformat(text)
    except OverflowError:  # 9999-12-31 as an end date: its day after does not exist
        parsed = datetime.max.replace(tzinfo=UTC)
    except ValueError:
        raise ReportError(
            M_(
                "{option} {value}: expected YYYY-MM-DD or an ISO 8601 date-time",
                option="to" if end else "from",
                value=repr(value),
            )
        ) from None
    if not REPORT_YEARS[0] <= parsed.year <= REPORT_YEARS[1]:
        raise ReportError(
            M_(
                "{option} {value}: outside the years {first}-{last}",
                option="to" if end else "from",
                value=repr(value),
                first=REPORT_YEARS[0],
                last=REPORT_YEARS[1],
            )
        )
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def parse_report_range(start: str | None, end: str | None) -> ReportRange:
    """The range of ``--from``/``--to`` (or ``?from=&to=`` query parameters). Raises ReportError."""
    return ReportRange(parse_when(start, end=False), parse_when(end, end=True))


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def shown_time(value: datetime | None) -> str | None:
    """A time for a reader (HTML pages, the terminal): Babel's medium date and time in the current language and
    the reader's zone (the user's setting on the web; ``DIALER_TZ``/``TZ`` on the command line; else UTC), with
    the zone's name. CSV and JSON keep ISO 8601 (:func:`iso`): they are read by programs."""
    return None if value is None else format_datetime(value)


def ratio(part: float, whole: float) -> float | None:
    """part ÷ whole, or None when there is nothing to divide by (never a misleading 0 %)."""
    return part / whole if whole else None


def seconds_between(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max((end - start).total_seconds(), 0.0)


def pct(value: float | None, digits: int = 2) -> str:
    """A share as a percentage in the current language (Babel): ``8.33%``; ``n/a`` when there is no share."""
    return _("n/a") if value is None else format_percent(value, digits=digits)


def duration_label(length: timedelta) -> str:
    """24 h, 72 h; whole days from 2 days up (30 days); in the current language."""
    hours = length.total_seconds() / 3600
    if hours >= 48 and hours % 24 == 0:
        return _("{n} days").format(n=f"{hours / 24:g}")
    return _("{n} h").format(n=f"{hours:g}")


def seconds_label(value: float | None) -> str:
    """Seconds with the locale's unit (Babel): ``12 sec``, ``12 秒``, ``12秒``."""
    return _("n/a") if value is None else format_seconds(round(value))


def wait_label(value: float | None) -> str:
    return _("n/a") if value is None else format_seconds(round(value, 1), digits=1)
