"""The pacer's view of a campaign: a campaign file's settings as the pure pacer's ``PacingSettings``.

Used by the live runner and by the staffing what-if (both pace a campaign the same way)."""

from __future__ import annotations

from dialer.campaign.config import CampaignConfig
from dialer.pacing.snapshot import PacingMode, PacingSettings


def pacing_settings(config: CampaignConfig) -> PacingSettings:
    """The pacer's view of a campaign file (regime + overrides already resolved by the config model)."""
    override = min(
        max(config.pacing.aggressiveness, PacingSettings.MIN_AGGRESSIVENESS), PacingSettings.MAX_AGGRESSIVENESS
    )
    return PacingSettings(
        mode=PacingMode(config.dial_mode.value),
        power_ratio=config.pacing.power_ratio,
        abandon_cap=config.abandon_cap,
        abandon_setpoint=min(config.abandon_target, config.abandon_cap),
        window_hours=config.abandon_window.total_seconds() / 3600.0,
        aggressiveness=override,
        max_wait_seconds=config.regime_preset.max_connect_seconds,
        max_calls_per_agent=config.pacing.max_lines_per_agent,
        # The regime's AMD false-positive estimate: the guard and the setpoint count the people AMD will still hang
        # up on (calls in flight, new calls). Finished calls enter the window through ``count_answer``.
        amd_false_positive_rate=config.abandon_rules.amd_false_positive_rate,
        amd_pause_near_cap=config.amd_pauses_near_cap,
    )
