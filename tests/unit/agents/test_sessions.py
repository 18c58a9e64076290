"""Agent sessions, the pure part: what is kept of an agent, and how the registry takes them back."""

from __future__ import annotations

import pytest
from harness.agents import AGENT_PHONE, QueuePbx, agent_event, queue_member

from dialer.agents.registry import (
    AgentRegistry,
    AgentSession,
    AgentStatus,
    QueueAddAction,
    QueuePauseAction,
)
from dialer.agents.service import AgentService
from dialer.agents.sessions import adoptable, from_record, session_of, to_record
from dialer.ami.events import AgentComplete, AgentConnect, QueueMember

PHONE = AGENT_PHONE


def session(*, paused: bool = False, reason: str | None = None, queues: tuple[str, ...] = ("sales",)) -> AgentSession:
    return AgentSession("alice", PHONE, "Alice", frozenset(queues), paused, reason, since=100.0)


def member(
    queue: str = "sales", *, paused: bool = False, reason: str = "", in_call: bool = False, location: str = PHONE
) -> QueueMember:
    return queue_member(
        queue,
        location,
        name="Alice",
        paused=paused,
        paused_reason=reason,
        in_call=in_call,
        status=2 if in_call else 1,
        calls_taken=3,
    )


# The call the sessions tests put through alice's phone.
CALL: dict[str, object] = dict(
    channel="", uniqueid="c1", linkedid="c1", dest_channel="", dest_uniqueid="", member_name="Alice"
)


def connect() -> AgentConnect:
    return agent_event(AgentConnect, **CALL)


def complete() -> AgentComplete:
    return agent_event(AgentComplete, **CALL)


def registry() -> AgentRegistry:
    return AgentRegistry(default_wrapup_seconds=30, wrapup_seconds_by_queue={"sales": 20.0})


# ------------------------------------------------------------------------------------------------- session_of
def test_the_session_follows_intent_not_calls() -> None:
    reg = registry()
    reg.register("alice", PHONE, "Alice")
    assert session_of(reg.get("alice"), None, 0) is None  # type: ignore[arg-type]
    reg.login("alice", ["sales"], now=10)
    logged = session_of(reg.get("alice"), None, 10)  # type: ignore[arg-type]
    assert logged == AgentSession("alice", PHONE, "Alice", frozenset({"sales"}), True, "login", 10)
    reg.ready("alice", now=12)
    ready = session_of(reg.get("alice"), logged, 12)  # type: ignore[arg-type]
    assert (ready.paused, ready.pause_reason, ready.since) == (False, None, 12)  # type: ignore[union-attr]
    # A call and its wrap-up change nothing worth writing: the same session comes back.
    reg.apply(connect(), now=20)
    assert session_of(reg.get("alice"), ready, 20) is ready  # type: ignore[arg-type]
    # A pause asked during the call is the intent once it is over.
    reg.pause("alice", "lunch", now=21)
    lunch = session_of(reg.get("alice"), ready, 21)  # type: ignore[arg-type]
    assert (lunch.paused, lunch.pause_reason, lunch.since) == (True, "lunch", 21)  # type: ignore[union-attr]
    reg.apply(complete(), now=80)
    assert reg.get("alice").status is AgentStatus.WRAPUP  # type: ignore[union-attr]
    assert session_of(reg.get("alice"), lunch, 80) is lunch  # type: ignore[arg-type]
    reg.logout("alice", now=90)
    assert session_of(reg.get("alice"), lunch, 90) is None  # type: ignore[arg-type]


def test_records_round_trip() -> None:
    s = session(paused=True, reason="lunch", queues=("sales", "inbound"))
    record = to_record(s)
    assert record.queues == ("inbound", "sales")
    assert from_record(record) == s


@pytest.mark.parametrize(
    ("queues", "mine", "theirs", "expected"),
    [
        ({"sales"}, {"sales"}, set(), True),  # its campaign runs here
        ({"sales"}, set(), {"sales"}, False),  # another live daemon runs it: the agents go there
        ({"sales", "inbound"}, {"sales"}, {"other"}, True),
        ({"inbound"}, set(), {"sales"}, True),  # no running campaign of theirs: whoever asks first
        ({"sales"}, set(), set(), True),  # a stopped campaign
    ],
)
def test_who_adopts_an_orphaned_session(queues: set[str], mine: set[str], theirs: set[str], expected: bool) -> None:
    assert adoptable(queues, mine, theirs) is expected


# -------------------------------------------------------------------------------------------------- restore
def test_restore_ready_and_paused_agents_keep_their_state_and_since() -> None:
    reg = registry()
    out = reg.restore([session(paused=True, reason="lunch")], [member(paused=True, reason="lunch")], now=500)
    agent = reg.get("alice")
    assert agent is not None
    assert (agent.status, agent.pause_reason, agent.since, agent.queues) == (
        AgentStatus.PAUSED,
        "lunch",
        100.0,
        frozenset({"sales"}),
    )
    assert [(c.previous, c.current, c.reason) for c in out.changes] == [
        (AgentStatus.LOGGED_OUT, AgentStatus.PAUSED, "restored")
    ]
    assert out.actions == ()
    assert reg.by_interface(PHONE) is agent
    # Already consistent with the PBX: the reconcile that follows has nothing to do.
    assert reg.reconcile([member(paused=True, reason="lunch")], now=500).actions == ()

    reg2 = registry()
    reg2.restore([session()], [member()], now=500)
    assert reg2.get("alice").status is AgentStatus.READY  # type: ignore[union-attr]
    assert reg2.get("alice").available  # type: ignore[union-attr]


def test_restore_sees_calls_and_wrapup_from_the_pbx() -> None:
    reg = registry()
    reg.restore([session(paused=True, reason="lunch")], [member(in_call=True)], now=500)
    agent = reg.get("alice")
    assert agent is not None
    assert (agent.status, agent.pending_pause, agent.since) == (AgentStatus.TALKING, "lunch", 500)
    assert agent.call_queue is None  # not learnt from: when the call began is unknown
    # Its end comes from Asterisk as usual: wrap-up, then the stored pause.
    reg.apply(complete(), now=560)
    assert reg.get("alice").status is AgentStatus.WRAPUP  # type: ignore[union-attr]
    reg.finish_wrapup("alice", now=570)
    assert (reg.get("alice").status, reg.get("alice").pause_reason) == (AgentStatus.PAUSED, "lunch")  # type: ignore[union-attr]

    reg = registry()
    reg.restore([session()], [member(paused=True, reason="wrapup")], now=500)
    agent = reg.get("alice")
    assert agent is not None
    assert (agent.status, agent.wrapup_until) == (AgentStatus.WRAPUP, 520)  # the campaign's wrap-up, afresh
    assert reg.tick(now=520).actions == (QueuePauseAction(PHONE, False, ""),)
    assert reg.get("alice").status is AgentStatus.READY  # type: ignore[union-attr]


def test_restore_after_an_asterisk_restart_re_adds_the_member_with_its_pause() -> None:
    reg = registry()
    reg.restore([session(paused=True, reason="training", queues=("sales", "inbound"))], [], now=500)
    out = reg.reconcile([], now=500)
    assert set(out.actions) == {
        QueueAddAction("inbound", PHONE, "Alice", True, "training"),
        QueueAddAction("sales", PHONE, "Alice", True, "training"),
    }


def test_restore_leaves_an_agent_logged_in_here_and_a_taken_interface_alone() -> None:
    reg = registry()
    reg.register("alice", PHONE, "Alice")
    reg.login("alice", ["other"], now=400)
    assert reg.restore([session()], [member()], now=500).changes == ()
    assert reg.get("alice").queues == frozenset({"other"})  # type: ignore[union-attr]

    reg = registry()
    reg.register("bob", PHONE)
    out = reg.restore([session()], [member()], now=500)
    assert out.changes == ()
    assert reg.get("alice") is None
    assert "already belongs" in out.corrections[0]


def test_forget_drops_an_agent_without_touching_the_pbx() -> None:
    reg = registry()
    reg.restore([session()], [member()], now=500)
    assert reg.forget("alice") is not None
    assert reg.get("alice") is None
    assert reg.by_interface(PHONE) is None
    assert reg.reconcile([member()], now=501).actions == ()  # not ours any more: left as it is
    assert reg.forget("alice") is None


async def test_the_service_restores_staged_agents_with_the_next_queue_status() -> None:
    service = AgentService(registry(), QueuePbx(), clock=lambda: 500.0)
    service.start()
    seen: list[tuple[str, AgentStatus]] = []
    service.add_listener(lambda change, agent: seen.append((change.reason, change.current)))
    service.stage_restore([session(paused=True, reason="lunch")])
    assert set(service.restoring) == {"alice"}
    assert service.registry.get("alice") is None
    service.reconcile([member(paused=True, reason="lunch")])
    assert service.restoring == set()
    assert seen == [("restored", AgentStatus.PAUSED)]
    assert (await service.ready("alice")).status is AgentStatus.READY
    service.forget("alice")
    assert service.registry.get("alice") is None
    await service.stop()
