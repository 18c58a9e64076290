"""Agent sessions (dialer.store.agent_sessions) on SQLite and PostgreSQL: written by their holder, taken over only
once the holder's lease has run out, by exactly one daemon."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from harness.agents import QueuePbx, queue_member

from dialer.agents.registry import AgentRegistry, AgentStatus
from dialer.agents.service import AgentService
from dialer.agents.sessions import SESSION_TTL, AgentSessionKeeper, CampaignQueues
from dialer.clock import ManualClock
from dialer.store import Database, upgrade
from dialer.store.agent_sessions import (
    AgentSessionRecord,
    adopt_sessions,
    agent_sessions,
    delete_sessions,
    orphaned_sessions,
    release_sessions,
    renew_sessions,
    save_sessions,
)

T0 = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
TTL = timedelta(seconds=19)


def sec(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def session(agent: str, *, paused: bool = False, reason: str | None = None) -> AgentSessionRecord:
    return AgentSessionRecord(
        agent_id=agent,
        interface=f"PJSIP/{agent}",
        member_name=agent.title(),
        queues=("sales", "inbound"),
        paused=paused,
        pause_reason=reason,
        since=T0,
    )


@pytest.fixture
async def two(db_target: Any) -> AsyncIterator[tuple[Database, Database]]:
    """Two daemons' engines on one database."""
    first, second = db_target.open(), db_target.open()
    await upgrade(first)
    try:
        yield first, second
    finally:
        await first.dispose()
        await second.dispose()


async def test_save_reads_back_and_a_change_overwrites(two: tuple[Database, Database]) -> None:
    a, _ = two
    assert await save_sessions(
        a, "A", [session("alice"), session("bob", paused=True, reason="lunch")], T0, T0 + TTL
    ) == {
        "alice",
        "bob",
    }
    stored = {s.agent_id: s for s in await agent_sessions(a)}
    bob = stored["bob"]
    assert (bob.paused, bob.pause_reason, bob.queues, bob.since) == (True, "lunch", ("inbound", "sales"), T0)
    assert (bob.owner, bob.expires_at, bob.updated_at) == ("A", sec(19), T0)
    assert bob.since.tzinfo is not None
    await save_sessions(a, "A", [replace(session("bob"), queues=("sales",))], sec(3), sec(3) + TTL)
    bob = {s.agent_id: s for s in await agent_sessions(a)}["bob"]
    assert (bob.paused, bob.pause_reason, bob.queues, bob.updated_at) == (False, None, ("sales",), sec(3))


async def test_another_live_holders_session_is_only_taken_by_a_login(two: tuple[Database, Database]) -> None:
    a, b = two
    await save_sessions(a, "A", [session("alice"), session("bob")], T0, T0 + TTL)
    # B's routine write of an agent A holds is refused...
    assert await save_sessions(b, "B", [session("alice", paused=True, reason="x")], sec(5), sec(5) + TTL) == set()
    # ...but the agent logging in on B moves their session there; A finds out at its next renewal.
    assert await save_sessions(
        b, "B", [session("bob", paused=True, reason="login")], sec(5), sec(5) + TTL, take={"bob"}
    ) == {"bob"}
    assert await renew_sessions(a, "A", sec(6), TTL) == {"alice"}
    owners = {s.agent_id: (s.owner, s.paused) for s in await agent_sessions(a)}
    assert owners == {"alice": ("A", False), "bob": ("B", True)}
    # A's own sessions stay writable; B's deletes never touch them.
    assert await delete_sessions(b, "B", ["alice", "bob"]) == 1
    assert [s.agent_id for s in await agent_sessions(a)] == ["alice"]


async def test_orphans_appear_once_the_lease_runs_out_and_one_daemon_adopts_them(
    two: tuple[Database, Database],
) -> None:
    a, b = two
    await save_sessions(a, "A", [session("alice"), session("bob", paused=True, reason="lunch")], T0, T0 + TTL)
    assert await renew_sessions(a, "A", sec(5), TTL) == {"alice", "bob"}
    assert await orphaned_sessions(b, sec(20)) == []  # renewed until 24 s
    assert await adopt_sessions(b, "B", ["alice", "bob"], sec(20), TTL) == []
    # A dies: nothing renews. Past the expiry its sessions are free.
    orphans = await orphaned_sessions(b, sec(25))
    assert [(o.agent_id, o.owner) for o in orphans] == [("alice", "A"), ("bob", "A")]
    # Two daemons race for them: each session goes to exactly one.
    c = a  # a third daemon (owner C), on the other engine
    got_b, got_c = await asyncio.gather(
        adopt_sessions(b, "B", ["alice", "bob"], sec(25), TTL), adopt_sessions(c, "C", ["alice", "bob"], sec(25), TTL)
    )
    assert sorted(s.agent_id for s in got_b + got_c) == ["alice", "bob"]
    winner, got = ("B", got_b) if got_b else ("C", got_c)
    assert {s.owner for s in got} == {winner}
    bob = next(s for s in got if s.agent_id == "bob")
    assert (bob.paused, bob.pause_reason, bob.since, bob.expires_at) == (True, "lunch", T0, sec(44))
    # The dead daemon, were it to come back, cannot write them any more.
    assert await renew_sessions(a, "A", sec(26), TTL) == set()
    assert await save_sessions(a, "A", [session("alice")], sec(26), sec(26) + TTL) == set()


async def test_release_frees_sessions_at_once_and_own_ones_are_found_after_a_restart(
    two: tuple[Database, Database],
) -> None:
    a, b = two
    await save_sessions(a, "A", [session("alice")], T0, T0 + TTL)
    await save_sessions(b, "B", [session("bob")], T0, T0 + TTL)
    assert await orphaned_sessions(a, sec(1)) == []
    # Restarted with the same owner id: its own sessions come back, however fresh.
    assert [s.agent_id for s in await orphaned_sessions(a, sec(1), owner="A")] == ["alice"]
    assert await release_sessions(a, "A", sec(2)) == 1
    assert [s.agent_id for s in await orphaned_sessions(b, sec(3))] == ["alice"]
    assert [s.owner for s in await adopt_sessions(b, "B", ["alice"], sec(3), TTL)] == ["B"]
    # Adopting what one already holds just renews it.
    assert [s.agent_id for s in await adopt_sessions(b, "B", ["alice", "bob"], sec(4), TTL)] == ["alice", "bob"]
    assert await renew_sessions(b, "B", sec(5), TTL) == {"alice", "bob"}


# ----------------------------------------------------------------------------------- the daemon side: the keeper
def daemon(db: Database, owner: str, pbx: QueuePbx, clock: ManualClock) -> AgentSessionKeeper:
    service = AgentService(AgentRegistry(), pbx, clock.now)  # type: ignore[arg-type]
    service.start()
    return AgentSessionKeeper(db, service, pbx, clock, owner, lambda: CampaignQueues({}, frozenset()))


async def test_the_keeper_writes_hands_over_and_takes_back(two: tuple[Database, Database]) -> None:
    clock, pbx = ManualClock(T0.timestamp()), QueuePbx()
    a, b = daemon(two[0], "A", pbx, clock), daemon(two[1], "B", pbx, clock)
    service_a, service_b = a._service, b._service
    for service in (service_a, service_b):
        service.register("alice", "PJSIP/alice")
    await service_a.login("alice", ["sales"])
    await service_a.pause("alice", "lunch")
    await a.sync(clock.now())
    await a.flush()
    stored = await agent_sessions(two[0])
    assert [(s.agent_id, s.owner, s.paused, s.pause_reason) for s in stored] == [("alice", "A", True, "lunch")]
    assert stored[0].expires_at == T0 + SESSION_TTL  # with A's other sessions, as last renewed

    # alice logs in on B: her session moves there, and A lets her go at its next renewal (without a queue action).
    await service_b.login("alice", ["sales"])
    await b.flush()
    await a.sync(clock.now())
    assert service_a.registry.get("alice") is None
    assert [s.owner for s in await agent_sessions(two[0])] == ["B"]

    # B stops cleanly: a new daemon C takes alice back at its first sync, as Asterisk shows her.
    await b.release()
    c = daemon(two[0], "C", pbx, clock)
    pbx.members = [
        queue_member("sales", "PJSIP/alice", paused=True, paused_reason="login", calls_taken=1, action_id="x")
    ]
    await clock.advance(1.0)
    await c.sync(clock.now())
    alice = c._service.registry.get("alice")
    assert alice is not None
    assert (alice.status, alice.pause_reason, alice.queues) == (AgentStatus.PAUSED, "login", frozenset({"sales"}))
    assert [s.owner for s in await agent_sessions(two[0])] == ["C"]
    # Logging out deletes the session.
    await c._service.logout("alice")
    await c.flush()
    assert await agent_sessions(two[0]) == []
    for service in (service_a, service_b, c._service):
        await service.stop()


async def test_the_agents_server_is_stored_and_adopted_with_the_session(two: tuple[Database, Database]) -> None:
    a, b = two
    await save_sessions(a, "A", [replace(session("carol"), server="west"), session("dave")], T0, T0 + TTL)
    stored = {s.agent_id: s for s in await agent_sessions(b)}
    assert (stored["carol"].server, stored["dave"].server) == ("west", None)
    taken = {s.agent_id: s for s in await adopt_sessions(b, "B", ["carol", "dave"], sec(30), TTL)}
    assert (taken["carol"].server, taken["dave"].server) == ("west", None)


async def test_a_change_of_queues_alone_is_saved_and_restored(two: tuple[Database, Database]) -> None:
    # alice, ready, joins a second queue with no change of state: the keeper's next flush writes her new queues, so
    # the daemon that takes her over after a crash puts her back in the queues she last chose.
    clock, pbx = ManualClock(T0.timestamp()), QueuePbx()
    a = daemon(two[0], "A", pbx, clock)
    a._service.register("alice", "PJSIP/alice")
    await a._service.login("alice", ["sales"])
    await a._service.ready("alice")
    await a.flush()
    await clock.advance(60)
    await a._service.login("alice", ["sales", "inbound"])
    await a.flush()
    (stored,) = await agent_sessions(two[0])
    assert (stored.queues, stored.paused, stored.since) == (("inbound", "sales"), False, T0)
    await a._service.stop()  # A dies without releasing: its lease runs out
    b = daemon(two[1], "B", pbx, clock)
    pbx.members = [
        queue_member(q, "PJSIP/alice", paused=False, calls_taken=0, action_id="x") for q in ("inbound", "sales")
    ]
    await clock.advance(SESSION_TTL.total_seconds() + 1)
    await b.sync(clock.now())
    alice = b._service.registry.get("alice")
    assert alice is not None
    assert (alice.status, alice.queues, alice.since) == (
        AgentStatus.READY,
        frozenset({"inbound", "sales"}),
        T0.timestamp(),
    )
    await b._service.stop()
