"""Lead import: parsed rows in, deduped and DNC-scrubbed leads out, all in ONE transaction.

A file that turns out unreadable half-way (bad encoding at row 600 000, disk error) raises, and the transaction
takes every row back: an import changes everything or nothing. Malformed rows never abort; they go to the error
report. Dedupe is the unique (campaign, phone) index (INSERT ... ON CONFLICT DO NOTHING), which also catches a
number repeated inside the file and makes re-importing the same file import nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import update

from dialer.campaign.leadimport import ImportedLead, RowError, RowErrorReason
from dialer.campaign.rules import LeadStatus
from dialer.logging import get_logger
from dialer.store.dnc import blocked_numbers
from dialer.store.engine import Database
from dialer.store.leads import NewLead, insert_new_leads
from dialer.store.tables import lead_lists_t

CHUNK = 5000
_NEW = LeadStatus.NEW.value
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
        status=_NEW,
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
        batch: list[ImportedLead] = []

        async def flush() -> None:
            nonlocal imported, duplicates, dnc
            if not batch:
                return
            numbers = {lead.phone for lead in batch}
            numbers.update(p for lead in batch for p in lead.alt_phones)
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
