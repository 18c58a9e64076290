"""The stored campaign states and the operator commands that ask for them."""

from __future__ import annotations

import pytest

from dialer.campaign.state import CampaignState
from dialer.store.tables import CAMPAIGN_STATES


def test_commands_map_onto_stored_states() -> None:
    assert CampaignState.for_command("start") is CampaignState.RUNNING
    assert CampaignState.for_command("pause") is CampaignState.PAUSED
    assert CampaignState.for_command("stop") is CampaignState.STOPPED
    with pytest.raises(KeyError):
        CampaignState.for_command("resume")


def test_the_store_accepts_exactly_these_states() -> None:
    assert set(CAMPAIGN_STATES) == {"stopped", "running", "paused"} == set(CampaignState)
    assert CampaignState("running") == "running"  # the stored text itself
