"""Lead import: parsed rows in, deduped and DNC-scrubbed leads out, in short transactions, all or nothing.

The write lock is never held for long (SQLite has one writer, and the daemon's pacing step claims leads through
it): rows are written in batches of CHUNK, each its own transaction, as *staged* leads (status ``archived``,
archive reason ``importing``: no claim can pick them). When the whole file has been read, the staged leads are
published (status ``new``) in batches again. A file that turns out unreadable half-way (bad encoding at row
600 000, disk error) raises: the staged leads and the list are deleted, in batches, and the error goes on -- an
import changes everything or nothing. Malformed rows never abort; they go to the error report. Dedupe is the
unique (campaign, phone) index (INSERT ... ON CONFLICT DO NOTHING), which also catches a number repeated inside
the file and makes re-importing the same file import nothing; no set of every number is kept in memory.

A process killed mid-import (``kill -9``, power loss) cannot undo itself, so the list row says who is importing:
``state`` ``importing``, ``owner`` (host, pid and a token of the importing process) and a lease (``expires_at``)
renewed in every write transaction of the import, as daemons hold campaigns (dialer.store.ownership).
`recover_interrupted_imports` -- run at daemon start-up, in its maintenance loop and before every import -- takes
over the lists of dead imports (lease run out, or the owner is a process of this host that no longer exists),
deletes their staged leads in batches and marks them ``failed`` (``interrupted``). The take-over is itself a
lease, so a recovery that dies half-way is finished by the next one.

Why one module (over 500 lines): one import's life -- staging, dedupe and DNC scrub, publishing, the lease and
the recovery of dead imports -- is one state machine on the list row, written in short transactions.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Required, TextIO, TypedDict, TypeVar, Unpack

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from dialer.campaign.leadimport import ErrorReportWriter, ImportedLead, LeadCsvReader, RowError, RowErrorReason
from dialer.campaign.leadimport.prepared import PreparedLeads, prepared_chunks
from dialer.campaign.rules import LeadStatus
from dialer.logging import get_logger
from dialer.store.engine import Database
from dialer.store.holders import local_holder_gone, process_holder
from dialer.store.leads import PreparedInto, blocked_among, insert_prepared_pg, insert_prepared_sqlite
from dialer.store.records import RecordReader, public_fields
from dialer.store.tables import lead_lists_t, leads_t

CHUNK = 2000  # rows per write transaction (a few tens of milliseconds of write lock on SQLite)
STAGED_REASON = "importing"  # archive_reason of leads written by an import still running
_NEW = LeadStatus.NEW.value
_STAGED = LeadStatus.ARCHIVED.value
# A lead written by an import still running (or dead, not yet recovered): archived with STAGED_REASON.
_IS_STAGED = and_(leads_t.c.status == _STAGED, leads_t.c.archive_reason == STAGED_REASON)
# An import renews its lease in each write transaction (every CHUNK rows read); a lease this long survives a slow
# disk or a busy database, and a local importer that is gone is recognised at once by its pid.
IMPORT_TTL = timedelta(seconds=120)
IMPORTING, IMPORTED, FAILED = "importing", "imported", "failed"
INTERRUPTED = "interrupted"
_IMPORT = "import"  # the kind of holder an importing process is (dialer.store.holders)
log = get_logger(__name__)
T = TypeVar("T")


class ImportLeaseLost(RuntimeError):
    """Another process judged this import dead (its lease ran out) and undid it: nothing of it is kept."""


def importer_id() -> str:
    """Who imports: this host and process (recovery on the same host sees at once that it died), plus a token."""
    return process_holder(_IMPORT)


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """What one import did: its list, the rows read, and how many were imported, duplicates, invalid or DNC."""

    list_id: int
    rows: int
    imported: int
    duplicates: int
    invalid: int
    dnc: int

    def as_json(self, errors_file: Path | None) -> dict[str, object]:
        counts = public_fields(self, "imported duplicates invalid dnc")
        return {**counts, "errors_file": str(errors_file) if errors_file is not None else None}


Verdict = Callable[[int, str, "LeadVerdict", int | None], None]


class ImportOptions(TypedDict, total=False):
    """What :func:`import_leads` passes on to :func:`import_prepared` (which documents them) besides the rows: the
    list's name and source file and the time stamped on its leads, then the optional ones."""

    list_name: Required[str]
    source_file: Required[str]
    now: Required[datetime]
    errors_file: str | None
    on_error: Callable[[RowError], None] | None
    owner: str | None
    clock: Callable[[], datetime]
    on_lead: Verdict | None


async def import_leads(
    db: Database, *, campaign_id: int, rows: Iterable[ImportedLead | RowError], **options: Unpack[ImportOptions]
) -> ImportSummary:
    """Insert the valid, new, not-DNC leads of ``rows`` into the campaign; count the rest (see
    :func:`import_prepared`, which this feeds with ``rows`` in chunks of CHUNK)."""
    return await import_prepared(db, campaign_id=campaign_id, chunks=prepared_chunks(rows, CHUNK), **options)


async def import_lead_csv(
    db: Database,
    path: Path,
    *,
    campaign_id: int,
    region: str | None,
    now: datetime,
    mapping: Mapping[str, str] | None = None,
    encoding: str | None = None,
    source_file: str | None = None,
    on_notice: Callable[[str], None] | None = None,
    report: Callable[[], TextIO] | None = None,
    on_error: Callable[[RowError], None] | None = None,
) -> ImportSummary:
    """Import the lead CSV at ``path`` into the campaign: the one way a lead file is imported (the CLI, the
    provisioning of the demo and the benchmarks, the tests).

    The file is read by :class:`LeadCsvReader` (``region`` for numbers without a country code, the column
    ``mapping``, ``encoding`` or detected); the list is named after the file and records ``source_file`` (default:
    ``path`` as given). ``on_notice`` receives what the reader decided for the user to know (a detected
    encoding...). Rejected rows are streamed as CSV (:class:`ErrorReportWriter`, the file's columns) to the stream
    ``report`` opens at the first of them -- never opened when no row is rejected, never held in memory -- and are
    passed to ``on_error``. An unreadable file raises :class:`LeadFileError` (or ``OSError``) and imports nothing."""
    with LeadCsvReader(path, default_region=region, mapping=mapping, encoding=encoding) as reader:
        for notice in reader.notices:
            if on_notice is not None:
                on_notice(notice)
        writer: ErrorReportWriter | None = None

        def rejected(error: RowError) -> None:
            nonlocal writer
            if report is not None:
                if writer is None:
                    writer = ErrorReportWriter(report(), reader.header)
                writer.add(error)
            if on_error is not None:
                on_error(error)

        return await import_leads(
            db,
            campaign_id=campaign_id,
            rows=reader,
            list_name=path.name,
            source_file=str(path) if source_file is None else source_file,
            now=now,
            on_error=rejected,
        )


async def _each(items: Iterable[T] | AsyncIterable[T]) -> AsyncIterator[T]:
    if isinstance(items, AsyncIterable):
        async for item in items:
            yield item
    else:
        for item in items:
            yield item


async def _chained(first: T | None, rest: AsyncIterator[T]) -> AsyncIterator[T]:
    if first is not None:
        yield first
    async for item in rest:
        yield item


async def import_prepared(
    db: Database,
    *,
    campaign_id: int,
    chunks: Iterable[PreparedLeads] | AsyncIterable[PreparedLeads],
    list_name: str,
    source_file: str,
    now: datetime,
    errors_file: str | None = None,
    on_error: Callable[[RowError], None] | None = None,
    owner: str | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    on_lead: Verdict | None = None,
    one_transaction: bool = False,
) -> ImportSummary:
    """Insert the valid, new, not-DNC leads of ``chunks`` (parsed rows, see
    dialer.campaign.leadimport.prepared) into the campaign; count the rest.

    Duplicates are numbers repeated in the file plus numbers the campaign already has.

    ``on_error`` receives each malformed row as it is met (the CLI streams them to the error report). ``owner``
    names the importing process (default: `importer_id`); ``clock`` gives the wall time its lease is renewed at.
    ``on_lead`` receives each valid row's verdict (row, number, verdict, lead id: imported with its lead id,
    duplicate of a lead the campaign has, or dnc) -- the lead API's per-lead results.

    ``one_transaction`` (the lead API: a batch of at most a few thousand rows): on PostgreSQL the whole import
    is one transaction writing published leads at once -- no staging and publishing pass, and other writers are
    not held up (row locks only). SQLite has a single writer: it always stages in transactions of one chunk.

    Dead imports are recovered first (`recover_interrupted_imports`), so their staged leads no longer hold the
    numbers this import brings."""
    owner = owner or importer_id()
    await recover_interrupted_imports(db, clock())
    job = _ListImport(campaign_id, list_name, source_file, now, errors_file, on_error, on_lead)
    if one_transaction and not db.is_sqlite:
        return await _import_in_one_transaction(db, job, chunks)
    counts = _Counts()
    # The first chunk is read before the list is made: a file refused as a whole (a header and no rows: "no leads
    # in FILE") leaves no list behind, not even for a moment.
    pending = aiter(_each(chunks))
    first = await anext(pending, None)
    async with db.write() as conn:
        list_id = await _new_list(conn, job, owner, clock())
        first_id = await _last_lead_id(conn) + 1
    try:
        async for chunk in _chained(first, pending):
            counts.rejected(chunk, on_error)
            async with db.write() as conn:
                await _renew(conn, list_id, owner, clock())
                await _write_chunk(conn, job, list_id, chunk, counts, staged=True)
        async with db.read() as conn:
            last_id = await _last_lead_id(conn)
        await _staged_in_batches(db, list_id, first_id, last_id, now, publish=True, owner=owner, clock=clock)
    except ImportLeaseLost:
        raise  # (recovery undid it already)
    except BaseException:
        await _discard(db, list_id, first_id)
        raise
    async with db.write() as conn:
        await _close_list(conn, list_id, counts, errors_file)
    return counts.summary(campaign_id, list_id)


@dataclass(frozen=True, slots=True)
class _ListImport:
    """One import as :func:`import_prepared` was asked for it: the campaign, the new list's name and source file,
    the time stamped on its leads, the error report's file, and who hears of rejected rows and of verdicts."""

    campaign_id: int
    list_name: str
    source_file: str
    now: datetime
    errors_file: str | None
    on_error: Callable[[RowError], None] | None
    on_lead: Verdict | None


@dataclass(slots=True)
class _Counts:
    """What an import has counted so far: the rows read, and how many were imported, duplicates, invalid or DNC."""

    total: int = 0
    imported: int = 0
    duplicates: int = 0
    invalid: int = 0
    dnc: int = 0

    def rejected(self, chunk: PreparedLeads, on_error: Callable[[RowError], None] | None) -> None:
        self.total += chunk.read
        for error in chunk.errors:
            if error.reason is RowErrorReason.DUPLICATE:
                self.duplicates += 1  # the same number earlier in this file
            else:
                self.invalid += 1
            if on_error is not None:
                on_error(error)

    def tallies(self) -> dict[str, int]:
        """The counts named as in the summary, the list row and the log (the rows read aside)."""
        return {"imported": self.imported, "duplicates": self.duplicates, "invalid": self.invalid, "dnc": self.dnc}

    def summary(self, campaign_id: int, list_id: int) -> ImportSummary:
        log.info("leads imported", campaign_id=campaign_id, list_id=list_id, rows=self.total, **self.tallies())
        return ImportSummary(list_id, self.total, **self.tallies())


async def _last_lead_id(conn: AsyncConnection) -> int:
    """The highest lead id so far (0: none): the leads an import writes have the ids after the one it read first."""
    return int((await conn.execute(select(func.coalesce(func.max(leads_t.c.id), 0)))).scalar_one())


async def _new_list(conn: AsyncConnection, job: _ListImport, owner: str | None, wall: datetime) -> int:
    values: dict[str, Any] = {
        "campaign_id": job.campaign_id,
        "name": job.list_name,
        "source_file": job.source_file,
        "imported_at": job.now,
    }
    if owner is None:  # (written and closed in one transaction: never seen importing)
        values.update(state=IMPORTED)
    else:
        values.update(state=IMPORTING, owner=owner, expires_at=wall + IMPORT_TTL)
    return int((await conn.execute(lead_lists_t.insert().values(**values).returning(lead_lists_t.c.id))).scalar_one())


async def _close_list(conn: AsyncConnection, list_id: int, counts: _Counts, errors_file: str | None) -> None:
    await conn.execute(
        update(lead_lists_t)
        .where(lead_lists_t.c.id == list_id)
        .values(
            state=IMPORTED,
            owner=None,
            expires_at=None,
            rows_read=counts.total,
            errors_file=errors_file,
            **counts.tallies(),
        )
    )


async def _import_in_one_transaction(
    db: Database, job: _ListImport, chunks: Iterable[PreparedLeads] | AsyncIterable[PreparedLeads]
) -> ImportSummary:
    counts = _Counts()
    async with db.write() as conn:
        list_id = await _new_list(conn, job, None, job.now)
        async for chunk in _each(chunks):
            counts.rejected(chunk, job.on_error)
            await _write_chunk(conn, job, list_id, chunk, counts, staged=False)
        await _close_list(conn, list_id, counts, job.errors_file)
    return counts.summary(job.campaign_id, list_id)


async def _write_chunk(
    conn: AsyncConnection, job: _ListImport, list_id: int, chunk: PreparedLeads, counts: _Counts, *, staged: bool
) -> None:
    """DNC scrub (one query for the chunk's numbers), insert (one statement), verdicts."""
    if not chunk:
        return
    campaign_id, on_lead = job.campaign_id, job.on_lead
    blocked = await blocked_among(conn, list({*chunk.phones, *chunk.alt_numbers}), campaign_id)
    refused = 0
    if blocked:
        for row, phone in zip(chunk.rows, chunk.phones, strict=True):
            if phone in blocked:
                refused += 1
                if on_lead is not None:
                    on_lead(row, phone, LeadVerdict.DNC, None)
    counts.dnc += refused
    allowed = len(chunk) - refused
    if staged:
        into = PreparedInto(campaign_id, list_id, job.now, status=_STAGED, archive_reason=STAGED_REASON)
    else:
        into = PreparedInto(campaign_id, list_id, job.now, status=_NEW, archive_reason=None)
    if conn.dialect.name == "postgresql":
        ids = await insert_prepared_pg(conn, into, chunk, blocked=blocked)
        counts.imported += len(ids)
        counts.duplicates += allowed - len(ids)
        if on_lead is not None:
            _report(chunk, ids, on_lead, blocked)
        return
    keep = chunk
    if blocked:
        # An alternative number on a DNC list is dropped; the lead keeps its other numbers.
        chunk.drop_alt_numbers(blocked)
        if refused:
            keep = chunk.keep([i for i, phone in enumerate(chunk.phones) if phone not in blocked])
    inserted = await insert_prepared_sqlite(conn, into, keep)
    counts.imported += inserted
    counts.duplicates += len(keep) - inserted
    if on_lead is not None:
        await _verdicts(conn, campaign_id, list_id, keep, on_lead)


class LeadVerdict(StrEnum):
    """What became of one valid row of an import."""

    IMPORTED = "imported"
    DUPLICATE = "duplicate"  # the campaign has a lead with this number (or the row repeats one of this import)
    DNC = "dnc"


def _report(
    leads: PreparedLeads, ids: dict[str, int], on_lead: Verdict, blocked: AbstractSet[str] = frozenset()
) -> None:
    imported, duplicate = LeadVerdict.IMPORTED, LeadVerdict.DUPLICATE
    for row, phone in zip(leads.rows, leads.phones, strict=True):
        if blocked and phone in blocked:
            continue  # (reported as dnc)
        lead_id = ids.pop(phone, None)  # (a number twice in a batch: the first row has it)
        on_lead(row, phone, imported if lead_id is not None else duplicate, lead_id)


async def _verdicts(
    conn: AsyncConnection, campaign_id: int, list_id: int, leads: PreparedLeads, on_lead: Verdict
) -> None:
    """Which rows of a chunk this import inserted (its list's leads with their numbers) and which were duplicates."""
    ours = dict(
        (
            await conn.execute(
                select(leads_t.c.phone, leads_t.c.id).where(
                    leads_t.c.campaign_id == campaign_id,
                    leads_t.c.list_id == list_id,
                    leads_t.c.phone.in_(leads.phones),
                )
            )
        ).all()
    )
    _report(leads, ours, on_lead)


async def _renew(conn: AsyncConnection, list_id: int, owner: str, now: datetime) -> None:
    """Extend the import's lease, in the caller's write transaction; raise if the import is no longer ours."""
    c = lead_lists_t.c
    result = await conn.execute(
        update(lead_lists_t)
        .where(c.id == list_id, c.owner == owner, c.state == IMPORTING)
        .values(expires_at=now + IMPORT_TTL)
    )
    if result.rowcount != 1:
        raise ImportLeaseLost(f"lead list {list_id}: the import was judged dead and undone by another process")


async def _staged_in_batches(
    db: Database,
    list_id: int,
    first_id: int,
    last_id: int,
    now: datetime,
    *,
    publish: bool,
    owner: str | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> None:
    """Publish (status ``new``) or delete the staged leads of a list, CHUNK ids per transaction (renewing
    ``owner``'s lease on the list in each, when given)."""
    staged = (leads_t.c.list_id == list_id) & _IS_STAGED
    for start in range(first_id, last_id + 1, CHUNK):
        in_range = leads_t.c.id.between(start, min(start + CHUNK - 1, last_id)) & staged
        async with db.write() as conn:
            if owner is not None:
                await _renew(conn, list_id, owner, clock())
            if publish:
                await conn.execute(
                    update(leads_t).where(in_range).values(status=_NEW, archive_reason=None, updated_at=now)
                )
            else:
                await conn.execute(delete(leads_t).where(in_range))


async def _discard(db: Database, list_id: int, first_id: int) -> None:
    """Take a failed import back: its staged leads, then the list (shielded: a cancelled import is undone too)."""

    async def undo() -> None:
        async with db.read() as conn:
            last_id = await _last_lead_id(conn)
        await _staged_in_batches(db, list_id, first_id, last_id, datetime.now(UTC), publish=False)
        async with db.write() as conn:
            remaining = (
                await conn.execute(select(func.count()).select_from(leads_t).where(leads_t.c.list_id == list_id))
            ).scalar_one()
            if remaining == 0:
                await conn.execute(delete(lead_lists_t).where(lead_lists_t.c.id == list_id))
        log.warning("lead import rolled back", list_id=list_id, left_published=remaining)

    try:
        await asyncio.shield(undo())
    except Exception as exc:  # the original error matters more; say what is left
        log.error("lead import rollback failed", list_id=list_id, error=str(exc))


@dataclass(frozen=True, slots=True)
class LeadImport:
    """One import (a lead list) and where it stands."""

    list_id: int
    campaign_id: int
    name: str
    source_file: str
    state: str  # importing, imported, failed
    started_at: datetime
    owner: str | None
    expires_at: datetime | None
    failure: str | None
    rows_read: int
    imported: int
    duplicates: int
    invalid: int
    dnc: int
    staged: int  # leads held by a running (or dead, not yet recovered) import

    def as_json(self) -> dict[str, object]:
        return public_fields(
            self,
            "list_id name source_file state started_at owner expires_at failure rows_read imported duplicates invalid "
            "dnc staged",
            rename={"expires_at": "lease_expires_at"},
        )


def _count(stored: int | None) -> int:
    """A count of the list row (None until the import closes the list) as a number."""
    return stored or 0


# Read from a list row with ``list_id`` and ``started_at`` labelled, plus its ``staged`` leads.
_lead_import = RecordReader(
    LeadImport, rows_read=_count, imported=_count, duplicates=_count, invalid=_count, dnc=_count
)


async def lead_imports(db: Database, campaign_id: int | None = None) -> list[LeadImport]:
    """Every import (of one campaign), newest first, with the leads still staged by the running ones."""
    c, ld = lead_lists_t.c, leads_t.c
    stmt = select(lead_lists_t, c.id.label("list_id"), c.imported_at.label("started_at")).order_by(c.id.desc())
    if campaign_id is not None:
        stmt = stmt.where(c.campaign_id == campaign_id)
    async with db.read() as conn:
        rows = (await conn.execute(stmt)).mappings().all()
        running = [r["list_id"] for r in rows if r["state"] == IMPORTING]
        staged = await _staged_per_list(conn, ld.list_id.in_(running)) if running else {}
    return [_lead_import({**r, "staged": staged.get(r["list_id"], 0)}) for r in rows]


async def recover_interrupted_imports(db: Database, now: datetime, *, owner: str | None = None) -> list[int]:
    """Undo the imports whose process died: their staged leads are deleted and the list is marked ``failed``
    (``interrupted``), keeping its row as a record. The ids of the lists recovered.

    Each dead import is first taken over with a lease of its own (one conditional UPDATE: of several processes
    recovering at once exactly one wins), so a recovery that dies half-way is finished by the next one."""
    me = owner or importer_id().replace("import:", "recover:", 1)
    c, ld = lead_lists_t.c, leads_t.c
    async with db.read() as conn:
        candidates = (await conn.execute(select(c.id, c.owner, c.expires_at).where(c.state == IMPORTING))).all()
    recovered: list[int] = []
    for list_id, held_by, expires_at in candidates:
        gone = held_by is not None and local_holder_gone(held_by, _IMPORT)
        if not gone and expires_at is not None and expires_at >= now:
            continue
        held = c.owner == held_by if held_by is not None else c.owner.is_(None)
        # (a lease renewed meanwhile keeps the import alive; a local process that is gone renews nothing)
        expired = or_(c.expires_at.is_(None), c.expires_at < now)
        async with db.write() as conn:
            taken = await conn.execute(
                update(lead_lists_t)
                .where(c.id == list_id, c.state == IMPORTING, held, *(() if gone else (expired,)))
                .values(owner=me, expires_at=now + IMPORT_TTL)
            )
            if taken.rowcount != 1:
                continue  # (another process recovers it, or the import renewed its lease just now)
            first_id, last_id = (
                await conn.execute(select(func.min(ld.id), func.max(ld.id)).where(ld.list_id == list_id, _IS_STAGED))
            ).one()
        if first_id is not None:
            await _staged_in_batches(
                db, list_id, int(first_id), int(last_id), now, publish=False, owner=me, clock=lambda: now
            )
        async with db.write() as conn:
            published = (
                await conn.execute(select(func.count()).select_from(leads_t).where(ld.list_id == list_id))
            ).scalar_one()
            await conn.execute(
                update(lead_lists_t)
                .where(c.id == list_id, c.owner == me)
                .values(state=FAILED, failure=INTERRUPTED, owner=None, expires_at=None, imported=published)
            )
        recovered.append(int(list_id))
        log.warning(
            "lead import interrupted: recovered",
            list_id=list_id,
            importer=held_by,
            left_published=published,
        )
    return recovered


async def staged_counts(conn: AsyncConnection, campaign_id: int) -> dict[int | None, int]:
    """Leads held by imports still running (or dead, not yet recovered), per list: status counts show them as
    ``importing``, not as archived (one walk of the campaign's archived leads in the status index)."""
    return await _staged_per_list(conn, leads_t.c.campaign_id == campaign_id)


async def _staged_per_list(conn: AsyncConnection, where: ColumnElement[bool]) -> dict[int | None, int]:
    """How many staged leads each list matching ``where`` holds (lists holding none are left out)."""
    ld = leads_t.c
    rows = await conn.execute(select(ld.list_id, func.count()).where(where, _IS_STAGED).group_by(ld.list_id))
    return {None if list_id is None else int(list_id): int(n) for list_id, n in rows.all()}


def split_importing(by_status: dict[str, int], staged: int) -> dict[str, int]:
    """Counts per status with the staged leads moved from ``archived`` to ``importing``."""
    if not staged:
        return by_status
    out = dict(by_status)
    left = out.get(_STAGED, 0) - staged
    if left > 0:
        out[_STAGED] = left
    else:
        out.pop(_STAGED, None)
    out[IMPORTING] = out.get(IMPORTING, 0) + staged
    return out
