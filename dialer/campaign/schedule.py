"""The campaign's optional running schedule: crontab start/stop pairs in the campaign's time zone (pure).

A rule is "on" from a start fire time until the next stop fire time. The campaign runs when any rule is on; with
no rules it runs whenever it is started. The calling window per lead applies on top of this.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.triggers.cron import CronTrigger

from dialer.campaign.config import CampaignConfig
from dialer.campaign.sections import ScheduleRule
from dialer.campaign.windows import zone

LOOKBACK = timedelta(days=8)  # a weekly schedule fires at least once in this span
MAX_FIRES = 20_000  # cron rules firing every minute are searched this far, then given up on


@dataclass(frozen=True, slots=True)
class ScheduleState:
    running: bool
    since: datetime | None  # last start (running) or stop (not running) seen within the lookback
    next_change: datetime | None  # next start (not running) or stop (running)
    detail: str


def _trigger(expr: str, tz_name: str) -> CronTrigger:
    return CronTrigger.from_crontab(expr, timezone=zone(tz_name))


def _last_fire_at_or_before(trigger: CronTrigger, now: datetime) -> datetime | None:
    fire: datetime | None = trigger.get_next_fire_time(None, now - LOOKBACK)
    last: datetime | None = None
    for _ in range(MAX_FIRES):
        if fire is None or fire > now:
            return last
        last = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return last


def _next_fire_after(trigger: CronTrigger, now: datetime) -> datetime | None:
    nxt: datetime | None = trigger.get_next_fire_time(None, now + timedelta(microseconds=1))
    return nxt


def _rule_state(rule: ScheduleRule, tz_name: str, now: datetime) -> ScheduleState:
    start, stop = _trigger(rule.start, tz_name), _trigger(rule.stop, tz_name)
    last_start = _last_fire_at_or_before(start, now)
    last_stop = _last_fire_at_or_before(stop, now)
    running = last_start is not None and (last_stop is None or last_start > last_stop)
    if running:
        return ScheduleState(True, last_start, _next_fire_after(stop, now), f"started by '{rule.start}'")
    return ScheduleState(False, last_stop, _next_fire_after(start, now), f"next start by '{rule.start}'")


def schedule_state(campaign: CampaignConfig, now: datetime) -> ScheduleState:
    """Is the campaign inside its schedule at ``now``, and when does that change?"""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not campaign.schedule:
        return ScheduleState(True, None, None, "no schedule: runs whenever started")
    states = [_rule_state(rule, campaign.timezone, now) for rule in campaign.schedule]
    running = [s for s in states if s.running]
    if running:
        # Running until the last of the running rules stops.
        stops = [s.next_change for s in running]
        end = None if any(s is None for s in stops) else max(s for s in stops if s is not None)
        return ScheduleState(True, min(s.since for s in running if s.since), end, running[0].detail)
    starts = [s.next_change for s in states if s.next_change is not None]
    nxt = min(starts) if starts else None
    detail = "outside the campaign schedule" + (f"; next start {nxt.isoformat()}" if nxt else "")
    return ScheduleState(False, None, nxt, detail)
