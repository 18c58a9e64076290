"""`dialer bench web`: event-loop lag while the web tier does heavy request work; `dialer bench auth`: what
knowing who a request is costs.

Two loads, each with a 5 ms lag sampler running on the same loop: a login flood (argon2 in worker threads, through
the real HTTP stack and route table on SQLite) and campaign updates the way ``PUT /api/campaigns/{name}`` does them
(a campaign at the disposition bound; a 1 MB one with 21 000 dispositions, refused: in the worker process, and in a
worker thread for comparison). Prints the worst and the 99th-percentile lag (target: under 50 ms) and the time.

``bench auth`` sends signed-in requests (``GET /api/me``, half with a browser session's cookie, half with an API
token) through the real HTTP stack on SQLite, with the credential memory off (``[http] auth_cache_seconds = 0``:
every request reads its session or token) and on (the default): requests a second and database statements per
request, each way.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from aiohttp import ClientSession, CookieJar, web
from aiohttp.test_utils import TestServer

from dialer.appkeys import AFTER_CONTEXTS, DATABASE, SETTINGS
from dialer.settings import Settings
from dialer.store.auth import Role, add_api_token, create_user
from dialer.store.engine import Database, open_database
from dialer.store.migrate import upgrade

REPO_EXAMPLE = Path(__file__).resolve().parents[2] / "campaigns" / "example.toml"


class LagSampler:
    """How late a 5 ms sleep wakes up, sampled until stopped."""

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(self.interval)
            self.samples.append(max(0.0, time.perf_counter() - start - self.interval))

    def __enter__(self) -> LagSampler:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()

    def figures(self) -> str:
        if not self.samples:
            return "no samples"
        ordered = sorted(self.samples)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        median = statistics.median(ordered)
        return f"lag max {ordered[-1] * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, median {median * 1000:.1f} ms"


@asynccontextmanager
async def web_server(settings: Settings, db: Database, *, client_max_size: int = 1024**2) -> AsyncIterator[TestServer]:
    """The web tier (its real route table and middlewares) over ``db``, served on loopback until the block ends;
    ``client_max_size``: the largest request body it takes (aiohttp's default, 1 MiB, unless given)."""
    from dialer.web import setup_web

    app = web.Application(client_max_size=client_max_size)
    app[SETTINGS] = settings
    app[DATABASE] = db
    app[AFTER_CONTEXTS] = []
    setup_web(app)
    server = TestServer(app)
    await server.start_server()
    try:
        yield server
    finally:
        await server.close()


async def login_flood(logins: int, concurrency: int) -> None:
    from dialer.web.security import hash_password

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(var_dir=Path(tmp), database_url=f"sqlite+aiosqlite:///{tmp}/web.db")
        async with open_database(settings.database_url) as db:
            await upgrade(db)
            now = datetime.now(UTC)
            password = "flood-password-1"  # noqa: S105 - a throwaway user of the benchmark's own database
            password_hash = hash_password(password)
            for n in range(concurrency):
                await create_user(db, f"user{n}", Role.AGENT, password_hash, now)
            async with web_server(settings, db) as server, ClientSession() as session:
                url = str(server.make_url("/api/login"))

                async def worker(n: int) -> None:
                    for _ in range(logins // concurrency):
                        body: dict[str, Any] = {"name": f"user{n}", "password": password}
                        async with session.post(url, json=body) as resp:
                            assert resp.status == 200, await resp.text()

                started = time.perf_counter()
                with LagSampler() as lag:
                    await asyncio.gather(*(worker(n) for n in range(concurrency)))
                spent = time.perf_counter() - started
    done = (logins // concurrency) * concurrency
    print(
        f"login flood: {done} logins ({concurrency} at a time) in {spent:.2f} s = {done / spent:.0f}/s; {lag.figures()}"
    )


async def campaign_update(dispositions: int) -> None:
    from dialer.campaign.config import MAX_DISPOSITIONS
    from dialer.web.api.campaigns import Refusal, read_campaign
    from dialer.web.cpu import PROCESS_THRESHOLD_BYTES, CpuWorker

    example = REPO_EXAMPLE.read_bytes()

    def campaign(n: int) -> bytes:
        text = REPO_EXAMPLE.read_text(encoding="utf-8").replace('name = "example"', 'name = "big"', 1)
        return (text + "".join(f'\n[[dispositions]]\ncode = "d{i}"\nlabel = "D {i}"\n' for i in range(n))).encode()

    # Warm up (phone-number metadata, validators; the worker process started) as a running daemon already is.
    warm = read_campaign(example, "application/toml", "example")
    assert not isinstance(warm, Refusal), warm
    given = len(warm[0].dispositions)
    worker = CpuWorker()
    try:
        await worker.run(PROCESS_THRESHOLD_BYTES, read_campaign, example, "application/toml", "example")
        bound, big = campaign(MAX_DISPOSITIONS - given), campaign(dispositions - given)
        cases = [
            (f"{MAX_DISPOSITIONS} dispositions (the bound)", bound, len(bound)),
            (f"{dispositions} dispositions", big, len(big)),
            (f"{dispositions} dispositions, in a thread", big, 0),
        ]
        for what, raw, size in cases:
            where = "worker process" if size >= PROCESS_THRESHOLD_BYTES else "worker thread"
            started = time.perf_counter()
            with LagSampler() as lag:
                parsed = await worker.run(size, read_campaign, raw, "application/toml", "big")
            spent = time.perf_counter() - started
            verdict = f"refused ({parsed.status})" if isinstance(parsed, Refusal) else "validated"
            print(
                f"campaign update {what}: {len(raw) / 1e6:.2f} MB {verdict} in {spent:.2f} s ({where}); {lag.figures()}"
            )
    finally:
        worker.close()


async def authenticated_reads(requests: int, concurrency: int, cache_seconds: float) -> None:
    from dialer.settings import HttpSettings
    from dialer.web.security import hash_password, new_api_token

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            var_dir=Path(tmp),
            database_url=f"sqlite+aiosqlite:///{tmp}/web.db",
            http=HttpSettings(auth_cache_seconds=cache_seconds),
        )
        async with open_database(settings.database_url) as db:
            await upgrade(db)
            now = datetime.now(UTC)
            password = "reads-password-1"  # noqa: S105 - a throwaway user of the benchmark's own database
            password_hash = hash_password(password)
            tokens = []
            for n in range(concurrency):
                user = await create_user(db, f"user{n}", Role.MANAGER, password_hash, now)
                tokens.append(new_api_token())
                await add_api_token(db, user.id, tokens[-1], "bench", now)
            statements, counting = 0, False

            def counted(_statement: str, _seconds: float) -> None:
                nonlocal statements
                statements += counting

            db.time_statements(counted)

            async with web_server(settings, db) as server:
                url = str(server.make_url("/api/me"))

                async def worker(n: int) -> None:
                    async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as session:  # (a loopback address)
                        if n % 2:
                            headers = {"Authorization": f"Bearer {tokens[n]}"}
                        else:
                            body = {"name": f"user{n}", "password": password}
                            async with session.post(str(server.make_url("/api/login")), json=body) as resp:
                                assert resp.status == 200, await resp.text()
                            headers = {}
                        for _ in range(requests // concurrency):
                            async with session.get(url, headers=headers) as resp:
                                assert resp.status == 200, await resp.text()

                counting = True
                started = time.perf_counter()
                with LagSampler() as lag:
                    await asyncio.gather(*(worker(n) for n in range(concurrency)))
                spent = time.perf_counter() - started
                counting = False
    done = (requests // concurrency) * concurrency
    logins = (concurrency + 1) // 2
    print(
        f"signed-in requests, credential memory {f'{cache_seconds:g} s' if cache_seconds else 'off'}: {done} in "
        f"{spent:.2f} s = {done / spent:.0f}/s ({concurrency} clients, {logins} of them signed in first); "
        f"{statements / done:.2f} database statements a request (logins included); {lag.figures()}"
    )


def run_default() -> None:
    asyncio.run(login_flood(200, 20))
    asyncio.run(campaign_update(21_000))
    asyncio.run(authenticated_reads(4000, 20, 0))
    asyncio.run(authenticated_reads(4000, 20, 2.0))


def register(app: typer.Typer) -> None:
    @app.command("web")
    def bench_web(
        logins: Annotated[int, typer.Option("--logins", min=10, help="logins in the flood")] = 200,
        concurrency: Annotated[int, typer.Option("--concurrency", min=1, help="logins at a time")] = 20,
        dispositions: Annotated[int, typer.Option("--dispositions", min=1, help="in the big campaign")] = 21_000,
    ) -> None:
        """Event-loop lag during a login flood and a large campaign update."""
        asyncio.run(login_flood(logins, concurrency))
        asyncio.run(campaign_update(dispositions))

    @app.command("auth")
    def bench_auth(
        requests: Annotated[int, typer.Option("--requests", min=10, help="signed-in requests")] = 4000,
        concurrency: Annotated[int, typer.Option("--concurrency", min=1, help="clients at a time")] = 20,
    ) -> None:
        """Signed-in requests a second, and database statements each, with the credential memory off and on."""
        asyncio.run(authenticated_reads(requests, concurrency, 0))
        asyncio.run(authenticated_reads(requests, concurrency, 2.0))
