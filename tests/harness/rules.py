"""Test oracles of the lead rules, written apart from the code they check (dialer.campaign.rules)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from dialer.campaign.config import CampaignConfig
from dialer.campaign.rules import NotDialableReason

# What the claim refuses outright: a lead recycled (by hand or on a schedule) must never be refused for one of these.
CLAIM_REFUSES = frozenset(
    {
        NotDialableReason.DNC,
        NotDialableReason.DONE,
        NotDialableReason.ARCHIVED,
        NotDialableReason.MAX_ATTEMPTS,
        NotDialableReason.MAX_DIALS,
        NotDialableReason.IN_CALL,
    }
)


def open_everywhere(c: CampaignConfig, at: datetime, zones: tuple[str, ...]) -> bool:
    """Whether the campaign's calling window is open at ``at`` in every one of the lead's candidate zones."""
    for zone in zones:
        local = at.astimezone(ZoneInfo(zone))
        hours = c.window.days[local.weekday()]
        if hours is None or not hours.contains(local.time()):
            return False
    return bool(zones)
