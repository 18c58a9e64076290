"""Every path that puts a number on a DNC list announces it as ``optout.added`` in the same transaction (issue 18
§1): the CLI's add and import, the API's lead and number routes (import_dnc), an agent's DNC disposition, an IVR
opt-out key, an erasure. Delivered to a loopback receiver, signed, once per event; a rolled-back addition
announces nothing; a number already listed announces nothing again."""

from __future__ import annotations

import dataclasses
import json
import random
from collections import Counter
from datetime import timedelta

import pytest
from harness.campaign import minimal_campaign as config
from harness.webhooks import NOW, NY, campaign, dial_all, fast, run_until
from webhook_receiver import Receiver

from dialer.calls.outcome import Outcome
from dialer.ivr.executor import FlowResult
from dialer.store import Database
from dialer.store.attempts import AttemptEnd
from dialer.store.dnc import add_dnc, add_dnc_in, check_dnc, import_dnc
from dialer.store.ivr_results import OPT_OUT_SOURCE, IvrCall, record_ivr_results
from dialer.store.leadapi import erase_leads
from dialer.store.leads import NewLead, insert_new_leads
from dialer.store.lifecycle import record_disposition, record_outcome
from dialer.store.webhooks import DELIVERED, create_subscription, outbox_rows
from dialer.webhooks.core import EventType
from dialer.webhooks.worker import WebhookWorker


def opted_out(flow: str = "remind") -> FlowResult:
    return FlowResult(
        flow=flow, result="opted_out", path=("greet",), steps=(), keys=(("greet", "9"),), variables={},
        listened_to_end=False, transferred=False, contained=False, opted_out=True, machine=False, hung_up_at=None,
        hung_up_step=None, started_at=NOW, ended_at=NOW + timedelta(seconds=20),
    )  # fmt: skip


async def test_every_dnc_path_announces_its_new_entries_once_and_they_are_delivered(db: Database) -> None:
    receiver = Receiver()
    await receiver.start()
    try:
        cfg = config()
        cid = await campaign(db, cfg, ["+12125550101", "+12125550102", "+12125550103"])
        await create_subscription(
            db,
            campaign_id=None,  # every campaign, and the global list
            url=receiver.url,
            events=[EventType.OPTOUT_ADDED, EventType.LEAD_ARCHIVED],
            secret="s3cret",
            now=NOW,
        )
        # the CLI's `dnc add` (global; closes the campaign's queued lead with that number)
        assert await add_dnc(db, "+12125550101", source="manual", reason="asked by letter", now=NOW)
        assert not await add_dnc(db, "+12125550101", source="manual", now=NOW)  # already listed: no second event
        # the CLI's `dnc import` and the API (campaign scope)
        done = await import_dnc(db, ["+19175550001", "+19175550002", "+19175550001"], campaign_id=cid,
                                source="registry", now=NOW)  # fmt: skip
        assert (done.added, done.already_listed) == (2, 0)
        # an IVR opt-out key (campaign scope)
        await record_ivr_results(db, [(IvrCall("a1", cid, None, "+19175550003"), opted_out())], now=NOW)
        # an agent's DNC disposition
        attempts = await dial_all(db, cfg, cid)
        assert len(attempts) == 2
        first = attempts[0]
        end = AttemptEnd(ended_at=NOW + timedelta(seconds=60), agent="alice")
        await record_outcome(db, cfg, first, Outcome.CONNECTED, end)
        await record_disposition(db, cfg, first, "dnc", NOW + timedelta(seconds=70), agent="alice")
        # an erasure (data-subject request)
        lead = NewLead(phone="+13125550109", status="new", next_dialable_at=NOW, tz_candidates=[NY],
                       fields={"external_id": "E-9"})  # fmt: skip
        async with db.write() as conn:
            await insert_new_leads(conn, cid, None, [lead], NOW)
        (erased,) = await erase_leads(db, cid, "E-9", add_dnc=True, now=NOW + timedelta(minutes=1))
        assert erased.numbers_on_dnc == 1

        rows = await outbox_rows(db)
        optouts = [r for r in rows if r.event_type == "optout.added"]
        by_source = Counter(json.loads(r.payload)["data"]["source"] for r in optouts)
        assert by_source == {"manual": 1, "registry": 2, OPT_OUT_SOURCE: 1, "agent": 1, "erasure": 1}
        archived = [r for r in rows if r.event_type == "lead.archived"]
        # the lead closed by the global entry, the dispositioned lead, the erased one: one event each
        assert len(archived) == len({r.lead_id for r in archived}) == 3

        worker = WebhookWorker(db, fast(), rng=random.Random(3))
        await run_until(worker, lambda: len(receiver.acknowledged()) >= len(rows), settled=db)
        acked = receiver.acknowledged()
        assert all(d.signature_ok for d in receiver.deliveries)
        assert len({d.event_id for d in acked}) == len(acked) == len(rows)
        assert all(r.state == DELIVERED for r in await outbox_rows(db))
        delivered = {d.body["data"]["number"]: d.body for d in acked if d.event_type == "optout.added"}
        assert delivered["+12125550101"]["data"] == {
            "number": "+12125550101", "scope": "global", "source": "manual", "reason": "asked by letter",
        }  # fmt: skip
        assert delivered["+19175550003"]["campaign_id"] == cid
        assert delivered["+19175550003"]["data"]["scope"] == "campaign"
    finally:
        await receiver.stop()


async def test_a_rolled_back_addition_leaves_neither_entry_nor_announcement(db: Database) -> None:
    cfg = config()
    cid = await campaign(db, cfg, ["+12125550101"])
    await create_subscription(
        db, campaign_id=cid, url="http://127.0.0.1:9/a", events=[EventType.OPTOUT_ADDED], secret="x", now=NOW
    )

    class Boom(RuntimeError):
        pass

    async def add_then_fail() -> None:
        async with db.write() as conn:
            added = await add_dnc_in(conn, ["+12125550101"], cid, source="api", reason=None, now=NOW)
            assert added.added == 1
            raise Boom

    with pytest.raises(Boom):
        await add_then_fail()
    assert await check_dnc(db, "+12125550101") == []
    assert await outbox_rows(db) == []
    # without a subscriber the entry is still written (nothing to announce)
    assert await add_dnc(db, "+12125550199", now=NOW)
    assert dataclasses.asdict((await check_dnc(db, "+12125550199"))[0])["source"] == "manual"
