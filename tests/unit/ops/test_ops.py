from __future__ import annotations

import asyncio
import os
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dialer.ops.health import ComponentState, HealthRegistry
from dialer.ops.shutdown import ShutdownController
from dialer.ops.systemd import SystemdNotifier


def test_notifier_is_a_noop_outside_systemd() -> None:
    notifier = SystemdNotifier(environ={})
    assert not notifier.enabled
    notifier.ready("x")
    notifier.watchdog()
    assert notifier.watchdog_interval is None


def test_notifier_sends_datagrams(tmp_path: Path) -> None:
    path = tmp_path / "notify.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(str(path))
    try:
        notifier = SystemdNotifier(
            environ={"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "10000000", "WATCHDOG_PID": str(os.getpid())}
        )
        assert notifier.watchdog_interval == 5.0
        notifier.ready("3 campaigns")
        notifier.stopping()
        assert server.recv(1024) == b"READY=1\nSTATUS=3 campaigns"
        assert server.recv(1024) == b"STOPPING=1"
    finally:
        server.close()


def test_health_snapshot_reports_the_worst_state() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    clock = [now]
    health = HealthRegistry(lambda: clock[0])
    health.report("database", ComponentState.UP)
    health.report("ami:pbx1", ComponentState.UP, "connected")
    assert health.snapshot()["status"] == "up"
    clock[0] = now + timedelta(seconds=5)
    health.report("ami:pbx1", ComponentState.DOWN, "connection refused", reconnects=3)
    snap = health.snapshot()
    assert snap["status"] == "down"
    assert snap["components"]["ami:pbx1"] == {
        "state": "down",
        "detail": "connection refused",
        "since": (now + timedelta(seconds=5)).isoformat(),
        "reconnects": 3,
    }
    assert not health.all_up()
    assert health.all_up("database")


async def test_first_stop_drains_second_cancels() -> None:
    controller = ShutdownController(drain_timeout=60)
    controller.request_stop("SIGTERM")
    assert controller.draining.is_set()
    assert not controller.cancelled.is_set()
    controller.request_stop("SIGTERM")
    assert controller.cancelled.is_set()
    assert not await controller.wait_drained(asyncio.Event())


async def test_drain_deadline_cancels() -> None:
    controller = ShutdownController(drain_timeout=0.05)
    controller.request_stop()
    assert not await controller.wait_drained(asyncio.Event())
    assert controller.cancelled.is_set()


async def test_clean_drain() -> None:
    controller = ShutdownController(drain_timeout=60)
    controller.request_stop()
    drained = asyncio.Event()
    asyncio.get_running_loop().call_later(0.01, drained.set)
    assert await controller.wait_drained(drained)


def test_metrics_render_the_dialer_series_from_the_sample_at_scrape_time() -> None:
    from dialer.ops.metrics import CampaignSample, DialerMetrics, DialerSample, ServerSample

    samples = [DialerSample()]
    metrics = DialerMetrics()
    metrics.watch(lambda: samples[-1])
    assert "dialer_dials_total{" not in metrics.render().decode()
    samples.append(
        DialerSample(
            campaigns=[
                CampaignSample(
                    campaign="demo",
                    dials={"pbx1": 3},
                    outcomes={"connected": 1, "busy": 2},
                    live_answers=1,
                    abandons=0,
                    amd_verdicts={"HUMAN": 1},
                    agents={"ready": 2, "talking": 1},
                    calls_in_flight=2,
                    pacing_level=0.04,
                    abandon_rates={"24h": 0.012, "720h": 0.01},
                    amd_paused=True,
                )
            ],
            servers=[ServerSample("pbx1", connected=True, reconnects=2)],
        )
    )
    get = metrics.registry.get_sample_value
    assert get("dialer_dials_total", {"campaign": "demo", "server": "pbx1"}) == 3
    assert get("dialer_outcomes_total", {"campaign": "demo", "outcome": "busy"}) == 2
    assert get("dialer_live_answers_total", {"campaign": "demo"}) == 1
    assert get("dialer_abandons_total", {"campaign": "demo"}) == 0
    assert get("dialer_amd_verdicts_total", {"campaign": "demo", "verdict": "human"}) == 1
    assert get("dialer_agents", {"campaign": "demo", "state": "ready"}) == 2
    assert get("dialer_calls_in_flight", {"campaign": "demo"}) == 2
    assert get("dialer_pacing_level", {"campaign": "demo"}) == 0.04
    assert get("dialer_amd_paused", {"campaign": "demo"}) == 1
    assert get("dialer_abandon_rate", {"campaign": "demo", "window": "24h"}) == 0.012
    assert get("dialer_ami_reconnects_total", {"server": "pbx1"}) == 2
    assert get("dialer_ami_connected", {"server": "pbx1"}) == 1
    assert 'dialer_abandon_rate{campaign="demo",window="720h"} 0.01' in metrics.render().decode()


def test_metrics_render_each_inbound_queue_from_the_sample() -> None:
    from dialer.ops.metrics import DialerMetrics, DialerSample, InboundSample

    visits = {"answered": 40, "abandoned": 6, "timed_out": 1, "refused": 0}
    sample = InboundSample("care", 3, 42.5, 0.78, visits, answered_in_target=33, short_abandons=2)
    metrics = DialerMetrics()
    metrics.watch(lambda: DialerSample(inbound=[sample]))
    get = metrics.registry.get_sample_value
    assert get("dialer_inbound_visits_total", {"queue": "care", "outcome": "answered"}) == 40
    assert get("dialer_inbound_visits_total", {"queue": "care", "outcome": "timed_out"}) == 1
    assert get("dialer_inbound_answered_in_target_total", {"queue": "care"}) == 33
    assert get("dialer_inbound_short_abandons_total", {"queue": "care"}) == 2
    assert get("dialer_inbound_waiting", {"queue": "care"}) == 3
    assert get("dialer_inbound_longest_wait_seconds", {"queue": "care"}) == 42.5
    assert get("dialer_inbound_service_level", {"queue": "care"}) == 0.78


async def test_event_loop_lag_monitor_samples() -> None:
    from dialer.ops.metrics import DialerMetrics, EventLoopLagMonitor

    metrics = DialerMetrics()
    monitor = EventLoopLagMonitor(metrics, interval=0.01)
    task = asyncio.create_task(monitor.run())
    await asyncio.sleep(0.05)
    task.cancel()
    assert "dialer_event_loop_lag_seconds_count" in metrics.render().decode()
