"""Which earlier call an agent may still disposition (dialer.campaign.late_disposition): pure, the clock given."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from harness.campaign import minimal_campaign, minimal_campaign_data

from dialer.campaign.config import CampaignConfigError, load_campaign
from dialer.campaign.late_disposition import (
    CallDispositionState,
    LateRefusal,
    late_disposition_deadline,
    late_disposition_refusal,
    refusal_error,
)
from dialer.i18n import render, use_locale

ENDED = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
DAY = timedelta(hours=24)
LEFT = CallDispositionState(
    agent="ann", ended_at=ENDED, disposition=None, timed_out_disposition=None, late_disposition_at=None
)
TIMED_OUT = replace(LEFT, disposition="no_disposition", timed_out_disposition="no_disposition")


@pytest.mark.parametrize("call", [LEFT, TIMED_OUT], ids=["no disposition", "timeout disposition only"])
def test_a_call_left_without_the_agents_disposition_may_take_one_within_the_window(call: CallDispositionState) -> None:
    assert late_disposition_refusal(call, "ann", ENDED + timedelta(minutes=5), DAY) is None
    assert late_disposition_refusal(call, "ann", ENDED + DAY, DAY) is None  # the window's last instant included


def test_only_the_agent_who_took_the_call() -> None:
    assert late_disposition_refusal(LEFT, "bob", ENDED, DAY) is LateRefusal.NOT_YOURS
    assert late_disposition_refusal(replace(LEFT, agent=None), "ann", ENDED, DAY) is LateRefusal.NOT_YOURS


def test_a_call_the_agent_dispositioned_is_not_dispositioned_again() -> None:
    theirs = replace(LEFT, disposition="sale")
    assert late_disposition_refusal(theirs, "ann", ENDED, DAY) is LateRefusal.DISPOSITIONED
    # The agent chose the same code the timeout gives: it was theirs, not the timeout's.
    chosen = replace(LEFT, disposition="no_disposition")
    assert late_disposition_refusal(chosen, "ann", ENDED, DAY) is LateRefusal.DISPOSITIONED
    # Once late: never twice.
    late = replace(TIMED_OUT, disposition="dnc", late_disposition_at=ENDED + timedelta(hours=1))
    assert late_disposition_refusal(late, "ann", ENDED + timedelta(hours=2), DAY) is LateRefusal.DISPOSITIONED
    late_same_code = replace(TIMED_OUT, late_disposition_at=ENDED + timedelta(hours=1))
    assert late_disposition_refusal(late_same_code, "ann", ENDED, DAY) is LateRefusal.DISPOSITIONED


def test_out_of_the_window_it_is_too_late() -> None:
    assert late_disposition_refusal(TIMED_OUT, "ann", ENDED + DAY + timedelta(seconds=1), DAY) is LateRefusal.TOO_LATE
    assert late_disposition_refusal(LEFT, "ann", ENDED + timedelta(seconds=1), timedelta(0)) is LateRefusal.TOO_LATE


def test_a_call_still_up_is_dispositioned_on_the_console_not_late() -> None:
    up = replace(LEFT, ended_at=None)
    assert late_disposition_refusal(up, "ann", ENDED, DAY) is LateRefusal.STILL_UP
    assert late_disposition_deadline(up, DAY) is None
    assert late_disposition_deadline(LEFT, DAY) == ENDED + DAY


@pytest.mark.parametrize("refusal", list(LateRefusal))
def test_each_refusal_says_why_in_the_readers_language(refusal: LateRefusal) -> None:
    error = refusal_error(refusal, TIMED_OUT, 42, DAY)
    assert error.refusal is refusal
    english = render(error.args[0], "en")
    assert "42" in english
    assert render(error.args[0], "ja") != english


def test_the_window_is_a_campaign_setting_24_hours_by_default() -> None:
    assert minimal_campaign().late_disposition_window == timedelta(hours=24)
    assert minimal_campaign(late_disposition_hours=0).late_disposition_window == timedelta(0)
    assert minimal_campaign(late_disposition_hours=720).late_disposition_window == timedelta(days=30)


@pytest.mark.parametrize("hours", [-1, 721, "a day", 1.5])
def test_a_window_out_of_range_is_refused_naming_the_setting_in_the_readers_language(hours: object) -> None:
    said: dict[str, str] = {}
    for locale in ("en", "ja"):
        with use_locale(locale), pytest.raises(CampaignConfigError) as caught:
            load_campaign(minimal_campaign_data(late_disposition_hours=hours), "spring.toml")
        with use_locale(locale):
            said[locale] = str(caught.value)
        assert "late_disposition_hours" in said[locale]
    assert said["en"] != said["ja"]
