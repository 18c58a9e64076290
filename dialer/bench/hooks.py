"""`dialer bench hooks`: the lead API and webhook delivery (issue 18).

- Lead API: N leads (default 100 000) through ``POST /api/campaigns/{name}/leads`` in batches over real HTTP,
  the importer's own path (validation, normalisation, dedupe, DNC scrub, per-lead results): leads/s on
  PostgreSQL (DIALER_TEST_PG_URL; target >= 10 000/s) and on SQLite.
- Webhooks: N events (default 20 000, four per lead) in the outbox delivered by the worker to a receiver on
  loopback (a process of its own, as a CRM would be): events/s (target >= 1 000/s), with the event loop's lag
  meanwhile (what a pacing step sharing the loop would wait).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from aiohttp import ClientSession, web

from dialer.bench.web import LagSampler, web_server
from dialer.campaign.config import load_campaign
from dialer.settings import Settings, WebhookSettings
from dialer.store.auth import Role, add_api_token, create_user
from dialer.store.campaigns import apply_campaign
from dialer.store.engine import Database, create_database
from dialer.store.migrate import upgrade
from dialer.store.webhooks import create_subscription, enqueue, outbox_counts
from dialer.webhooks.core import SUBSCRIBABLE, EventType, WebhookEvent, event_id
from dialer.webhooks.worker import WebhookWorker

CAMPAIGN = {"name": "bench", "queue": "q", "trunk": "PJSIP/{number}@c", "caller_id": {"number": "+14155550100"}}
AREAS = ("212", "213", "312", "415", "617", "646", "718", "305", "206", "404")


@asynccontextmanager
async def sqlite_database(workdir: Path, tag: str) -> AsyncIterator[Database]:
    db = create_database(f"sqlite+aiosqlite:///{workdir / f'{tag}.sqlite'}")
    try:
        await upgrade(db)
        yield db
    finally:
        await db.dispose()


@asynccontextmanager
async def pg_database(tag: str) -> AsyncIterator[Database | None]:
    """A fresh PostgreSQL schema (dropped after) when DIALER_TEST_PG_URL is set, else None."""
    url = os.environ.get("DIALER_TEST_PG_URL")
    if not url:
        typer.echo(f'{tag} (PostgreSQL): skipped -- set DIALER_TEST_PG_URL (eval "$(bash tests/pg.sh start)")')
        yield None
        return
    schema = f"bench_{tag}_{os.getpid()}"
    admin = create_database(url)
    async with admin.write() as conn:
        await conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    db = create_database(url, pg_schema=schema)
    try:
        await upgrade(db)
        yield db
    finally:
        await db.dispose()
        async with admin.write() as conn:
            await conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        await admin.dispose()


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f}/{five:.1f} on {os.cpu_count()} CPUs"


def lead(n: int) -> dict[str, Any]:
    """A lead as a CRM sends it: the number in E.164 (national formats take the importer's slower path)."""
    return {
        "phone": f"+1{AREAS[n % len(AREAS)]}{200 + (n // 10_000) % 800:03d}{n % 10_000:04d}",
        "first_name": f"First{n}",
        "last_name": f"Last{n}",
        "email": f"p{n}@example.com",
        "external_id": f"EXT-{n}",
        "company": "Acme",
    }


async def lead_api_on(name: str, db: Database, workdir: Path, leads: int, batch: int, parallel: int) -> None:
    now = datetime.now(UTC)
    cfg = load_campaign(CAMPAIGN)
    await apply_campaign(db, cfg.name, cfg.model_dump(mode="json"), now)
    user = await create_user(db, "bench", Role.MANAGER, "x", now)
    await add_api_token(db, user.id, "bench-token-0123456789", "bench", now)
    bodies = [{"leads": [lead(n) for n in range(s, min(s + batch, leads))]} for s in range(0, leads, batch)]
    imported = 0
    async with (
        web_server(Settings(var_dir=workdir), db, client_max_size=64 * 1024 * 1024) as server,
        ClientSession(headers={"Authorization": "Bearer bench-token-0123456789"}) as session,
    ):
        url = str(server.make_url("/api/campaigns/bench/leads"))
        # Warm-up (not timed): the first large batch starts the CPU worker process (dialer.web.cpu).
        warm = {"leads": [{**lead(n), "phone": f"+1202300{n % 10_000:04d}"} for n in range(batch)]}
        async with session.post(url, json=warm) as resp:
            assert resp.status == 200, await resp.text()
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        for body in bodies:
            queue.put_nowait(body)

        async def sender() -> None:
            nonlocal imported
            while not queue.empty():
                body = queue.get_nowait()
                async with session.post(url, json=body) as resp:
                    assert resp.status == 200, await resp.text()
                    imported += (await resp.json())["imported"]

        started = time.perf_counter()
        with LagSampler() as lag:
            await asyncio.gather(*(sender() for _ in range(parallel)))
        spent = time.perf_counter() - started
    typer.echo(
        f"lead API ({name}): {leads} leads in batches of {batch} ({parallel} requests at a time), {imported} imported "
        f"in {spent:.2f} s = {leads / spent:,.0f} leads/s; {lag.figures()}; {load()}"
    )


def _receiver_process(ready: Any, seen: Any) -> None:
    """A loopback webhook receiver in a process of its own (as a CRM would be): it answers 204 to every POST and
    counts them in ``seen``; its port goes to ``ready``."""

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        with seen.get_lock():
            seen.value += 1
        return web.Response(status=204)

    async def serve() -> None:
        app = web.Application()
        app.router.add_post("/hook", handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        ready.put(server.sockets[0].getsockname()[1])  # type: ignore[attr-defined]
        await asyncio.Event().wait()

    asyncio.run(serve())


@asynccontextmanager
async def receiver() -> AsyncIterator[tuple[str, Any]]:
    """The receiver's URL and its counter, for the block's duration."""
    ctx = multiprocessing.get_context("spawn")
    ready: Any = ctx.Queue()
    seen: Any = ctx.Value("i", 0)
    process = ctx.Process(target=_receiver_process, args=(ready, seen), daemon=True)
    process.start()
    try:
        port = await asyncio.to_thread(ready.get, True, 60)
        yield f"http://127.0.0.1:{port}/hook", seen
    finally:
        process.terminate()
        await asyncio.to_thread(process.join, 10)


async def delivery_on(name: str, db: Database, events: int, concurrency: int) -> None:
    now = datetime.now(UTC)
    cfg = load_campaign(CAMPAIGN)
    cid = (await apply_campaign(db, cfg.name, cfg.model_dump(mode="json"), now)).campaign.id
    async with receiver() as (url, seen):
        await create_subscription(db, campaign_id=cid, url=url, events=SUBSCRIBABLE, secret="s" * 32, now=now)
        for start in range(0, events, 2000):
            await enqueue(
                db,
                [
                    WebhookEvent(
                        type=EventType.CALL_ENDED,
                        id=event_id(EventType.CALL_ENDED, n),
                        occurred_at=now,
                        campaign_id=cid,
                        lead_id=n % (events // 4 or 1),  # four events per lead: per-lead order holds them back
                        data={"attempt_id": n, "outcome": "no_answer"},
                    )
                    for n in range(start, min(start + 2000, events))
                ],
                now,
            )
        settings = WebhookSettings(allowed_destinations=["127.0.0.1/32"], concurrency=concurrency)
        worker = WebhookWorker(db, settings)
        task = asyncio.create_task(worker.run())
        started = time.perf_counter()
        with LagSampler() as lag:
            while worker.delivered < events:  # noqa: ASYNC110 (polling the worker's counter)
                await asyncio.sleep(0.05)
            spent = time.perf_counter() - started
            await worker.drain(5.0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        counts = await outbox_counts(db)
    typer.echo(
        f"webhook delivery ({name}): {events} events ({events // 4 or 1} leads, in order per lead) to a loopback "
        f"receiver process ({concurrency} in flight) in {spent:.2f} s = {events / spent:,.0f} events/s; "
        f"recorded delivered {counts['delivered']}, receiver saw {seen.value}; {lag.figures()}; {load()}"
    )


async def run(leads: int, batch: int, parallel: int, events: int, concurrency: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        async with pg_database("leadapi") as pg:
            if pg is not None:
                await lead_api_on("PostgreSQL", pg, workdir, leads, batch, parallel)
        async with sqlite_database(workdir, "leadapi") as db:
            await lead_api_on("SQLite", db, workdir, leads, batch, parallel)
        async with pg_database("webhooks") as pg:
            if pg is not None:
                await delivery_on("PostgreSQL", pg, events, concurrency)
        async with sqlite_database(workdir, "webhooks") as db:
            await delivery_on("SQLite", db, events, concurrency)


def run_default() -> None:
    asyncio.run(run(100_000, 5_000, 2, 20_000, 32))


def register(app: typer.Typer) -> None:
    @app.command("hooks")
    def bench_hooks(
        leads: Annotated[int, typer.Option("--leads", min=100, help="leads through the lead API")] = 100_000,
        batch: Annotated[int, typer.Option("--batch", min=1, max=10_000, help="leads per request")] = 5_000,
        parallel: Annotated[int, typer.Option("--parallel", min=1, help="requests at a time")] = 2,
        events: Annotated[int, typer.Option("--events", min=100, help="webhook events delivered")] = 20_000,
        concurrency: Annotated[int, typer.Option("--concurrency", min=1, help="deliveries in flight")] = 32,
    ) -> None:
        """Lead API leads/s and webhook delivery events/s (SQLite, and PostgreSQL with DIALER_TEST_PG_URL)."""
        asyncio.run(run(leads, batch, parallel, events, concurrency))
