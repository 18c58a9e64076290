"""The compliance report counts a call made on a public holiday (or a closed date) of the called party's local
calendar as outside the calling window, and names the day: on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from harness.databases import BOTH_DATABASES, database_spec, migrated

from dialer.calls.outcome import Outcome
from dialer.campaign.config import load_campaign
from dialer.reports import ReportRange
from dialer.reports.compliance_scan import compliance_report
from dialer.store import Database
from dialer.store.attempts import AttemptEnd, AttemptStart, start_attempts
from dialer.store.campaigns import apply_campaign
from dialer.store.leads import NewLead, insert_new_leads
from dialer.store.lifecycle import record_outcome
from dialer.store.tables import leads_t

NY = "America/New_York"
START = datetime(2026, 11, 20, tzinfo=UTC)
NOW = datetime(2026, 12, 1, tzinfo=UTC)
CALLS = {
    "+12125550101": datetime(2026, 11, 25, 16, tzinfo=UTC),  # Wednesday 11:00 EST: inside the window
    "+12125550102": datetime(2026, 11, 26, 16, tzinfo=UTC),  # Thanksgiving 11:00 EST: a holiday in New York
    "+12125550103": datetime(2026, 11, 27, 16, tzinfo=UTC),  # Friday 11:00 EST: the campaign's closed date
}


@pytest.fixture(params=BOTH_DATABASES)
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    async with database_spec(request.param, tmp_path / "holidays.db") as spec, migrated(spec) as database:
        yield database


async def test_a_call_on_a_holiday_is_a_call_outside_the_window(db: Database) -> None:
    config = load_campaign(
        {
            "name": "autumn",
            "queue": "sales",
            "trunk": "PJSIP/{number}@carrier",
            "caller_id": {"number": "+12025550100"},
            "closed_dates": ["2026-11-27"],
        }
    )
    cid = (await apply_campaign(db, config.name, config.model_dump(mode="json"), START)).campaign.id
    async with db.write() as conn:
        await insert_new_leads(
            conn,
            cid,
            None,
            [NewLead(phone=p, status="new", next_dialable_at=START, tz_candidates=[NY]) for p in CALLS],
            START,
        )
        rows = (await conn.execute(leads_t.select().where(leads_t.c.campaign_id == cid))).mappings().all()
    lead_ids = {row["phone"]: row["id"] for row in rows}
    for phone, at in CALLS.items():
        (attempt_id,) = await start_attempts(
            db,
            [
                AttemptStart(
                    lead_id=lead_ids[phone], campaign_id=cid, phone=phone, started_at=at, caller_id="+12025550100"
                )
            ],
        )
        end = AttemptEnd(ended_at=at + timedelta(seconds=25), ring_seconds=25.0)
        await record_outcome(db, config, attempt_id, Outcome.NO_ANSWER, end)

    report = await compliance_report(db, "autumn", ReportRange(), now=NOW)

    window = report.check("calling_window")
    assert (window.checked, window.violations) == (3, 2)
    details = {example.phone: example.detail for example in window.examples}
    assert set(details) == {"+12125550102", "+12125550103"}
    assert "Thanksgiving Day" in details["+12125550102"]
    assert NY in details["+12125550102"]
    assert "closed date" in details["+12125550103"]
    assert window.figures["holidays"] is True
    assert window.figures["closed_dates"] == ["2026-11-27"]
    assert report.as_json()["calls_outside_window"] == 2
