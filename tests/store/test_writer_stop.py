"""A daemon's stop cancels its background writers (agent history, inbound visits) between or during their periodic
writes. A cancel must never land inside a write: an aiosqlite transaction cut short is left open, holding SQLite's
lock until its connection is collected, and every later write of the stop (the last agent history, the sessions'
release) then waited out the 30 s busy timeout and failed with "database is locked". So the write under way runs to
its end, and the batch it carried is stored."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from dialer.agents.history import AgentHistoryWriter
from dialer.agents.registry import AgentChange, AgentStatus
from dialer.clock import ManualClock
from dialer.inbound.calls import InboundCall, InboundOutcome
from dialer.inbound.figures import ServiceLevelRule
from dialer.inbound.writer import InboundCallWriter
from dialer.store import Database
from dialer.store.agent_history import agent_events_t
from dialer.store.inbound_calls import inbound_calls

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


async def cancelled_mid_write(db: Database, clock: ManualClock, run: asyncio.Task[None]) -> None:
    """Hold the database's write turn, let the writer's loop start its write (it queues for the turn), cancel the
    loop, then give the turn back."""
    async with db.write():
        await clock.advance(1.0)
        for _ in range(20):
            await asyncio.sleep(0)
        run.cancel()
        for _ in range(20):
            await asyncio.sleep(0)
    await asyncio.gather(run, return_exceptions=True)
    for _ in range(200):  # the write goes on, shielded, after the loop was cancelled
        await asyncio.sleep(0.005)


async def test_the_agent_history_write_under_way_at_a_stop_is_finished(db: Database) -> None:
    clock = ManualClock(NOW.timestamp())
    writer = AgentHistoryWriter(db, clock)
    writer.on_change(AgentChange("ann", AgentStatus.LOGGED_OUT, AgentStatus.READY, clock.now(), "login"), None)
    await cancelled_mid_write(db, clock, asyncio.create_task(writer.run()))
    assert writer.written == 1
    async with db.read() as conn:
        rows = (await conn.execute(agent_events_t.select())).mappings().all()
    assert [(r["agent"], r["status"]) for r in rows] == [("ann", "ready")]


async def test_the_inbound_visits_write_under_way_at_a_stop_is_finished(db: Database) -> None:
    clock = ManualClock(NOW.timestamp())
    writer = InboundCallWriter(db, clock, lambda _interface: None, ServiceLevelRule())
    visit = InboundCall("pbx", "care", "u1", "+12125550100", clock.now(), InboundOutcome.REFUSED, ended_at=clock.now())
    writer.on_finished([visit])
    await cancelled_mid_write(db, clock, asyncio.create_task(writer.run()))
    assert writer.written == 1
    assert [v.outcome for v in await inbound_calls(db)] == [InboundOutcome.REFUSED]


async def test_a_flush_returns_once_the_write_under_way_is_stored(db: Database) -> None:
    """A stop's last flush, or a reader's, must not return while the loop's write still carries the rows."""
    clock = ManualClock(NOW.timestamp())
    writer = InboundCallWriter(db, clock, lambda _interface: None, ServiceLevelRule())
    visit = InboundCall("pbx", "care", "u1", "+12125550100", clock.now(), InboundOutcome.REFUSED, ended_at=clock.now())
    writer.on_finished([visit])
    run = asyncio.create_task(writer.run())
    async with db.write():
        await clock.advance(1.0)  # the loop takes the batch and queues for the write turn held here
        for _ in range(20):
            await asyncio.sleep(0)
        flush = asyncio.create_task(writer.flush())
        for _ in range(20):
            await asyncio.sleep(0)
        assert not flush.done()
    await flush
    assert [v.outcome for v in await inbound_calls(db)] == [InboundOutcome.REFUSED]
    run.cancel()
    await asyncio.gather(run, return_exceptions=True)
