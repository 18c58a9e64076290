"""DNC repository and the lead import: scrub, dedupe, all-or-nothing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from harness.campaign import imported_lead
from sqlalchemy import func, select

from dialer.campaign.leadimport import ImportedLead, RowError, RowErrorReason
from dialer.store import Database
from dialer.store.campaigns import apply_campaign
from dialer.store.dnc import add_dnc, check_dnc, import_dnc, remove_dnc
from dialer.store.imports import import_leads
from dialer.store.leads import find_leads_by_phone
from dialer.store.tables import lead_lists_t, leads_t

NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def imported(row: int, phone: str, *alt: str) -> ImportedLead:
    lead = imported_lead(row, phone, *alt, external_id=f"x{row}", fields={"company": "Acme"})
    return replace(lead, email="ann@example.com") if row == 2 else lead


def bad(row: int, reason: RowErrorReason = RowErrorReason.INVALID_PHONE) -> RowError:
    return RowError(row=row, line=row + 1, reason=reason, detail="bad", raw=("nope",))


async def campaign(db: Database, name: str = "c1") -> int:
    return (await apply_campaign(db, name, {}, NOW)).campaign.id


async def lead_count(db: Database) -> int:
    async with db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(leads_t))).scalar_one())


async def test_dnc_scopes_add_check_remove(db: Database) -> None:
    c1 = await campaign(db, "c1")
    assert await add_dnc(db, "+12125550101", now=NOW, reason="asked")
    assert not await add_dnc(db, "+12125550101", now=NOW)  # already listed globally
    assert await add_dnc(db, "+12125550101", campaign_id=c1, now=NOW)  # separate scope
    assert sorted(str(e.campaign) for e in await check_dnc(db, "+12125550101")) == ["None", "c1"]
    assert await remove_dnc(db, "+12125550101") == 1
    assert [e.campaign for e in await check_dnc(db, "+12125550101")] == ["c1"]
    assert await remove_dnc(db, "+12125550101") == 0


async def test_dnc_import_closes_matching_queued_leads(db: Database) -> None:
    c1 = await campaign(db, "c1")
    c2 = await campaign(db, "c2")
    for cid in (c1, c2):
        await import_leads(
            db,
            campaign_id=cid,
            rows=[imported(1, "+12125550101"), imported(2, "+12125550102")],
            list_name="l",
            source_file="l.csv",
            now=NOW,
        )
    result = await import_dnc(db, ["+12125550101", "+12125550101", "+19995550000"], campaign_id=c2, now=NOW)
    assert (result.added, result.already_listed, result.leads_archived) == (2, 0, 1)
    assert [lead.status for lead in await find_leads_by_phone(db, c1, "+12125550101")] == ["new"]
    assert [lead.status for lead in await find_leads_by_phone(db, c2, "+12125550101")] == ["dnc"]
    again = await import_dnc(db, ["+12125550101"], campaign_id=c2, now=NOW)
    assert (again.added, again.already_listed) == (0, 1)


async def test_import_scrubs_dnc_dedupes_and_counts(db: Database) -> None:
    c1 = await campaign(db)
    await add_dnc(db, "+12125550103", now=NOW)
    await add_dnc(db, "+12125550199", now=NOW)
    errors: list[RowError] = []
    rows: list[ImportedLead | RowError] = [
        imported(1, "+12125550101", "+12125550199"),  # its alternative number is on DNC: dropped
        imported(2, "+12125550102"),
        bad(3),
        bad(4, RowErrorReason.DUPLICATE),
        imported(5, "+12125550103"),  # DNC
        imported(6, "+12125550101"),  # the parser did not catch it: the index does
    ]
    summary = await import_leads(
        db, campaign_id=c1, rows=rows, list_name="l", source_file="l.csv", now=NOW, on_error=errors.append
    )
    assert (summary.rows, summary.imported, summary.duplicates, summary.invalid, summary.dnc) == (6, 2, 2, 1, 1)
    assert [e.row for e in errors] == [3, 4]
    (first,) = await find_leads_by_phone(db, c1, "+12125550101")
    assert first.alt_phones == []
    assert first.fields == {"company": "Acme", "external_id": "x1"}
    (second,) = await find_leads_by_phone(db, c1, "+12125550102")
    assert second.fields == {"company": "Acme", "external_id": "x2", "email": "ann@example.com"}
    assert (first.status, first.next_dialable_at, first.list_id) == ("new", NOW, summary.list_id)
    again = await import_leads(db, campaign_id=c1, rows=rows, list_name="l", source_file="l.csv", now=NOW)
    assert (again.imported, again.duplicates, again.dnc) == (0, 4, 1)


async def test_a_failure_half_way_imports_nothing(db: Database) -> None:
    c1 = await campaign(db)

    def rows() -> Iterator[ImportedLead | RowError]:
        for i in range(12_000):  # more than one insert chunk is written before the failure
            yield imported(i + 1, f"+1212555{i:04d}")
        raise OSError("disk vanished")

    with pytest.raises(OSError, match="disk vanished"):
        await import_leads(db, campaign_id=c1, rows=rows(), list_name="l", source_file="l.csv", now=NOW)
    assert await lead_count(db) == 0
    async with db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(lead_lists_t))).scalar_one() == 0
