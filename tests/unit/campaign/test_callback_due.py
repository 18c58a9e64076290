"""A callback scheduled by hand (not by a disposition) is due in the future and within a year."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dialer.campaign.rules import CALLBACK_HORIZON, CallbackTimeError, check_callback_due

NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize("due", [NOW + timedelta(seconds=1), NOW + timedelta(days=30), NOW + CALLBACK_HORIZON])
def test_a_callback_due_ahead_within_the_horizon_is_accepted(due: datetime) -> None:
    check_callback_due(due, NOW)


@pytest.mark.parametrize(
    ("due", "why"),
    [
        (NOW, "must be in the future"),
        (NOW - timedelta(hours=1), "must be in the future"),
        (NOW + CALLBACK_HORIZON + timedelta(seconds=1), "must be within a year"),
    ],
)
def test_a_callback_due_now_in_the_past_or_beyond_a_year_is_refused(due: datetime, why: str) -> None:
    with pytest.raises(CallbackTimeError, match=why):
        check_callback_due(due, NOW)
