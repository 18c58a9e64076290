"""A webhook receiver that sleeps 30 s on every delivery changes no pacing decision (issue 18 §1): the same world
paced with and without a subscriber of every event behind such a receiver takes the same decisions and places
the same calls, in the same order, while the deliveries of those very calls hang at the receiver."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from harness.e2e import clock_dt, make_world
from harness.faults import HeldAnswers
from webhook_receiver import Receiver

from dialer.settings import WebhookSettings
from dialer.store.webhooks import create_subscription
from dialer.webhooks.core import SUBSCRIBABLE
from dialer.webhooks.worker import WebhookWorker


async def pace(tmp_path: Path, receiver: Receiver | None) -> dict[str, Any]:
    async with make_world(
        tmp_path, campaign={"dial_mode": "progressive"}, us_leads=20, japan_leads=0, agents=3, crew=False,
        state="paused",
    ) as world:  # fmt: skip
        runner = world.dialer.runner("e2e")
        server = world.dialer.pool.servers[0]
        held = HeldAnswers(server.client)
        server.client = held
        worker_task = None
        if receiver is not None:
            await create_subscription(
                world.db,
                campaign_id=runner.campaign_id,
                url=receiver.url,
                events=SUBSCRIBABLE,
                secret=receiver.secret,
                now=clock_dt(world.clock),
            )
            settings = WebhookSettings(
                allowed_destinations=["127.0.0.1/32"], timeout_seconds=60.0, poll_interval_seconds=0.02
            )
            worker = WebhookWorker(world.db, settings, now=lambda: clock_dt(world.clock))
            worker_task = asyncio.create_task(worker.run())
        try:
            await world.quiesce()
            await world.dialer.set_campaign("e2e", "start")
            for _ in range(500):
                if len(held.requests) == 3 and not runner.stepping:
                    break
                await asyncio.sleep(0.002)
            first = runner.last_decision
            if receiver is not None:  # the calls' call.started deliveries are hanging at the receiver now
                for _ in range(500):
                    if len(receiver.deliveries) >= 3:
                        break
                    await asyncio.sleep(0.01)
                assert len(receiver.deliveries) == 3
                assert not receiver.acknowledged()
            placed_again = await runner.step()
            second = runner.last_decision
            held.release.set()
            await world.quiesce()
            assert first is not None
            assert second is not None
            return {
                "calls": [(r.channel, r.attempt_id, r.caller_id, r.timeout_ms) for r in held.requests],
                "first": first.explanation,
                "second": second.explanation,
                "placed_again": placed_again,
                "attempts": runner.counters.attempts,
            }
        finally:
            if worker_task is not None:
                worker_task.cancel()
                await asyncio.gather(worker_task, return_exceptions=True)


async def test_a_sleeping_receiver_changes_no_pacing_decision(tmp_path: Path) -> None:
    receiver = Receiver(mode="sleep", sleep_seconds=30.0)
    await receiver.start()
    try:
        for name in ("alone", "hooked"):
            (tmp_path / name).mkdir()
        alone = await pace(tmp_path / "alone", None)
        hooked = await pace(tmp_path / "hooked", receiver)
    finally:
        await receiver.stop()
    assert alone["attempts"] == 3
    assert alone["placed_again"] == 0
    assert hooked == alone
