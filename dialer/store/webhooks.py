"""Webhook subscriptions and the durable outbox (issue 18).

An event is announced by :func:`enqueue_in`, called inside the write transaction that records the event (the
attempt row, the lead's transition, the DNC entry): one row per matching subscription, committed or rolled back
with the event itself, so a crash loses nothing and announces nothing that did not happen.

The delivery worker (dialer.webhooks.worker) claims due rows with a lease (:func:`claim_due`): a row whose lease
ran out, or whose leaseholder is a process of this host that no longer exists (``kill -9``), is claimed again. Rows
of one ``order_key`` (a lead at one destination) are claimed one at a time, oldest first, so a lead's events reach
a receiver in the order they happened even across retries. Receivers dedupe by the event id.

Why one module (over 500 lines): the subscriptions, the outbox rows announced with them and the worker's leased
claims share their tables and the per-engine caches of subscriptions and signing secrets.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    BigInteger,
    Integer,
    String,
    Text,
    and_,
    cast,
    column,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    update,
    values,
)
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from dialer.store.changes import not_none
from dialer.store.dialect import upsert_insert
from dialer.store.engine import Database
from dialer.store.holders import local_holder_gone, process_holder
from dialer.store.records import RecordReader, by_id, public_fields, where_given
from dialer.store.tables import webhook_outbox_t, webhook_subscriptions_t
from dialer.store.types import UTCDateTime
from dialer.webhooks.core import WebhookEvent, body_of, subscribes

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"
OUTBOX_STATES = (PENDING, DELIVERED, DEAD)
T = TypeVar("T")


# -- subscriptions ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    campaign_id: int | None
    url: str
    events: tuple[str, ...]
    secret: str
    enabled: bool
    description: str | None
    created_at: datetime

    def as_json(self) -> dict[str, object]:
        return public_fields(self, "id campaign_id url events enabled description created_at")


def _events_column(events: Sequence[str]) -> str:
    return "|" + "|".join(str(e) for e in events) + "|"


def _events_of(column: str) -> tuple[str, ...]:
    """The names a subscription stored (``("*",)``: every subscribable type, present and future)."""
    return tuple(e for e in column.split("|") if e)


_subscription = RecordReader(Subscription, events=_events_of, enabled=bool)


async def create_subscription(
    db: Database,
    *,
    campaign_id: int | None,
    url: str,
    events: Sequence[str],
    secret: str,
    now: datetime,
    description: str | None = None,
    enabled: bool = True,
) -> Subscription:
    """``events``: as :func:`dialer.webhooks.core.parse_events` gives them (``["*"]`` is stored as such)."""
    insert = webhook_subscriptions_t.insert().values(
        campaign_id=campaign_id,
        url=url,
        events=_events_column(events),
        secret=secret,
        enabled=enabled,
        description=description,
        created_at=now,
        updated_at=now,
    )
    async with db.write() as conn:
        created = await _subscription.one_in(conn, insert.returning(*webhook_subscriptions_t.c))
    _subscriptions_changed()
    return created


async def list_subscriptions(db: Database, campaign_id: int | None = None) -> list[Subscription]:
    stmt = select(webhook_subscriptions_t).order_by(webhook_subscriptions_t.c.id)
    if campaign_id is not None:
        stmt = stmt.where(webhook_subscriptions_t.c.campaign_id == campaign_id)
    return await _subscription.all(db, stmt)


async def get_subscription(db: Database, subscription_id: int) -> Subscription | None:
    return await _subscription.first(db, by_id(webhook_subscriptions_t, subscription_id))


async def update_subscription(
    db: Database,
    subscription_id: int,
    now: datetime,
    *,
    url: str | None = None,
    events: Sequence[str] | None = None,
    enabled: bool | None = None,
    secret: str | None = None,
    description: str | None = None,
) -> Subscription | None:
    column = None if events is None else _events_column(events)
    values = not_none(url=url, events=column, enabled=enabled, secret=secret, description=description)
    values["updated_at"] = now
    s = webhook_subscriptions_t.c
    change = update(webhook_subscriptions_t).where(s.id == subscription_id).values(**values)
    async with db.write() as conn:
        updated = await _subscription.first_in(conn, change.returning(*webhook_subscriptions_t.c))
    _subscriptions_changed()
    return updated


async def delete_subscription(db: Database, subscription_id: int) -> bool:
    """Remove a subscription; its delivered and dead rows are kept without it, pending ones are dropped."""
    o = webhook_outbox_t.c
    async with db.write() as conn:
        await conn.execute(delete(webhook_outbox_t).where(o.subscription_id == subscription_id, o.state == PENDING))
        await conn.execute(
            update(webhook_outbox_t).where(o.subscription_id == subscription_id).values(subscription_id=None)
        )
        result = await conn.execute(
            delete(webhook_subscriptions_t).where(webhook_subscriptions_t.c.id == subscription_id)
        )
    _subscriptions_changed()
    return bool(result.rowcount)


# -- the outbox -------------------------------------------------------------------------------------------------


# -- the subscriptions each write transaction would otherwise read ------------------------------------------------
#
# Every attempt write announces its events, so enqueue_in must not read the subscriptions table each time. The
# enabled subscriptions are cached per engine: a change made through this module (this process: the web tier runs
# in the daemon) invalidates the cache at once; a change made by another process is seen within
# SUBSCRIPTIONS_TTL_SECONDS. The cache only decides which outbox rows to *try*: the insert joins the live
# subscriptions table, so a subscription deleted or disabled meanwhile (by any process) gets nothing, and a row
# never points at a subscription that is gone.

SUBSCRIPTIONS_TTL_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class _Target:
    id: int
    campaign_id: int | None
    url: str
    events: frozenset[str]  # the names subscribed to ("*": every subscribable type, see core.subscribes)


_generation = 0  # bumped by every change of a subscription made through this module


class _PerEngine(Generic[T]):
    """What was read of the subscriptions, per engine, while fresh: no change made through this module since it
    was read, and read less than SUBSCRIPTIONS_TTL_SECONDS ago."""

    def __init__(self) -> None:
        self._entries: weakref.WeakKeyDictionary[Engine, tuple[int, float, T]] = weakref.WeakKeyDictionary()

    def get(self, engine: Engine) -> T | None:
        entry = self._entries.get(engine)
        if entry is None or entry[0] != _generation or time.monotonic() - entry[1] >= SUBSCRIPTIONS_TTL_SECONDS:
            return None
        return entry[2]

    @staticmethod
    def stamp() -> tuple[int, float]:
        """Taken before reading: a change made while reading leaves what was read stale."""
        return _generation, time.monotonic()

    def put(self, engine: Engine, stamp: tuple[int, float], value: T) -> None:
        self._entries[engine] = (*stamp, value)


_cache: _PerEngine[tuple[_Target, ...]] = _PerEngine()


def _subscriptions_changed() -> None:
    global _generation
    _generation += 1


async def _targets(conn: AsyncConnection) -> tuple[_Target, ...]:
    engine = conn.sync_engine
    cached = _cache.get(engine)
    if cached is not None:
        return cached
    stamp = _cache.stamp()
    s = webhook_subscriptions_t.c
    rows = (await conn.execute(select(s.id, s.campaign_id, s.url, s.events).where(s.enabled))).all()
    targets = tuple(_Target(int(i), c, str(u), frozenset(_events_of(str(e)))) for i, c, u, e in rows)
    _cache.put(engine, stamp, targets)
    return targets


_OUTBOX_INSERT_CHUNK = 2000  # rows per statement (SQLite binds at most 32 766 parameters)


async def enqueue_in(conn: AsyncConnection, events: Sequence[WebhookEvent], now: datetime) -> int:
    """Announce ``events`` inside the caller's write transaction: one outbox row per enabled subscription of the
    event's campaign (or of every campaign) and type, plus one per fixed destination (``event.url``). An event
    already announced (same id, same destination) is not announced twice. Returns the rows written.

    No read of the subscriptions per call (see the cache above); a payload is serialised only for an event that
    has a subscriber."""
    if not events:
        return 0
    targets: tuple[_Target, ...] = ()
    if any(e.url is None for e in events):
        targets = await _targets(conn)
    fixed: list[dict[str, object]] = []
    subscribed: list[dict[str, object]] = []
    for event in events:
        if event.url is not None:
            matches: list[tuple[int | None, str, str]] = [(None, event.url, f"url:{event.lead_order()}")]
        else:
            matches = [
                (t.id, t.url, f"s{t.id}:{event.lead_order()}"[:120])
                for t in targets
                if t.campaign_id in (None, event.campaign_id) and subscribes(t.events, event.type)
            ]
        if not matches:
            continue  # (no subscriber: nothing serialised on the attempt-write path that every pacing step takes)
        common: dict[str, object] = {
            "event_id": event.id,
            "event_type": event.type.value,
            "campaign_id": event.campaign_id,
            "lead_id": event.lead_id,
            "payload": body_of(event.envelope()),
            "next_attempt_at": event.not_before or now,
        }
        for sid, url, key in matches:
            row: dict[str, object] = {**common, "subscription_id": sid, "url": url, "order_key": key}
            (fixed if sid is None else subscribed).append(row)
    written = 0
    if fixed:
        stmt = upsert_insert(conn, webhook_outbox_t).on_conflict_do_nothing(index_elements=["event_id", "order_key"])
        result = await conn.execute(stmt, [{**r, "state": PENDING, "attempts": 0, "created_at": now} for r in fixed])
        written += max(int(result.rowcount), 0)
    for start in range(0, len(subscribed), _OUTBOX_INSERT_CHUNK):
        written += await _insert_if_subscribed(conn, subscribed[start : start + _OUTBOX_INSERT_CHUNK], now)
    return written


_CANDIDATE_COLUMNS = (
    ("n", Integer()),
    ("event_id", String()),
    ("event_type", String()),
    ("campaign_id", Integer()),
    ("lead_id", BigInteger()),
    ("payload", Text()),
    ("next_attempt_at", UTCDateTime()),
    ("subscription_id", Integer()),
    ("url", String()),
    ("order_key", String()),
)


async def _insert_if_subscribed(conn: AsyncConnection, rows: list[dict[str, object]], now: datetime) -> int:
    """Insert the candidate rows whose subscription still exists and is enabled (one statement)."""
    s = webhook_subscriptions_t.c
    candidates = (
        values(*(column(name, type_) for name, type_ in _CANDIDATE_COLUMNS), name="candidates")
        .data([(n, *(r[name] for name, _ in _CANDIDATE_COLUMNS[1:])) for n, r in enumerate(rows)])
        .cte("candidates")
    )
    c = candidates.c
    pick = (
        select(
            c.event_id,
            c.event_type,
            c.subscription_id,
            # (cast: PostgreSQL types a VALUES column whose every row is NULL as text -- a batch of events
            # with no lead, e.g. opt-outs from the registry)
            cast(c.campaign_id, Integer()),
            cast(c.lead_id, BigInteger()),
            c.order_key,
            c.url,
            c.payload,
            literal(PENDING, String()),
            literal(0, Integer()),
            c.next_attempt_at,
            literal(now, UTCDateTime()),
        )
        .select_from(candidates.join(webhook_subscriptions_t, s.id == c.subscription_id))
        .where(s.enabled)
        .order_by(c.n)  # (ids in event order: a lead's events are delivered in the order of their ids)
    )
    columns = [
        "event_id", "event_type", "subscription_id", "campaign_id", "lead_id", "order_key", "url", "payload", "state",
        "attempts", "next_attempt_at", "created_at",
    ]  # fmt: skip
    stmt = (
        upsert_insert(conn, webhook_outbox_t)
        .from_select(columns, pick)
        .on_conflict_do_nothing(index_elements=["event_id", "order_key"])
        .returning(webhook_outbox_t.c.id)  # (counted: SQLite gives no rowcount for a statement opening WITH)
    )
    return len((await conn.execute(stmt)).all())


async def withdraw_unsent_in(conn: AsyncConnection, event_ids: Sequence[str], now: datetime) -> int:
    """Take back, inside the caller's write transaction, the deliveries of ``event_ids`` not due yet: pending rows
    never tried, held by no worker, to be sent after ``now`` (an event announced ahead of its time, such as
    ``callback.due``, whose fact went away first). They are deleted: never sent, listed or counted, as if never
    announced. A delivery already sent, being sent, retrying or due by ``now`` stays. Returns the rows withdrawn."""
    if not event_ids:
        return 0
    o = webhook_outbox_t.c
    result = await conn.execute(
        delete(webhook_outbox_t).where(
            o.event_id.in_(sorted(set(event_ids))),
            o.state == PENDING,
            o.attempts == 0,
            o.last_status.is_(None),
            o.last_error.is_(None),
            o.lease_owner.is_(None),
            o.next_attempt_at > now,
        )
    )
    return int(result.rowcount)


async def enqueue(db: Database, events: Sequence[WebhookEvent], now: datetime) -> int:
    async with db.write() as conn:
        return await enqueue_in(conn, events, now)


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    event_id: str
    event_type: str
    subscription_id: int | None
    campaign_id: int | None
    lead_id: int | None
    order_key: str
    url: str
    payload: str
    state: str
    attempts: int
    next_attempt_at: datetime
    lease_owner: str | None
    lease_expires_at: datetime | None
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None

    def as_json(self, *, with_payload: bool = False) -> dict[str, object]:
        out = public_fields(
            self,
            "id event_id event_type subscription_id campaign_id lead_id url state attempts next_attempt_at "
            "last_status last_error created_at delivered_at",
        )
        if with_payload:
            out["payload"] = self.payload
        return out


_outbox_row = RecordReader(OutboxRow)


def worker_id() -> str:
    """A delivery worker: this host and process (a restart on the same host sees at once it died), a token."""
    return process_holder("webhook")


async def release_dead_leases(db: Database, now: datetime) -> int:
    """Free the rows held by delivery workers of this host whose process is gone (``kill -9``): they are claimed
    again at once instead of after their lease. Returns the rows freed."""
    o = webhook_outbox_t.c
    async with db.read() as conn:
        owners = (
            await conn.execute(
                select(o.lease_owner)
                .where(o.state == PENDING, o.lease_owner.is_not(None), o.lease_expires_at >= now)
                .distinct()
            )
        ).scalars()
        gone = [owner for owner in owners if owner is not None and local_holder_gone(owner, "webhook")]
    if not gone:
        return 0
    async with db.write() as conn:
        result = await conn.execute(
            update(webhook_outbox_t)
            .where(o.state == PENDING, o.lease_owner.in_(gone))
            .values(lease_owner=None, lease_expires_at=None)
        )
    return int(result.rowcount)


async def release_leases(db: Database, owner: str) -> int:
    """A worker stopping cleanly gives back the rows it holds (they are claimed again at once)."""
    o = webhook_outbox_t.c
    async with db.write() as conn:
        result = await conn.execute(
            update(webhook_outbox_t)
            .where(o.state == PENDING, o.lease_owner == owner)
            .values(lease_owner=None, lease_expires_at=None)
        )
    return int(result.rowcount)


async def claim_due(db: Database, *, owner: str, now: datetime, lease: timedelta, limit: int) -> list[OutboxRow]:
    """Hold up to ``limit`` due rows for ``owner`` until ``now + lease``: pending, due, not held by a live lease,
    and the oldest pending row of their order key (a lead's earlier event not yet delivered holds the later ones
    back). Oldest first. ``SKIP LOCKED`` on PostgreSQL, so several daemons share the outbox."""
    async with db.write() as conn:
        return await _claim_in(conn, owner=owner, now=now, lease=lease, limit=limit)


async def _claim_in(
    conn: AsyncConnection, *, owner: str, now: datetime, lease: timedelta, limit: int
) -> list[OutboxRow]:
    o = webhook_outbox_t.c
    earlier = aliased(webhook_outbox_t)
    first_of_key = ~exists().where(earlier.c.order_key == o.order_key, earlier.c.state == PENDING, earlier.c.id < o.id)
    free = or_(o.lease_expires_at.is_(None), o.lease_expires_at < now)
    pick = (
        select(o.id).where(o.state == PENDING, o.next_attempt_at <= now, free, first_of_key).order_by(o.id).limit(limit)
    )
    if conn.dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True, of=webhook_outbox_t)
    # One statement: the pick is the UPDATE's subquery (one round trip per claim, not two).
    rows = (
        await conn.execute(
            update(webhook_outbox_t)
            .where(o.id.in_(pick.scalar_subquery()))
            .values(lease_owner=owner, lease_expires_at=now + lease)
            .returning(*webhook_outbox_t.c)
        )
    ).mappings()
    claimed = [_outbox_row(r) for r in rows.all()]
    claimed.sort(key=lambda r: r.id)
    return claimed


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """How one try of one row went: delivered, or to be tried at ``retry_at`` (None with dead: given up)."""

    row_id: int
    delivered: bool
    status: int | None
    error: str | None
    retry_at: datetime | None = None
    dead: bool = False


async def finish(db: Database, owner: str, results: Sequence[DeliveryResult], now: datetime) -> int:
    """Record the tries in one transaction; only rows still held by ``owner`` are changed (a row whose lease ran
    out and was claimed by another worker is that worker's now). Returns the rows recorded."""
    if not results:
        return 0
    async with db.write() as conn:
        return await _finish_in(conn, owner, results, now)


async def finish_and_claim(
    db: Database,
    owner: str,
    results: Sequence[DeliveryResult],
    now: datetime,
    *,
    lease: timedelta,
    limit: int,
) -> tuple[int, list[OutboxRow]]:
    """`finish` the tries, then `claim_due` up to ``limit`` rows (none when 0), in one transaction: the delivery
    worker's step costs one connection checkout and one commit, not two, and a lead whose event was just
    delivered has its next one claimable in the same step. Returns the rows recorded and the rows claimed."""
    if not results and limit <= 0:
        return 0, []
    if not db.is_sqlite and all(r.delivered for r in results):
        return await _pg_finish_and_claim(db, owner, results, now, lease, limit)
    async with db.write() as conn:
        recorded = await _finish_in(conn, owner, results, now) if results else 0
        claimed = await _claim_in(conn, owner=owner, now=now, lease=lease, limit=limit) if limit > 0 else []
    return recorded, claimed


# PostgreSQL, the delivery worker's usual step (every try delivered): the tries recorded and the next rows
# claimed in ONE statement, run outside an explicit transaction (a single statement is atomic): one round trip
# instead of five (BEGIN, record, claim, COMMIT besides the checkout). A busy event loop pays its lag per round
# trip, so this is what bounds the delivery rate there. The claim is `_claim_in`'s (the CTEs share one snapshot:
# a lead's next event becomes claimable at the next step, once this one's delivery is committed; a row being
# recorded is never claimed by the same statement, even if its lease ran out meanwhile).
_PG_STEP = """
WITH done AS (
    UPDATE webhook_outbox SET attempts = webhook_outbox.attempts + 1, lease_owner = NULL, lease_expires_at = NULL,
        state = 'delivered', delivered_at = $2, last_status = d.status, last_error = NULL
    FROM unnest($3::bigint[], $4::int[]) AS d(id, status)
    WHERE webhook_outbox.id = d.id AND webhook_outbox.lease_owner = $1 AND webhook_outbox.state = 'pending'
    RETURNING webhook_outbox.id
), pick AS (
    SELECT o.id FROM webhook_outbox o
    WHERE o.state = 'pending' AND o.next_attempt_at <= $2 AND (o.lease_expires_at IS NULL OR o.lease_expires_at < $2)
      AND o.id <> ALL($3::bigint[])
      AND NOT EXISTS (
        SELECT 1 FROM webhook_outbox e WHERE e.order_key = o.order_key AND e.state = 'pending' AND e.id < o.id)
    ORDER BY o.id LIMIT $6 FOR UPDATE OF o SKIP LOCKED
), claimed AS (
    UPDATE webhook_outbox SET lease_owner = $1, lease_expires_at = $5 FROM pick WHERE webhook_outbox.id = pick.id
    RETURNING webhook_outbox.*
)
SELECT (SELECT count(*) FROM done) AS recorded, claimed.* FROM (SELECT 1) AS one LEFT JOIN claimed ON true
"""


async def _pg_finish_and_claim(
    db: Database, owner: str, results: Sequence[DeliveryResult], now: datetime, lease: timedelta, limit: int
) -> tuple[int, list[OutboxRow]]:
    ids = [r.row_id for r in results]
    statuses = [r.status for r in results]
    async with db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection  # (no BEGIN: the one statement commits on its own)
        rows = await driver.fetch(_PG_STEP, owner, now, ids, statuses, now + lease, max(limit, 0))
    recorded = int(rows[0]["recorded"]) if rows else 0
    claimed = [_outbox_row(row) for row in rows if row["id"] is not None]
    claimed.sort(key=lambda r: r.id)
    return recorded, claimed


async def _finish_in(conn: AsyncConnection, owner: str, results: Sequence[DeliveryResult], now: datetime) -> int:
    o = webhook_outbox_t.c
    done = 0
    held = (o.lease_owner == owner) & (o.state == PENDING)
    cleared: dict[str, object] = {"attempts": o.attempts + 1, "lease_owner": None, "lease_expires_at": None}
    delivered = [r for r in results if r.delivered]
    for status in {r.status for r in delivered}:  # (all 2xx: usually one statement for the whole batch)
        ids = [r.row_id for r in delivered if r.status == status]
        result = await conn.execute(
            update(webhook_outbox_t)
            .where(o.id.in_(ids), held)
            .values(**cleared, state=DELIVERED, delivered_at=now, last_status=status, last_error=None)
        )
        done += int(result.rowcount)
    for r in results:
        if r.delivered:
            continue
        values: dict[str, object] = {
            **cleared,
            "last_status": r.status,
            "last_error": r.error[:300] if r.error else None,
        }
        if r.dead:
            values["state"] = DEAD
        else:
            assert r.retry_at is not None
            values["next_attempt_at"] = r.retry_at
        result = await conn.execute(update(webhook_outbox_t).where(o.id == r.row_id, held).values(**values))
        done += int(result.rowcount)
    return done


async def outbox_rows(
    db: Database,
    *,
    state: str | None = None,
    campaign_id: int | None = None,
    subscription_id: int | None = None,
    event_id: str | None = None,
    limit: int = 100,
    before_id: int | None = None,
) -> list[OutboxRow]:
    """Outbox rows, newest first (the UI's list)."""
    o = webhook_outbox_t.c
    stmt = select(webhook_outbox_t).order_by(o.id.desc()).limit(limit)
    stmt = stmt.where(
        *where_given(
            (o.state, state), (o.campaign_id, campaign_id), (o.subscription_id, subscription_id), (o.event_id, event_id)
        )
    )
    if before_id is not None:
        stmt = stmt.where(o.id < before_id)
    return await _outbox_row.all(db, stmt)


async def outbox_counts(db: Database) -> dict[str, int]:
    o = webhook_outbox_t.c
    async with db.read() as conn:
        rows = (await conn.execute(select(o.state, func.count()).group_by(o.state))).all()
    counts = dict.fromkeys(OUTBOX_STATES, 0)
    counts.update({state: int(n) for state, n in rows})
    return counts


async def resend(db: Database, row_id: int, now: datetime) -> OutboxRow | None:
    """Send a delivered or dead-lettered row again (same event id: receivers dedupe), as a fresh pending row
    with a new retry budget. A pending row is left as it is. None: no such row."""
    o = webhook_outbox_t.c
    again = (
        update(webhook_outbox_t)
        .where(o.id == row_id, o.state != PENDING)
        .values(
            state=PENDING, attempts=0, next_attempt_at=now, lease_owner=None, lease_expires_at=None, delivered_at=None
        )
        .returning(*webhook_outbox_t.c)
    )
    async with db.write() as conn:
        row = await _outbox_row.first_in(conn, again)
        return row or await _outbox_row.first_in(conn, select(webhook_outbox_t).where(o.id == row_id))


_secrets_cache: _PerEngine[dict[int, str]] = _PerEngine()


async def secrets_of(db: Database, subscription_ids: Sequence[int]) -> dict[int, str]:
    """The signing secrets of ``subscription_ids`` (those that exist). Cached like the subscriptions above (the
    delivery worker asks at every claim): a secret changed through this module is used at once, one changed by
    another process within SUBSCRIPTIONS_TTL_SECONDS."""
    if not subscription_ids:
        return {}
    wanted = set(subscription_ids)
    engine = db.engine.sync_engine
    cached = _secrets_cache.get(engine)
    if cached is not None and wanted <= cached.keys():
        return {i: cached[i] for i in wanted}
    stamp = _secrets_cache.stamp()
    s = webhook_subscriptions_t.c
    async with db.read() as conn:
        rows = (await conn.execute(select(s.id, s.secret))).all()  # (a few rows: every subscription at once)
    secrets = {int(i): str(secret) for i, secret in rows}
    _secrets_cache.put(engine, stamp, secrets)
    return {i: secrets[i] for i in wanted if i in secrets}


async def purge_delivered(db: Database, before: datetime) -> int:
    """Delivered rows older than ``before`` go (dead-lettered ones stay until re-sent or their subscription goes)."""
    o = webhook_outbox_t.c
    async with db.write() as conn:
        result = await conn.execute(delete(webhook_outbox_t).where(and_(o.state == DELIVERED, o.delivered_at < before)))
    return int(result.rowcount)
