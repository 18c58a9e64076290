"""Recording consent: which calls play the consent announcement (none unless the campaign asks: always, or by its
regime -- UK and CA every recorded call, US the all-party-consent states) and what the Originate carries for it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dialer.campaign.config import CampaignConfig, load_campaign
from dialer.contract import RECORDING_CONSENT_VARIABLE, RECORDING_VARIABLE
from dialer.recording.consent import consent_required, us_state
from dialer.recording.service import originate_variables
from dialer.settings import RecordingSettings

BASE: dict[str, Any] = {"name": "rec", "queue": "q", "trunk": "PJSIP/{number}@carrier"}
CALLER = {"US": "+12025550100", "UK": "+442079460000", "CA": "+14165550100"}


def campaign(regime: str, **extra: object) -> CampaignConfig:
    return load_campaign({**BASE, "regime": regime, "caller_id": {"number": CALLER[regime]}, **extra})


@pytest.mark.parametrize(
    ("number", "state"),
    [
        ("+14155550123", "CA"),  # San Francisco
        ("+13055550100", "FL"),  # Miami
        ("+12065550100", "WA"),  # Seattle ("Washington State")
        ("+12125550123", "NY"),
        ("+15035550100", "OR"),
        ("+18005550100", None),  # toll-free: no state
        ("+442079460000", None),
    ],
)
def test_the_state_of_a_us_number(number: str, state: str | None) -> None:
    assert us_state(number) == state


def test_no_announcement_by_default_the_scripts_notice_instead() -> None:
    # (an announcement before the call is queued delays the agent past the 2-second rule: opt-in only)
    for regime, number in (("US", "+14155550123"), ("UK", "+442079460001"), ("CA", "+14165550101")):
        assert not consent_required(campaign(regime, recording="all"), number)


def test_by_regime_us_follows_the_called_partys_state() -> None:
    config = campaign("US", recording="all", recording_consent="regime")
    assert consent_required(config, "+14155550123")  # California: all-party consent
    assert consent_required(config, "+13055550100")  # Florida
    assert not consent_required(config, "+12125550123")  # New York: one-party consent
    assert consent_required(config, "+18005550100")  # state unknown: announced
    # Never for a call that is not recorded; the campaign's own choice wins.
    assert not consent_required(campaign("US"), "+14155550123")
    assert consent_required(campaign("US", recording="on_demand", recording_consent=True), "+12125550123")
    assert not consent_required(campaign("US", recording="all", recording_consent=False), "+14155550123")


@pytest.mark.parametrize("regime", ["UK", "CA"])
def test_by_regime_uk_and_ca_announce_every_recorded_call(regime: str) -> None:
    number = "+442079460001" if regime == "UK" else "+14165550101"
    assert consent_required(campaign(regime, recording="all", recording_consent="regime"), number)
    assert not consent_required(campaign(regime, recording="all", recording_consent=False), number)
    assert not consent_required(campaign(regime, recording_consent="regime"), number)


def test_the_originate_asks_the_dialplan_for_the_announcement(tmp_path: Path) -> None:
    settings = RecordingSettings(directory=tmp_path)
    config = campaign("US", recording="all")
    plain = originate_variables(config.recording, settings, 7)
    assert RECORDING_CONSENT_VARIABLE not in plain
    announced = originate_variables(config.recording, settings, 7, consent=True)
    assert announced == {**plain, RECORDING_CONSENT_VARIABLE: "1"}
    assert RECORDING_VARIABLE in announced
    assert originate_variables(campaign("US").recording, settings, 7, consent=True) == {}
