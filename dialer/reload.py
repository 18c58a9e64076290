"""SIGHUP: reload the log level from the settings file and re-apply the campaign files of ``campaigns_dir``.

Campaign files are applied to the database (idempotently, like `dialer campaign apply`); the scheduler's state sync
then hands the new rules to the running campaigns within two seconds. A file that does not validate is reported and
skipped: the campaign keeps its current rules. Settings other than the log level (database, AMI servers, HTTP)
need a restart, and the log says so when they changed.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from dialer.campaign.config import CampaignConfigError, load_campaign_file
from dialer.logging import configure_logging, get_logger
from dialer.settings import Settings, SettingsError, load_settings
from dialer.store.campaigns import apply_campaign
from dialer.store.engine import Database

log = get_logger(__name__)


@dataclass
class ReloadResult:
    applied: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    restart_needed: list[str] = field(default_factory=list)


async def reload_campaign_files(db: Database, directory: Path, now: datetime) -> ReloadResult:
    result = ReloadResult()
    paths = await asyncio.to_thread(lambda: sorted(directory.glob("*.toml")))
    for path in paths:
        try:
            config = load_campaign_file(path)
        except (CampaignConfigError, OSError) as exc:
            result.failed[str(path)] = str(exc)
            log.warning("campaign_file_rejected", file=str(path), error=str(exc))
            continue
        applied = await apply_campaign(db, config.name, config.model_dump(mode="json"), now, actor="reload")
        (result.unchanged if applied.unchanged else result.applied).append(config.name)
    return result


async def reload(current: Settings, db: Database, config_file: Path | None) -> ReloadResult:
    try:
        fresh = load_settings(config_file)
    except SettingsError as exc:
        log.error("settings_reload_rejected", error=str(exc))
        fresh = current
    result = await reload_campaign_files(db, fresh.campaigns_dir, datetime.now(UTC))
    if fresh.log_level != current.log_level or fresh.log_format != current.log_format:
        configure_logging(fresh.log_level, fresh.log_format)
    for name in ("database_url", "ami", "http", "inbound_queues"):
        if getattr(fresh, name) != getattr(current, name):
            result.restart_needed.append(name)
    log.info(
        "reloaded",
        campaigns_applied=result.applied,
        campaigns_failed=sorted(result.failed),
        restart_needed=result.restart_needed,
    )
    return result
