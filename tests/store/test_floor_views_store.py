"""The floor as each daemon publishes it (dialer.store.floor), on SQLite and PostgreSQL: a view published reads back
as it was written (agents as the daemon knew them, campaigns, when); confirmed, it stays fresh; silent for longer than
VIEW_FRESH_SECONDS it is stale; published again it replaces the last; a clean stop removes it; long-silent views are
purged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from harness.databases import DbSpec
from sqlalchemy import update

from dialer.agents.registry import Agent, AgentStatus
from dialer.store import Database
from dialer.store.floor import (
    VIEW_FRESH_SECONDS,
    agent_facts,
    delete_views_before,
    floor_views,
    floor_views_t,
    may_be_connected,
    publish_view,
    remove_view,
    touch_view,
)

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
ANN = Agent(
    agent_id="ann",
    interface="PJSIP/1001",
    member_name="Ann",
    queues=frozenset({"sales", "outbound"}),
    status=AgentStatus.PAUSED,
    since=NOW.timestamp() - 90,
    pause_reason="lunch",
    calls_taken=7,
    server="pbx-2",
)
BOB = Agent(
    agent_id="bob",
    interface="PJSIP/1002",
    member_name="bob",
    queues=frozenset({"sales"}),
    status=AgentStatus.WRAPUP,
    since=NOW.timestamp() - 5,
    wrapup_until=NOW.timestamp() + 10,
    wrapup_needs_disposition=True,
)
DEMO = {"campaign": "demo", "queue": "outbound", "state": "running", "agents_by_state": {"paused": 1}}


async def test_a_view_reads_back_stays_fresh_while_confirmed_and_goes(db: Database) -> None:
    await publish_view(db, "daemon-b", [agent_facts(ANN, {"talking": 61.5, "ready": 12.0})], [DEMO], NOW)
    (view,) = await floor_views(db)
    assert (view.node, view.changed_at, view.seen_at, view.campaigns) == ("daemon-b", NOW, NOW, (DEMO,))
    (ann,) = view.agents
    assert ann.agent == ANN
    assert dict(ann.spent) == {"talking": 61.5, "ready": 12.0}
    assert view.fresh(NOW + timedelta(seconds=VIEW_FRESH_SECONDS))
    assert not view.fresh(NOW + timedelta(seconds=VIEW_FRESH_SECONDS + 1))

    # Confirmed unchanged: fresh again, changed_at kept.
    later = NOW + timedelta(seconds=20)
    assert await touch_view(db, "daemon-b", later)
    (view,) = await floor_views(db)
    assert (view.changed_at, view.seen_at) == (NOW, later)
    assert view.fresh(later + timedelta(seconds=2))

    # Published again: replaced whole (ann left, bob came), one row per daemon.
    again = later + timedelta(seconds=2)
    await publish_view(db, "daemon-b", [agent_facts(BOB, {})], [], again)
    await publish_view(db, "daemon-a", [], [DEMO], again)
    views = {v.node: v for v in await floor_views(db)}
    assert sorted(views) == ["daemon-a", "daemon-b"]
    assert [p.agent for p in views["daemon-b"].agents] == [BOB]
    assert (views["daemon-b"].changed_at, views["daemon-b"].campaigns) == (again, ())
    assert views["daemon-b"].agents[0].agent.wrapup_overdue_seconds(NOW.timestamp() + 11) == 1.0

    # A clean stop removes the view; there is nothing left to confirm.
    await remove_view(db, "daemon-b")
    assert [v.node for v in await floor_views(db)] == ["daemon-a"]
    assert not await touch_view(db, "daemon-b", again)

    # Views silent since before the cutoff are forgotten; the others stay.
    await publish_view(db, "daemon-c", [], [], again + timedelta(hours=2))
    assert await delete_views_before(db, again + timedelta(hours=1)) == 1
    assert [v.node for v in await floor_views(db)] == ["daemon-c"]


async def test_another_connection_sees_the_view(db: Database, db_target: DbSpec) -> None:
    """Another daemon (its own connection to the database) reads what this one published."""
    await publish_view(db, "daemon-b", [agent_facts(ANN, {})], [DEMO], NOW)
    other = db_target.open()
    try:
        (view,) = await floor_views(other)
    finally:
        await other.dispose()
    assert (view.node, [p.agent.agent_id for p in view.agents]) == ("daemon-b", ["ann"])


async def test_who_may_be_connected_to_a_server(db: Database) -> None:
    """A server a fresh view says its daemon is connected to, or any server while a fresh view does not say (an
    older daemon's): someone may be connected. A stale view's servers count for nothing."""
    await publish_view(db, "a", [], [], NOW, ["pbx1"])
    assert (await floor_views(db))[0].servers == frozenset({"pbx1"})
    assert await may_be_connected(db, "pbx1", NOW)
    assert not await may_be_connected(db, "pbx2", NOW)
    assert not await may_be_connected(db, "pbx1", NOW + timedelta(seconds=VIEW_FRESH_SECONDS + 1))
    await publish_view(db, "old", [], [], NOW)
    async with db.write() as conn:  # as a daemon from before migration 0038 writes it: no servers
        await conn.execute(update(floor_views_t).where(floor_views_t.c.node == "old").values(servers=None))
    assert (await floor_views(db))[1].servers is None
    assert await may_be_connected(db, "pbx2", NOW)
