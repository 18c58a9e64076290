"""Lead import: parsed rows in, deduped and DNC-scrubbed leads out, in short transactions, all or nothing.

The write lock is never held for long (SQLite has one writer, and the daemon's pacing step claims leads through
it): rows are written in batches of CHUNK, each its own transaction, as *staged* leads (status ``archived``,
archive reason ``importing``: no claim can pick them). When the whole file has been read, the staged leads are
published (status ``new``) in batches again. A file that turns out unreadable half-way (bad encoding at row
600 000, disk error) raises: the staged leads and the list are deleted, in batches, and the error goes on -- an
import changes everything or nothing. Malformed rows never abort; they go to the error report. Dedupe is the
unique (campaign, phone) index (INSERT ... ON CONFLICT DO NOTHING), which also catches a number repeated inside
the file and makes re-importing the same file import nothing; no set of every number is kept in memory.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select, update

from dialer.campaign.leadimport import ImportedLead, RowError, RowErrorReason
from dialer.campaign.rules import LeadStatus
from dialer.logging import get_logger
from dialer.store.dnc import blocked_numbers
from dialer.store.engine import Database
from dialer.store.leads import NewLead, insert_new_leads
from dialer.store.tables import lead_lists_t, leads_t

CHUNK = 2000  # rows per write transaction (a few tens of milliseconds of write lock on SQLite)
STAGED_REASON = "importing"  # archive_reason of leads written by an import still running
_NEW = LeadStatus.NEW.value
_STAGED = LeadStatus.ARCHIVED.value
log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class ImportSummary:
    list_id: int
    rows: int
    imported: int
    duplicates: int
    invalid: int
    dnc: int

    def as_json(self, errors_file: Path | None) -> dict[str, Any]:
        return {
            "imported": self.imported,
            "duplicates": self.duplicates,
            "invalid": self.invalid,
            "dnc": self.dnc,
            "errors_file": str(errors_file) if errors_file is not None else None,
        }


def _new_lead(item: ImportedLead, now: datetime, alt_phones: Sequence[str]) -> NewLead:
    fields: dict[str, Any] = item.fields
    if item.external_id and "external_id" not in fields:
        fields = {**fields, "external_id": item.external_id}
    return NewLead(
        phone=item.phone,
        status=_STAGED,
        archive_reason=STAGED_REASON,
        next_dialable_at=now,
        alt_phones=alt_phones,
        tz_candidates=item.tz_candidates,
        postal_code=item.postal_code,
        postal_zones=item.postal_zones,
        first_name=item.first_name,
        last_name=item.last_name,
        fields=fields,
        priority=item.priority,
    )


async def import_leads(
    db: Database,
    *,
    campaign_id: int,
    rows: Iterable[ImportedLead | RowError],
    list_name: str,
    source_file: str,
    now: datetime,
    errors_file: str | None = None,
    on_error: Callable[[RowError], None] | None = None,
) -> ImportSummary:
    """Insert the valid, new, not-DNC leads of ``rows`` into the campaign; count the rest.

    Duplicates are numbers repeated in the file plus numbers the campaign already has.

    ``on_error`` receives each malformed row as it is met (the CLI streams them to the error report)."""
    imported = duplicates = invalid = dnc = total = 0
    async with db.write() as conn:
        list_id = int(
            (
                await conn.execute(
                    lead_lists_t.insert()
                    .values(campaign_id=campaign_id, name=list_name, source_file=source_file, imported_at=now)
                    .returning(lead_lists_t.c.id)
                )
            ).scalar_one()
        )
        first_id = int((await conn.execute(select(func.coalesce(func.max(leads_t.c.id), 0)))).scalar_one()) + 1
    batch: list[ImportedLead] = []

    async def flush() -> None:
        nonlocal imported, duplicates, dnc
        if not batch:
            return
        numbers = {lead.phone for lead in batch}
        numbers.update(p for lead in batch for p in lead.alt_phones)
        async with db.write() as conn:
            blocked = await blocked_numbers(conn, numbers, campaign_id)
            keep: list[NewLead] = []
            for lead in batch:
                if lead.phone in blocked:
                    dnc += 1
                    continue
                # An alternative number on a DNC list is dropped; the lead keeps its other numbers.
                alt = lead.alt_phones
                if alt and not blocked.isdisjoint(alt):
                    alt = tuple(p for p in alt if p not in blocked)
                keep.append(_new_lead(lead, now, alt))
            inserted = await insert_new_leads(conn, campaign_id, list_id, keep, now)
        imported += inserted
        duplicates += len(keep) - inserted
        batch.clear()

    try:
        for item in rows:
            total += 1
            if isinstance(item, RowError):
                if item.reason is RowErrorReason.DUPLICATE:
                    duplicates += 1  # the same number earlier in this file
                else:
                    invalid += 1
                if on_error is not None:
                    on_error(item)
            else:
                batch.append(item)
                if len(batch) >= CHUNK:
                    await flush()
        await flush()
        async with db.read() as conn:
            last_id = int((await conn.execute(select(func.coalesce(func.max(leads_t.c.id), 0)))).scalar_one())
        await _staged_in_batches(db, list_id, first_id, last_id, now, publish=True)
    except BaseException:
        await _discard(db, list_id, first_id)
        raise
    async with db.write() as conn:
        await conn.execute(
            update(lead_lists_t)
            .where(lead_lists_t.c.id == list_id)
            .values(
                rows_read=total,
                imported=imported,
                duplicates=duplicates,
                invalid=invalid,
                dnc=dnc,
                errors_file=errors_file,
            )
        )
    log.info(
        "leads imported",
        campaign_id=campaign_id,
        list_id=list_id,
        rows=total,
        imported=imported,
        duplicates=duplicates,
        invalid=invalid,
        dnc=dnc,
    )
    return ImportSummary(list_id, total, imported, duplicates, invalid, dnc)


async def _staged_in_batches(
    db: Database, list_id: int, first_id: int, last_id: int, now: datetime, *, publish: bool
) -> None:
    """Publish (status ``new``) or delete the staged leads of a list, CHUNK ids per transaction."""
    staged = (
        (leads_t.c.list_id == list_id) & (leads_t.c.status == _STAGED) & (leads_t.c.archive_reason == STAGED_REASON)
    )
    for start in range(first_id, last_id + 1, CHUNK):
        in_range = leads_t.c.id.between(start, min(start + CHUNK - 1, last_id)) & staged
        async with db.write() as conn:
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
            last_id = int((await conn.execute(select(func.coalesce(func.max(leads_t.c.id), 0)))).scalar_one())
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
