"""A callback's state follows what happens to its lead, written in the same transaction: ``done`` once the lead is
dialled for it, ``cancelled`` once the lead is closed for good before that; while pending it outlives the calls that do
not keep it (booked during a call, or due after a call made early), the lead's spent attempt budget too. The dashboard's
and the console's pending and overdue callbacks are these. Each change is announced in its transaction (the webhook
outbox): ``callback.done``, ``callback.cancelled`` with its reason."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from datetime import datetime, timedelta
from typing import Any

import pytest
from harness.lifecycle import NOW, NY, lead, setup
from harness.webhooks import fast, run_until
from sqlalchemy import select, update
from webhook_receiver import Receiver

from dialer.calls.outcome import Outcome
from dialer.campaign.config import CampaignConfig
from dialer.reports.common import ReportRange
from dialer.reports.performance_scan import performance_report
from dialer.store import Database
from dialer.store.attempts import AttemptEnd, AttemptStart, start_attempt
from dialer.store.console import (
    CallbackNotPending,
    LeadClosedForCallbacks,
    cancel_callback,
    create_callback,
    list_callbacks,
)
from dialer.store.dnc import add_dnc
from dialer.store.ivrcallback import Booked, book_caller_callback
from dialer.store.leadapi import erase_leads
from dialer.store.leads import get_lead
from dialer.store.lifecycle import claim_dialable, record_disposition, record_outcome
from dialer.store.tables import callbacks_t, dnc_t, leads_t, webhook_outbox_t
from dialer.store.webhooks import create_subscription, outbox_counts, outbox_rows
from dialer.webhooks.core import SUBSCRIBABLE
from dialer.webhooks.events import callback_due_id
from dialer.webhooks.worker import WebhookWorker

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
    # the lead is a callback due in 2 min (the soonest pending): an agent dials it now, by hand
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


# -- a promise made during the lead's last attempt -------------------------------------------------------------


@pytest.mark.parametrize("outcome", [Outcome.NO_ANSWER, Outcome.BUSY])
@pytest.mark.parametrize("booked_by", ["caller", "agent"])
async def test_a_callback_promised_during_the_last_attempt_outlives_the_spent_budget(
    db: Database, outcome: Outcome, booked_by: str
) -> None:
    cfg, cid = await setup(db, [lead(PHONE, [NY])], max_attempts=2)
    first = await dial(db, cfg, cid, timedelta(0))
    await record_outcome(db, cfg, first, Outcome.NO_ANSWER, AttemptEnd(ended_at=NOW + timedelta(seconds=30)))
    retry = await get_lead(db, 1)
    assert retry is not None
    assert (retry.status, retry.attempts) == ("retry", 1)
    at = retry.next_dialable_at - NOW
    last = await dial(db, cfg, cid, at)
    # During the last attempt: the called party rings the inbound line and asks to be called back in 30 min, or
    # the agent who reaches them on another line books it from the console.
    due, agent, note = NOW + at + timedelta(minutes=30), ("alice" if booked_by == "agent" else None), booked_by
    if booked_by == "caller":
        assert isinstance(await book_caller_callback(db, "spring", PHONE, due, note, NOW + at), Booked)
    else:
        assert await create_callback(db, 1, due, agent, note, NOW + at) is not None
    # Our call ends unanswered: its budget is spent, yet the lead is the promised callback, not exhausted.
    spent = await record_outcome(db, cfg, last, outcome, AttemptEnd(ended_at=NOW + at + timedelta(seconds=40)))
    assert spent.counted
    stored = await get_lead(db, 1)
    assert stored is not None
    assert (stored.status, stored.attempts, stored.callback_at, stored.callback_agent) == ("callback", 2, due, agent)
    assert await states(db) == [("pending", note)]
    # Not dialled before it is due, then dialled for it past the budget: the promise is kept.
    agents = [agent] if agent else []
    early = await claim_dialable(db, cfg, campaign_id=cid, owner="r", limit=1, now=due - timedelta(minutes=5))
    assert early.leads == []
    kept = await dial(db, cfg, cid, due - NOW, agents=agents)
    assert await states(db) == [("done", note)]
    # That call, with nothing promised any more, leaves the lead exhausted.
    await record_outcome(db, cfg, kept, Outcome.NO_ANSWER, AttemptEnd(ended_at=due + timedelta(seconds=30)))
    closed = await get_lead(db, 1)
    assert closed is not None
    assert (closed.status, closed.attempts) == ("exhausted", 3)
    assert await states(db) == [("done", note)]


NEXT = "+12125550199"


async def _kept_past_the_budget(
    db: Database, *, alt_phones: tuple[str, ...], agent: str | None = None
) -> tuple[CampaignConfig, int, int, datetime]:
    """One attempt allowed; a callback promised (notes "ask for Ann") during it, due in 30 min; the call unanswered;
    then the callback dialled for it past the budget: the campaign, its id, the callback's attempt, its due time."""
    cfg, cid = await setup(db, [lead(PHONE, [NY], alt_phones=alt_phones)], max_attempts=1)
    await subscribe_all(db, cid)
    first = await dial(db, cfg, cid, timedelta(0))
    due = NOW + timedelta(minutes=30)
    assert await create_callback(db, 1, due, agent, "ask for Ann", NOW + timedelta(seconds=10)) is not None
    await record_outcome(db, cfg, first, Outcome.NO_ANSWER, AttemptEnd(ended_at=NOW + timedelta(seconds=30)))
    held = await get_lead(db, 1)
    assert held is not None
    assert (held.status, held.attempts) == ("callback", 1)
    kept = await dial(db, cfg, cid, due - NOW, agents=[agent] if agent else [])
    assert await states(db) == [("done", "ask for Ann")]
    return cfg, cid, kept, due


@pytest.mark.parametrize("agent", [None, "alice"])
async def test_a_callback_dialled_past_the_budget_on_a_dead_number_carries_over_to_the_next_phone(
    db: Database, agent: str | None
) -> None:
    """The person asked to be called back and gave two numbers: the first is dead when we call back. The promise
    carries over to the second number (one more dial past the budget, at the time promised, for the agent promised),
    announced as a callback due; that dial keeps it, and its unanswered outcome exhausts the lead."""
    cfg, cid, kept, due = await _kept_past_the_budget(db, alt_phones=(NEXT,), agent=agent)
    ended = due + timedelta(seconds=5)
    await record_outcome(db, cfg, kept, Outcome.UNALLOCATED, AttemptEnd(ended_at=ended))
    moved = await get_lead(db, 1)
    assert moved is not None
    assert (moved.phone, moved.status, moved.callback_at, moved.callback_agent, moved.attempts) == (
        NEXT,
        "callback",
        due,
        agent,
        1,
    )
    assert await states(db) == [("done", "ask for Ann"), ("pending", "ask for Ann")]
    async with db.read() as conn:
        rows = (await conn.execute(select(callbacks_t).order_by(callbacks_t.c.id))).mappings().all()
    first, carried = rows
    assert (first["kept_by"], first["carried_to"], carried["kept_by"], carried["carried_to"]) == (
        kept,
        carried["id"],
        None,
        None,
    )
    assert (carried["due_at"], carried["agent"]) == (due, agent)
    # the CRM hears it: the done one's call ended on a dead number, and a callback due, carried from it
    events = await announced(db)
    assert events[-2:][0] == ("callback.due", callback_data(carried["id"], due, agent, carried_from=first["id"]))
    assert [kind for kind, _ in events][-2:] == ["callback.due", "call.ended"]
    assert events[-1][1]["outcome"] == "unallocated"
    assert "lead.archived" not in [kind for kind, _ in events]
    # one promise, not kept yet (the dead number's call does not keep the callback carried from it)
    assert await callback_figures(db, cfg, ended) == (1, 0, 0, 0, 1, 0)
    # the next claim dials the next phone for it (not set aside as exhausted), and keeps it
    batch = await claim_dialable(
        db, cfg, campaign_id=cid, owner="r", limit=1, now=ended + timedelta(seconds=5), agents=[agent] if agent else []
    )
    assert ([x.phone for x in batch.leads], batch.set_aside) == ([NEXT], {})
    start = AttemptStart(lead_id=1, campaign_id=cid, phone=NEXT, started_at=ended + timedelta(seconds=5))
    again = await start_attempt(db, start)
    assert await states(db) == [("done", "ask for Ann"), ("done", "ask for Ann")]
    await record_outcome(db, cfg, again, Outcome.NO_ANSWER, AttemptEnd(ended_at=ended + timedelta(seconds=40)))
    closed = await get_lead(db, 1)
    assert closed is not None
    assert (closed.status, closed.phone) == ("exhausted", NEXT)
    archived = [data for kind, data in await announced(db) if kind == "lead.archived"]
    assert archived == [{"status": "exhausted", "reason": None, "attempt_id": again}]
    # the report: one callback, kept on time (its second number dialled within 15 min of the time promised)
    assert await callback_figures(db, cfg, ended + timedelta(hours=1)) == (1, 1, 0, 0, 0, 0)


async def callback_figures(db: Database, cfg: CampaignConfig, now: datetime) -> tuple[int, ...]:
    """The performance report's callbacks: due, kept on time, kept late, missed, pending, cancelled."""
    f = (await performance_report(db, cfg.name, ReportRange(), now=now)).callbacks
    return (f.due, f.kept_on_time, f.kept_late, f.missed, f.pending, f.cancelled)


async def test_a_callback_carried_over_to_a_next_phone_on_a_dnc_list_is_cancelled_by_the_claim(db: Database) -> None:
    """Still under every rule at dial time: the next number on a DNC list closes the lead as DNC when the claim finds
    it, and the carried callback is cancelled with that reason."""
    cfg, cid, kept, due = await _kept_past_the_budget(db, alt_phones=(NEXT,))
    await record_outcome(db, cfg, kept, Outcome.UNALLOCATED, AttemptEnd(ended_at=due + timedelta(seconds=5)))
    async with db.write() as conn:  # listed by another process without touching the lead row
        await conn.execute(dnc_t.insert().values(number=NEXT, source="test", added_at=due))
    batch = await claim_dialable(db, cfg, campaign_id=cid, owner="r", limit=1, now=due + timedelta(seconds=10))
    assert (batch.leads, batch.set_aside) == ([], {"dnc": 1})
    closed = await get_lead(db, 1)
    assert closed is not None
    assert closed.status == "dnc"
    assert await states(db) == [("done", "ask for Ann"), ("cancelled", "ask for Ann")]
    cancelled = [data["reason"] for kind, data in await announced(db) if kind == "callback.cancelled"]
    assert cancelled == ["dnc"]


async def test_a_callback_dialled_past_the_budget_on_a_dead_number_and_no_other_phone_archives_the_lead(
    db: Database,
) -> None:
    """No other number: the lead is archived at that outcome with the number's fault as its reason (not exhausted by
    a later claim); the callback stays done -- its dial was made, and lead.archived says why it cannot be kept."""
    cfg, _cid, kept, due = await _kept_past_the_budget(db, alt_phones=())
    await record_outcome(db, cfg, kept, Outcome.UNALLOCATED, AttemptEnd(ended_at=due + timedelta(seconds=5)))
    closed = await get_lead(db, 1)
    assert closed is not None
    assert (closed.status, closed.archive_reason) == ("archived", "unallocated")
    assert await states(db) == [("done", "ask for Ann")]
    kinds = [kind for kind, _ in await announced(db)]
    assert kinds[-4:] == ["call.started", "callback.done", "lead.archived", "call.ended"]
    archived = [data for kind, data in await announced(db) if kind == "lead.archived"]
    assert archived == [{"status": "archived", "reason": "unallocated", "attempt_id": kept}]


@pytest.mark.parametrize("outcome", [Outcome.NO_ANSWER, Outcome.BUSY, Outcome.CONNECTED])
async def test_any_other_outcome_of_the_dial_past_the_budget_keeps_the_promise_and_exhausts_the_lead(
    db: Database, outcome: Outcome
) -> None:
    """As before: the dial kept the callback, the lead (with another phone it never needed) is exhausted."""
    cfg, _cid, kept, due = await _kept_past_the_budget(db, alt_phones=(NEXT,))
    await record_outcome(db, cfg, kept, outcome, AttemptEnd(ended_at=due + timedelta(seconds=30)))
    closed = await get_lead(db, 1)
    assert closed is not None
    assert (closed.status, closed.phone) == ("exhausted", PHONE)
    assert await states(db) == [("done", "ask for Ann")]


# -- callback.done and callback.cancelled in the outbox ---------------------------------------------------------


async def subscribe_all(db: Database, cid: int) -> None:
    await create_subscription(
        db, campaign_id=cid, url="http://127.0.0.1:9/crm", events=SUBSCRIBABLE, secret="x", now=NOW
    )


async def announced(db: Database) -> list[tuple[str, dict[str, Any]]]:
    """The outbox's events, oldest first: type and data."""
    return [(r.event_type, json.loads(r.payload)["data"]) for r in reversed(await outbox_rows(db))]


def callback_data(callback_id: int, due_at: datetime, agent: str | None, **more: object) -> dict[str, object]:
    return {"callback_id": callback_id, "due_at": due_at.isoformat(), "agent": agent, **more}


async def test_a_callback_kept_is_announced_with_the_call_that_kept_it(db: Database) -> None:
    cfg, cid = await setup(db, [lead(PHONE, [NY])])
    await subscribe_all(db, cid)
    due = NOW + timedelta(hours=1)
    callback = await create_callback(db, 1, due, "alice", "after lunch", NOW)
    assert callback is not None
    attempt = await dial(db, cfg, cid, timedelta(hours=1), agents=["alice"])
    assert await announced(db) == [
        ("callback.due", callback_data(callback.id, due, "alice")),
        ("call.started", {"attempt_id": attempt, "phone": PHONE, "caller_id": None, "server": None}),
        ("callback.done", callback_data(callback.id, due, "alice", attempt_id=attempt)),
    ]
    rows = await outbox_rows(db)
    done = next(r for r in rows if r.event_type == "callback.done")
    started = next(r for r in rows if r.event_type == "call.started")
    assert done.order_key == started.order_key  # in the lead's order, after the call that kept it


async def test_a_callback_a_user_cancels_is_announced_once_with_reason_user(db: Database) -> None:
    _cfg, cid = await setup(db, [lead(PHONE, [NY])])
    await subscribe_all(db, cid)
    due = NOW + timedelta(days=1)
    callback = await create_callback(db, 1, due, None, "tomorrow", NOW)
    assert callback is not None
    await cancel_callback(db, callback.id, NOW + timedelta(minutes=1))
    with pytest.raises(CallbackNotPending):
        await cancel_callback(db, callback.id, NOW + timedelta(minutes=2))
    # (its callback.due, waiting for tomorrow, was withdrawn with the cancel: it will never fall due)
    assert await announced(db) == [("callback.cancelled", callback_data(callback.id, due, None, reason="user"))]


async def test_cancelling_one_of_two_callbacks_leaves_the_lead_waiting_for_the_other(db: Database) -> None:
    """Past its budget, the lead is dialled only for a callback: cancelling one must not drop the other's promise."""
    cfg, cid = await setup(db, [lead(PHONE, [NY])], max_attempts=1)
    attempt = await dial(db, cfg, cid, timedelta(0))
    first = await create_callback(db, 1, NOW + timedelta(hours=1), None, "one", NOW)
    second = await create_callback(db, 1, NOW + timedelta(hours=2), "alice", "two", NOW)
    assert first is not None
    assert second is not None
    await record_outcome(db, cfg, attempt, Outcome.NO_ANSWER, AttemptEnd(ended_at=NOW + timedelta(seconds=30)))
    await cancel_callback(db, first.id, NOW + timedelta(minutes=1))
    stored = await get_lead(db, 1)
    assert stored is not None
    assert (stored.status, stored.callback_at, stored.callback_agent) == ("callback", NOW + timedelta(hours=2), "alice")
    await dial(db, cfg, cid, timedelta(hours=2), agents=["alice"])
    assert await states(db) == [("cancelled", "one"), ("done", "two")]


Close = Callable[[Database, CampaignConfig, int, int], Awaitable[None]]


async def _sale(db: Database, cfg: CampaignConfig, _cid: int, attempt: int) -> None:
    await record_outcome(db, cfg, attempt, Outcome.CONNECTED, AttemptEnd(ended_at=NOW + timedelta(minutes=3)))
    await record_disposition(db, cfg, attempt, "sale", NOW + timedelta(minutes=4), agent="alice")


async def _dnc_disposition(db: Database, cfg: CampaignConfig, _cid: int, attempt: int) -> None:
    await record_outcome(db, cfg, attempt, Outcome.CONNECTED, AttemptEnd(ended_at=NOW + timedelta(minutes=3)))
    await record_disposition(db, cfg, attempt, "dnc", NOW + timedelta(minutes=4), agent="alice")


async def _opt_out(db: Database, cfg: CampaignConfig, _cid: int, attempt: int) -> None:
    await record_outcome(db, cfg, attempt, Outcome.NO_ANSWER, AttemptEnd(ended_at=NOW + timedelta(minutes=3)))
    await add_dnc(db, PHONE, source="test", reason="asked", now=NOW + timedelta(minutes=4))


async def _bad_number(db: Database, cfg: CampaignConfig, _cid: int, attempt: int) -> None:
    await record_outcome(db, cfg, attempt, Outcome.UNALLOCATED, AttemptEnd(ended_at=NOW + timedelta(minutes=4)))


async def _erased(db: Database, cfg: CampaignConfig, cid: int, attempt: int) -> None:
    await record_outcome(db, cfg, attempt, Outcome.NO_ANSWER, AttemptEnd(ended_at=NOW + timedelta(minutes=3)))
    await erase_leads(db, cid, "c-1", add_dnc=False, now=NOW + timedelta(minutes=4))


async def _over_budget(db: Database, cfg: CampaignConfig, cid: int, attempt: int) -> None:
    """The lead waits for a retry with its budget spent and a callback still pending (its campaign's limit lowered
    meanwhile, say): the claim exhausts it."""
    await record_outcome(db, cfg, attempt, Outcome.NO_ANSWER, AttemptEnd(ended_at=NOW + timedelta(minutes=3)))
    async with db.write() as conn:
        await conn.execute(
            update(leads_t)
            .where(leads_t.c.id == 1)
            .values(status="retry", attempts=cfg.max_attempts, next_dialable_at=NOW)
        )
    batch = await claim_dialable(db, cfg, campaign_id=cid, owner="r", limit=1, now=NOW + timedelta(minutes=4))
    assert batch.set_aside == {"max_attempts": 1}


@pytest.mark.parametrize(
    ("close", "reason", "after_booking"),
    [
        (_sale, "done", ["call.ended", "callback.cancelled", "call.dispositioned"]),
        (
            _dnc_disposition,
            "dnc",
            ["call.ended", "lead.archived", "callback.cancelled", "optout.added", "call.dispositioned"],
        ),
        # (a global entry's optout.added reaches only subscriptions to every campaign)
        (_opt_out, "dnc", ["call.ended", "lead.archived", "callback.cancelled"]),
        (_bad_number, "archived", ["lead.archived", "callback.cancelled", "call.ended"]),
        (_erased, "erased", ["lead.archived", "callback.cancelled"]),  # (the lead's earlier deliveries erased too)
        (_over_budget, "exhausted", ["call.ended", "lead.archived", "callback.cancelled"]),
    ],
)
async def test_a_callback_its_lead_closing_drops_is_announced_with_the_closing_as_its_reason(
    db: Database, close: Close, reason: str, after_booking: list[str]
) -> None:
    """The callback was booked during the call; the lead then closes for good. Whatever the path, the outbox holds
    one callback.cancelled with the lead's closing as the reason, after the lead's own closing event, in the same
    transaction; ids and times only (an erasure's too). Its callback.due, waiting for tomorrow, is withdrawn in that
    transaction: it is never sent."""
    cfg, cid = await setup(db, [lead(PHONE, [NY], first_name="Ann", fields={"external_id": "c-1"})])
    await subscribe_all(db, cid)
    attempt = await dial(db, cfg, cid, timedelta(0))
    due = NOW + timedelta(days=1)
    callback = await create_callback(db, 1, due, "alice", "ask for Ann", NOW + timedelta(minutes=1))
    assert callback is not None
    await close(db, cfg, cid, attempt)
    assert [state for state, _ in await states(db)] == ["cancelled"]
    events = await announced(db)
    before = [] if close is _erased else ["call.started"]
    assert [kind for kind, _ in events] == [*before, *after_booking]
    cancelled = [data for kind, data in events if kind == "callback.cancelled"]
    assert cancelled == [callback_data(callback.id, due, "alice", reason=reason)]
    payload = next(r.payload for r in await outbox_rows(db) if r.event_type == "callback.cancelled")
    assert "Ann" not in payload
    assert PHONE not in payload


# -- callback.due: withdrawn when its callback closes before it falls due ----------------------------------------


@contextlib.asynccontextmanager
async def crm(db: Database, cid: int) -> AsyncIterator[Receiver]:
    """A receiver subscribed to every event of the campaign."""
    receiver = Receiver()
    await receiver.start()
    try:
        await create_subscription(db, campaign_id=cid, url=receiver.url, events=["*"], secret="x", now=NOW)
        yield receiver
    finally:
        await receiver.stop()


async def deliver(db: Database, receiver: Receiver, at: datetime) -> list[str]:
    """Run the delivery worker with its clock at ``at`` until the outbox is sent: the types received, sorted."""
    pending = (await outbox_counts(db))["pending"]
    worker = WebhookWorker(db, fast(), now=lambda: at)
    await run_until(worker, lambda: len(receiver.acknowledged()) >= pending, settled=db)
    assert len(receiver.deliveries) == pending
    return sorted(d.event_type for d in receiver.acknowledged())


async def test_a_callback_cancelled_before_it_is_due_is_never_announced_as_due(db: Database) -> None:
    _cfg, cid = await setup(db, [lead(PHONE, [NY])])
    async with crm(db, cid) as receiver:
        due = NOW + timedelta(days=1)
        callback = await create_callback(db, 1, due, None, "tomorrow", NOW)
        assert callback is not None
        assert [kind for kind, _ in await announced(db)] == ["callback.due"]
        await cancel_callback(db, callback.id, NOW + timedelta(hours=1))
        # Past the due time: only the cancel reaches the CRM, and nothing is counted failed (or at all) for the due.
        assert await deliver(db, receiver, due + timedelta(hours=1)) == ["callback.cancelled"]
        assert await outbox_counts(db) == {"pending": 0, "delivered": 1, "dead": 0}


async def test_a_callback_kept_early_is_announced_done_and_never_due(db: Database) -> None:
    _cfg, cid = await setup(db, [lead(PHONE, [NY])])
    async with crm(db, cid) as receiver:
        due = NOW + timedelta(hours=1)
        await create_callback(db, 1, due, None, None, NOW)
        # an agent dials the lead by hand a minute before its due time: kept (within CALLBACK_EARLY), before its
        # callback.due was sent
        early = AttemptStart(lead_id=1, campaign_id=cid, phone=PHONE, started_at=due - timedelta(minutes=1))
        await start_attempt(db, early)
        assert await states(db) == [("done", None)]
        assert await deliver(db, receiver, due + timedelta(hours=1)) == ["call.started", "callback.done"]


async def test_a_callback_kept_after_it_fell_due_is_announced_due_and_done(db: Database) -> None:
    cfg, cid = await setup(db, [lead(PHONE, [NY])])
    async with crm(db, cid) as receiver:
        due = NOW + timedelta(hours=1)
        callback = await create_callback(db, 1, due, None, None, NOW)
        assert callback is not None
        # its callback.due not sent yet (the worker was behind) when the lead is dialled for it, late: it stays
        await dial(db, cfg, cid, timedelta(hours=2))
        assert await deliver(db, receiver, NOW + timedelta(hours=3)) == [
            "call.started",
            "callback.done",
            "callback.due",
        ]
        due_sent = next(d for d in receiver.acknowledged() if d.event_type == "callback.due")
        assert due_sent.body["data"] == callback_data(callback.id, due, None)


async def test_a_callback_due_already_sent_or_retrying_stays_when_it_is_cancelled(db: Database) -> None:
    """What an integrator sees: a callback.due already delivered (or due, and being retried) is not taken back; the
    callback.cancelled that follows says the callback is off."""
    _cfg, cid = await setup(db, [lead(PHONE, [NY]), lead("+12125550102", [NY])])
    async with crm(db, cid) as receiver:
        due = NOW + timedelta(hours=1)
        sent = await create_callback(db, 1, due, None, None, NOW)
        retrying = await create_callback(db, 2, due, None, None, NOW)
        assert sent is not None
        assert retrying is not None
        assert await deliver(db, receiver, due) == ["callback.due", "callback.due"]
        # the second one's delivery failed at its due time and waits for its next try
        async with db.write() as conn:
            await conn.execute(
                update(webhook_outbox_t)
                .where(webhook_outbox_t.c.event_id == callback_due_id(retrying.id))
                .values(state="pending", attempts=1, last_status=500, next_attempt_at=due + timedelta(minutes=5))
            )
        await cancel_callback(db, sent.id, due + timedelta(minutes=1))
        await cancel_callback(db, retrying.id, due + timedelta(minutes=1))
        rows = {(r.event_type, r.state, r.attempts) for r in await outbox_rows(db)}
        assert rows == {
            ("callback.due", "delivered", 1),
            ("callback.due", "pending", 1),
            ("callback.cancelled", "pending", 0),
        }
        receiver.deliveries.clear()
        assert await deliver(db, receiver, due + timedelta(minutes=10)) == [
            "callback.cancelled",
            "callback.cancelled",
            "callback.due",
        ]


# -- several callbacks booked on one lead -------------------------------------------------------------------------
TUESDAY, THURSDAY = NOW + timedelta(days=1), NOW + timedelta(days=3)


async def kept(db: Database) -> list[tuple[str | None, str, int | None]]:
    """Each callback's notes, state and the call that kept it, in booking order."""
    c = callbacks_t.c
    async with db.read() as conn:
        rows = (await conn.execute(select(c.notes, c.state, c.kept_by).order_by(c.id))).all()
    return [(r[0], str(r[1]), r[2]) for r in rows]


async def waits_for(db: Database) -> tuple[str, datetime | None, str | None, datetime]:
    stored = await get_lead(db, 1)
    assert stored is not None
    return stored.status, stored.callback_at, stored.callback_agent, stored.next_dialable_at


@pytest.mark.parametrize("order", ["sooner first", "later first"])
async def test_two_callbacks_on_a_lead_are_dialled_in_turn_whatever_the_order_they_were_booked_in(
    db: Database, order: str
) -> None:
    cfg, cid = await setup(db, [lead(PHONE, [NY])])
    bookings = [(TUESDAY, "alice", "tuesday"), (THURSDAY, "bob", "thursday")]
    for due, agent, note in bookings if order == "sooner first" else reversed(bookings):
        assert await create_callback(db, 1, due, agent, note, NOW) is not None
    # the lead waits for the soonest, whichever was booked last
    assert await waits_for(db) == ("callback", TUESDAY, "alice", TUESDAY)
    assert (
        await claim_dialable(db, cfg, campaign_id=cid, owner="r", limit=1, now=NOW + timedelta(hours=1))
    ).leads == []
    tuesday = await dial(db, cfg, cid, timedelta(days=1), agents=["alice"])
    # That call keeps Tuesday's promise, not Thursday's (due later) ...
    rows = {note: (state, by) for note, state, by in await kept(db)}
    assert rows == {"tuesday": ("done", tuesday), "thursday": ("pending", None)}
    await record_outcome(db, cfg, tuesday, Outcome.NO_ANSWER, AttemptEnd(ended_at=TUESDAY + timedelta(seconds=40)))
    # ... and the lead then waits for Thursday's, dialled for it in turn.
    assert await waits_for(db) == ("callback", THURSDAY, "bob", THURSDAY)
    thursday = await dial(db, cfg, cid, timedelta(days=3), agents=["bob"])
    rows = {note: (state, by) for note, state, by in await kept(db)}
    assert rows == {"tuesday": ("done", tuesday), "thursday": ("done", thursday)}


async def test_cancelling_the_soonest_callback_makes_the_lead_wait_for_the_next_then_retry(db: Database) -> None:
    await setup(db, [lead(PHONE, [NY])])
    later = await create_callback(db, 1, THURSDAY, "bob", "thursday", NOW)
    sooner = await create_callback(db, 1, TUESDAY, "alice", "tuesday", NOW)
    assert later is not None
    assert sooner is not None
    await cancel_callback(db, sooner.id, NOW + timedelta(minutes=1))
    assert await waits_for(db) == ("callback", THURSDAY, "bob", THURSDAY)
    await cancel_callback(db, later.id, NOW + timedelta(minutes=2))
    status, callback_at, agent, _ = await waits_for(db)
    assert (status, callback_at, agent) == ("retry", None, None)
    assert [state for _, state, _ in await kept(db)] == ["cancelled", "cancelled"]


async def test_a_disposition_booking_a_later_callback_leaves_the_lead_waiting_for_the_sooner_one(db: Database) -> None:
    cfg, cid = await setup(db, [lead(PHONE, [NY])])
    attempt = await dial(db, cfg, cid, timedelta(0))
    # booked from the console during the call, for Tuesday; the agent's disposition then asks for Thursday
    await create_callback(db, 1, TUESDAY, None, "tuesday", NOW + timedelta(minutes=1))
    await record_outcome(db, cfg, attempt, Outcome.CONNECTED, AttemptEnd(ended_at=NOW + timedelta(minutes=3)))
    written = await record_disposition(
        db, cfg, attempt, "callback", NOW + timedelta(minutes=4), agent="alice", callback_at=THURSDAY
    )
    assert written.transition.lead.callback_at == TUESDAY
    assert await waits_for(db) == ("callback", TUESDAY, None, TUESDAY)
    c = callbacks_t.c
    async with db.read() as conn:
        rows = (await conn.execute(select(c.due_at, c.agent, c.state).order_by(c.id))).all()
    assert [tuple(r) for r in rows] == [(TUESDAY, None, "pending"), (THURSDAY, "alice", "pending")]
    tuesday = await dial(db, cfg, cid, timedelta(days=1))
    await record_outcome(db, cfg, tuesday, Outcome.BUSY, AttemptEnd(ended_at=TUESDAY + timedelta(seconds=20)))
    assert await waits_for(db) == ("callback", THURSDAY, "alice", THURSDAY)
