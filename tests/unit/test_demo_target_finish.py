"""The demo's agentless reminder aims at a finish ahead of the demo's start, whenever it is run: its file's fixed
17:00 would show "behind" from the first minute of any demo started later in the day."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from dialer.demo import agentless_config

REMINDER = Path(__file__).resolve().parents[2] / "campaigns" / "reminder.toml"


def test_the_demo_reminder_aims_two_hours_after_the_demo_starts() -> None:
    assert agentless_config(REMINDER).agentless.target_finish == "17:00"  # the file, as `campaign apply` stores it
    evening = datetime(2026, 12, 7, 23, 10, tzinfo=UTC)  # 18:10 in New York, the campaign's zone
    assert agentless_config(REMINDER, evening).agentless.target_finish == "20:10"
    late = datetime(2026, 12, 8, 3, 30, tzinfo=UTC)  # 22:30 in New York: the target is a time of that day
    assert agentless_config(REMINDER, late).agentless.target_finish == "23:59"
    config = agentless_config(REMINDER, evening)
    assert config.ivr  # the flow stays embedded
