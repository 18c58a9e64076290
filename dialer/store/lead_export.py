"""A campaign's leads read for an export (:mod:`dialer.lists.export` writes the CSV), in keyset pages so a list of a
million leads is never held at once."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.engine import RowMapping

from dialer.lists.export import ExportedLead
from dialer.store.audit import audit
from dialer.store.engine import Database
from dialer.store.imports import STAGED_REASON
from dialer.store.lists import UnknownListError
from dialer.store.records import keyset_pages
from dialer.store.tables import lead_lists_t, leads_t

PAGE_SIZE = 5000


@dataclass(frozen=True, slots=True)
class LeadExportFilter:
    """Which of a campaign's leads an export writes: some lists only, some statuses only (None: all)."""

    campaign_id: int
    list_ids: Collection[int] | None = None
    statuses: Collection[str] | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        c = leads_t.c
        # (never the leads an import still running has staged: they are not the campaign's yet)
        where = [c.campaign_id == self.campaign_id, or_(c.archive_reason.is_(None), c.archive_reason != STAGED_REASON)]
        if self.list_ids is not None:
            where.append(c.list_id.in_(sorted(self.list_ids)))
        if self.statuses is not None:
            where.append(c.status.in_(sorted(self.statuses)))
        return where

    def as_detail(self) -> dict[str, object]:
        return {
            "lists": None if self.list_ids is None else sorted(self.list_ids),
            "statuses": None if self.statuses is None else sorted(self.statuses),
        }


async def check_lists(db: Database, campaign_id: int, list_ids: Collection[int]) -> None:
    """Every one of ``list_ids`` is a list of the campaign (else :class:`UnknownListError` naming the first that is
    not)."""
    l = lead_lists_t.c  # noqa: E741
    async with db.read() as conn:
        found = set(
            (await conn.execute(select(l.id).where(l.campaign_id == campaign_id, l.id.in_(sorted(list_ids))))).scalars()
        )
    for list_id in sorted(list_ids):
        if list_id not in found:
            raise UnknownListError(list_id)


def exported_leads(
    db: Database, where: LeadExportFilter, *, page_size: int = PAGE_SIZE
) -> AsyncIterator[list[ExportedLead]]:
    """The leads ``where`` selects, in id order, page by page (keyset on id), with their list's name."""
    c = leads_t.c
    columns = (
        c.id,
        lead_lists_t.c.name.label("list_name"),
        c.phone,
        c.alt_phones,
        c.first_name,
        c.last_name,
        c.name_reading,
        c.postal_code,
        c.priority,
        c.consent_source,
        c.consent_at,
        c.fields,
        c.status,
        c.attempts,
        c.dials,
        c.last_outcome,
        c.last_disposition,
        c.last_attempt_at,
        c.next_dialable_at,
        c.callback_at,
        c.requested_callback_source,
        c.requested_callback_at,
        c.requested_callback_due,
        c.archive_reason,
    )
    source = leads_t.outerjoin(lead_lists_t, lead_lists_t.c.id == c.list_id)
    query = select(*columns).select_from(source).where(*where.conditions())
    return keyset_pages(db, query, c.id, _exported, page_size)


def _exported(row: RowMapping) -> ExportedLead:
    return ExportedLead(**{**row, "alt_phones": list(row["alt_phones"] or ()), "fields": dict(row["fields"] or {})})


async def audit_export(
    db: Database, actor: str, campaign: str, where: LeadExportFilter, leads: int, now: datetime
) -> None:
    """The audit entry of an export (``leads.export`` on the campaign: who, the filters, how many leads)."""
    await audit(db, actor, "leads.export", f"campaign:{campaign}", now, leads=leads, **where.as_detail())
