"""Prometheus series of the daemon, on a registry of its own (tests build as many as they like).

Counts and states are read from the daemon when /metrics is scraped (:meth:`DialerMetrics.watch`), so the series
always agree with ``dialer status``; only timings (event-loop lag, agent-free → Originate) are observed as they
happen.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

__all__ = [
    "CONTENT_TYPE_LATEST",
    "CampaignSample",
    "DialerMetrics",
    "DialerSample",
    "EventLoopLagMonitor",
    "FastAgiSample",
    "ServerSample",
    "fastagi_not_listening",
]


@dataclass(frozen=True, slots=True)
class CampaignSample:
    """One campaign's counters since the daemon started, and its state now."""

    campaign: str
    dials: Mapping[str, int]  # Originates sent, by server
    outcomes: Mapping[str, int]  # attempts ended, by outcome
    live_answers: int
    abandons: int
    amd_verdicts: Mapping[str, int]  # by AMDSTATUS
    agents: Mapping[str, int]  # agents of the campaign's queue, by state
    calls_in_flight: int
    pacing_level: float  # abandon-risk level the predictive pacer applies; 0 while a guard holds it back
    abandon_rates: Mapping[str, float]  # by window ("24h", and the legal window, e.g. "720h")
    amd_paused: bool = False  # the last calls went out without the campaign's AMD (PacingDecision.amd)


@dataclass(frozen=True, slots=True)
class ServerSample:
    server: str
    connected: bool
    reconnects: int


@dataclass(frozen=True, slots=True)
class InboundSample:
    """One inbound queue (dialer.inbound): its callers now, and its visits since the daemon started."""

    queue: str
    waiting: int
    longest_waiting_seconds: float | None
    service_level: float | None  # the last hour's (dialer.inbound.figures)
    visits: Mapping[str, int]  # ended visits by outcome (answered, abandoned, timed_out, refused)
    answered_in_target: int
    short_abandons: int


@dataclass(frozen=True, slots=True)
class FastAgiSample:
    """The daemon's FastAGI server (dialer.ami.fastagi) while it listens."""

    sessions: int  # connections being served now
    refused: int  # connections closed without running a script, since it started


@dataclass(frozen=True, slots=True)
class DialerSample:
    campaigns: Sequence[CampaignSample] = ()
    servers: Sequence[ServerSample] = ()
    inbound: Sequence[InboundSample] = ()


def _families() -> dict[str, CounterMetricFamily | GaugeMetricFamily]:
    counter, gauge = CounterMetricFamily, GaugeMetricFamily
    return {
        "dials": counter("dialer_dials", "Originates sent.", labels=["campaign", "server"]),
        "outcomes": counter("dialer_outcomes", "Attempts ended, by outcome.", labels=["campaign", "outcome"]),
        "live_answers": counter("dialer_live_answers", "Live (human) answers.", labels=["campaign"]),
        "abandons": counter("dialer_abandons", "Live answers with no agent in time.", labels=["campaign"]),
        "amd": counter("dialer_amd_verdicts", "AMD results.", labels=["campaign", "verdict"]),
        "agents": gauge("dialer_agents", "Agents of the campaign's queue, by state.", labels=["campaign", "state"]),
        "in_flight": gauge("dialer_calls_in_flight", "Calls dialled and not ended.", labels=["campaign"]),
        "level": gauge(
            "dialer_pacing_level",
            "Abandon-risk level the predictive pacer applies (0 while a guard holds it to progressive).",
            labels=["campaign"],
        ),
        "amd_paused": gauge(
            "dialer_amd_paused",
            "1 while the pacer places an AMD campaign's calls without AMD (its false positives would break the cap).",
            labels=["campaign"],
        ),
        "abandon_rate": gauge(
            "dialer_abandon_rate", "Abandoned / live answers over the window.", labels=["campaign", "window"]
        ),
        "reconnects": counter("dialer_ami_reconnects", "AMI reconnections.", labels=["server"]),
        "connected": gauge("dialer_ami_connected", "1 while the AMI session is up.", labels=["server"]),
        "inbound_visits": counter(
            "dialer_inbound_visits", "Inbound callers' visits ended, by outcome.", labels=["queue", "outcome"]
        ),
        "inbound_in_target": counter(
            "dialer_inbound_answered_in_target",
            "Inbound calls answered within the service level's time.",
            labels=["queue"],
        ),
        "inbound_short": counter(
            "dialer_inbound_short_abandons",
            "Inbound callers who hung up before the short-abandon time.",
            labels=["queue"],
        ),
        "inbound_waiting": gauge(
            "dialer_inbound_waiting", "Callers waiting in an inbound queue now.", labels=["queue"]
        ),
        "inbound_longest": gauge(
            "dialer_inbound_longest_wait_seconds", "The longest wait of the callers in the queue now.", labels=["queue"]
        ),
        "inbound_level": gauge(
            "dialer_inbound_service_level", "The inbound queue's service level over the last hour.", labels=["queue"]
        ),
    }


class _DialerCollector(Collector):
    def __init__(self, sample: Callable[[], DialerSample]) -> None:
        self._sample = sample

    def describe(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        # Names only: registering the collector must not read the daemon's state.
        yield from _families().values()

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        f = _families()
        sample = self._sample()
        for c in sample.campaigns:
            name = c.campaign
            _add_each(f["dials"], name, c.dials)
            _add_each(f["outcomes"], name, c.outcomes)
            f["live_answers"].add_metric([name], c.live_answers)
            f["abandons"].add_metric([name], c.abandons)
            for verdict, n in sorted(c.amd_verdicts.items()):  # labelled in lower case
                f["amd"].add_metric([name, verdict.lower()], n)
            _add_each(f["agents"], name, c.agents)
            f["in_flight"].add_metric([name], c.calls_in_flight)
            f["level"].add_metric([name], c.pacing_level)
            f["amd_paused"].add_metric([name], 1.0 if c.amd_paused else 0.0)
            _add_each(f["abandon_rate"], name, c.abandon_rates)
        for s in sample.servers:
            f["reconnects"].add_metric([s.server], s.reconnects)
            f["connected"].add_metric([s.server], 1.0 if s.connected else 0.0)
        for q in sample.inbound:
            _add_each(f["inbound_visits"], q.queue, q.visits)
            f["inbound_in_target"].add_metric([q.queue], q.answered_in_target)
            f["inbound_short"].add_metric([q.queue], q.short_abandons)
            f["inbound_waiting"].add_metric([q.queue], q.waiting)
            f["inbound_longest"].add_metric([q.queue], q.longest_waiting_seconds or 0.0)
            if q.service_level is not None:
                f["inbound_level"].add_metric([q.queue], q.service_level)
        yield from f.values()


def _add_each(family: CounterMetricFamily | GaugeMetricFamily, owner: str, by: Mapping[str, float]) -> None:
    """One series of ``family`` per entry of ``by``, labelled ``owner`` (campaign, queue) and the entry's key, in
    the keys' order."""
    for key, value in sorted(by.items()):
        family.add_metric([owner, key], value)


def _fastagi_families() -> tuple[GaugeMetricFamily, CounterMetricFamily]:
    return (
        GaugeMetricFamily("dialer_fastagi_sessions", "FastAGI connections being served."),
        CounterMetricFamily(
            "dialer_fastagi_refused", "FastAGI connections closed without running a script (bad or no headers)."
        ),
    )


class _FastAgiCollector(Collector):
    def __init__(self, metrics: DialerMetrics) -> None:
        self._metrics = metrics

    def describe(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        yield from _fastagi_families()

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        sample = self._metrics.fastagi()
        if sample is None:  # not listening: no series (not a zero that would read as "idle")
            return
        sessions, refused = _fastagi_families()
        sessions.add_metric([], sample.sessions)
        refused.add_metric([], sample.refused)
        yield sessions
        yield refused


def fastagi_not_listening() -> FastAgiSample | None:
    return None


def no_alerts() -> Mapping[str, int]:
    return {}


class _AlertsCollector(Collector):
    """``dialer_alerts_active{rule}``: the alerts active now on the floor, per rule (dialer.alerts): every daemon's,
    from the database, so each daemon reports the same figures (aggregate with ``max``, not ``sum``)."""

    def __init__(self, metrics: DialerMetrics) -> None:
        self._metrics = metrics

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "dialer_alerts_active",
            "Alerts raised and not cleared, by rule, on every daemon of the database (the same on each: take the max).",
            labels=["rule"],
        )

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield self._family()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = self._family()
        for rule, n in sorted(self._metrics.alerts().items()):
            family.add_metric([rule], n)
        yield family


@dataclass
class DialerMetrics:
    registry: CollectorRegistry = field(default_factory=lambda: CollectorRegistry(auto_describe=True))
    # The FastAGI server's figures (set by the daemon's IVR role while it listens).
    fastagi: Callable[[], FastAgiSample | None] = fastagi_not_listening
    # The floor's active alerts by rule (set by the daemon's alert keeper).
    alerts: Callable[[], Mapping[str, int]] = no_alerts

    def __post_init__(self) -> None:
        r = self.registry
        r.register(_FastAgiCollector(self))
        r.register(_AlertsCollector(self))
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

    def watch(self, sample: Callable[[], DialerSample]) -> None:
        """Read campaign and server series from ``sample()`` at every scrape (once per registry)."""
        self.registry.register(_DialerCollector(sample))

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
