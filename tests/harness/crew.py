"""Simulated agents who disposition their calls."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable

from dialer.agents.registry import AgentStatus
from dialer.clock import ManualClock
from dialer.daemon import Dialer


class Crew:
    """The agents of one daemon: each dispositions their call of ``campaign`` a couple of simulated seconds into
    wrap-up (a final code at random, or what ``choose`` says for the attempt id; recorded in ``dispositions`` by
    attempt id when given), or ends a wrap-up that has no call. A daemon killed or a database away mid-disposition
    does not stop the crew. With ``announce`` (settable while it works) each agent also says "ready in ``announce``
    s" as their wrap-up starts."""

    def __init__(
        self,
        dialer: Dialer,
        campaign: str,
        clock: ManualClock,
        *,
        codes: tuple[str, ...] = ("sale", "not_interested"),
        dispositions: dict[str, str] | None = None,
        choose: Callable[[int], str] | None = None,
    ) -> None:
        self.dialer, self.campaign, self.clock = dialer, campaign, clock
        self.codes = codes
        self.choose = choose
        self.dispositions = dispositions
        self.rng = random.Random(5)
        self.announce: float | None = None
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self.work())

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()

    async def stopped(self) -> None:
        """Wait until the cancelled crew has let go (a disposition it was writing must not outlive the database)."""
        if self.task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    async def work(self) -> None:
        seen: dict[str, float] = {}
        while True:
            await self.clock.sleep(1.0)
            now = self.clock.now()
            # (looked up each round: the scheduler may load the campaign after the crew starts, or unload it)
            runner = self.dialer.runners.get(self.campaign)
            for agent in self.dialer.agents.registry.agents():
                if agent.status is not AgentStatus.WRAPUP:
                    seen.pop(agent.agent_id, None)
                    continue
                if agent.agent_id not in seen:
                    seen[agent.agent_id] = now
                    if self.announce is not None:
                        with contextlib.suppress(Exception):
                            await self.dialer.agents.announce_ready(agent.agent_id, self.announce)
                if now - seen[agent.agent_id] < 2.0:
                    continue
                seen.pop(agent.agent_id, None)
                with contextlib.suppress(Exception):
                    attempt = None if runner is None else runner.attempt_of_agent(agent.agent_id)
                    if runner is None or attempt is None:
                        await self.dialer.agents.finish_wrapup(agent.agent_id)
                        continue
                    code = self.choose(attempt) if self.choose is not None else self.rng.choice(self.codes)
                    if self.dispositions is not None:
                        self.dispositions[str(attempt)] = code
                    await runner.disposition(agent.agent_id, code)
