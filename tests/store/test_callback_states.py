"""A callback's state follows what happens to its lead, written in the same transaction: ``done`` once the lead is
dialled for it, ``cancelled`` once the lead is closed for good before that; while pending it outlives the calls that do
not keep it (booked during a call, or due after a call made early). The dashboard's and the console's pending and
overdue callbacks are these."""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta

import pytest
from harness.lifecycle import NOW, NY, lead, setup
from sqlalchemy import select

from dialer.calls.outcome import Outcome
from dialer.campaign.config import CampaignConfig
from dialer.store import Database
from dialer.store.attempts import AttemptEnd, AttemptStart, start_attempt
from dialer.store.console import LeadClosedForCallbacks, create_callback, list_callbacks
from dialer.store.dnc import add_dnc
from dialer.store.ivrcallback import Booked, book_caller_callback
from dialer.store.leadapi import erase_leads
from dialer.store.leads import get_lead
from dialer.store.lifecycle import claim_dialable, record_disposition, record_outcome
from dialer.store.tables import callbacks_t, dnc_t

PHONE = "+12125550101"


async def states(db: Database) -> list[tuple[str, str | None]]:
    async with db.read() as conn:
        rows = (await conn.execute(select(callbacks_t.c.state, callbacks_t.c.notes).order_by(callbacks_t.c.id))).all()
    return [(str(r[0]), r[1]) for r in rows]


async def dial(db: Database, cfg: CampaignConfig, cid: int, at: timedelta, *, agents: Collection[str] = ()) -> int:
    """Claim the campaign's one lead at ``NOW + at`` and start a call to it: the attempt's id."""
    batch = await claim_dialable(db, cfg, campaign_id=cid, owner="r", limit=1, now=NOW + at, agents=agents)
    (claimed,) = batch.leads
    start = AttemptStart(lead_id=claimed.id, campaign_id=cid, phone=claimed.phone, started_at=NOW + at)
    return await start_attempt(db, start)


async def test_a_callback_is_done_once_its_lead_is_dialled_for_it(db: Database) -> None:
    cfg, cid = await setup(db, [lead(PHONE, [NY])])
    callback = await create_callback(db, 1, NOW + timedelta(hours=1), None, "after lunch", NOW)
    assert callback is not None
    assert callback.state == "pending"
    # not due: the claim does not dial it
    assert (await claim_dialable(db, cfg, campaign_id=cid, owner="r", limit=1, now=NOW)).leads == []
    await dial(db, cfg, cid, timedelta(hours=1))
    assert await states(db) == [("done", "after lunch")]
    assert (await list_callbacks(db, state="pending"))[0] == 0
    assert (await list_callbacks(db, state="pending", due_before=NOW + timedelta(days=1)))[0] == 0  # not overdue


async def test_a_call_made_early_keeps_a_callback_due_within_two_minutes_and_not_one_due_later(db: Database) -> None:
    cfg, cid = await setup(db, [lead(PHONE, [NY])])
    await create_callback(db, 1, NOW + timedelta(minutes=2), None, "soon", NOW + timedelta(minutes=-5))
    await create_callback(db, 1, NOW + timedelta(hours=3), None, "later", NOW + timedelta(minutes=-5))
    # the lead is a callback due in 3 h (the latest scheduled): an agent dials it now, by hand
    attempt = await start_attempt(db, AttemptStart(lead_id=1, campaign_id=cid, phone=PHONE, started_at=NOW))
    assert await states(db) == [("done", "soon"), ("pending", "later")]
    # That call does not keep the later one: after its no-answer the lead is a callback at 3 h again, not a retry.
    transition = await record_outcome(db, cfg, attempt, Outcome.NO_ANSWER, AttemptEnd(ended_at=NOW))
    assert transition.lead.status.value == "callback"
    stored = await get_lead(db, 1)
    assert stored is not None
    assert (stored.status, stored.callback_at, stored.next_dialable_at) == (
        "callback",
        NOW + timedelta(hours=3),
        NOW + timedelta(hours=3),
    )


async def test_a_callback_booked_while_the_lead_is_on_a_call_is_taken_up_when_the_call_ends(db: Database) -> None:
    cfg, cid = await setup(db, [lead(PHONE, [NY])])
    attempt = await dial(db, cfg, cid, timedelta(0))
    # The called party rings the inbound line meanwhile and asks to be called back as soon as someone is free.
    booked = await book_caller_callback(db, "spring", PHONE, NOW + timedelta(seconds=30), "ivr", NOW)
    assert isinstance(booked, Booked)
    in_call = await get_lead(db, 1)
    assert in_call is not None
    assert in_call.status == "in_call"
    # Our call finds the line busy: the lead is a callback due when the caller asked, not a retry in 10 min.
    await record_outcome(db, cfg, attempt, Outcome.BUSY, AttemptEnd(ended_at=NOW + timedelta(seconds=40)))
    stored = await get_lead(db, 1)
    assert stored is not None
    assert (stored.status, stored.callback_at, stored.callback_agent) == ("callback", NOW + timedelta(seconds=30), None)
    assert await states(db) == [("pending", "ivr")]
    await dial(db, cfg, cid, timedelta(minutes=1))
    assert await states(db) == [("done", "ivr")]


async def test_a_disposition_that_requeues_keeps_the_callback_and_one_that_closes_cancels_it(db: Database) -> None:
    cfg, cid = await setup(db, [lead(PHONE, [NY])])
    attempt = await dial(db, cfg, cid, timedelta(0))
    # the agent, on the call, schedules a callback for tomorrow from the console
    await create_callback(db, 1, NOW + timedelta(days=1), "alice", "tomorrow", NOW)
    await record_outcome(db, cfg, attempt, Outcome.CONNECTED, AttemptEnd(ended_at=NOW + timedelta(minutes=3)))
    after_call = await get_lead(db, 1)
    assert after_call is not None
    assert (after_call.status, after_call.callback_agent) == ("callback", "alice")
    written = await record_disposition(db, cfg, attempt, "no_decision", NOW + timedelta(minutes=4), agent="alice")
    assert written.transition.lead.status.value == "callback"
    assert await states(db) == [("pending", "tomorrow")]
    await record_disposition(db, cfg, attempt, "sale", NOW + timedelta(minutes=5), agent="alice")
    closed = await get_lead(db, 1)
    assert closed is not None
    assert closed.status == "done"
    assert await states(db) == [("cancelled", "tomorrow")]


async def test_an_opt_out_cancels_the_pending_callbacks_of_the_leads_it_closes(db: Database) -> None:
    await setup(db, [lead(PHONE, [NY]), lead("+12125550102", [NY])])
    await create_callback(db, 1, NOW + timedelta(hours=1), None, "one", NOW)
    await create_callback(db, 2, NOW + timedelta(hours=1), None, "two", NOW)
    await add_dnc(db, PHONE, source="test", reason="asked", now=NOW)
    assert await states(db) == [("cancelled", "one"), ("pending", "two")]


async def test_a_lead_the_claim_sets_aside_for_good_cancels_its_callback(db: Database) -> None:
    cfg, cid = await setup(db, [lead(PHONE, [NY])])
    await create_callback(db, 1, NOW, None, "due", NOW - timedelta(minutes=10))
    # listed by another process without touching the lead row: the claim finds it and closes the lead
    async with db.write() as conn:
        await conn.execute(dnc_t.insert().values(number=PHONE, source="test", added_at=NOW))
    batch = await claim_dialable(db, cfg, campaign_id=cid, owner="r", limit=1, now=NOW)
    assert batch.set_aside == {"dnc": 1}
    assert await states(db) == [("cancelled", "due")]


async def test_a_callback_on_a_closed_lead_is_refused_and_an_erased_lead_keeps_no_callback_notes(
    db: Database,
) -> None:
    _cfg, cid = await setup(db, [lead(PHONE, [NY], fields={"external_id": "c-1"})])
    await create_callback(db, 1, NOW + timedelta(hours=1), None, "ask for Ann", NOW)
    await erase_leads(db, cid, "c-1", add_dnc=False, now=NOW)
    assert await states(db) == [("cancelled", None)]
    with pytest.raises(LeadClosedForCallbacks, match="lead 1 is archived: a callback on it would never be dialled"):
        await create_callback(db, 1, NOW + timedelta(hours=2), None, None, NOW)
    assert await states(db) == [("cancelled", None)]
