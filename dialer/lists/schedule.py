"""Scheduled recycling, pure: a list's recycle rules applied every ``every``, or at the times of day and weekdays
of a crontab line (``at``: "0 9 * * mon-fri", read in the IANA zone ``zone`` -- the list's campaign's, so 09:00 is
09:00 there, summer and winter) with APScheduler's cron trigger. The daemon's scheduler job asks the store which
schedules are due at the clock's ``now``; the clock is passed in, never read here.

A scheduled run is the same recycle as a manual one (:mod:`dialer.lists.recycle` decides lead by lead), on that
list only, applied and audited as ``scheduler``; the next run is ``every`` after the run (a daemon that was down
does not replay the runs it missed: one run catches up); for ``at``, the next time the line names after the run.
A line may not fire more often than every MIN_EVERY (checked over its next runs when it is set).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

from dialer.calls.outcome import Outcome
from dialer.i18n import M_
from dialer.lists.recycle import RecycleRule

MIN_EVERY = timedelta(minutes=5)
MAX_EVERY = timedelta(days=30)
MAX_RULES = 20
SPACING_CHECKED_RUNS = 60  # how many successive runs of a crontab line are checked against MIN_EVERY


class ScheduleError(ValueError):
    """A schedule that cannot be kept (no rule, two rules for one outcome, an interval out of bounds)."""


@dataclass(frozen=True, slots=True)
class RecycleSchedule:
    """``rules`` run every ``every``, or (``at``, a crontab line: minute hour day-of-month month day-of-week) at
    those times in ``zone``. Exactly one of ``every`` and ``at``."""

    rules: tuple[RecycleRule, ...]
    every: timedelta | None
    at: str | None = None
    zone: str = "UTC"

    def __post_init__(self) -> None:
        if not self.rules or len(self.rules) > MAX_RULES:
            raise ScheduleError(M_("a schedule needs 1 to {max} rules", max=MAX_RULES))
        if len({r.outcome for r in self.rules}) != len(self.rules):
            raise ScheduleError(M_("one rule per outcome"))
        if (self.every is None) == (self.at is None):
            raise ScheduleError(M_("give either every (an interval) or at (a crontab line such as '0 9 * * mon-fri')"))
        if self.every is not None and not MIN_EVERY <= self.every <= MAX_EVERY:
            minutes = int(self.every.total_seconds() // 60)
            raise ScheduleError(
                M_(
                    "every must be between {min} minutes and {max} days, not {minutes} minutes",
                    min=int(MIN_EVERY.total_seconds() // 60),
                    max=MAX_EVERY.days,
                    minutes=minutes,
                )
            )
        if self.at is not None:
            _check_spacing(self.at, self._trigger())

    def _trigger(self) -> CronTrigger:
        assert self.at is not None
        try:
            zone = ZoneInfo(self.zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ScheduleError(
                M_("unknown time zone '{zone}' (an IANA name such as 'Europe/Paris')", zone=self.zone)
            ) from exc
        if len(self.at) > 100:
            raise ScheduleError(M_("at: a crontab line of at most 100 characters"))
        try:
            return CronTrigger.from_crontab(self.at, timezone=zone)
        except ValueError as exc:
            raise ScheduleError(
                M_(
                    "at '{at}' is not a crontab line (minute hour day-of-month month day-of-week, e.g. "
                    "'0 9 * * mon-fri'): {error}",
                    at=self.at,
                    error=str(exc),
                )
            ) from exc

    def next_run(self, after: datetime) -> datetime:
        """When the run after one at ``after`` (or after the schedule was set at ``after``) is due."""
        if after.tzinfo is None:
            raise ValueError("after must be timezone-aware")
        if self.every is not None:
            return after + self.every
        fire: datetime | None = self._trigger().get_next_fire_time(None, after + timedelta(seconds=1))
        if fire is None:  # (a line naming a date that never comes, e.g. 30 February: refused when set)
            raise ScheduleError(M_("at '{at}' never runs", at=self.at))
        return fire.astimezone(UTC)

    @property
    def every_minutes(self) -> int | None:
        return None if self.every is None else int(self.every.total_seconds() // 60)

    def rules_document(self) -> list[dict[str, Any]]:
        """The rules as stored (JSON)."""
        return [
            {"outcome": r.outcome.value, "older_than_seconds": int(r.older_than.total_seconds())} for r in self.rules
        ]

    @classmethod
    def from_document(
        cls, rules: Iterable[Mapping[str, Any]], every_minutes: int | None, at: str | None = None, zone: str = "UTC"
    ) -> RecycleSchedule:
        return cls(
            tuple(RecycleRule(Outcome(r["outcome"]), timedelta(seconds=int(r["older_than_seconds"]))) for r in rules),
            None if every_minutes is None else timedelta(minutes=every_minutes),
            at,
            zone,
        )


def _check_spacing(at: str, trigger: CronTrigger) -> None:
    """Refuse a line that never fires or fires more often than every MIN_EVERY (over its next runs)."""
    previous = trigger.get_next_fire_time(None, datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC")))
    if previous is None:
        raise ScheduleError(M_("at '{at}' never runs", at=at))
    for _ in range(SPACING_CHECKED_RUNS):
        fire = trigger.get_next_fire_time(previous, previous + timedelta(seconds=1))
        if fire is None:
            return
        if fire - previous < MIN_EVERY:
            raise ScheduleError(
                M_(
                    "at '{at}' runs more often than every {minutes} minutes ({first} then {second})",
                    at=at,
                    minutes=int(MIN_EVERY.total_seconds() // 60),
                    first=previous.strftime("%H:%M"),
                    second=fire.strftime("%H:%M"),
                )
            )
        previous = fire
