"""The typed keys of every object shared through the aiohttp application (declared in one place)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from aiohttp import web

from dialer.campaign.config import CampaignConfig
from dialer.ops.shutdown import ShutdownController
from dialer.ops.systemd import SystemdNotifier
from dialer.settings import Settings
from dialer.store.engine import Database

if TYPE_CHECKING:
    from dialer.daemon import Dialer


class CampaignSchedule(Protocol):
    """What the web tier asks of the campaign scheduler (dialer.scheduler.CampaignScheduler, which imports this
    module for its key): re-plan a campaign's timed jobs after its configuration changed."""

    def schedule_campaign(self, config: CampaignConfig) -> None: ...


SETTINGS = web.AppKey("settings", Settings)
DATABASE = web.AppKey("database", Database)
DIALER: web.AppKey[Dialer] = web.AppKey("dialer")
SCHEDULER: web.AppKey[CampaignSchedule] = web.AppKey("scheduler")
SHUTDOWN = web.AppKey("shutdown", ShutdownController)
NOTIFIER = web.AppKey("notifier", SystemdNotifier)
CLOCK: web.AppKey[Any] = web.AppKey("clock")
CONFIG_FILE = web.AppKey("config_file", Path)  # the settings file SIGHUP re-reads (None: environment only)
# Extra cleanup contexts: "before" the dialer (the demo's simulated PBX), "after" the runners (simulated agents).
BEFORE_CONTEXTS: web.AppKey[list[Any]] = web.AppKey("before_contexts")
AFTER_CONTEXTS: web.AppKey[list[Any]] = web.AppKey("after_contexts")
