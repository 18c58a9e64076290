"""The lead API's import shape (one transaction on PostgreSQL, leads written published) and the staged shape
(every CSV import; SQLite always) give the same per-lead verdicts and store the same leads."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from harness.campaign import imported_lead
from sqlalchemy import select

from dialer.campaign.leadimport import ImportedLead, RowError, RowErrorReason
from dialer.campaign.leadimport.prepared import prepare
from dialer.store import Database
from dialer.store.campaigns import apply_campaign
from dialer.store.dnc import import_dnc
from dialer.store.imports import STAGED_REASON, LeadVerdict, import_leads, import_prepared
from dialer.store.leadapi import leads_by_external_id
from dialer.store.plans import captured_statements, query_plans
from dialer.store.tables import lead_lists_t, leads_t

NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def lead(row: int, phone: str, *alt: str) -> ImportedLead:
    """harness.campaign's Ann Lee, with a postal code on odd rows, a priority, an external id, a company, a display
    name, and a consent on row 1."""
    return replace(
        imported_lead(row, phone, *alt, external_id=f"x{row}", fields={"company": "Acme"}),
        postal_code="10001" if row % 2 else None,
        postal_zones=("America/New_York",) if row % 2 else (),
        priority=row,
        display_name="Ann Lee",
        consent_at=NOW if row == 1 else None,
    )


ROWS: list[ImportedLead | RowError] = [
    lead(1, "+12125550101", "+12125550190", "+12125550191"),  # one alt number on the DNC list: dropped
    RowError(2, 3, RowErrorReason.INVALID_PHONE, "bad", ("nope",)),
    lead(3, "+12125550102"),  # on the DNC list
    lead(4, "+12125550105"),  # the campaign has it
    lead(5, "+12125550106"),
    RowError(6, 7, RowErrorReason.DUPLICATE, "same number as row 5", ("+12125550106",)),
]


async def _import(db: Database, name: str, *, one_transaction: bool) -> tuple[int, list[tuple[object, ...]]]:
    cid = (await apply_campaign(db, name, {}, NOW)).campaign.id
    await import_dnc(db, ["+12125550102", "+12125550191"], campaign_id=cid, now=NOW)
    await import_leads(
        db, campaign_id=cid, rows=[lead(9, "+12125550105")], list_name="seed", source_file="seed", now=NOW
    )
    verdicts: list[tuple[object, ...]] = []
    errors: list[RowError] = []
    summary = await import_prepared(
        db,
        campaign_id=cid,
        chunks=[prepare(ROWS)],
        list_name="api",
        source_file="api",
        now=NOW,
        on_error=errors.append,
        on_lead=lambda row, phone, verdict, lead_id: verdicts.append((row, phone, verdict, lead_id is not None)),
        one_transaction=one_transaction,
    )
    assert (summary.rows, summary.imported, summary.duplicates, summary.invalid, summary.dnc) == (6, 2, 2, 1, 1)
    assert [e.row for e in errors] == [2, 6]
    assert sorted(verdicts) == [
        (1, "+12125550101", LeadVerdict.IMPORTED, True),
        (3, "+12125550102", LeadVerdict.DNC, False),
        (4, "+12125550105", LeadVerdict.DUPLICATE, False),
        (5, "+12125550106", LeadVerdict.IMPORTED, True),
    ]
    c = leads_t.c
    async with db.read() as conn:
        state = (
            await conn.execute(select(lead_lists_t.c.state).where(lead_lists_t.c.id == summary.list_id))
        ).scalar_one()
        assert state == "imported"
        rows = await conn.execute(
            select(
                c.phone, c.alt_phones, c.tz_candidates, c.postal_code, c.postal_zones, c.first_name, c.fields,
                c.priority, c.status, c.archive_reason, c.display_name, c.consent_at,
            )
            .where(c.list_id == summary.list_id)
            .order_by(c.phone)
        )  # fmt: skip
        return cid, [tuple(r) for r in rows.all()]


async def test_one_transaction_and_staged_imports_agree(db: Database) -> None:
    _, direct = await _import(db, "direct", one_transaction=True)
    _, staged = await _import(db, "staged", one_transaction=False)
    assert direct == staged
    assert direct == [
        ("+12125550101", ["+12125550190"], ["America/New_York"], "10001", ["America/New_York"], "Ann",
         {"company": "Acme", "external_id": "x1"}, 1, "new", None, "Ann Lee", NOW),
        ("+12125550106", [], ["America/New_York"], "10001", ["America/New_York"], "Ann",
         {"company": "Acme", "external_id": "x5"}, 5, "new", None, "Ann Lee", None),
    ]  # fmt: skip
    assert STAGED_REASON not in {r[9] for r in direct}


async def test_look_up_by_external_id_searches_its_index(db: Database) -> None:
    cid, _ = await _import(db, "ext", one_transaction=True)
    found = await leads_by_external_id(db, cid, "x5")
    assert [lead.phone for lead in found] == ["+12125550106"]
    assert await leads_by_external_id(db, cid, "x4") == []  # (the seed's lead has x9)
    async with captured_statements(db) as sent:
        await leads_by_external_id(db, cid, "x5")
    plans = await query_plans(db, sent, prefer_index=True)
    assert plans
    assert all("ix_leads_external_id" in plan for plan in plans)
