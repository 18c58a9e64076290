"""Stored answers to requests sent with an ``Idempotency-Key``: the same key (from the same caller, on the same
route) gets the first answer back instead of doing the work again; the same key with another body is refused.

A request holds its key while it runs (state ``running``); a key held longer than RUNNING_TTL belongs to a
request whose process died and is taken over (the lead API's work is itself deduped by number, so a retry after
such a crash adds nothing twice either)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from dialer.store.engine import Database
from dialer.store.tables import idempotency_t

RUNNING_TTL = timedelta(minutes=10)
RETENTION = timedelta(days=7)


class KeyState(StrEnum):
    NEW = "new"  # the caller does the work, then calls `store_answer`
    DONE = "done"  # answer below
    RUNNING = "running"  # the same key is being served right now
    MISMATCH = "mismatch"  # the key was used with another request body


@dataclass(frozen=True, slots=True)
class KeyClaim:
    state: KeyState
    status: int | None = None
    response: str | None = None


async def claim_key(db: Database, scope: str, key: str, request_hash: str, now: datetime) -> KeyClaim:
    c = idempotency_t.c
    where = (c.scope == scope) & (c.key == key)
    for _ in range(2):
        async with db.write() as conn:
            row = (await conn.execute(select(idempotency_t).where(where))).mappings().first()
            if row is None:
                try:
                    async with conn.begin_nested():
                        await conn.execute(
                            idempotency_t.insert().values(
                                scope=scope, key=key, request_hash=request_hash, state="running", created_at=now
                            )
                        )
                except IntegrityError:
                    continue  # another request took the key between the read and the insert: read it again
                return KeyClaim(KeyState.NEW)
            if row["request_hash"] != request_hash:
                return KeyClaim(KeyState.MISMATCH)
            if row["state"] == "done":
                return KeyClaim(KeyState.DONE, row["status"], row["response"])
            if row["created_at"] >= now - RUNNING_TTL:
                return KeyClaim(KeyState.RUNNING)
            await conn.execute(update(idempotency_t).where(where).values(created_at=now))
            return KeyClaim(KeyState.NEW)
    return KeyClaim(KeyState.RUNNING)


async def store_answer(db: Database, scope: str, key: str, status: int, response: str) -> None:
    c = idempotency_t.c
    async with db.write() as conn:
        await conn.execute(
            update(idempotency_t)
            .where(c.scope == scope, c.key == key)
            .values(state="done", status=status, response=response)
        )


async def release_key(db: Database, scope: str, key: str) -> None:
    """The request failed before doing anything: the key is free for a retry."""
    c = idempotency_t.c
    async with db.write() as conn:
        await conn.execute(delete(idempotency_t).where(c.scope == scope, c.key == key, c.state == "running"))


async def purge_keys(db: Database, before: datetime) -> int:
    async with db.write() as conn:
        result = await conn.execute(delete(idempotency_t).where(idempotency_t.c.created_at < before))
    return int(result.rowcount)
