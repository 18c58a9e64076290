"""Campaign schedule: crontab start/stop pairs in the campaign's time zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from harness.campaign import minimal_campaign

from dialer.campaign.config import CampaignConfig, CampaignConfigError
from dialer.campaign.schedule import schedule_state


def campaign(schedule: list[dict[str, str]], tz: str = "America/New_York") -> CampaignConfig:
    return minimal_campaign("sched", timezone=tz, schedule=schedule)


OFFICE = [{"start": "0 9 * * mon-fri", "stop": "0 18 * * mon-fri"}]


@pytest.mark.parametrize(
    ("now", "running"),
    [
        (datetime(2026, 7, 1, 13, 0, tzinfo=UTC), True),  # Wed 09:00 EDT: the start fires
        (datetime(2026, 7, 1, 12, 59, tzinfo=UTC), False),
        (datetime(2026, 7, 1, 21, 59, tzinfo=UTC), True),  # 17:59 EDT
        (datetime(2026, 7, 1, 22, 0, tzinfo=UTC), False),  # 18:00 EDT: the stop fires
        (datetime(2026, 7, 4, 15, 0, tzinfo=UTC), False),  # Saturday
        (datetime(2026, 1, 7, 14, 0, tzinfo=UTC), True),  # Wed 09:00 EST (winter offset)
        (datetime(2026, 1, 7, 13, 30, tzinfo=UTC), False),
    ],
)
def test_office_hours(now: datetime, running: bool) -> None:
    assert schedule_state(campaign(OFFICE), now).running is running


def test_next_change_is_reported() -> None:
    state = schedule_state(campaign(OFFICE), datetime(2026, 7, 3, 23, 0, tzinfo=UTC))  # Friday 19:00 EDT
    assert not state.running
    assert state.next_change == datetime(2026, 7, 6, 13, 0, tzinfo=UTC)  # Monday 09:00 EDT
    running = schedule_state(campaign(OFFICE), datetime(2026, 7, 6, 14, 0, tzinfo=UTC))
    assert running.next_change == datetime(2026, 7, 6, 22, 0, tzinfo=UTC)


def test_no_schedule_always_runs() -> None:
    assert schedule_state(campaign([]), datetime(2026, 7, 4, 3, 0, tzinfo=UTC)).running


def test_any_rule_running_is_enough() -> None:
    rules = [*OFFICE, {"start": "0 10 * * sat", "stop": "0 14 * * sat"}]
    assert schedule_state(campaign(rules), datetime(2026, 7, 4, 15, 0, tzinfo=UTC)).running  # Sat 11:00 EDT


def test_bad_crontab_is_refused() -> None:
    with pytest.raises(CampaignConfigError, match="crontab"):
        campaign([{"start": "every morning", "stop": "0 18 * * *"}])
