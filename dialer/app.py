"""Composition root: one aiohttp application whose ``cleanup_ctx`` brings the daemon up in order and down in reverse.

Order: settings (loaded before) → database (migrated) → AMI connections → ordered event pumps and agents → FastAGI →
scheduler → campaign runners → HTTP. The first SIGTERM drains (no new Originates; live calls finish until the drain
deadline, the rest are marked interrupted); a second one cancels. SIGHUP reloads the campaign files' state.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from dialer.agents.registry import AgentStatus
from dialer.appkeys import (
    AFTER_CONTEXTS,
    BEFORE_CONTEXTS,
    CLOCK,
    CONFIG_FILE,
    DATABASE,
    DIALER,
    NOTIFIER,
    SCHEDULER,
    SETTINGS,
    SHUTDOWN,
)
from dialer.clock import Clock
from dialer.daemon import Dialer
from dialer.daemon.agentless import fastagi_ctx
from dialer.logging import get_logger
from dialer.ops.health import ComponentState
from dialer.ops.heap import freeze_startup_heap, thaw_heap
from dialer.ops.metrics import CONTENT_TYPE_LATEST, EventLoopLagMonitor
from dialer.ops.shutdown import ShutdownController
from dialer.ops.systemd import SystemdNotifier, watchdog_withheld
from dialer.reload import reload
from dialer.runner.state import RunnerState
from dialer.scheduler import scheduler_ctx
from dialer.settings import Settings
from dialer.store.engine import open_database
from dialer.store.migrate import upgrade
from dialer.tasks import cancel_and_wait
from dialer.web import setup_web
from dialer.webhooks.worker import webhooks_ctx

log = get_logger(__name__)

CleanupCtx = Callable[[web.Application], AsyncIterator[None]]


async def database_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    async with open_database(settings.database_url) as db:
        version = await upgrade(db)
        log.info("database_ready", revision=version.current)
        app[DATABASE] = db
        # SQLite: checkpoint the WAL every second off the hot path, so no claim pays for it (no-op on PostgreSQL).
        async with db.checkpoints():
            yield


async def dialer_ctx(app: web.Application) -> AsyncIterator[None]:
    """AMI connections, event pumps, agents and the maintenance loop."""
    clock: Clock | None = app.get(CLOCK)
    dialer = Dialer(app[SETTINGS], app[DATABASE], clock=clock)
    dialer.health.report("database", ComponentState.UP, "migrated")
    app[DIALER] = dialer
    await dialer.start_connections()
    try:
        yield
    finally:
        await dialer.stop()


def _extras(key: web.AppKey[list[Any]]) -> CleanupCtx:
    async def extras_ctx(app: web.Application) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            for ctx in app[key]:
                await stack.enter_async_context(contextlib.asynccontextmanager(ctx)(app))
            yield

    return extras_ctx


async def runners_ctx(app: web.Application) -> AsyncIterator[None]:
    """Campaign runners; on the way down they drain before anything below them closes."""
    dialer = app[DIALER]
    shutdown = app[SHUTDOWN]
    await dialer.load_campaigns()
    for runner in dialer.runners.values():
        app[SCHEDULER].schedule_campaign(runner.config)
    log.info("startup_heap_frozen", objects=freeze_startup_heap())
    reloads: set[asyncio.Task[object]] = set()

    def on_sighup() -> None:
        task = asyncio.get_running_loop().create_task(reload(app[SETTINGS], app[DATABASE], app.get(CONFIG_FILE)))
        reloads.add(task)
        task.add_done_callback(reloads.discard)

    shutdown.on_reload(on_sighup)
    lag = EventLoopLagMonitor(dialer.metrics)
    lag_task = asyncio.create_task(lag.run(), name="loop-lag")
    watchdog_task = asyncio.create_task(_watchdog(app), name="watchdog")
    try:
        yield
    finally:
        app[NOTIFIER].stopping("draining: no new calls")
        deadline = 0.0 if shutdown.cancelled.is_set() else shutdown.drain_timeout
        drained = await _drain(dialer, shutdown, deadline)
        if not drained:
            log.warning("drain_incomplete", calls=sum(len(r.in_flight) for r in dialer.runners.values()))
            for runner in dialer.runners.values():
                await runner.settle_quietly()
                await runner.interrupt()
        shutdown.drain_ended(drained)
        await cancel_and_wait(lag_task, watchdog_task)
        thaw_heap()


async def _drain(dialer: Dialer, shutdown: ShutdownController, deadline: float) -> bool:
    drain = asyncio.create_task(dialer.drain(deadline))
    forced = asyncio.create_task(shutdown.cancelled.wait())
    done, _ = await asyncio.wait({drain, forced}, return_when=asyncio.FIRST_COMPLETED)
    forced.cancel()
    if drain in done:
        return drain.result()
    drain.cancel()
    return False


# WATCHDOG=1 is withheld when the loop wakes the watchdog this much later than asked (it is stalled or starved).
WATCHDOG_MAX_LAG_SECONDS = 2.0


def status_line(dialer: Dialer) -> str:
    """The live counts systemd shows (STATUS=)."""
    runners = dialer.runners.values()
    running = sum(1 for r in runners if r.state is RunnerState.RUNNING)
    calls = sum(len(r.in_flight) for r in runners)
    agents = [a for a in dialer.agents.registry.agents() if a.logged_in]
    ready = sum(1 for a in agents if a.status is AgentStatus.READY)
    up = sum(1 for c in dialer.connections if c.client.is_up)
    if up:
        ami = f"AMI {up}/{len(dialer.connections)} up"
    else:
        ami = "no AMI session (" + "; ".join(f"{c.server.name}: {c.client.state.reason}" for c in dialer.connections)
        ami += ")"
    return f"{running} campaigns running, {calls} calls in progress, {len(agents)} agents ({ready} ready), {ami}"


async def _watchdog(app: web.Application) -> None:
    """WATCHDOG=1 only while the event loop turns on time and an AMI session is up; STATUS= with live counts."""
    notifier = app[NOTIFIER]
    dialer = app[DIALER]
    interval = min(notifier.watchdog_interval or 5.0, 5.0)
    loop = asyncio.get_running_loop()
    while True:
        asked = loop.time()
        await asyncio.sleep(interval)
        lag = loop.time() - asked - interval
        why = watchdog_withheld(ami_up=dialer.pool.any_up(), loop_lag=lag, max_lag=WATCHDOG_MAX_LAG_SECONDS)
        if why is None:
            notifier.watchdog()
        else:
            log.warning("watchdog_withheld", why=why)
        notifier.status(status_line(dialer) + (f"; watchdog withheld: {why}" if why else ""))


async def announce_ready(app: web.Application) -> None:
    """READY=1 once the database is migrated (cleanup_ctx done), HTTP listens and an AMI session is up.

    Until then STATUS= (from the watchdog task) says which server is missing and why; the unit's TimeoutStartSec
    bounds the wait, and systemd restarts a daemon that never got there."""
    dialer = app[DIALER]
    ami_up = asyncio.Event()
    for conn in dialer.connections:
        conn.client.add_state_listener(lambda state: ami_up.set() if state.up else None)
    while not dialer.pool.any_up():
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1.0):
                await ami_up.wait()
        ami_up.clear()
    app[NOTIFIER].ready(status_line(dialer))


# ---------------------------------------------------------------------------------------------- HTTP handlers
async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "alive"})


async def status(request: web.Request) -> web.Response:
    dialer = request.app[DIALER]
    body = dialer.status()
    code = 200 if body["health"]["status"] != "down" else 503
    return web.json_response(body, status=code, dumps=_dumps)


async def metrics(request: web.Request) -> web.Response:
    return web.Response(body=request.app[DIALER].metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})


def _dumps(obj: Any) -> str:
    return json.dumps(obj, default=str)


def build_app(
    settings: Settings,
    *,
    shutdown: ShutdownController | None = None,
    clock: Clock | None = None,
    before: list[CleanupCtx] | None = None,
    after: list[CleanupCtx] | None = None,
    routes: Callable[[web.Application], Awaitable[None] | None] | None = None,
    config_file: Path | None = None,
) -> web.Application:
    app = web.Application()
    app[SETTINGS] = settings
    app[SHUTDOWN] = shutdown or ShutdownController(settings.drain_timeout_seconds)
    if config_file is not None:
        app[CONFIG_FILE] = config_file
    app[NOTIFIER] = SystemdNotifier()
    if clock is not None:
        app[CLOCK] = clock
    app[BEFORE_CONTEXTS] = list(before or [])
    app[AFTER_CONTEXTS] = list(after or [])
    app.cleanup_ctx.extend(
        [
            database_ctx,
            _extras(BEFORE_CONTEXTS),
            dialer_ctx,
            fastagi_ctx,
            webhooks_ctx,
            scheduler_ctx,
            runners_ctx,
            _extras(AFTER_CONTEXTS),
        ]
    )
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/status", status)
    app.router.add_get("/metrics", metrics)
    setup_web(app)
    if routes is not None:
        routes(app)
    return app


async def serve(app: web.Application, host: str, port: int) -> None:
    """Run until the shutdown controller says stop: first signal drains, second cancels."""
    shutdown = app[SHUTDOWN]
    loop = asyncio.get_running_loop()
    shutdown.install_signal_handlers(loop)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except BaseException:  # (the port taken, say): what setup started is stopped before the error goes up
        shutdown.remove_signal_handlers(loop)
        await runner.cleanup()
        raise
    log.info("http_listening", host=host, port=port)
    ready = asyncio.create_task(announce_ready(app), name="announce-ready")
    try:
        await shutdown.draining.wait()
    finally:
        ready.cancel()
        shutdown.remove_signal_handlers(loop)
        # Keep answering signals while draining: a second SIGTERM cancels (once the drain is over, they change
        # nothing: ShutdownController.drain_ended).
        loop.add_signal_handler(signal.SIGTERM, shutdown.request_stop, "SIGTERM")
        loop.add_signal_handler(signal.SIGINT, shutdown.request_stop, "SIGINT")
        try:
            await runner.cleanup()
        finally:
            shutdown.remove_signal_handlers(loop)
