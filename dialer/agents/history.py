"""Writes every agent state change to the store (batched once a second), for ACW, pause and occupancy reports."""

from __future__ import annotations

from datetime import UTC, datetime

from dialer.agents.registry import Agent, AgentChange, AgentStatus
from dialer.clock import Clock
from dialer.logging import get_logger
from dialer.store.agent_history import AgentEventRecord, record_agent_events
from dialer.store.engine import Database
from dialer.tasks import finished_even_if_cancelled

log = get_logger(__name__)

MAX_BUFFERED = 50_000  # while the database is unreachable; beyond this the oldest changes are dropped (logged)


class AgentHistoryWriter:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._buffer: list[AgentEventRecord] = []
        self.written = 0
        self.dropped = 0

    def on_change(self, change: AgentChange, agent: Agent | None) -> None:
        """An AgentService listener: called synchronously for every change."""
        reason = agent.pause_reason if agent is not None and change.current is AgentStatus.PAUSED else change.reason
        self._buffer.append(
            AgentEventRecord(
                agent=change.agent_id,
                at=datetime.fromtimestamp(change.at, UTC),
                status=change.current.value,
                previous=change.previous.value,
                reason=(reason or None) and reason[:100],
                queue=agent.call_queue if agent is not None else None,
            )
        )
        if len(self._buffer) > MAX_BUFFERED:
            excess = len(self._buffer) - MAX_BUFFERED
            del self._buffer[:excess]
            self.dropped += excess

    async def flush(self) -> None:
        batch, self._buffer = self._buffer, []
        try:
            await record_agent_events(self._db, batch)
        except Exception as exc:
            # The database is away: keep the changes for the next flush (bounded above).
            self._buffer[:0] = batch
            log.warning("agent_history_write_failed", pending=len(self._buffer), error=str(exc))
            return
        self.written += len(batch)

    async def run(self) -> None:
        while True:
            await self._clock.sleep(1.0)
            if self._buffer:  # (a stop's cancel never lands inside the write: dialer.tasks)
                await finished_even_if_cancelled(self.flush(), event="agent_history_write_failed")
