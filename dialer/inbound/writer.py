"""Stores every finished inbound visit (batched once a second) and keeps the last hour's in memory for the live
figures."""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from dialer.batching import BatchedWriter
from dialer.clock import Clock
from dialer.inbound.calls import InboundCall, InboundOutcome
from dialer.inbound.figures import InboundQueueNow, ServiceLevelRule, queue_figures
from dialer.store.engine import Database
from dialer.store.inbound_calls import InboundCallRecord, record_inbound_calls

IN_TARGET, SHORT = "+in_target", "+short"  # (counter keys beside the outcomes)
LIVE_SECONDS = 3600.0  # the live figures cover the last hour
MAX_LIVE = 100_000

AgentOf = Callable[[str], str | None]  # a member interface -> the agent id (None: not a known agent's phone)


@dataclass(frozen=True, slots=True)
class VisitCounts:
    """One queue's visits since the daemon started (the metrics' counters): by outcome, and how many of them were
    answered within the service level's time, or short abandons (dialer.inbound.figures)."""

    by_outcome: dict[str, int]
    answered_in_target: int
    short_abandons: int


class InboundCallWriter:
    def __init__(self, db: Database, clock: Clock, agent_of: AgentOf, rule: ServiceLevelRule) -> None:
        self._clock = clock
        self._agent_of = agent_of
        self._rule = rule
        self._counts: dict[str, Counter[str]] = defaultdict(Counter)
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
        for call in finished:
            counts = self._counts[call.queue]
            counts[str(call.outcome)] += 1
            if call.outcome is InboundOutcome.ANSWERED and call.wait_seconds <= self._rule.answer_within_seconds:
                counts[IN_TARGET] += 1
            elif call.outcome is InboundOutcome.ABANDONED and call.wait_seconds < self._rule.short_abandon_seconds:
                counts[SHORT] += 1
        self._recent.extend(finished)
        self._batches.extend(self.record(call, self._agent_of) for call in finished)

    def counts(self, queue: str) -> VisitCounts:
        counts = self._counts.get(queue, Counter())
        outcomes = {o.value: counts[o.value] for o in InboundOutcome}
        return VisitCounts(outcomes, counts[IN_TARGET], counts[SHORT])

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

    def talk_times(self, queue: str) -> tuple[float, ...]:
        """The talk times of ``queue``'s visits answered in the last hour whose talk is known (every server's): the
        ones :meth:`live`'s mean talk time is of."""
        self._forget_old()
        return tuple(
            max(0.0, c.talk_seconds)
            for c in self._recent
            if c.queue == queue and c.outcome is InboundOutcome.ANSWERED and c.talk_seconds is not None
        )

    def _forget_old(self) -> None:
        now = self._clock.now()
        while self._recent and (self._recent[0].ended_at or 0.0) < now - LIVE_SECONDS:
            self._recent.popleft()

    def live(
        self,
        queues: Iterable[str],
        waiting: list[tuple[str, float]],
        rule: ServiceLevelRule,
        waiting_now: Callable[[str], int],
    ) -> list[InboundQueueNow]:
        """Per inbound queue: the callers waiting now (``waiting_now``: as the PBX counts them) and the longest wait
        among those the book saw join (``waiting``: queue, seconds), and the figures of the last hour's visits."""
        self._forget_old()
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
