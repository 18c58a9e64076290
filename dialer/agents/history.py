"""Writes every agent state change to the store (batched once a second), for ACW, pause and occupancy reports, and
every change of a signed-in agent's queues (a row in the state they are in: :data:`QUEUES_CHANGED_REASON`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from dialer.agents.registry import Agent, AgentChange, AgentStatus, QueuesChange
from dialer.batching import BatchedWriter
from dialer.clock import Clock
from dialer.store.agent_history import QUEUES_CHANGED_REASON, AgentEventRecord, record_agent_events
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
        self._record(change.agent_id, change.at, change.current, change.previous, reason, agent)

    def on_queues(self, change: QueuesChange, agent: Agent | None) -> None:
        """An AgentService queues listener: the agent's queues changed in the state they are in. Written as a row
        entering that same state (``previous`` = ``status``) with the reason :data:`QUEUES_CHANGED_REASON` -- a
        paused agent's with their pause code, so their pause reads as one -- and the queues from now on."""
        if agent is None or not agent.logged_in:
            return
        paused = agent.status is AgentStatus.PAUSED
        reason = agent.pause_reason if paused else QUEUES_CHANGED_REASON
        self._record(
            change.agent_id, change.at, agent.status, agent.status, reason, replace(agent, queues=change.current)
        )

    def _record(
        self,
        agent_id: str,
        at: float,
        status: AgentStatus,
        previous: AgentStatus,
        reason: str | None,
        agent: Agent | None,
    ) -> None:
        self._batches.extend(
            [
                AgentEventRecord(
                    agent=agent_id,
                    at=datetime.fromtimestamp(at, UTC),
                    status=status.value,
                    previous=previous.value,
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
