"""Cancelling a callback: only a pending one, checked in the same transaction as the cancel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from harness.campaign import minimal_campaign, stored_campaign
from sqlalchemy import select

from dialer.store import Database
from dialer.store.console import CallbackNotPending, cancel_callback, create_callback
from dialer.store.leads import NewLead, get_lead, insert_new_leads
from dialer.store.tables import leads_t

NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


async def test_a_pending_callback_cancels_once_then_is_refused(db: Database) -> None:
    cid = await stored_campaign(db, minimal_campaign("spring"), NOW)
    async with db.write() as conn:
        new = NewLead(phone="+12125550101", status="new", next_dialable_at=NOW)
        await insert_new_leads(conn, cid, None, [new], NOW)
        lead_id = int((await conn.execute(select(leads_t.c.id))).scalar_one())
    callback = await create_callback(db, lead_id, NOW + timedelta(days=1), "alice", None, NOW)
    assert callback is not None

    cancelled = await cancel_callback(db, callback.id, NOW)
    assert cancelled is not None
    assert cancelled.state == "cancelled"
    with pytest.raises(CallbackNotPending, match=f"callback {callback.id} is cancelled, not pending"):
        await cancel_callback(db, callback.id, NOW)
    lead = await get_lead(db, lead_id)
    assert lead is not None
    assert lead.status == "retry"
    assert await cancel_callback(db, 999_999, NOW) is None
