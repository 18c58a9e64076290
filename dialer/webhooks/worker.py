"""The delivery worker: claims due outbox rows, POSTs them signed, records the outcome (the edge of webhooks).

It never touches the dialling path: it runs as its own task, holds at most ``concurrency`` deliveries in flight,
each bounded by ``timeout_seconds``, and writes to the database only to claim rows and to record tries (in
batches, as ordinary -- not urgent -- writers, so on SQLite a pacing step's claim always goes first). A receiver
that sleeps or is down only fills its own rows' retry schedule.

Throughput: rows are claimed several slots' worth at a time (CLAIM_FACTOR x ``concurrency``, held under the
claim's lease in a local queue) and the tries recorded a batch at a time in
the same transaction as the next claim, so the database sees one transaction per batch of deliveries, not two
per delivery. Order per lead is the claim's: a lead's next event is not claimable
while an earlier one is pending (queued here, in flight or waiting for a retry), so the deliveries in flight are
of different leads and may run concurrently to the same destination.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from functools import partial

import aiohttp
from aiohttp import web

from dialer.appkeys import CLOCK, DATABASE, DIALER, SETTINGS
from dialer.i18n import Message, message_of
from dialer.logging import get_logger
from dialer.settings import WebhookSettings
from dialer.store.engine import Database
from dialer.store.idempotency import RETENTION as KEY_RETENTION
from dialer.store.idempotency import purge_keys
from dialer.store.webhooks import (
    DeliveryResult,
    OutboxRow,
    finish,
    finish_and_claim,
    purge_delivered,
    release_dead_leases,
    release_leases,
    secrets_of,
    worker_id,
)
from dialer.webhooks.core import AllowList, DestinationRefused, RetryPolicy, retryable, signed_headers

log = get_logger(__name__)
SWEEP_EVERY_SECONDS = 30.0
PURGE_EVERY_SECONDS = 3600.0
CLAIM_FACTOR = 4  # rows claimed ahead: this many times the deliveries in flight
WEBHOOK_WORKER: web.AppKey[WebhookWorker] = web.AppKey("webhook_worker")


def policy_of(settings: WebhookSettings) -> RetryPolicy:
    return RetryPolicy(
        base_seconds=settings.retry_base_seconds,
        cap_seconds=settings.retry_cap_seconds,
        max_attempts=settings.max_attempts,
    )


class WebhookWorker:
    def __init__(
        self,
        db: Database,
        settings: WebhookSettings,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        rng: random.Random | None = None,
        owner: str | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.now = now
        self.rng = rng or random.Random()
        self.owner = owner or worker_id()
        self.policy = policy_of(settings)
        self.allow = AllowList.parse(settings.allowed_destinations)
        self.lease = timedelta(seconds=max(settings.lease_seconds, settings.timeout_seconds * 3))
        self.delivered = 0  # counters for the benchmark and /status
        self.failed = 0
        self._wake = asyncio.Event()
        self._done: list[DeliveryResult] = []
        self._in_flight: set[asyncio.Task[None]] = set()
        self._queue: deque[tuple[OutboxRow, str]] = deque()  # claimed rows (and their secrets) not started yet
        self._held: set[int] = set()  # ids of the rows queued or in flight
        self._allowed: dict[str, str | None] = {}  # URL -> why refused (None: allowed)
        self._http: aiohttp.ClientSession | None = None
        self._batch = max(1, settings.concurrency // 4)
        self._claim_ahead = settings.concurrency * CLAIM_FACTOR

    def nudge(self) -> None:
        """Look for due rows now instead of at the next poll (an event was just written)."""
        self._wake.set()

    async def run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=self.settings.timeout_seconds)
        connector = aiohttp.TCPConnector(limit=self.settings.concurrency)
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:
            self._http = http
            try:
                await self._loop()
            finally:
                self._queue.clear()  # (released below with the rest of this worker's leases)
                self._held.clear()
                for task in self._in_flight:
                    task.cancel()
                await asyncio.gather(*self._in_flight, return_exceptions=True)
                with contextlib.suppress(Exception):  # what was delivered is recorded; the rest is handed over
                    await asyncio.shield(self._flush())
                    await asyncio.shield(release_leases(self.db, self.owner))

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        next_sweep = 0.0
        next_purge = loop.time() + 60.0
        # Claims and records go in batches: the loop wakes once a quarter of the slots is free (or nothing is in
        # flight), records those tries together, starts queued rows and tops the queue up when it runs low: a few
        # transactions per batch, not per row.
        while True:
            claimed: list[OutboxRow] = []
            try:
                if loop.time() >= next_sweep:
                    freed = await release_dead_leases(self.db, self.now())
                    if freed:
                        log.info("webhook deliveries of a dead worker taken back", rows=freed)
                    next_sweep = loop.time() + SWEEP_EVERY_SECONDS
                if loop.time() >= next_purge:
                    keep = timedelta(days=self.settings.delivered_retention_days)
                    await purge_delivered(self.db, self.now() - keep)
                    # (and the lead API's stored Idempotency-Key answers: the same hourly housekeeping)
                    await purge_keys(self.db, self.now() - KEY_RETENTION)
                    next_purge = loop.time() + PURGE_EVERY_SECONDS
                claimed = await self._step()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database is away: try again after a pause, keep what is in flight
                log.warning("webhook worker step failed", error=str(exc))
                claimed = []
                await asyncio.sleep(self.settings.poll_interval_seconds)
            if claimed and len(self._queue) < self.settings.concurrency:
                continue  # more may be due right away
            await self._wait()

    async def _step(self) -> list[OutboxRow]:
        """Record the finished tries and top the queue up, in one transaction (one round of the database for
        both); start what can start. The queue is topped up once fewer rows wait in it than may be in flight.
        Returns the rows claimed."""
        self._start_queued()
        held = len(self._queue) + len(self._in_flight)
        limit = self._claim_ahead - held if len(self._queue) < self.settings.concurrency else 0
        done, self._done = self._done, []
        if not done and limit <= 0:
            return []
        try:
            _, claimed = await finish_and_claim(
                self.db, self.owner, done, self.now(), lease=self.lease, limit=max(limit, 0)
            )
        except BaseException:  # (cancelled mid-transaction too: the worker stopping records them on its way out)
            self._done = done + self._done  # recorded next time; the leases hold the rows meanwhile
            raise
        await self._enqueue(claimed)
        self._start_queued()
        return claimed

    async def _wait(self) -> None:
        """Until a batch of tries has finished (or the last one in flight), an event was written, or the poll
        interval has passed."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.settings.poll_interval_seconds):
                await self._wake.wait()
        self._wake.clear()

    async def _enqueue(self, rows: list[OutboxRow]) -> None:
        if not rows:
            return
        secrets = await secrets_of(self.db, [r.subscription_id for r in rows if r.subscription_id is not None])
        crm_secret = self.settings.crm_secret.get_secret_value()
        for row in rows:
            if row.id in self._held:
                continue  # (its lease ran out while queued here and it was claimed again: already queued)
            secret = secrets.get(row.subscription_id, "") if row.subscription_id is not None else crm_secret
            self._queue.append((row, secret))
            self._held.add(row.id)

    def _start_queued(self) -> None:
        """Start queued deliveries while slots are free (oldest first). A row whose lease would run out before
        its delivery could end is left to be claimed again (by this worker or another), never sent twice at once."""
        latest_end = self.now() + timedelta(seconds=self.settings.timeout_seconds)
        while self._queue and len(self._in_flight) < self.settings.concurrency:
            row, secret = self._queue.popleft()
            if row.lease_expires_at is not None and row.lease_expires_at < latest_end:
                self._held.discard(row.id)
                continue
            task = asyncio.create_task(self._deliver(row, secret), name=f"webhook-{row.id}")
            self._in_flight.add(task)
            task.add_done_callback(partial(self._finished, row_id=row.id))

    def _finished(self, task: asyncio.Task[None], *, row_id: int) -> None:
        self._in_flight.discard(task)
        self._held.discard(row_id)
        if not task.cancelled():
            self._start_queued()  # the freed slot goes to the next queued row at once

    async def _deliver(self, row: OutboxRow, secret: str) -> None:
        status: int | None = None
        error: str | None = None
        try:
            self._check(row.url)
            assert self._http is not None
            stamp = int(time.time())  # wall time, whatever the daemon's clock: receivers check it against theirs
            headers = signed_headers(secret, row.event_id, row.event_type, stamp, row.payload)
            if not secret:
                headers.pop("Dialer-Webhook-Signature")
            async with self._http.post(
                row.url, data=row.payload.encode(), headers=headers, allow_redirects=False
            ) as resp:
                status = resp.status
                await resp.read()
        except DestinationRefused as exc:
            self._record(DeliveryResult(row.id, False, None, refusal_record(exc), dead=True))
            return
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            error = failure_record(exc)
        if status is not None and 200 <= status < 300:
            self.delivered += 1
            self._record(DeliveryResult(row.id, True, status, None))
            return
        self.failed += 1
        tries = row.attempts + 1
        error = error or status_record(status)
        if self.policy.dead(tries) or not retryable(status):
            log.warning("webhook dead-lettered", row=row.id, event_id=row.event_id, error=error, tries=tries)
            self._record(DeliveryResult(row.id, False, status, error, dead=True))
        else:
            retry_at = self.now() + timedelta(seconds=self.policy.delay(tries, self.rng))
            self._record(DeliveryResult(row.id, False, status, error, retry_at=retry_at))

    def _check(self, url: str) -> None:
        """The allow-list's verdict on ``url`` (remembered: a subscription's URL is checked once, not per event)."""
        if url not in self._allowed:
            if len(self._allowed) > 1000:
                self._allowed.clear()
            try:
                self.allow.check(url)
                self._allowed[url] = None
            except DestinationRefused as exc:
                self._allowed[url] = str(exc)
        refusal = self._allowed[url]
        if refusal is not None:
            raise DestinationRefused(refusal)

    def _record(self, result: DeliveryResult) -> None:
        self._done.append(result)
        # (the finishing task is still in the in-flight set)
        if len(self._done) >= self._batch or len(self._in_flight) <= 1:
            self._wake.set()

    async def _flush(self) -> None:
        if not self._done:
            return
        done, self._done = self._done, []
        try:
            await finish(self.db, self.owner, done, self.now())
        except BaseException:  # (cancelled mid-transaction too: the worker stopping records them on its way out)
            self._done = done + self._done  # recorded next time; the leases hold the rows meanwhile
            raise

    async def drain(self, seconds: float) -> None:
        """Let the deliveries in flight finish (up to ``seconds``) and record them."""
        if self._in_flight:
            await asyncio.wait(set(self._in_flight), timeout=seconds)
        with contextlib.suppress(Exception):
            await self._flush()


def _wall(app: web.Application) -> Callable[[], datetime]:
    clock = app.get(CLOCK)
    if clock is None and DIALER in app:
        clock = app[DIALER].clock
    if clock is None:
        return lambda: datetime.now(UTC)
    return lambda: datetime.fromtimestamp(clock.now(), UTC)


async def webhooks_ctx(app: web.Application) -> AsyncIterator[None]:
    """The delivery worker for the daemon's lifetime (a cleanup_ctx of dialer.app)."""
    settings = app[SETTINGS].webhooks
    if not settings.enabled:
        yield
        return
    worker = WebhookWorker(app[DATABASE], settings, now=_wall(app))
    app[WEBHOOK_WORKER] = worker
    task = asyncio.create_task(worker.run(), name="webhook-worker")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


# A failed delivery's ``last_error`` as recorded: the machine's words (English, the exception's class first), kept
# for operators and API clients; the console shows it in the reader's language (dialer.i18n.library
# .delivery_error_text reads these three forms).
def refusal_record(exc: DestinationRefused) -> str:
    said = message_of(exc)
    return f"refused: {said.english if isinstance(said, Message) else said}"


def failure_record(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def status_record(status: int | None) -> str:
    return f"HTTP {status}"
