"""Scheduled report delivery, pure: which report of which campaign (or inbound queue) is mailed to whom, in which
formats, covering which period, and when.

A schedule runs daily at ``at`` (HH:MM), weekly on ``weekday`` at ``at``, or monthly on ``day`` at ``at`` (a month
without that day runs on its last day), all read in the IANA zone ``zone`` -- 07:00 is 07:00 there, summer and
winter. A time a spring-forward gap skips runs that many minutes later (02:30 on the night clocks jump from 02:00 to
03:00 runs at 03:30); a time a fall-back repeats runs once, at its first occurrence. The report covers the period
before the run's slot, in the same zone: ``yesterday`` (the day before), ``last_7_days`` (the seven days before),
``last_month`` (the calendar month before). The clock is passed in, never read here.

The daemon's scheduler job asks the store for the due schedules (:mod:`dialer.store.report_schedules`), claims each
once across daemons, renders the report (:func:`dialer.reports.output.render`, the one way) and mails it
(:mod:`dialer.reports.mail`); a failed send is retried ``RETRY_DELAYS`` later, then recorded as failed.
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dialer.i18n import M_, N_, normalize_locale

ReportKind = Literal["compliance", "performance", "ivr", "inbound"]
AttachFormat = Literal["csv", "html", "json"]
Period = Literal["yesterday", "last_7_days", "last_month"]
Cadence = Literal["daily", "weekly", "monthly"]

REPORT_KINDS: tuple[ReportKind, ...] = get_args(ReportKind)
ATTACH_FORMATS: tuple[AttachFormat, ...] = get_args(AttachFormat)
PERIODS: tuple[Period, ...] = get_args(Period)
CADENCES: tuple[Cadence, ...] = get_args(Cadence)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CAMPAIGN_REPORTS: tuple[ReportKind, ...] = ("compliance", "performance", "ivr")  # of one campaign; inbound: a queue
MAX_RECIPIENTS = 50
# What the report, period and cadence are called in a mail's subject and the listings (translated where shown).
REPORT_NAMES: dict[str, str] = {
    "compliance": N_("Compliance report"),
    "performance": N_("Performance report"),
    "ivr": N_("IVR report"),
    "inbound": N_("Inbound queues report"),
}
PERIOD_NAMES: dict[str, str] = {
    "yesterday": N_("yesterday"),
    "last_7_days": N_("the last 7 days"),
    "last_month": N_("last month"),
}
CADENCE_NAMES: dict[str, str] = {"daily": N_("daily"), "weekly": N_("weekly"), "monthly": N_("monthly")}
STATUS_NAMES: dict[str, str] = {
    "ok": N_("sent"),
    "partial": N_("sent, some recipients refused"),
    "retrying": N_("not sent, will retry"),
    "failed": N_("failed"),
}

# One address: a local part and a domain with at least one dot, no spaces, quotes, angle brackets or commas (a
# plain address, not a display name: it goes into the envelope as it is).
_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?=.{4,253}$)([A-Za-z0-9-]{1,63}\.)+[A-Za-z0-9-]{2,63}$")


class ReportScheduleError(ValueError):
    """A report schedule that cannot be kept (bad address, no campaign for a campaign's report, day out of range)."""


def valid_address(address: str) -> str:
    """``address`` stripped, or ReportScheduleError saying it is not a plain e-mail address."""
    text = address.strip()
    if not _ADDRESS.match(text) or ".." in text or text.startswith(".") or "@." in text or ".@" in text:
        raise ReportScheduleError(M_("{address} is not an e-mail address (name@example.com)", address=repr(address)))
    return text


def parse_weekday(value: str | int) -> int:
    """0 (Monday) .. 6 (Sunday), from ``mon`` .. ``sun`` or the number."""
    if isinstance(value, int):
        if 0 <= value <= 6:
            return value
    else:
        text = value.strip().lower()[:3]
        if text in WEEKDAYS:
            return WEEKDAYS.index(text)
    raise ReportScheduleError(M_("weekday {value}: one of mon, tue, wed, thu, fri, sat, sun", value=repr(value)))


def parse_at(value: str) -> time:
    """``HH:MM`` (24 h) as a time of day."""
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", value.strip())
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise ReportScheduleError(M_("at {value}: a time of day as HH:MM, e.g. 07:00", value=repr(value)))
    return time(int(match[1]), int(match[2]))


def zone_info(zone: str) -> ZoneInfo:
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ReportScheduleError(
            M_("unknown time zone '{zone}' (an IANA name such as 'Europe/Paris')", zone=zone)
        ) from exc


@dataclass(frozen=True, slots=True)
class ReportSchedule:
    """The ``report`` of ``target`` (a campaign; for ``inbound`` a queue, None = every queue) for ``period``, mailed
    to ``recipients`` with ``formats`` attached (and the HTML page as the mail's body when ``html_body``), in
    ``language``, on ``cadence`` at ``at`` in ``zone`` (``weekday`` 0-6 for weekly, ``day`` 1-31 for monthly)."""

    report: ReportKind
    target: str | None
    formats: tuple[AttachFormat, ...]
    period: Period
    cadence: Cadence
    at: time
    recipients: tuple[str, ...]
    zone: str = "UTC"
    weekday: int | None = None
    day: int | None = None
    html_body: bool = True
    language: str = "en"

    def __post_init__(self) -> None:
        self._check_choices()
        if self.report in CAMPAIGN_REPORTS and not self.target:
            raise ReportScheduleError(M_("the compliance, performance and ivr reports need a campaign"))
        if self.target is not None and not 1 <= len(self.target) <= 100:
            raise ReportScheduleError(M_("campaign or queue: 1 to 100 characters"))
        if len(set(self.formats)) != len(self.formats):
            raise ReportScheduleError(M_("each format once"))
        if not self.formats and not self.html_body:
            raise ReportScheduleError(M_("attach at least one format, or send the HTML page as the body"))
        if not 1 <= len(self.recipients) <= MAX_RECIPIENTS:
            raise ReportScheduleError(M_("1 to {max} recipients", max=MAX_RECIPIENTS))
        cleaned = tuple(valid_address(r) for r in self.recipients)
        if len({r.lower() for r in cleaned}) != len(cleaned):
            raise ReportScheduleError(M_("each recipient once"))
        object.__setattr__(self, "recipients", cleaned)
        if self.at.tzinfo is not None or self.at.second or self.at.microsecond:
            raise ReportScheduleError(M_("at: a time of day as HH:MM, e.g. 07:00"))
        zone_info(self.zone)
        self._check_day()
        language = normalize_locale(self.language)
        if language is None:
            raise ReportScheduleError(M_("language {value}: one of en, ja, zh-CN, zh-Hant", value=repr(self.language)))
        object.__setattr__(self, "language", language)

    def _check_choices(self) -> None:
        if self.report not in REPORT_KINDS:
            raise ReportScheduleError(
                M_("report {value}: one of compliance, performance, ivr, inbound", value=repr(self.report))
            )
        if self.period not in PERIODS:
            raise ReportScheduleError(
                M_("period {value}: one of yesterday, last_7_days, last_month", value=repr(self.period))
            )
        if self.cadence not in CADENCES:
            raise ReportScheduleError(M_("cadence {value}: one of daily, weekly, monthly", value=repr(self.cadence)))
        for fmt in self.formats:
            if fmt not in ATTACH_FORMATS:
                raise ReportScheduleError(M_("format {value}: one of csv, html, json", value=repr(fmt)))

    def _check_day(self) -> None:
        if self.cadence == "weekly":
            if self.weekday is None or not 0 <= self.weekday <= 6:
                raise ReportScheduleError(M_("a weekly schedule needs a weekday (mon .. sun)"))
        elif self.weekday is not None:
            raise ReportScheduleError(M_("a weekday is for a weekly schedule only"))
        if self.cadence == "monthly":
            if self.day is None or not 1 <= self.day <= 31:
                raise ReportScheduleError(M_("a monthly schedule needs a day of the month (1 to 31)"))
        elif self.day is not None:
            raise ReportScheduleError(M_("a day of the month is for a monthly schedule only"))

    # ------------------------------------------------------------------------------------------------ when

    def _runs_on(self, day: date) -> bool:
        if self.cadence == "daily":
            return True
        if self.cadence == "weekly":
            return day.weekday() == self.weekday
        assert self.day is not None
        return day.day == min(self.day, monthrange(day.year, day.month)[1])

    def next_run(self, after: datetime) -> datetime:
        """The first slot strictly after ``after`` (UTC): the schedule's time on its next day in its zone."""
        if after.utcoffset() is None:
            raise ValueError("after must be timezone-aware")
        zone = zone_info(self.zone)
        day = after.astimezone(zone).date() - timedelta(days=1)  # a gap's shifted slot may fall on the day after
        for _ in range(400):
            if self._runs_on(day):
                slot = datetime.combine(day, self.at, zone).astimezone(UTC)  # fold=0: a repeated time's first
                if slot > after:
                    return slot
            day += timedelta(days=1)
        raise AssertionError("a daily, weekly or monthly schedule runs within 400 days")  # pragma: no cover

    def period_of(self, slot: datetime) -> tuple[datetime, datetime]:
        """The period a run at ``slot`` reports on: [start, end) as UTC instants of local midnights in ``zone``."""
        zone = zone_info(self.zone)
        today = slot.astimezone(zone).date()
        if self.period == "yesterday":
            first = today - timedelta(days=1)
        elif self.period == "last_7_days":
            first = today - timedelta(days=7)
        else:
            today = today.replace(day=1)
            first = (today - timedelta(days=1)).replace(day=1)
        return _midnight(first, zone), _midnight(today, zone)

    # ------------------------------------------------------------------------------------------------ documents

    def document(self) -> dict[str, Any]:
        """The schedule as stored and shown (JSON)."""
        return {
            "report": self.report,
            "target": self.target,
            "formats": list(self.formats),
            "html_body": self.html_body,
            "period": self.period,
            "cadence": self.cadence,
            "at": self.at.strftime("%H:%M"),
            "weekday": None if self.weekday is None else WEEKDAYS[self.weekday],
            "day": self.day,
            "zone": self.zone,
            "recipients": list(self.recipients),
            "language": self.language,
        }

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> ReportSchedule:
        weekday = doc.get("weekday")
        return cls(
            report=doc["report"],
            target=doc.get("target"),
            formats=tuple(doc.get("formats") or ()),
            period=doc["period"],
            cadence=doc["cadence"],
            at=parse_at(doc["at"]),
            recipients=tuple(doc["recipients"]),
            zone=doc.get("zone") or "UTC",
            weekday=None if weekday is None else parse_weekday(weekday),
            day=doc.get("day"),
            html_body=bool(doc.get("html_body", True)),
            language=doc.get("language") or "en",
        )


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone).astimezone(UTC)


# ------------------------------------------------------------------------------------------------ retries

RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15))  # then the run has failed


def retry_delay(failures: int, delays: tuple[timedelta, ...] = RETRY_DELAYS) -> timedelta | None:
    """How long after its ``failures``-th failed send (1, 2, ...) a run is tried again; None: no more tries."""
    if failures < 1:
        raise ValueError("failures counts from 1")
    return delays[failures - 1] if failures <= len(delays) else None


DeliveryStatus = Literal["ok", "partial", "retrying", "failed"]


@dataclass(frozen=True, slots=True)
class NextRun:
    """What a run's outcome leaves: its status, when the schedule runs next and for which slot, and how many sends
    of that slot have failed so far."""

    status: DeliveryStatus
    next_run_at: datetime
    slot_at: datetime
    failures: int


def after_send(
    schedule: ReportSchedule,
    slot: datetime,
    failures: int,
    *,
    sent: bool,
    partial: bool = False,
    now: datetime,
    delays: tuple[timedelta, ...] = RETRY_DELAYS,
) -> NextRun:
    """The schedule's next run after a send of ``slot`` (which had failed ``failures`` times before) at ``now``:
    a run sent to every recipient moves on to the first slot after now (a daemon that was down does not replay the
    runs it missed); a failed one is tried again for the same slot after ``retry_delay``, and after the last try it
    is recorded as failed and the schedule moves on. A ``partial`` run (some recipients have the mail, others were
    refused) is tried again the same way for the recipients still without it, and stays partial after the last."""
    if sent and not partial:
        following = schedule.next_run(max(now, slot))
        return NextRun("ok", following, following, 0)
    delay = retry_delay(failures + 1, delays)
    if delay is not None:
        return NextRun("partial" if sent else "retrying", now + delay, slot, failures + 1)
    following = schedule.next_run(max(now, slot))
    return NextRun("partial" if sent else "failed", following, following, 0)
