"""Do-not-call entries: global or per campaign. Adding a number also takes matching leads out of the dialable pool
(the claim checks the DNC table again on every batch, so a number added mid-claim is never dialled either).

:func:`add_dnc_in` is the one way a number joins a DNC list (CLI, API, an agent's disposition, an IVR opt-out key,
an erasure): in the caller's transaction it writes the entries, closes the matching queued leads, and announces
each new entry as an ``optout.added`` webhook event (and each closed lead as ``lead.archived``) through the outbox,
so a committed opt-out is always announced and a rolled-back one never is."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice

from sqlalchemy import or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ColumnElement

from dialer.store.callbacks import callbacks_dropped_in
from dialer.store.dialect import upsert_insert
from dialer.store.engine import Database
from dialer.store.records import keyset_pages
from dialer.store.tables import CLAIMABLE_STATUSES, DNC_ARCHIVE_REASON, DNC_STATUS, campaigns_t, dnc_t, leads_t
from dialer.store.webhooks import enqueue_in
from dialer.webhooks import events

CHUNK = 2000


@dataclass(frozen=True, slots=True)
class DncEntry:
    number: str
    campaign: str | None  # None: every campaign
    source: str
    reason: str | None
    added_at: datetime


def chunks(items: Iterable[str], size: int = CHUNK) -> Iterator[list[str]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def _scope(campaign_id: int | None) -> ColumnElement[bool]:
    return dnc_t.c.campaign_id.is_(None) if campaign_id is None else dnc_t.c.campaign_id == campaign_id


async def _insert_entries(
    conn: AsyncConnection, numbers: list[str], campaign_id: int | None, source: str, reason: str | None, now: datetime
) -> list[str]:
    """The numbers newly listed in that scope (those already listed are left as they were)."""
    stmt = upsert_insert(conn, dnc_t)
    if campaign_id is None:
        stmt = stmt.on_conflict_do_nothing(index_elements=["number"], index_where=dnc_t.c.campaign_id.is_(None))
    else:
        stmt = stmt.on_conflict_do_nothing(
            index_elements=["number", "campaign_id"], index_where=dnc_t.c.campaign_id.is_not(None)
        )
    rows = [
        {"number": n, "campaign_id": campaign_id, "source": source, "reason": reason, "added_at": now}
        for n in dict.fromkeys(numbers)
    ]
    result = await conn.execute(stmt.returning(dnc_t.c.number), rows)
    return list(result.scalars())


async def _archive_matching_leads(
    conn: AsyncConnection, numbers: list[str], campaign_id: int | None, now: datetime
) -> list[tuple[int, int]]:
    """Close the queued leads with these numbers; their (lead id, campaign id)."""
    if campaign_id is None:
        campaign_ids = list((await conn.execute(select(campaigns_t.c.id))).scalars())
    else:
        campaign_ids = [campaign_id]
    if not campaign_ids:
        return []
    # campaign_id IN (...) AND phone IN (...) is answered by the unique (campaign_id, phone) index.
    result = await conn.execute(
        update(leads_t)
        .where(
            leads_t.c.campaign_id.in_(campaign_ids),
            leads_t.c.phone.in_(numbers),
            leads_t.c.status.in_(CLAIMABLE_STATUSES),
        )
        .values(status=DNC_STATUS, archive_reason=DNC_ARCHIVE_REASON, updated_at=now)
        .returning(leads_t.c.id, leads_t.c.campaign_id)
    )
    return [(int(lead), int(campaign)) for lead, campaign in result.all()]


async def add_dnc(
    db: Database,
    number: str,
    *,
    campaign_id: int | None = None,
    source: str = "manual",
    reason: str | None = None,
    now: datetime,
) -> bool:
    """Add one E.164 number; False if it was already listed in that scope."""
    async with db.write() as conn:
        added = await add_dnc_in(conn, [number], campaign_id, source=source, reason=reason, now=now)
    return added.added == 1


@dataclass(frozen=True, slots=True)
class DncImported:
    added: int
    already_listed: int
    leads_archived: int


async def import_dnc(
    db: Database,
    numbers: Iterable[str],
    *,
    campaign_id: int | None = None,
    source: str = "import",
    reason: str | None = None,
    now: datetime,
    lead_id: int | None = None,
) -> DncImported:
    """Add many E.164 numbers in one transaction (a failure adds none). ``lead_id``: the lead they are the
    numbers of (named in the ``optout.added`` events)."""
    added = seen = archived = 0
    async with db.write() as conn:
        for batch in chunks(numbers):
            unique = list(dict.fromkeys(batch))
            seen += len(unique)
            done = await add_dnc_in(conn, unique, campaign_id, source=source, reason=reason, now=now, lead_id=lead_id)
            added += done.added
            archived += done.leads_archived
    return DncImported(added=added, already_listed=seen - added, leads_archived=archived)


async def remove_dnc(db: Database, number: str, *, campaign_id: int | None = None) -> int:
    """Remove the number from one scope (global by default). Leads archived because of it stay archived."""
    async with db.write() as conn:
        result = await conn.execute(dnc_t.delete().where(dnc_t.c.number == number, _scope(campaign_id)))
    return result.rowcount


async def check_dnc(db: Database, number: str) -> list[DncEntry]:
    """Every entry listing ``number`` (global and per campaign)."""
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(dnc_t, campaigns_t.c.name.label("campaign_name"))
                .outerjoin(campaigns_t, campaigns_t.c.id == dnc_t.c.campaign_id)
                .where(dnc_t.c.number == number)
                .order_by(dnc_t.c.added_at)
            )
        ).mappings()
        return [_dnc_entry(r) for r in rows.all()]


def dnc_pages(db: Database, campaign_id: int | None, *, page_size: int = 5000) -> AsyncIterator[list[DncEntry]]:
    """One list's entries (the global one by default), in the order they were added, page by page (keyset on id):
    what ``dialer dnc export`` writes."""
    c = dnc_t.c
    query = (
        select(c.id, c.number, campaigns_t.c.name.label("campaign_name"), c.source, c.reason, c.added_at)
        .select_from(dnc_t.outerjoin(campaigns_t, campaigns_t.c.id == c.campaign_id))
        .where(_scope(campaign_id))
    )
    return keyset_pages(db, query, c.id, _dnc_entry, page_size)


def _dnc_entry(r: RowMapping) -> DncEntry:
    return DncEntry(r["number"], r["campaign_name"], r["source"], r["reason"], r["added_at"])


async def blocked_numbers(conn: AsyncConnection, numbers: Collection[str], campaign_id: int) -> set[str]:
    """Which of ``numbers`` are on the global list or on this campaign's list."""
    blocked: set[str] = set()
    for batch in chunks(numbers):
        result = await conn.execute(
            select(dnc_t.c.number).where(
                dnc_t.c.number.in_(batch),
                or_(dnc_t.c.campaign_id.is_(None), dnc_t.c.campaign_id == campaign_id),
            )
        )
        blocked.update(result.scalars())
    return blocked


@dataclass(frozen=True, slots=True)
class DncAdded:
    numbers: tuple[str, ...]  # newly listed in the scope
    leads_archived: int

    @property
    def added(self) -> int:
        return len(self.numbers)


async def add_dnc_in(
    conn: AsyncConnection,
    numbers: list[str],
    campaign_id: int | None,
    *,
    source: str,
    reason: str | None,
    now: datetime,
    lead_id: int | None = None,
    skip_archived_event: Collection[int] = (),
) -> DncAdded:
    """The one way to put numbers on a DNC list (``campaign_id`` None: the global list), inside the caller's
    transaction: the entries, the matching queued leads closed, and the webhook events of both (``optout.added``
    per newly listed number, ``lead.archived`` per closed lead except ``skip_archived_event``, whose caller
    announces them itself). ``lead_id``: the lead the numbers belong to, when there is one."""
    unique = list(dict.fromkeys(numbers))
    if not unique:
        return DncAdded((), 0)
    added = await _insert_entries(conn, unique, campaign_id, source, reason, now)
    closed = await _archive_matching_leads(conn, unique, campaign_id, now)
    dropped = await callbacks_dropped_in(conn, [lead for lead, _ in closed], now)
    announced = [
        events.optout_added(
            number=number, campaign_id=campaign_id, lead_id=lead_id, source=source, reason=reason, at=now
        )
        for number in added
    ]
    announced.extend(
        events.lead_archived(lead_id=lead, campaign_id=campaign, status=DNC_STATUS, reason=DNC_ARCHIVE_REASON, at=now)
        for lead, campaign in closed
        if lead not in skip_archived_event
    )
    await enqueue_in(conn, [*announced, *dropped], now)
    return DncAdded(tuple(added), len(closed))
