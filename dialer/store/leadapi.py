"""The lead API's own store work: leads by external id, and erasure for a data-subject request.

Erasure keeps what compliance needs and nothing that names the person: the number goes on the campaign's DNC
list (unless asked not to: a DNC entry is the record that they must not be called), the lead row stays as an
anonymous ``archived``/``erased`` row with its attempt and dial counts (pacing and reports still add up), and its
call records keep their times, outcomes and abandon flags (the abandon-rate record) with the number, notes and
agent's free text removed; the lead's webhook deliveries not yet purged are deleted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from dialer.i18n import M_
from dialer.store.callbacks import callbacks_dropped_in
from dialer.store.dnc import add_dnc_in
from dialer.store.engine import Database
from dialer.store.leads import LeadRecord, lead_record
from dialer.store.tables import ERASED_ARCHIVE_REASON, attempts_t, callbacks_t, leads_t, webhook_outbox_t
from dialer.store.webhooks import enqueue_in
from dialer.webhooks import events

ERASED_REASON = ERASED_ARCHIVE_REASON
EXTERNAL_ID = "external_id"


class ExternalId(FunctionElement[str]):
    """A lead's external id (``fields.external_id``), written exactly as the index ``ix_leads_external_id``
    (migration 0016) has it, so the look-up is an index search on both backends."""

    type = String()
    name = "external_id"
    inherit_cache = True


@compiles(ExternalId, "postgresql")
def _external_id_pg(element: ExternalId, compiler: SQLCompiler, **kw: Any) -> str:
    return "(leads.fields ->> 'external_id')"


@compiles(ExternalId, "sqlite")
def _external_id_sqlite(element: ExternalId, compiler: SQLCompiler, **kw: Any) -> str:
    return "json_extract(leads.fields, '$.external_id')"


def _by_external_id(campaign_id: int, external_id: str) -> Any:
    return select(leads_t).where(leads_t.c.campaign_id == campaign_id, ExternalId() == external_id)


async def leads_by_external_id(db: Database, campaign_id: int, external_id: str) -> list[LeadRecord]:
    return await lead_record.all(db, _by_external_id(campaign_id, external_id).order_by(leads_t.c.id))


@dataclass(frozen=True, slots=True)
class Erasure:
    lead_id: int
    numbers_on_dnc: int
    attempts_anonymised: int


async def _erase_in(conn: AsyncConnection, lead: LeadRecord, *, add_dnc: bool, now: datetime) -> Erasure:
    numbers = [lead.phone, *lead.alt_phones]
    added = 0
    # Webhook deliveries of the lead carry its number and names: they go too (the erasure's own events follow).
    await conn.execute(delete(webhook_outbox_t).where(webhook_outbox_t.c.lead_id == lead.id))
    placeholder = f"erased:{lead.id}"[:20]
    await conn.execute(
        update(leads_t)
        .where(leads_t.c.id == lead.id)
        .values(
            phone=placeholder,
            alt_phones=[],
            postal_code=None,
            first_name=None,
            last_name=None,
            fields={},
            status="archived",
            archive_reason=ERASED_REASON,
            callback_at=None,
            callback_agent=None,
            updated_at=now,
        )
    )
    anonymised = await conn.execute(
        update(attempts_t).where(attempts_t.c.lead_id == lead.id).values(phone=placeholder, notes=None)
    )
    # Its callbacks' notes go with the rest of what was said on its calls; a pending one can no longer be kept.
    await conn.execute(update(callbacks_t).where(callbacks_t.c.lead_id == lead.id).values(notes=None))
    dropped = await callbacks_dropped_in(conn, [lead.id], now)  # (reason erased: ids and times only)
    if add_dnc:  # (after the lead row lost its number: the DNC step closes other leads, not this one twice)
        listed = await add_dnc_in(
            conn, numbers, lead.campaign_id, source="erasure", reason="data-subject request", now=now, lead_id=lead.id
        )
        added = listed.added
    await enqueue_in(
        conn,
        [
            events.lead_archived(
                lead_id=lead.id, campaign_id=lead.campaign_id, status="archived", reason=ERASED_REASON, at=now
            ),
            *dropped,
        ],
        now,
    )
    return Erasure(lead.id, added, int(anonymised.rowcount))


class LeadInCall(RuntimeError):
    """The lead is being dialled right now: erase it once the call has ended."""


async def erase_leads(
    db: Database, campaign_id: int, external_id: str, *, add_dnc: bool, now: datetime
) -> list[Erasure]:
    """Erase every lead of the campaign with this external id (see the module text). Raises
    :class:`LeadInCall` (changing nothing) if one is on a call."""
    async with db.write() as conn:
        stmt = _by_external_id(campaign_id, external_id)
        if conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        leads = await lead_record.all_in(conn, stmt)
        if any(lead.status == "in_call" for lead in leads):
            raise LeadInCall(M_("a lead with external id {external_id} is on a call", external_id=repr(external_id)))
        return [await _erase_in(conn, lead, add_dnc=add_dnc, now=now) for lead in leads]
