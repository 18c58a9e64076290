"""Agents on several Asterisk servers: each agent's phone is a queue member on its own server only."""

from __future__ import annotations

import pytest
from harness.agents import QueuePbx, agent_event, queue_member

from dialer.agents.registry import AgentError, AgentRegistry, AgentSession, AgentStatus, QueueAddAction
from dialer.agents.service import AgentService
from dialer.agents.sessions import from_record, session_of, to_record
from dialer.ami.events import AgentConnect
from dialer.settings import AmiServerSettings, SettingsError, load_settings, server_of_interface

SERVERS = [
    AmiServerSettings(name="east", agent_interfaces=["PJSIP/1*"]),
    AmiServerSettings(name="west", agent_interfaces=["pjsip/2*", "Local/*@west-agents"]),
]


def locate(interface: str) -> str:
    return server_of_interface(SERVERS, interface)


def test_a_phone_belongs_to_the_first_server_whose_patterns_match() -> None:
    assert locate("PJSIP/1001") == "east"
    assert locate("PJSIP/2001") == "west"
    assert locate("Local/agent7@west-agents") == "west"
    assert locate("SIP/9000") == "east"  # no pattern matches: the first server


def test_server_names_must_be_distinct() -> None:
    with pytest.raises(SettingsError, match="distinct"):
        load_settings(ami=[{"name": "pbx"}, {"name": "pbx", "port": 5040}])


def two_server_registry() -> AgentRegistry:
    reg = AgentRegistry(locate=locate)
    reg.register("alice", "PJSIP/1001")
    reg.register("bob", "PJSIP/2001")
    for agent in ("alice", "bob"):
        reg.login(agent, ["sales"], 0.0)
        reg.ready(agent, 0.0)
    return reg


def test_pacing_sees_the_agents_of_one_server() -> None:
    reg = two_server_registry()
    assert reg.get("alice").server == "east"  # type: ignore[union-attr]
    assert reg.get("bob").server == "west"  # type: ignore[union-attr]
    assert len(reg.pacing_view("sales", 1.0)) == 2
    assert len(reg.pacing_view("sales", 1.0, "east")) == 1
    assert [a.agent_id for a in reg.in_queue("sales", "west")] == ["bob"]


def test_one_servers_listing_leaves_the_other_servers_agents_alone() -> None:
    reg = two_server_registry()
    # east lists alice only: bob is not missing there (he is a member on west), nothing is re-added for him.
    out = reg.reconcile([queue_member("sales", "PJSIP/1001", action_id="qs-1")], 2.0, "east")
    assert not [a for a in out.actions if isinstance(a, QueueAddAction)], out
    assert out.corrections == ()
    # west lists nobody: bob is re-added (on west), alice is left alone.
    out = reg.reconcile([], 2.0, "west")
    assert [(a.queue, a.interface) for a in out.actions if isinstance(a, QueueAddAction)] == [("sales", "PJSIP/2001")]


def test_events_of_another_server_do_not_move_an_agent() -> None:
    reg = two_server_registry()
    reg.apply(agent_event(AgentConnect, interface="PJSIP/2001"), 3.0, "east")
    assert reg.get("bob").status is AgentStatus.READY  # type: ignore[union-attr]
    reg.apply(agent_event(AgentConnect, interface="PJSIP/2001"), 3.0, "west")
    assert reg.get("bob").status is AgentStatus.TALKING  # type: ignore[union-attr]


def test_a_logged_in_agent_cannot_move_to_another_server() -> None:
    reg = two_server_registry()
    with pytest.raises(AgentError):
        reg.register("alice", "PJSIP/1001", server="west")


async def test_queue_actions_go_to_the_agents_own_server() -> None:
    east, west = QueuePbx(), QueuePbx()
    service = AgentService(AgentRegistry(locate=locate), east, lambda: 0.0, {"east": east, "west": west})
    service.start()
    try:
        service.register("alice", "PJSIP/1001")
        service.register("bob", "PJSIP/2001")
        service.register("carol", "PJSIP/1002", server="west")  # explicit server over the patterns
        for agent in ("alice", "bob", "carol"):
            await service.login(agent, ["sales"])
        assert {a[2] for a in east.sent if a[0] == "add"} == {"PJSIP/1001"}
        assert {a[2] for a in west.sent if a[0] == "add"} == {"PJSIP/2001", "PJSIP/1002"}
        with pytest.raises(AgentError, match="no Asterisk server"):
            service.register("dave", "PJSIP/1003", server="north")
    finally:
        await service.stop()


async def test_a_membership_on_the_wrong_server_is_removed_there() -> None:
    east, west = QueuePbx(), QueuePbx()
    service = AgentService(two_server_registry(), east, lambda: 0.0, {"east": east, "west": west})
    service.start()
    try:
        # An older version added every agent on the first server: bob (west) is still a member on east.
        out = service.reconcile(
            [
                queue_member("sales", "PJSIP/1001", action_id="qs-1"),
                queue_member("sales", "PJSIP/2001", action_id="qs-1"),
            ],
            "east",
        )
        await service.flush()
        assert ("remove", "sales", "PJSIP/2001") in east.sent
        assert not [a for a in west.sent if a[0] == "remove"]
        assert any("bob is on server west" in c for c in out.corrections)
    finally:
        await service.stop()


async def test_an_explicit_server_outlives_a_restart() -> None:
    """carol's phone matches east's patterns but she registered on west: her stored session says west, and the
    next daemon restores her there (the patterns would put her on east, where she is no queue member)."""
    east, west = QueuePbx(), QueuePbx()
    before = AgentService(AgentRegistry(locate=locate), east, lambda: 0.0, {"east": east, "west": west})
    before.register("carol", "PJSIP/1002", server="west")
    before.registry.login("carol", ["sales"], 0.0)
    carol = before.registry.get("carol")
    assert carol is not None
    stored = session_of(carol, None, 1.0)
    assert stored is not None
    assert stored.server == "west"
    record = to_record(stored)
    assert record.server == "west"
    assert from_record(record) == stored

    after = AgentService(AgentRegistry(locate=locate), east, lambda: 5.0, {"east": east, "west": west})
    after.start()
    try:
        after.stage_restore([from_record(record)])
        after.reconcile([], "east")  # east's listing says nothing about carol
        assert after.registry.get("carol") is None
        assert set(after.restoring) == {"carol"}
        after.reconcile([queue_member("sales", "PJSIP/1002", paused=True, action_id="qs-1")], "west")
        restored = after.registry.get("carol")
        assert restored is not None
        assert restored.server == "west"
        assert restored.logged_in
        await after.flush()
        assert not [a for a in east.sent if a[0] == "add"]  # nothing re-added on the wrong server
    finally:
        await after.stop()


def test_a_stored_server_no_longer_configured_falls_back_to_the_patterns() -> None:
    service = AgentService(AgentRegistry(locate=locate), QueuePbx(), lambda: 5.0, {"east": QueuePbx()})
    service.stage_restore(
        [AgentSession("carol", "PJSIP/1002", "carol", frozenset({"sales"}), True, "login", 1.0, server="west")]
    )
    service.reconcile([queue_member("sales", "PJSIP/1002", paused=True, action_id="qs-1")], "east")
    restored = service.registry.get("carol")
    assert restored is not None
    assert restored.server == "east"
