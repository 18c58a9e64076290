"""An agent's "ready in N s" belongs to the wrap-up it was said in: the next wrap-up starts without one."""

from __future__ import annotations

import pytest
from harness.agents import AGENT_PHONE, agent_event

from dialer.agents.ready import MAX_READY_ANNOUNCEMENT_SECONDS, WRAPUP_ENDED_ANNOUNCED
from dialer.agents.registry import AgentError, AgentRegistry, AgentStatus
from dialer.ami.events import AgentComplete, AgentConnect


def complete() -> AgentComplete:
    return agent_event(AgentComplete, channel="", uniqueid="", linkedid="", reason="caller")


@pytest.fixture
def registry() -> AgentRegistry:
    reg = AgentRegistry(inbound_queues=frozenset(), default_wrapup_seconds=30)
    reg.register("alice", AGENT_PHONE)
    reg.login("alice", ["sales"], now=0)
    reg.ready("alice", now=1)
    return reg


def test_a_new_wrapup_starts_without_the_last_ones_announcement(registry: AgentRegistry) -> None:
    registry.apply(agent_event(AgentConnect), now=10)
    registry.apply(complete(), now=20)
    registry.announce_ready("alice", 12, now=22)
    agent = registry.get("alice")
    assert agent is not None
    assert (agent.ready_announced, agent.announced_ready_at) == (True, 34)
    registry.tick(now=34)
    agent = registry.get("alice")
    assert agent is not None
    # Kept past the wrap-up's end: the runner reads it when the agent leaves wrap-up.
    assert (agent.status, agent.ready_announced, agent.announced_ready_at) == (AgentStatus.READY, True, 34)
    registry.apply(agent_event(AgentConnect), now=40)
    registry.apply(complete(), now=50)
    agent = registry.get("alice")
    assert agent is not None
    assert agent.status is AgentStatus.WRAPUP
    assert (agent.ready_announced, agent.announced_ready_at) == (False, None)  # not the last wrap-up's time
    assert registry.pacing_view("sales", now=51)[0].ready_in_seconds is None


def test_an_announcement_is_refused_outside_its_range_and_changes_nothing(registry: AgentRegistry) -> None:
    registry.apply(agent_event(AgentConnect), now=10)
    registry.apply(complete(), now=20)
    before = registry.get("alice")
    for seconds in (-1.0, MAX_READY_ANNOUNCEMENT_SECONDS + 1.0):
        with pytest.raises(AgentError) as refused:
            registry.announce_ready("alice", seconds, now=22)
        assert refused.value.code == "bad_seconds"
    assert registry.get("alice") == before


def test_the_history_says_which_wrapups_were_announced_however_they_ended(registry: AgentRegistry) -> None:
    registry.apply(agent_event(AgentConnect), now=10)
    registry.apply(complete(), now=20)
    assert [c.reason for c in registry.finish_wrapup("alice", now=25).changes] == ["disposition"]  # not announced
    registry.apply(agent_event(AgentConnect), now=30)
    registry.apply(complete(), now=40)
    registry.announce_ready("alice", 20, now=41)
    # Dispositioned before the announced time: still an announced wrap-up.
    assert [c.reason for c in registry.finish_wrapup("alice", now=45).changes] == [WRAPUP_ENDED_ANNOUNCED]
    registry.apply(agent_event(AgentConnect), now=50)
    registry.apply(complete(), now=60)
    assert [c.reason for c in registry.tick(now=90).changes] == ["wrapup_timeout"]  # the timer, not announced
