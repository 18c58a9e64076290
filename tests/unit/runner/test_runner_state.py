"""A runner's live state follows the stored campaign state through one mapping (the daemon, its ownership and the
scheduler's state sync all use it)."""

from __future__ import annotations

from dialer.campaign.state import CampaignState
from dialer.runner.state import RunnerState


def test_every_stored_state_has_its_live_state() -> None:
    assert {s: RunnerState.following(s) for s in CampaignState} == {
        CampaignState.RUNNING: RunnerState.RUNNING,
        CampaignState.PAUSED: RunnerState.PAUSED,
        CampaignState.STOPPED: RunnerState.STOPPED,
    }


def test_the_daemons_own_states_are_not_stored_ones() -> None:
    assert {s.value for s in RunnerState} - {s.value for s in CampaignState} == {"draining", "standby"}
