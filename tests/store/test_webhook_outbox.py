"""The webhook outbox (issue 18 §1): rows written in the event's own transaction, per subscription; claims with
leases, one row per lead at a time; delivery to a loopback receiver, signed, retried, dead-lettered, re-sent."""

from __future__ import annotations

import asyncio
import json
import random
import socket
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from harness.campaign import minimal_campaign as config
from harness.campaign import stored_campaign
from harness.webhooks import NOW, NY, campaign, dial_all, fast, has_pending, run_until
from sqlalchemy import select, update
from webhook_receiver import Receiver

from dialer.calls.outcome import Outcome
from dialer.store import Database, upgrade
from dialer.store.attempts import AttemptEnd, AttemptProgress, AttemptStart, update_attempt
from dialer.store.leadapi import erase_leads
from dialer.store.leads import LeadRecord, NewLead, insert_new_leads
from dialer.store.lifecycle import claim_and_start_attempts, record_disposition, record_outcome
from dialer.store.tables import webhook_outbox_t
from dialer.store.webhooks import (
    DEAD,
    DELIVERED,
    PENDING,
    DeliveryResult,
    claim_due,
    create_subscription,
    finish_and_claim,
    outbox_rows,
    release_dead_leases,
    resend,
)
from dialer.webhooks.core import SUBSCRIBABLE, EventType
from dialer.webhooks.worker import WebhookWorker


async def test_events_are_written_with_their_transaction_for_matching_subscriptions_only(db: Database) -> None:
    cfg = config()
    cid = await campaign(db, cfg, ["+12125550101"])
    other = await campaign(db, config("other"), ["+12125550199"])
    every = await create_subscription(
        db, campaign_id=cid, url="http://127.0.0.1:9/a", events=SUBSCRIBABLE, secret="x", now=NOW
    )
    only_ended = await create_subscription(
        db, campaign_id=None, url="http://127.0.0.1:9/b", events=[EventType.CALL_ENDED], secret="y", now=NOW
    )
    elsewhere = await create_subscription(
        db, campaign_id=other, url="http://127.0.0.1:9/c", events=SUBSCRIBABLE, secret="z", now=NOW
    )
    (attempt,) = await dial_all(db, cfg, cid)
    await update_attempt(db, attempt, AttemptProgress(answered_at=NOW + timedelta(seconds=5)))
    await update_attempt(db, attempt, AttemptProgress(answered_at=NOW + timedelta(seconds=5)))  # said twice: once
    end = AttemptEnd(ended_at=NOW + timedelta(seconds=60), agent="alice")
    await record_outcome(db, cfg, attempt, Outcome.CONNECTED, end)
    await record_disposition(db, cfg, attempt, "dnc", NOW + timedelta(seconds=70), agent="alice")

    rows = list(reversed(await outbox_rows(db)))
    by_sub: dict[int | None, list[str]] = {}
    for row in rows:
        by_sub.setdefault(row.subscription_id, []).append(row.event_type)
    assert by_sub[every.id] == [
        "call.started",
        "call.answered",
        "call.ended",
        "lead.archived",
        "optout.added",
        "call.dispositioned",
    ]
    assert by_sub[only_ended.id] == ["call.ended"]
    assert elsewhere.id not in by_sub
    ended = next(r for r in rows if r.subscription_id == every.id and r.event_type == "call.ended")
    doc = json.loads(ended.payload)
    assert (doc["id"], doc["type"], doc["lead_id"]) == (ended.event_id, "call.ended", ended.lead_id)
    assert (doc["data"]["attempt_id"], doc["data"]["outcome"]) == (attempt, "connected")
    assert doc["data"]["agent"] == "alice"
    # The same event reaches both of its subscriptions under one id.
    assert {r.event_id for r in rows if r.event_type == "call.ended"} == {ended.event_id}
    given = next(r for r in rows if r.subscription_id == every.id and r.event_type == "call.dispositioned")
    assert json.loads(given.payload)["data"]["outcome"] == "connected"


async def test_the_outbox_listing_filters_by_state_campaign_subscription_event_and_before_an_id(db: Database) -> None:
    configs = [config(), config("other")]
    ids = [
        await campaign(db, cfg, [phone]) for cfg, phone in zip(configs, ["+12125550101", "+12125550199"], strict=True)
    ]
    url = "http://127.0.0.1:9/hook"  # never called: nothing is delivered here
    here, there = [
        await create_subscription(db, campaign_id=cid, url=url, events=SUBSCRIBABLE, secret="x", now=NOW) for cid in ids
    ]
    for cfg, cid in zip(configs, ids, strict=True):
        await dial_all(db, cfg, cid)
    every = await outbox_rows(db)
    assert {r.subscription_id for r in every} == {here.id, there.id}
    assert [r.id for r in every] == sorted((r.id for r in every), reverse=True)  # newest first

    assert {r.campaign_id for r in await outbox_rows(db, campaign_id=ids[0])} == {ids[0]}
    assert {r.subscription_id for r in await outbox_rows(db, subscription_id=there.id)} == {there.id}
    (started,) = [r for r in every if r.subscription_id == here.id and r.event_type == "call.started"]
    assert [r.id for r in await outbox_rows(db, event_id=started.event_id)] == [started.id]
    assert {r.state for r in every} == {PENDING}
    assert await outbox_rows(db, state=DELIVERED) == []
    assert await outbox_rows(db, state=PENDING, campaign_id=ids[0], subscription_id=there.id) == []  # all must hold
    assert [r.id for r in await outbox_rows(db, before_id=every[0].id)] == [r.id for r in every[1:]]


async def test_a_machine_marked_after_the_hangup_is_restated_by_its_disposition(db: Database) -> None:
    """call.ended said what was known at the hangup (a connected call); the agent's machine disposition after it
    made the attempt a machine, and call.dispositioned says so. Marked while the call is up, call.ended says
    machine, and the disposition, written before any outcome, has none."""
    cfg = config()
    cid = await campaign(db, cfg, ["+12125550101", "+12125550102"])
    await create_subscription(db, campaign_id=cid, url="http://127.0.0.1:9/a", events=SUBSCRIBABLE, secret="x", now=NOW)
    after, before = await dial_all(db, cfg, cid)
    await record_outcome(db, cfg, after, Outcome.CONNECTED, AttemptEnd(ended_at=NOW + timedelta(seconds=30)))
    await record_disposition(db, cfg, after, "answering_machine", NOW + timedelta(seconds=33), agent="alice")
    await record_disposition(db, cfg, before, "answering_machine", NOW + timedelta(seconds=9), agent="bob")
    await record_outcome(db, cfg, before, Outcome.CONNECTED, AttemptEnd(ended_at=NOW + timedelta(seconds=10)))

    said = {
        (doc["data"]["attempt_id"], doc["type"]): doc["data"]["outcome"]
        for doc in (json.loads(r.payload) for r in await outbox_rows(db))
        if doc["type"] in {"call.ended", "call.dispositioned"}
    }
    assert (said[after, "call.ended"], said[after, "call.dispositioned"]) == ("connected", "machine")
    assert (said[before, "call.dispositioned"], said[before, "call.ended"]) == (None, "machine")


async def test_no_outbox_row_without_the_event_and_no_event_without_its_row(db: Database) -> None:
    cfg = config()
    cid = await campaign(db, cfg, ["+12125550101"])
    await create_subscription(db, campaign_id=cid, url="http://127.0.0.1:9/a", events=SUBSCRIBABLE, secret="x", now=NOW)

    def broken(lead: LeadRecord) -> AttemptStart:
        raise RuntimeError("the claim fails after the outbox row would have been written")

    with pytest.raises(RuntimeError):
        await claim_and_start_attempts(db, cfg, campaign_id=cid, owner="d1", limit=1, now=NOW, start=broken)
    assert await outbox_rows(db) == []


async def test_claims_hold_one_row_per_lead_and_a_dead_workers_rows_come_back(db: Database) -> None:
    cfg = config()
    cid = await campaign(db, cfg, ["+12125550101", "+12125550102"])
    await create_subscription(db, campaign_id=cid, url="http://127.0.0.1:9/a", events=SUBSCRIBABLE, secret="x", now=NOW)
    first, second = await dial_all(db, cfg, cid)
    for attempt in (first, second):
        await record_outcome(db, cfg, attempt, Outcome.NO_ANSWER, AttemptEnd(ended_at=NOW + timedelta(seconds=30)))
    lease = timedelta(seconds=60)
    at = NOW + timedelta(minutes=1)
    claimed = await claim_due(db, owner="w1", now=at, lease=lease, limit=10)
    # one row per lead: each lead's call.started; its call.ended waits for it
    assert sorted(r.event_type for r in claimed) == ["call.started", "call.started"]
    assert await claim_due(db, owner="w2", now=at, lease=lease, limit=10) == []
    # w1's lease runs out: another worker takes the same rows (receivers dedupe by event id)
    again = await claim_due(db, owner="w2", now=at + lease + timedelta(seconds=1), lease=lease, limit=10)
    assert {r.id for r in again} == {r.id for r in claimed}
    # a worker of this host whose process is gone: its rows are freed at once, lease or not
    gone = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await gone.wait()
    dead_owner = f"webhook:{socket.gethostname()}:{gone.pid}:deadbeef"
    async with db.write() as conn:
        await conn.execute(update(webhook_outbox_t).values(lease_owner=dead_owner, lease_expires_at=at + lease))
    assert await claim_due(db, owner="w3", now=at, lease=lease, limit=10) == []
    assert await release_dead_leases(db, at) == 4  # (every row was given to the dead worker)
    assert len(await claim_due(db, owner="w3", now=at, lease=lease, limit=10)) == 2


async def one_call_started(db: Database, url: str) -> None:
    """A campaign of one lead subscribed at ``url`` to call.started only; its lead dialled (one event)."""
    cfg = config()
    cid = await campaign(db, cfg, ["+12125550101"])
    await create_subscription(db, campaign_id=cid, url=url, events=[EventType.CALL_STARTED], secret="s3cret", now=NOW)
    await dial_all(db, cfg, cid)


async def test_delivered_signed_in_order_per_lead_after_the_receiver_was_down(db: Database) -> None:
    receiver = Receiver(mode="fail")
    await receiver.start()
    try:
        cfg = config()
        cid = await campaign(db, cfg, [f"+1212555{n:04d}" for n in range(5)])
        await create_subscription(db, campaign_id=cid, url=receiver.url, events=SUBSCRIBABLE, secret="s3cret", now=NOW)
        attempts = await dial_all(db, cfg, cid)
        for a in attempts:
            await update_attempt(db, a, AttemptProgress(answered_at=NOW + timedelta(seconds=3)))
            await record_outcome(db, cfg, a, Outcome.CONNECTED, AttemptEnd(ended_at=NOW + timedelta(seconds=40)))
            await record_disposition(db, cfg, a, "sale", NOW + timedelta(seconds=50), agent="bob")
        expected = len(await outbox_rows(db))
        assert expected == 5 * 4  # started, answered, ended, dispositioned (a sale closes the lead: not archived)
        worker = WebhookWorker(db, fast(), rng=random.Random(1))
        await run_until(worker, lambda: len(receiver.deliveries) >= 10)  # down: refused, retried
        assert not receiver.acknowledged()
        receiver.mode = "ok"
        await run_until(worker, lambda: len(receiver.acknowledged()) >= expected, settled=db)
        acked = receiver.acknowledged()
        assert all(d.signature_ok for d in receiver.deliveries)
        assert len({d.event_id for d in acked}) == len(acked) == expected  # each event once
        per_lead: dict[int, list[str]] = {}
        for d in acked:
            per_lead.setdefault(d.body["lead_id"], []).append(d.event_type)
        for types in per_lead.values():
            assert types == ["call.started", "call.answered", "call.ended", "call.dispositioned"], types
        assert all(r.state == DELIVERED for r in await outbox_rows(db))
    finally:
        await receiver.stop()


async def test_dead_lettered_after_the_limit_and_sent_again_on_request(db: Database) -> None:
    receiver = Receiver(mode="fail")
    await receiver.start()
    try:
        await one_call_started(db, receiver.url)
        worker = WebhookWorker(db, fast(max_attempts=3), rng=random.Random(2))
        await run_until(worker, lambda: len(receiver.deliveries) >= 3, settled=db)
        (row,) = await outbox_rows(db)
        assert (row.state, row.attempts, row.last_status) == (DEAD, 3, 500)
        assert len(receiver.deliveries) == 3
        receiver.mode = "ok"
        again = await resend(db, row.id, datetime.now(UTC))
        assert again is not None
        assert again.state == PENDING
        await run_until(worker, lambda: len(receiver.acknowledged()) == 1, settled=db)
        (row,) = await outbox_rows(db)
        assert row.state == DELIVERED
        assert receiver.acknowledged()[0].event_id == row.event_id
    finally:
        await receiver.stop()


async def test_a_destination_off_the_allow_list_is_never_called(db: Database) -> None:
    receiver = Receiver()
    await receiver.start()
    try:
        await one_call_started(db, receiver.url)
        worker = WebhookWorker(db, fast(allowed_destinations=["crm.example.com"]))
        task = asyncio.create_task(worker.run())
        await asyncio.sleep(0.5)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        async with db.read() as conn:
            state, error = (await conn.execute(select(webhook_outbox_t.c.state, webhook_outbox_t.c.last_error))).one()
        assert state == DEAD
        assert "allow-list" in error
        assert receiver.deliveries == []
    finally:
        await receiver.stop()


async def test_an_erased_lead_leaves_no_personal_data_in_the_outbox(db: Database) -> None:
    cfg = config()
    cid = await stored_campaign(db, cfg, NOW)
    lead = NewLead(
        phone="+12125550101", status="new", next_dialable_at=NOW - timedelta(minutes=1), tz_candidates=[NY],
        first_name="Ann", fields={"external_id": "E-1"},
    )  # fmt: skip
    async with db.write() as conn:
        await insert_new_leads(conn, cid, None, [lead], NOW)
    await create_subscription(db, campaign_id=cid, url="http://127.0.0.1:9/a", events=SUBSCRIBABLE, secret="x", now=NOW)
    (attempt,) = await dial_all(db, cfg, cid)
    await record_outcome(db, cfg, attempt, Outcome.NO_ANSWER, AttemptEnd(ended_at=NOW + timedelta(seconds=30)))
    assert any("+12125550101" in r.payload for r in await outbox_rows(db))
    (erased,) = await erase_leads(db, cid, "E-1", add_dnc=True, now=NOW + timedelta(minutes=5))
    rows = await outbox_rows(db)
    assert not any("+12125550101" in r.payload or "Ann" in r.payload for r in rows if r.event_type != "optout.added")
    assert sorted(r.event_type for r in rows) == ["lead.archived", "optout.added"]  # (the opt-out keeps the number)
    assert erased.numbers_on_dnc == 1


async def test_two_workers_share_the_outbox_and_send_each_event_once(db_target: Any) -> None:
    # The receiver answers nothing until 5 deliveries are open at once: one worker holds at most 4 (its
    # concurrency), so the first answers wait for the second worker -- with an instant receiver one worker could
    # drain the whole outbox before the other's first claim got the database (SQLite's writer lock is not fair).
    receiver = Receiver(gather=5)
    await receiver.start()
    first, second = db_target.open(), db_target.open()  # two daemons: an engine each
    try:
        await upgrade(first)
        cfg = config()
        cid = await campaign(first, cfg, [f"+1212555{n:04d}" for n in range(40)])
        await create_subscription(
            first, campaign_id=cid, url=receiver.url, events=SUBSCRIBABLE, secret="s3cret", now=NOW
        )
        for a in await dial_all(first, cfg, cid, limit=40):
            await record_outcome(first, cfg, a, Outcome.BUSY, AttemptEnd(ended_at=NOW + timedelta(seconds=9)))
        expected = len(await outbox_rows(first))
        # (a held delivery must not time out and be sent again: the try's timeout outlasts the receiver's hold)
        workers = [WebhookWorker(db, fast(concurrency=4, timeout_seconds=30.0)) for db in (first, second)]
        tasks = [asyncio.create_task(w.run()) for w in workers]
        try:
            async with asyncio.timeout(60):
                while len(receiver.acknowledged()) < expected or await has_pending(first):  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        ids = [d.event_id for d in receiver.acknowledged()]
        assert len(ids) == len(set(ids)) == expected
        assert all(w.delivered > 0 for w in workers)  # both took part
    finally:
        await first.dispose()
        await second.dispose()
        await receiver.stop()


async def test_one_step_records_the_tries_and_claims_the_next_rows_never_the_ones_it_records(db: Database) -> None:
    """The worker's step (`finish_and_claim`: one statement on PostgreSQL): the delivered rows are recorded, the
    failed one is rescheduled, the next due rows are claimed -- and a row being recorded is not claimed again by
    the same step even when its lease ran out meanwhile (it would be sent twice)."""
    cfg = config()
    cid = await campaign(db, cfg, ["+12125550101", "+12125550102", "+12125550103"])
    await create_subscription(db, campaign_id=cid, url="http://127.0.0.1:9/a", events=SUBSCRIBABLE, secret="x", now=NOW)
    attempts = await dial_all(db, cfg, cid)
    for attempt in attempts:
        await record_outcome(db, cfg, attempt, Outcome.NO_ANSWER, AttemptEnd(ended_at=NOW + timedelta(seconds=30)))
    lease = timedelta(seconds=60)
    at = NOW + timedelta(minutes=1)
    first, second, third = await claim_due(db, owner="w1", now=at, lease=lease, limit=10)  # each lead's call.started
    late = at + lease + timedelta(seconds=1)  # (w1's leases ran out while it delivered)
    results = [DeliveryResult(first.id, True, 204, None), DeliveryResult(second.id, True, 200, None)]
    recorded, claimed = await finish_and_claim(db, "w1", results, late, lease=lease, limit=10)
    assert recorded == 2
    assert third.id in {r.id for r in claimed}  # (free again: its lease ran out)
    assert not {first.id, second.id} & {r.id for r in claimed}
    rows = {r.id: r for r in await outbox_rows(db)}
    assert (rows[first.id].state, rows[first.id].last_status) == (DELIVERED, 204)
    assert (rows[second.id].state, rows[second.id].last_status) == (DELIVERED, 200)
    # the first two leads' next events become claimable; a failed try is rescheduled
    retry = DeliveryResult(third.id, False, 503, "HTTP 503", retry_at=late + timedelta(minutes=5))
    recorded, more = await finish_and_claim(db, "w1", [retry], late, lease=lease, limit=10)
    assert recorded == 1
    # (SQLite claims them in the first step already, PostgreSQL's one statement in the next)
    assert sorted((r.lead_id, r.event_type) for r in [*claimed, *more] if r.id != third.id) == [
        (first.lead_id, "call.ended"),
        (second.lead_id, "call.ended"),
    ]
    rows = {r.id: r for r in await outbox_rows(db)}
    assert (rows[third.id].state, rows[third.id].attempts, rows[third.id].lease_owner) == (PENDING, 1, None)
    assert rows[third.id].next_attempt_at == late + timedelta(minutes=5)
