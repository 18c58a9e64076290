"""Prometheus series of the daemon, on a registry of its own (tests build as many as they like)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "DialerMetrics", "EventLoopLagMonitor"]


@dataclass
class DialerMetrics:
    registry: CollectorRegistry = field(default_factory=lambda: CollectorRegistry(auto_describe=True))

    def __post_init__(self) -> None:
        r = self.registry
        self.dials = Counter("dialer_dials", "Originates sent.", ["campaign", "server"], registry=r)
        self.outcomes = Counter("dialer_outcomes", "Attempts ended, by outcome.", ["campaign", "outcome"], registry=r)
        self.live_answers = Counter("dialer_live_answers", "Live (human) answers.", ["campaign"], registry=r)
        self.abandons = Counter("dialer_abandons", "Live answers with no agent in time.", ["campaign"], registry=r)
        self.amd_verdicts = Counter("dialer_amd_verdicts", "AMD results.", ["campaign", "verdict"], registry=r)
        self.agents = Gauge("dialer_agents", "Agents by state.", ["campaign", "state"], registry=r)
        self.calls_in_flight = Gauge("dialer_calls_in_flight", "Calls dialled and not ended.", ["campaign"], registry=r)
        self.pacing_level = Gauge(
            "dialer_pacing_level", "Pacer aggressiveness (calls per available agent).", ["campaign"], registry=r
        )
        self.abandon_rate = Gauge(
            "dialer_abandon_rate", "Abandoned / live answers over the window.", ["campaign", "window"], registry=r
        )
        self.ami_reconnects = Counter("dialer_ami_reconnects", "AMI reconnections.", ["server"], registry=r)
        self.ami_connected = Gauge("dialer_ami_connected", "1 while the AMI session is up.", ["server"], registry=r)
        self.event_loop_lag = Histogram(
            "dialer_event_loop_lag_seconds",
            "How late the event loop runs a timer.",
            buckets=(0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
            registry=r,
        )
        self.originate_latency = Histogram(
            "dialer_agent_free_to_originate_seconds",
            "From an agent becoming free to the Originate written.",
            buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0),
            registry=r,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)


class EventLoopLagMonitor:
    """Samples how late a periodic sleep wakes up: the event loop's responsiveness."""

    def __init__(self, metrics: DialerMetrics, interval: float = 0.5) -> None:
        self._metrics = metrics
        self._interval = interval
        self.last_lag = 0.0

    async def run(self) -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(self._interval)
            self.last_lag = max(0.0, time.perf_counter() - started - self._interval)
            self._metrics.event_loop_lag.observe(self.last_lag)
