"""Stores every finished inbound visit (batched once a second) and keeps the last hour's in memory for the live
figures."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from dialer.batching import BatchedWriter
from dialer.clock import Clock
from dialer.inbound.calls import InboundCall
from dialer.inbound.figures import InboundQueueNow, ServiceLevelRule, queue_figures
from dialer.store.engine import Database
from dialer.store.inbound_calls import InboundCallRecord, record_inbound_calls

LIVE_SECONDS = 3600.0  # the live figures cover the last hour
MAX_LIVE = 100_000

AgentOf = Callable[[str], str | None]  # a member interface -> the agent id (None: not a known agent's phone)


class InboundCallWriter:
    def __init__(self, db: Database, clock: Clock, agent_of: AgentOf) -> None:
        self._clock = clock
        self._agent_of = agent_of
        self._batches: BatchedWriter[InboundCallRecord] = BatchedWriter(
            lambda rows: record_inbound_calls(db, rows), clock, name="inbound_calls"
        )
        self._recent: deque[InboundCall] = deque(maxlen=MAX_LIVE)

    @property
    def written(self) -> int:
        return self._batches.written

    def on_finished(self, calls: Iterable[InboundCall]) -> None:
        """Called synchronously by the inbound watcher with the visits whose story just ended."""
        finished = [call for call in calls if call.outcome is not None]
        self._recent.extend(finished)
        self._batches.extend(self.record(call, self._agent_of) for call in finished)

    @staticmethod
    def record(call: InboundCall, agent_of: AgentOf) -> InboundCallRecord:
        assert call.outcome is not None
        ended = call.ended_at if call.ended_at is not None else call.joined_at + call.wait_seconds
        return InboundCallRecord(
            server=call.server,
            queue=call.queue,
            caller=call.caller[:64],
            joined_at=datetime.fromtimestamp(call.joined_at, UTC),
            ended_at=datetime.fromtimestamp(ended, UTC),
            outcome=call.outcome,
            wait_seconds=round(call.wait_seconds, 3),
            talk_seconds=None if call.talk_seconds is None else round(call.talk_seconds, 3),
            agent=(agent_of(call.interface) or call.interface)[:100] if call.interface else None,
            queue_status=call.queue_status,
        )

    def live(
        self,
        queues: Iterable[str],
        waiting: list[tuple[str, float]],
        rule: ServiceLevelRule,
        waiting_now: Callable[[str], int],
    ) -> list[InboundQueueNow]:
        """Per inbound queue: the callers waiting now (``waiting_now``: as the PBX counts them) and the longest wait
        among those the book saw join (``waiting``: queue, seconds), and the figures of the last hour's visits."""
        now = self._clock.now()
        while self._recent and (self._recent[0].ended_at or 0.0) < now - LIVE_SECONDS:
            self._recent.popleft()
        out = []
        for queue in sorted(queues):
            waits = [w for q, w in waiting if q == queue]
            figures = queue_figures(queue, (c for c in self._recent if c.queue == queue), rule)
            out.append(InboundQueueNow(queue, waiting_now(queue), max(waits) if waits else None, figures))
        return out

    async def flush(self) -> None:
        await self._batches.flush()

    async def run(self) -> None:
        await self._batches.run()
