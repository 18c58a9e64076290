from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import pytest
from harness.agents import AGENT_PHONE, agent_event, queue_member

from dialer.agents.registry import (
    AgentError,
    AgentRegistry,
    AgentStatus,
    QueueAddAction,
    QueuePauseAction,
    QueueRemoveAction,
    QueuesChange,
)
from dialer.ami.events import (
    AgentCalled,
    AgentComplete,
    AgentConnect,
    AgentRingNoAnswer,
    QueueMember,
    QueueMemberAdded,
    QueueMemberEvent,
    QueueMemberPause,
    QueueMemberRemoved,
)
from dialer.ami.transcript import transcript_events
from dialer.pacing.snapshot import AgentState

PHONE = AGENT_PHONE
M = TypeVar("M", bound=QueueMemberEvent)


def complete(reason: str = "caller") -> AgentComplete:
    return agent_event(AgentComplete, channel="", uniqueid="", linkedid="", reason=reason)


def member(queue: str, *, paused: bool, in_call: bool = False, status: int = 1, location: str = PHONE) -> QueueMember:
    return queue_member(queue, location, paused=paused, in_call=in_call, status=status, action_id="qs-1")


def member_event(cls: type[M], queue: str, *, paused: bool = False, paused_reason: str = "") -> M:
    """A queue member event (added, removed, paused ...) of alice's phone in ``queue``."""
    return cls(
        queue=queue,
        member_name="alice",
        interface=PHONE,
        state_interface=PHONE,
        membership="dynamic",
        penalty=0,
        calls_taken=0,
        in_call=False,
        status=1,
        paused=paused,
        paused_reason=paused_reason,
    )


@pytest.fixture
def registry() -> AgentRegistry:
    reg = AgentRegistry(inbound_queues=frozenset({"inbound-sales"}), default_wrapup_seconds=30)
    reg.register("alice", PHONE)
    return reg


def ready_agent(registry: AgentRegistry, queues: tuple[str, ...] = ("sales",)) -> None:
    registry.login("alice", queues, now=0)
    registry.ready("alice", now=1)


def test_changing_queues_while_signed_in_is_a_queue_change_not_a_state_change(registry: AgentRegistry) -> None:
    ready_agent(registry)
    out = registry.login("alice", ["sales", "inbound-sales"], now=3600)
    assert out.changes == ()  # no state change: the pacer is not woken, the live clocks run on
    assert out.queue_changes == (
        QueuesChange("alice", frozenset({"sales"}), frozenset({"sales", "inbound-sales"}), 3600, "login"),
    )
    assert out.actions == (QueueAddAction("inbound-sales", PHONE, "alice", False, ""),)
    alice = registry.get("alice")
    assert alice is not None
    assert (alice.status, alice.since, alice.queues) == (AgentStatus.READY, 1, frozenset({"sales", "inbound-sales"}))
    # Leaving one while paused: the same, and the pause goes on.
    registry.pause("alice", "lunch", now=3700)
    out = registry.login("alice", ["inbound-sales"], now=3800)
    assert out.changes == ()
    assert out.queue_changes == (
        QueuesChange("alice", frozenset({"sales", "inbound-sales"}), frozenset({"inbound-sales"}), 3800, "login"),
    )
    assert registry.get("alice").since == 3700  # type: ignore[union-attr]
    # The same queues again: nothing changed, nothing said.
    assert registry.login("alice", ["inbound-sales"], now=3900).queue_changes == ()


def test_the_pbx_taking_an_agent_out_of_a_queue_or_into_one_is_a_queue_change(registry: AgentRegistry) -> None:
    ready_agent(registry, ("sales", "inbound-sales"))
    out = registry.apply(member_event(QueueMemberRemoved, "sales"), now=50)
    assert out.changes == ()
    assert out.queue_changes == (
        QueuesChange(
            "alice", frozenset({"sales", "inbound-sales"}), frozenset({"inbound-sales"}), 50, "removed_by_pbx"
        ),
    )
    out = registry.apply(member_event(QueueMemberAdded, "sales"), now=60)
    assert [(c.current, c.at, c.reason) for c in out.queue_changes] == [
        (frozenset({"sales", "inbound-sales"}), 60, "added_by_pbx")
    ]
    assert registry.get("alice").since == 1  # type: ignore[union-attr]


def test_login_joins_paused_and_ready_unpauses(registry: AgentRegistry) -> None:
    out = registry.login("alice", ["sales", "inbound-sales"], now=0)
    assert out.actions == (
        QueueAddAction("inbound-sales", PHONE, "alice", True, "login"),
        QueueAddAction("sales", PHONE, "alice", True, "login"),
    )
    assert registry.get("alice").status == AgentStatus.PAUSED  # type: ignore[union-attr]
    out = registry.ready("alice", now=5)
    assert out.actions == (QueuePauseAction(PHONE, False, ""),)
    assert out.changes[0].became_available
    view = registry.pacing_view("sales", now=7)
    assert [(v.state, v.seconds_in_state, v.blended) for v in view] == [(AgentState.READY, 2, True)]


def test_call_lifecycle_wrapup_then_ready_on_disposition(registry: AgentRegistry) -> None:
    ready_agent(registry)
    registry.apply(agent_event(AgentCalled), now=10)
    assert registry.get("alice").status == AgentStatus.RINGING  # type: ignore[union-attr]
    registry.apply(agent_event(AgentConnect), now=10.3)
    agent = registry.get("alice")
    assert agent is not None
    assert (agent.status, agent.call_linkedid, agent.calls_taken) == (AgentStatus.TALKING, "dialer-a1", 1)
    assert registry.agent_on_call("dialer-a1") == agent
    out = registry.apply(complete(), now=70)
    assert out.actions == (QueuePauseAction(PHONE, True, "wrapup"),)
    agent = registry.get("alice")
    assert agent is not None
    assert (agent.status, agent.wrapup_until, agent.call_linkedid) == (AgentStatus.WRAPUP, 100, None)
    assert not agent.available
    assert registry.pacing_view("sales", now=75)[0].state == AgentState.WRAPUP
    out = registry.finish_wrapup("alice", now=80)
    assert out.actions == (QueuePauseAction(PHONE, False, ""),)
    assert registry.get("alice").status == AgentStatus.READY  # type: ignore[union-attr]


def test_wrapup_timer_runs_out(registry: AgentRegistry) -> None:
    ready_agent(registry)
    registry.apply(agent_event(AgentConnect), now=10)
    registry.apply(complete(), now=20)
    assert registry.tick(now=49).changes == ()
    out = registry.tick(now=50)
    assert [c.reason for c in out.changes] == ["wrapup_timeout"]
    assert registry.get("alice").status == AgentStatus.READY  # type: ignore[union-attr]


def test_ready_in_n_seconds_brings_the_wrapup_forward_and_tells_the_pacer(registry: AgentRegistry) -> None:
    ready_agent(registry)
    registry.apply(agent_event(AgentConnect), now=10)
    registry.pause("alice", "lunch", now=11)
    registry.apply(complete(), now=20)  # wrap-up until 50
    assert registry.pacing_view("sales", now=22)[0].ready_in_seconds is None  # not announced: the pacer estimates
    with pytest.raises(AgentError) as refused:
        registry.announce_ready("alice", 400, now=22)
    assert refused.value.code == "bad_seconds"
    assert registry.announce_ready("alice", 10, now=22).changes == ()
    agent = registry.get("alice")
    assert agent is not None
    assert (agent.status, agent.wrapup_until, agent.pending_pause) == (AgentStatus.WRAPUP, 32, None)
    assert agent.announced_ready_at == 32  # kept past the wrap-up: the runner learns how late agents are against it
    view = registry.pacing_view("sales", now=25)[0]
    assert (view.state, view.ready_in_seconds) == (AgentState.WRAPUP, 7)
    registry.announce_ready("alice", 60, now=26)  # never pushed back past the announced time
    assert registry.get("alice").wrapup_until == 32  # type: ignore[union-attr]
    out = registry.tick(now=32)
    assert [c.reason for c in out.changes] == ["ready_announced"]  # the history tells announced wrap-ups apart
    assert out.actions == (QueuePauseAction(PHONE, False, ""),)  # ready, as announced (the pause was dropped)
    assert (registry.get("alice").ready_announced, registry.get("alice").announced_ready_at) == (True, 32)  # type: ignore[union-attr]
    registry.apply(agent_event(AgentConnect), now=40)
    registry.apply(complete(), now=50)
    assert registry.pacing_view("sales", now=51)[0].ready_in_seconds is None  # a new wrap-up: not announced
    out = registry.announce_ready("alice", 0, now=52)
    assert [c.reason for c in out.changes] == ["ready_announced"]
    with pytest.raises(AgentError) as refused:
        registry.announce_ready("alice", 5, now=53)
    assert refused.value.code == "not_in_wrapup"


def test_pause_during_call_applies_after_wrapup(registry: AgentRegistry) -> None:
    ready_agent(registry)
    registry.apply(agent_event(AgentConnect), now=10)
    assert registry.pause("alice", "lunch", now=11).actions == ()
    registry.apply(complete(), now=20)
    out = registry.finish_wrapup("alice", now=25)
    assert out.actions == (QueuePauseAction(PHONE, True, "lunch"),)
    agent = registry.get("alice")
    assert agent is not None
    assert (agent.status, agent.pause_reason) == (AgentStatus.PAUSED, "lunch")


def test_domain_errors_come_before_side_effects(registry: AgentRegistry) -> None:
    with pytest.raises(AgentError, match="not logged in"):
        registry.ready("alice", now=0)
    with pytest.raises(AgentError, match="no agent"):
        registry.login("bob", ["sales"], now=0)
    ready_agent(registry)
    registry.apply(agent_event(AgentConnect), now=10)
    with pytest.raises(AgentError) as err:
        registry.logout("alice", now=11)
    assert err.value.code == "on_call"
    with pytest.raises(AgentError):
        registry.pause("alice", "wrapup", now=11)
    with pytest.raises(AgentError, match="already belongs"):
        registry.register("carol", PHONE)


def test_ring_no_answer_takes_a_broken_phone_out_of_rotation(registry: AgentRegistry) -> None:
    ready_agent(registry)
    registry.apply(agent_event(AgentCalled), now=10)
    out = registry.apply(agent_event(AgentRingNoAnswer), now=25)
    assert out.actions == (QueuePauseAction(PHONE, True, "no_answer"),)
    assert registry.get("alice").status == AgentStatus.PAUSED  # type: ignore[union-attr]


def test_stale_pause_echo_is_corrected_not_adopted(registry: AgentRegistry) -> None:
    ready_agent(registry)  # the login pause's echo arrives after the agent went ready
    echo = member_event(QueueMemberPause, "sales", paused=True, paused_reason="login")
    out = registry.apply(echo, now=2)
    assert registry.get("alice").status == AgentStatus.READY  # type: ignore[union-attr]
    assert out.actions == (QueuePauseAction(PHONE, False, ""),)


def test_reconcile_repairs_membership_pause_and_lost_calls(registry: AgentRegistry) -> None:
    ready_agent(registry, ("sales", "inbound-sales"))
    registry.apply(agent_event(AgentConnect), now=10)
    # After a reconnect: the PBX lost the inbound membership, has alice paused in sales, and her call is over.
    out = registry.reconcile([member("sales", paused=True), member("other", paused=False)], now=100)
    assert QueueAddAction("inbound-sales", PHONE, "alice", False, "") in out.actions
    assert QueueRemoveAction("other", PHONE) in out.actions
    assert QueuePauseAction(PHONE, False, "", "sales") in out.actions
    assert registry.get("alice").status == AgentStatus.WRAPUP  # type: ignore[union-attr]
    assert any("call ended unseen" in c for c in out.corrections)
    # A consistent PBX needs nothing.
    registry.finish_wrapup("alice", now=101)
    quiet = registry.reconcile([member("sales", paused=False), member("inbound-sales", paused=False)], now=102)
    assert quiet.actions == ()
    assert quiet.corrections == ()


def test_reconcile_sees_a_call_we_missed(registry: AgentRegistry) -> None:
    ready_agent(registry)
    registry.reconcile([member("sales", paused=False, in_call=True, status=2)], now=5)
    assert registry.get("alice").status == AgentStatus.TALKING  # type: ignore[union-attr]


def test_follows_the_recorded_queue_member_trace(traces_dir: Path) -> None:
    reg = AgentRegistry()
    reg.register("agent9", "Local/agent9@sim-agents", "Agent 9")
    reg.login("agent9", ["inbound-sales"], now=0)
    reg.ready("agent9", now=0)
    events = [event for _at, event in transcript_events(traces_dir / "queue-add-pause-remove.txt")]
    kinds = [type(e).__name__ for e in events]
    assert "QueueMemberAdded" in kinds
    assert "QueueMemberRemoved" in kinds
    for event in events:
        reg.apply(event, now=1)
    # The recording ends with the member removed from its only queue: the agent is logged out.
    assert reg.get("agent9").status == AgentStatus.LOGGED_OUT  # type: ignore[union-attr]


def test_follows_the_recorded_answered_call(traces_dir: Path) -> None:
    reg = AgentRegistry(default_wrapup_seconds=10)
    for n in (1, 2, 3):
        reg.register(f"agent{n}", f"Local/agent{n}@sim-agents")
        reg.login(f"agent{n}", ["outbound-agents"], now=0)
        reg.ready(f"agent{n}", now=0)
    statuses: set[AgentStatus] = set()
    for _at, event in transcript_events(traces_dir / "originate-answer.txt"):
        reg.apply(event, now=5)
        statuses.update(a.status for a in reg.agents())
    assert {AgentStatus.RINGING, AgentStatus.TALKING, AgentStatus.WRAPUP} <= statuses
    assert sum(a.calls_taken for a in reg.agents()) == 1
