"""Consent recorded on the call, in the store (both engines): the write (the record, its time, the audit entry; the
first record kept), the leads it is refused on, and a callback a CN campaign would never dial refused -- booked
from the console or by a disposition -- until the consent is recorded; after it the claim dials the lead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from harness.campaign import cn_campaign_data, stored_cn_leads
from sqlalchemy import func, select, update

from dialer.campaign.config import load_campaign
from dialer.campaign.rules import ConsentNotRecordable, ConsentRequired, TransitionKind
from dialer.store import Database
from dialer.store.attempts import AttemptStart, get_attempt, start_attempt
from dialer.store.audit import audit_entries
from dialer.store.console import CallbackRequest, create_callback
from dialer.store.dnc import import_dnc
from dialer.store.leads import get_lead, record_consent
from dialer.store.lifecycle import claim_dialable, record_disposition
from dialer.store.tables import callbacks_t, leads_t

CN = load_campaign(cn_campaign_data(name="cn-sales"))
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
TOMORROW = NOW + timedelta(days=1)
NUMBERS = ("+8613800138001", "+8613800138002", "+8613800138003")


async def cn_leads(db: Database) -> tuple[int, list[int]]:
    """The CN campaign with three leads without consent (due now): its id and theirs."""
    return await stored_cn_leads(db, CN, NOW, NUMBERS)


async def callbacks_of(db: Database, lead_id: int) -> int:
    async with db.read() as conn:
        query = select(func.count()).select_from(callbacks_t).where(callbacks_t.c.lead_id == lead_id)
        return int((await conn.execute(query)).scalar_one())


async def test_consent_is_recorded_audited_and_the_first_record_kept(db: Database) -> None:
    _, (lead_id, *_) = await cn_leads(db)
    written = await record_consent(db, lead_id, " verbal on the call ", by="alice", attempt_id=41, now=NOW)
    assert written is not None
    assert written.recorded
    assert (written.lead.consent_source, written.lead.consent_at) == ("call 41 by alice: verbal on the call", NOW)
    later = NOW + timedelta(hours=1)
    again = await record_consent(db, lead_id, "again, by mail", by="sue", attempt_id=None, now=later)
    assert again is not None
    assert not again.recorded  # the first record stands
    assert (again.lead.consent_source, again.lead.consent_at) == ("call 41 by alice: verbal on the call", NOW)
    total, entries = await audit_entries(db, target=f"lead:{lead_id}")
    assert total == 2
    newest, first = entries
    assert (first.actor, first.action, first.at) == ("alice", "lead.consent", NOW)
    assert first.detail == {
        "call": 41,
        "source": "verbal on the call",
        "recorded": True,
        "consent_source": "call 41 by alice: verbal on the call",
        "inbound_call": None,
        "dialable_from": None,  # (due already: it keeps its time)
    }
    assert (newest.actor, newest.detail["recorded"], newest.detail["source"]) == ("sue", False, "again, by mail")
    assert await record_consent(db, 999_999, "verbal", by="alice", attempt_id=None, now=NOW) is None


async def test_consent_is_refused_on_a_lead_opted_out_or_closed_for_good(db: Database) -> None:
    cid, (opted_out, closed, _) = await cn_leads(db)
    await import_dnc(db, [NUMBERS[0]], campaign_id=cid, source="agent:alice", now=NOW)
    async with db.write() as conn:
        await conn.execute(update(leads_t).where(leads_t.c.id == closed).values(status="done"))
    with pytest.raises(ConsentNotRecordable, match="do-not-call"):
        await record_consent(db, opted_out, "verbal", by="alice", attempt_id=None, now=NOW)
    with pytest.raises(ConsentNotRecordable, match="closed for good"):
        await record_consent(db, closed, "verbal", by="alice", attempt_id=None, now=NOW)
    for lead_id in (opted_out, closed):
        lead = await get_lead(db, lead_id)
        assert lead is not None
        assert lead.consent_source is None
        assert (await audit_entries(db, target=f"lead:{lead_id}"))[0] == 0


async def test_a_console_callback_without_consent_is_refused_until_consent_is_recorded(db: Database) -> None:
    _, (lead_id, *_) = await cn_leads(db)
    with pytest.raises(ConsentRequired, match="record the called party's consent first"):
        await create_callback(db, lead_id, TOMORROW, "alice", None, NOW)
    assert await callbacks_of(db, lead_id) == 0
    # The called party's own request is booked (it permits that call).
    asked = CallbackRequest(source="ivr flow inbound", at=NOW)
    assert await create_callback(db, lead_id, TOMORROW, None, None, NOW, requested=asked) is not None
    await record_consent(db, lead_id, "verbal on the call", by="alice", attempt_id=None, now=NOW)
    assert await create_callback(db, lead_id, TOMORROW + timedelta(hours=1), "alice", None, NOW) is not None
    assert await callbacks_of(db, lead_id) == 2


async def test_a_disposition_booking_a_callback_waits_for_consent_and_loses_nothing(db: Database) -> None:
    """On the call of the callback its called party asked for (the only call a CN lead without consent may get), the
    agent's "callback" disposition is refused, nothing written; they record the consent on the call and give the
    same disposition again."""
    cid, (lead_id, *_) = await cn_leads(db)
    asked = CallbackRequest(source="ivr flow inbound", at=NOW)
    assert await create_callback(db, lead_id, NOW + timedelta(minutes=1), None, None, NOW, requested=asked)
    due = NOW + timedelta(minutes=1)
    (claimed,) = (await claim_dialable(db, CN, campaign_id=cid, owner="r", limit=10, now=due)).leads
    assert claimed.id == lead_id
    attempt = await start_attempt(
        db, AttemptStart(lead_id=lead_id, campaign_id=cid, phone=claimed.phone, started_at=due)
    )
    with pytest.raises(ConsentRequired):
        await record_disposition(db, CN, attempt, "callback", due, agent="alice", callback_at=TOMORROW)
    stored = await get_attempt(db, attempt)
    assert stored is not None
    assert stored.disposition is None
    lead = await get_lead(db, lead_id)
    assert lead is not None
    assert lead.status == "in_call"
    await record_consent(db, lead_id, "verbal on the call", by="alice", attempt_id=attempt, now=due)
    written = await record_disposition(db, CN, attempt, "callback", due, agent="alice", callback_at=TOMORROW)
    assert written.transition.kind is TransitionKind.CALLBACK_SCHEDULED
    lead = await get_lead(db, lead_id)
    assert lead is not None
    assert (lead.status, lead.callback_at, lead.callback_agent) == ("callback", TOMORROW, "alice")
    assert lead.consent_source == f"call {attempt} by alice: verbal on the call"


async def test_after_consent_is_recorded_the_claim_dials_the_lead(db: Database) -> None:
    cid, (first, second, third) = await cn_leads(db)
    await record_consent(db, second, "verbal on the call", by="alice", attempt_id=None, now=NOW)
    batch = await claim_dialable(db, CN, campaign_id=cid, owner="r", limit=10, now=NOW)
    assert [lead.id for lead in batch.leads] == [second]
    assert batch.set_aside == {"no_consent": 2}
    assert {first, third}.isdisjoint(lead.id for lead in batch.leads)
