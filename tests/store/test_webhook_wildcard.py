"""A subscription to "*" is a wildcard: stored as "*", shown as ["*"], and matched when an event is announced, so
it gets every subscribable type -- those added after it was made too (callback.done, callback.cancelled, and any
later one). Revision 0023 turns the stored lists that were "*" expanded (every subscribable type of their day) into
the wildcard, on SQLite and on PostgreSQL."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from harness.databases import DbSpec
from sqlalchemy import select

from dialer.store import Database, upgrade
from dialer.store.campaigns import apply_campaign
from dialer.store.tables import webhook_subscriptions_t
from dialer.store.webhooks import (
    create_subscription,
    enqueue,
    get_subscription,
    list_subscriptions,
    outbox_rows,
    update_subscription,
)
from dialer.webhooks import core, events
from dialer.webhooks.core import SUBSCRIBABLE, WILDCARD, EventType, WebhookEvent, event_id, parse_events

NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)

# The subscribable types of revision 0011 (before callback.done and callback.cancelled), in their stored order.
SEVEN = ["call.started", "call.answered", "call.ended", "call.dispositioned", "lead.archived", "callback.due",
         "optout.added"]  # fmt: skip
NINE = [*SEVEN, "callback.done", "callback.cancelled"]


def kept(campaign_id: int) -> WebhookEvent:
    callback = events.Callback(callback_id=7, lead_id=1, campaign_id=campaign_id, due_at=NOW, agent=None)
    return events.callback_done(callback, attempt_id=3, at=NOW)


def brand_new(campaign_id: int) -> WebhookEvent:
    """An event of a type no subscription was made with (crm.disposition, made subscribable by the test)."""
    return WebhookEvent(
        type=EventType.CRM_DISPOSITION,
        id=event_id(EventType.CRM_DISPOSITION, 1),
        occurred_at=NOW,
        campaign_id=campaign_id,
        lead_id=1,
        data={"attempt_id": 1},
    )


async def receivers(db: Database, kind: str) -> list[str]:
    return sorted(r.url for r in await outbox_rows(db) if r.event_type == kind)


async def test_a_wildcard_subscription_gets_every_type_present_and_future(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = (await apply_campaign(db, "c1", {}, NOW)).campaign.id
    star = await create_subscription(
        db, campaign_id=cid, url="http://127.0.0.1:9/star", events=parse_events(["*"]), secret="x", now=NOW
    )
    # Every type known today, listed one by one: an explicit list stays what it says.
    listed = await create_subscription(
        db, campaign_id=cid, url="http://127.0.0.1:9/listed", events=parse_events(NINE), secret="y", now=NOW
    )
    assert star.events == (WILDCARD,)
    assert listed.events == tuple(NINE)
    assert [s.as_json()["events"] for s in await list_subscriptions(db)] == [["*"], NINE]  # (the API shows it)
    async with db.read() as conn:
        stored = await conn.execute(select(webhook_subscriptions_t.c.events).order_by(webhook_subscriptions_t.c.id))
        assert stored.scalars().all() == ["|*|", "|" + "|".join(NINE) + "|"]

    assert await enqueue(db, [kept(cid)], NOW) == 2
    assert await receivers(db, "callback.done") == ["http://127.0.0.1:9/listed", "http://127.0.0.1:9/star"]
    # Not subscribable (a campaign's own CRM call): the wildcard does not get it ...
    assert await enqueue(db, [brand_new(cid)], NOW) == 0
    # ... until a release makes it a subscribable type: the wildcard gets it at once, through the write path's
    # subscription cache (still fresh: nothing changed in the subscriptions), the explicit list does not.
    monkeypatch.setattr(core, "SUBSCRIBABLE", (*SUBSCRIBABLE, EventType.CRM_DISPOSITION))
    assert await enqueue(db, [brand_new(cid)], NOW) == 1
    assert await receivers(db, "crm.disposition") == ["http://127.0.0.1:9/star"]
    # The list edited to "*" (PATCH): stored and matched as the wildcard from the next event on.
    edited = await update_subscription(db, listed.id, NOW, events=parse_events(["*"]))
    assert edited is not None
    assert edited.events == ("*",)
    again = dataclasses.replace(brand_new(cid), id=event_id(EventType.CRM_DISPOSITION, 2))
    assert await enqueue(db, [again], NOW) == 2


def test_parse_events_keeps_the_wildcard() -> None:
    assert parse_events(["*"]) == ("*",)
    assert parse_events(["call.ended", "*"]) == ("*",)
    assert parse_events(["call.ended", "call.started", "call.ended"]) == ("call.ended", "call.started")
    with pytest.raises(ValueError, match="unknown"):
        parse_events(["*", "crm.disposition"])
    assert core.subscribes(("*",), EventType.CALLBACK_CANCELLED)
    assert not core.subscribes(("*",), EventType.CRM_DISPOSITION)
    assert not core.subscribes(("call.ended",), EventType.CALLBACK_CANCELLED)


async def test_revision_0023_turns_every_type_of_its_day_into_the_wildcard(db_target: DbSpec) -> None:
    db = db_target.open()
    try:
        await upgrade(db, "0022_inbound_calls")
        stored = {
            "seven": "|" + "|".join(SEVEN) + "|",  # "*" before callback.done and callback.cancelled
            "seven, another order": "|" + "|".join(reversed(SEVEN)) + "|",
            "nine": "|" + "|".join(NINE) + "|",  # "*" since
            "six": "|" + "|".join(SEVEN[:-1]) + "|",
            "one": "|call.ended|",
            "seven and callback.done": "|" + "|".join([*SEVEN, "callback.done"]) + "|",
        }
        async with db.write() as conn:
            for name, column in stored.items():
                await conn.execute(
                    webhook_subscriptions_t.insert().values(
                        url="http://127.0.0.1:9/" + name.replace(" ", "-"),
                        events=column,
                        secret="x",
                        enabled=True,
                        description=name,
                        created_at=NOW - timedelta(days=1),
                        updated_at=NOW - timedelta(days=1),
                    )
                )
        await upgrade(db)
        after = {s.description: s.events for s in await list_subscriptions(db)}
        assert after == {
            "seven": ("*",),
            "seven, another order": ("*",),
            "nine": ("*",),
            "six": tuple(SEVEN[:-1]),
            "one": ("call.ended",),
            "seven and callback.done": (*SEVEN, "callback.done"),
        }
        # A migrated subscription (made with "*" when callback.cancelled did not exist) now gets it.
        seven = next(s for s in await list_subscriptions(db) if s.description == "seven")
        assert (await get_subscription(db, seven.id)) == seven
        callback = events.Callback(callback_id=7, lead_id=1, campaign_id=1, due_at=NOW, agent=None)
        assert await enqueue(db, [events.callback_cancelled(callback, reason="user", at=NOW)], NOW) == 3
    finally:
        await db.dispose()
