"""Writes every agent state change to the store (batched once a second), for ACW, pause and occupancy reports."""

from __future__ import annotations

from datetime import UTC, datetime

from dialer.agents.registry import Agent, AgentChange, AgentStatus
from dialer.batching import BatchedWriter
from dialer.clock import Clock
from dialer.store.agent_history import AgentEventRecord, record_agent_events
from dialer.store.engine import Database


class AgentHistoryWriter:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._batches: BatchedWriter[AgentEventRecord] = BatchedWriter(
            lambda rows: record_agent_events(db, rows), clock, name="agent_history"
        )

    @property
    def written(self) -> int:
        return self._batches.written

    @property
    def pending(self) -> int:
        return len(self._batches.buffer)

    def on_change(self, change: AgentChange, agent: Agent | None) -> None:
        """An AgentService listener: called synchronously for every change."""
        reason = agent.pause_reason if agent is not None and change.current is AgentStatus.PAUSED else change.reason
        self._batches.extend(
            [
                AgentEventRecord(
                    agent=change.agent_id,
                    at=datetime.fromtimestamp(change.at, UTC),
                    status=change.current.value,
                    previous=change.previous.value,
                    reason=(reason or None) and reason[:100],
                    queue=agent.call_queue if agent is not None else None,
                    queues=tuple(sorted(agent.queues)) if agent is not None else None,
                )
            ]
        )

    async def flush(self) -> None:
        await self._batches.flush()

    async def run(self) -> None:
        await self._batches.run()
