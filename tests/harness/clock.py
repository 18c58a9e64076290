"""Where every simulated world starts."""

from __future__ import annotations

from datetime import UTC, datetime

from dialer.clock import Clock

# Monday 2026-11-23 16:00 UTC = 11:00 in New York, 01:00 in Tokyo: US leads are inside their calling windows.
START_EPOCH = 1_795_449_600.0


def clock_dt(clock: Clock) -> datetime:
    return datetime.fromtimestamp(clock.now(), UTC)
