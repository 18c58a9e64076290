"""Raised hands in the store (dialer.store.hands), on SQLite and PostgreSQL: raised again, the note is replaced and
the first time kept; lowered once, by someone (audited, with how long it was raised) or by itself (not audited);
seen through another connection to the database (another daemon) and after the first one is gone (a restart)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from harness.databases import DbSpec

from dialer.store import Database
from dialer.store.audit import audit_entries
from dialer.store.hands import get_hand, lower_hand, raise_hand, raised_hands

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


async def test_a_hand_keeps_its_first_time_and_lowers_once_audited(db: Database) -> None:
    first = await raise_hand(db, "ann", " refund?\n", actor="ann", now=NOW)
    assert (first.agent_id, first.note, first.raised_at) == ("ann", "refund?", NOW.timestamp())
    again = await raise_hand(db, "ann", "refund over 500", actor="ann", now=NOW + timedelta(seconds=5))
    assert (again.raised_at, again.note) == (NOW.timestamp(), "refund over 500")
    assert again.as_json(NOW.timestamp() + 30)["raised_seconds"] == 30.0
    await raise_hand(db, "bob", None, actor="bob", now=NOW)
    assert set(await raised_hands(db)) == {"ann", "bob"}
    assert set(await raised_hands(db, {"bob", "cid"})) == {"bob"}  # a supervisor's agents

    lowered = await lower_hand(db, "ann", actor="sue", now=NOW + timedelta(seconds=42))
    assert lowered == again
    assert await lower_hand(db, "ann", actor="sue", now=NOW) is None
    assert await get_hand(db, "ann") is None
    assert await lower_hand(db, "bob", actor=None, now=NOW + timedelta(seconds=60)) is not None  # the call ended
    assert await raised_hands(db) == {}

    entries = [e for e in reversed((await audit_entries(db))[1]) if e.action.startswith("hand.")]
    assert [(e.actor, e.action, e.target) for e in entries] == [
        ("ann", "hand.raise", "agent:ann"),
        ("ann", "hand.raise", "agent:ann"),
        ("bob", "hand.raise", "agent:bob"),
        ("sue", "hand.lower", "agent:ann"),
    ]
    assert entries[3].detail == {"raised_seconds": 42.0}


async def test_a_hand_is_seen_by_another_daemon_and_after_a_restart(db: Database, db_target: DbSpec) -> None:
    await raise_hand(db, "ann", "angry caller", actor="ann", now=NOW)
    await db.dispose()  # the daemon that raised it stops
    other = db_target.open()
    try:
        hand = await get_hand(other, "ann")
        assert hand is not None
        assert (hand.note, hand.raised_at) == ("angry caller", NOW.timestamp())
        assert await lower_hand(other, "ann", actor="boss", now=NOW) == hand
    finally:
        await other.dispose()
