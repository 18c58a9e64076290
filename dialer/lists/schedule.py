"""Scheduled recycling, pure: a list's recycle rules applied every ``every`` (the daemon's scheduler job asks the
store which schedules are due at the clock's ``now``; the clock is passed in, never read here).

A scheduled run is the same recycle as a manual one (:mod:`dialer.lists.recycle` decides lead by lead), on that
list only, applied and audited as ``scheduler``; the next run is ``every`` after the run (a daemon that was down
does not replay the runs it missed: one run catches up).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from dialer.calls.outcome import Outcome
from dialer.i18n import M_
from dialer.lists.recycle import RecycleRule

MIN_EVERY = timedelta(minutes=5)
MAX_EVERY = timedelta(days=30)
MAX_RULES = 20


class ScheduleError(ValueError):
    """A schedule that cannot be kept (no rule, two rules for one outcome, an interval out of bounds)."""


@dataclass(frozen=True, slots=True)
class RecycleSchedule:
    rules: tuple[RecycleRule, ...]
    every: timedelta

    def __post_init__(self) -> None:
        if not self.rules or len(self.rules) > MAX_RULES:
            raise ScheduleError(M_("a schedule needs 1 to {max} rules", max=MAX_RULES))
        if len({r.outcome for r in self.rules}) != len(self.rules):
            raise ScheduleError(M_("one rule per outcome"))
        if not MIN_EVERY <= self.every <= MAX_EVERY:
            minutes = int(self.every.total_seconds() // 60)
            raise ScheduleError(
                M_(
                    "every must be between {min} minutes and {max} days, not {minutes} minutes",
                    min=int(MIN_EVERY.total_seconds() // 60),
                    max=MAX_EVERY.days,
                    minutes=minutes,
                )
            )

    def next_run(self, after: datetime) -> datetime:
        """When the run after one at ``after`` (or after the schedule was set at ``after``) is due."""
        if after.tzinfo is None:
            raise ValueError("after must be timezone-aware")
        return after + self.every

    @property
    def every_minutes(self) -> int:
        return int(self.every.total_seconds() // 60)

    def rules_document(self) -> list[dict[str, Any]]:
        """The rules as stored (JSON)."""
        return [
            {"outcome": r.outcome.value, "older_than_seconds": int(r.older_than.total_seconds())} for r in self.rules
        ]

    @classmethod
    def from_document(cls, rules: Iterable[Mapping[str, Any]], every_minutes: int) -> RecycleSchedule:
        return cls(
            tuple(RecycleRule(Outcome(r["outcome"]), timedelta(seconds=int(r["older_than_seconds"]))) for r in rules),
            timedelta(minutes=every_minutes),
        )
