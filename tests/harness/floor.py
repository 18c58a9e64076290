"""The floor of several daemons on one database (harness.web's world as daemon A): a second daemon served beside it,
and a daemon that stopped reporting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dialer.agents.registry import Agent, AgentStatus
from dialer.app import build_app
from dialer.appkeys import DATABASE
from dialer.store.floor import VIEW_FRESH_SECONDS, agent_facts, publish_view
from harness.web import WebWorld


async def second_daemon(world: WebWorld, tmp_path: Path, aiohttp_client: Any, node_id: str = "daemon-b") -> Any:
    """Daemon B: the production app on ``world``'s database, PBX and clock as node ``node_id`` (its own var dir
    under ``tmp_path``), served by the test client it returns. The first served runs the demo campaign."""
    var_dir = tmp_path / node_id
    var_dir.mkdir()
    settings = world.settings.model_copy(update={"node_id": node_id, "var_dir": var_dir})
    return await aiohttp_client(build_app(settings, clock=world.clock))


async def silent_daemon(world: WebWorld) -> None:
    """A daemon killed a while ago, "daemon-c": its last view of the floor, carol ready in outbound-agents, is
    older than the floor counts as live."""
    at = datetime.fromtimestamp(world.clock.now(), UTC) - timedelta(seconds=VIEW_FRESH_SECONDS + 5)
    carol = Agent("carol", "Local/carol@sim-agents", "carol", frozenset({"outbound-agents"}), AgentStatus.READY)
    await publish_view(world.app[DATABASE], "daemon-c", [agent_facts(carol, {})], [], at)
