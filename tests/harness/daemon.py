"""Bringing a daemon up on the simulated PBX, with its agents logged in and ready."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from dialer.daemon import Dialer


async def connect(dialer: Dialer, *, every_server: bool = False) -> None:
    """The daemon logged in to AMI (to one server, or with ``every_server`` to all of them), campaigns loaded."""
    await dialer.start_connections()

    def up() -> bool:
        return all(c.client.is_up for c in dialer.connections) if every_server else dialer.pool.any_up()

    for _ in range(300):
        if up():
            break
        await asyncio.sleep(0.01)
    assert up(), "the daemon did not log in to the simulated PBX"
    await dialer.load_campaigns()


async def agents_ready(dialer: Dialer, agents: Iterable[str], queues: list[str]) -> None:
    """Each agent's phone on the simulated PBX's agents context, logged in to ``queues`` and ready."""
    for agent in agents:
        dialer.agents.register(agent, f"Local/{agent}@sim-agents")
        await dialer.agents.login(agent, queues)
        await dialer.agents.ready(agent)
