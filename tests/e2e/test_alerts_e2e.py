"""Alerts raised and cleared by the daemon against the simulated PBX, on the manual clock, with the default rules
(no [[alerts]] configured): an agent's coffee break past its minute raises ``pause_overdue`` (the history, the
``dialer_alerts_active`` gauge, the webhook receiver's ``alert.raised``), and their going ready clears it
(``alert.cleared`` after it); a running campaign with agents ready and no lead left raises ``not_dialling`` with
its reason after five minutes, and its pausing clears it; cleared alerts are purged after their retention."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from harness.clock import clock_dt
from harness.e2e import World, make_world
from harness.stepping import eventually, wait_real
from harness.webhooks import fast
from webhook_receiver import Receiver

from dialer.agents.pausecodes import PauseCode
from dialer.alerts.evaluator import Alert
from dialer.alerts.rules import AlertKind, Severity
from dialer.store.alerts import AlertFilter, list_alerts, record_cleared, record_raised
from dialer.store.webhooks import create_subscription
from dialer.webhooks.core import EventType
from dialer.webhooks.worker import WebhookWorker


async def run_until(world: World, done: Callable[[], bool], seconds: float) -> None:
    """Advance the clock a second at a time until ``done()``: after each second, the daemon's maintenance (which
    writes the alerts to the database in real time) is given a moment to catch up with the clock."""
    for _ in range(int(seconds)):
        await world.run(1, step=1)
        if await wait_real(done, 0.1, every=0.005):
            return
    assert done(), f"not within {seconds} s"


async def cleared_ids(world: World) -> list[int]:
    """The cleared alerts of the history (the keeper writes them a moment after it cleared them)."""
    return [a.id for a in (await list_alerts(world.db, AlertFilter(active=False)))[1]]


async def test_a_pause_past_its_limit_raises_then_clears_an_alert_announced_by_webhook(tmp_path: Path) -> None:
    receiver = Receiver()
    await receiver.start()
    try:
        coffee = [PauseCode(code="coffee", label="Coffee", max_minutes=1)]
        async with make_world(
            tmp_path, us_leads=5, japan_leads=0, agents=2, crew=False, state="paused", settings={"pause_codes": coffee}
        ) as world:
            dialer = world.dialer
            await create_subscription(
                world.db,
                campaign_id=None,
                url=receiver.url,
                events=[EventType.ALERT_RAISED, EventType.ALERT_CLEARED],
                secret=receiver.secret,
                now=clock_dt(world.clock),
            )
            worker = WebhookWorker(world.db, fast(), now=lambda: clock_dt(world.clock))
            worker_task = asyncio.create_task(worker.run())
            try:
                await dialer.agents.pause("agent01", "coffee")  # a minute at most
                await world.run(55, step=1)
                assert dialer.alerts.active == ()
                await run_until(world, lambda: any(a.id is not None for a in dialer.alerts.active), 60)  # written
                (alert,) = dialer.alerts.active
                assert (alert.rule, alert.agent, alert.detail) == ("pause_overdue", "agent01", "coffee")
                assert alert.id is not None
                # The gauge is the floor's, read back from the database later in the same evaluation.
                await eventually(lambda: dialer.alerts.active_by_rule()["pause_overdue"] == 1, 10)
                assert b'dialer_alerts_active{rule="pause_overdue"} 1.0' in dialer.metrics.render()
                _, active = await list_alerts(world.db, AlertFilter(active=True))
                assert [(a.id, a.subject) for a in active] == [(alert.id, "agent:agent01")]

                await dialer.agents.ready("agent01")
                await run_until(world, lambda: not dialer.alerts.active, 30)
                assert await eventually(lambda: cleared_ids(world), 10) == [alert.id]
                await eventually(lambda: dialer.alerts.active_by_rule()["pause_overdue"] == 0, 10)
                assert b'dialer_alerts_active{rule="pause_overdue"} 0.0' in dialer.metrics.render()

                async with asyncio.timeout(15):
                    while len(receiver.deliveries) < 2:  # noqa: ASYNC110 (the worker delivers in the background)
                        await asyncio.sleep(0.02)
            finally:
                worker_task.cancel()
                await asyncio.gather(worker_task, return_exceptions=True)
        kinds = [(d.event_type, d.body["data"]["id"], d.body["data"]["subject"]) for d in receiver.deliveries]
        assert kinds == [("alert.raised", alert.id, "agent:agent01"), ("alert.cleared", alert.id, "agent:agent01")]
        assert all(d.signature_ok for d in receiver.deliveries)
    finally:
        await receiver.stop()


async def test_a_running_campaign_with_no_lead_left_and_agents_ready_raises_not_dialling(tmp_path: Path) -> None:
    async with make_world(tmp_path, us_leads=0, japan_leads=0, agents=2, crew=False) as world:
        dialer = world.dialer
        await world.run(4 * 60, step=1)
        assert dialer.alerts.active == ()
        await run_until(world, lambda: any(a.id is not None for a in dialer.alerts.active), 120)
        (alert,) = dialer.alerts.active
        assert (alert.rule, alert.subject, alert.detail) == ("not_dialling", "campaign:e2e", "no_leads")
        assert alert.value is not None
        assert alert.value > 300
        await dialer.set_campaign("e2e", "pause")
        await run_until(world, lambda: not dialer.alerts.active, 90)
        assert await eventually(lambda: cleared_ids(world), 10) == [alert.id]
        (record,) = (await list_alerts(world.db, AlertFilter()))[1]
        assert (record.rule, record.detail, record.campaign) == ("not_dialling", "no_leads", "e2e")


async def test_the_daemon_purges_cleared_alerts_past_their_retention(tmp_path: Path) -> None:
    async with make_world(tmp_path, us_leads=5, japan_leads=0, agents=1, crew=False, state="paused") as world:
        scheduler = world.scheduler_with("purge-alerts")  # the job is registered with the real APScheduler ...
        assert world.dialer.settings.alert_retention_days == 90
        now = world.clock.now()
        ids = []
        for age_days in (91, 89):
            at = now - age_days * 86400
            alert = Alert("server_down", AlertKind.SERVER_DOWN, Severity.CRITICAL, "server:x", 1.0, 0.0, at, at)
            record = await record_raised(world.db, alert, node="elsewhere", now=clock_dt(world.clock))
            await record_cleared(
                world.db, record.id, node="elsewhere", value=0.0, cleared_at=datetime.fromtimestamp(at + 60, UTC)
            )
            ids.append(record.id)
        assert await scheduler.purge_alerts() == 1  # ... and run here, on the dialer clock
        _, left = await list_alerts(world.db, AlertFilter())
        assert [a.id for a in left] == [ids[1]]
