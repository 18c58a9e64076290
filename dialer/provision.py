"""Provision a campaign in one go: apply its config, import a lead file, set its state.

What `dialer campaign apply` + `dialer leads import` + `dialer campaign start` do, for the demo, the benchmarks and
the end-to-end tests (the CLI keeps its own steps: it reports each one and writes the error file).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import overload

from dialer.campaign.config import CampaignConfig
from dialer.campaign.state import CampaignState
from dialer.store.campaigns import apply_campaign, set_campaign_state
from dialer.store.engine import Database
from dialer.store.imports import ImportSummary, import_lead_csv


@overload
async def provision_campaign(
    db: Database,
    config: CampaignConfig,
    leads: Path,
    now: datetime,
    *,
    region: str | None = None,
    state: CampaignState = CampaignState.RUNNING,
) -> ImportSummary: ...


@overload
async def provision_campaign(
    db: Database,
    config: CampaignConfig,
    leads: None,
    now: datetime,
    *,
    region: str | None = None,
    state: CampaignState = CampaignState.RUNNING,
) -> None: ...


async def provision_campaign(
    db: Database,
    config: CampaignConfig,
    leads: Path | None,
    now: datetime,
    *,
    region: str | None = None,
    state: CampaignState = CampaignState.RUNNING,
) -> ImportSummary | None:
    """Apply ``config``, import ``leads`` into it (bad rows skipped; None: a campaign with no leads yet -- a lead
    file with no rows is refused), leave it in ``state``."""
    applied = await apply_campaign(db, config.name, config.model_dump(mode="json"), now)
    summary = None
    if leads is not None:
        summary = await import_lead_csv(
            db, leads, campaign_id=applied.campaign.id, region=region or config.default_region, now=now
        )
    await set_campaign_state(db, config.name, state, now)
    return summary
