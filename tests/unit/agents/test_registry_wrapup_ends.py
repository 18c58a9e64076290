"""What ends a wrap-up: the timer or the disposition (a campaign's ``wrap_up_ends``), for queue and direct calls."""

from __future__ import annotations

import pytest
from harness.agents import AGENT_PHONE, agent_event, queue_member

from dialer.agents.registry import AgentError, AgentRegistry, AgentSession, AgentStatus, QueuePauseAction
from dialer.ami.events import AgentComplete, AgentConnect, UserEvent
from dialer.contract import AGENT_COMPLETE_USER_EVENT, AGENT_CONNECT_USER_EVENT


@pytest.fixture
def registry() -> AgentRegistry:
    reg = AgentRegistry(default_wrapup_seconds=30)
    reg.configure_wrapup("sales", 20, until_disposition=True)
    reg.register("alice", AGENT_PHONE)
    reg.login("alice", ["sales"], now=0)
    reg.ready("alice", now=1)
    return reg


def status(registry: AgentRegistry) -> AgentStatus:
    agent = registry.get("alice")
    assert agent is not None
    return agent.status


def queue_call(registry: AgentRegistry, connected: float, ended: float) -> None:
    registry.apply(agent_event(AgentConnect), now=connected)
    registry.apply(agent_event(AgentComplete, reason="caller"), now=ended)


def direct(name: str) -> UserEvent:
    """The dialplan's report of a direct (preview, manual) call to alice's phone."""
    return UserEvent("Local/x-1;1", "u1", "u1", 6, "", "", "", name, (("Agent", AGENT_PHONE), ("Attempt", "7")))


def test_only_the_disposition_ends_a_wrapup_that_needs_one(registry: AgentRegistry) -> None:
    queue_call(registry, connected=10, ended=40)
    agent = registry.get("alice")
    assert agent is not None
    assert (agent.status, agent.wrapup_needs_disposition, agent.wrapup_until) == (AgentStatus.WRAPUP, True, 60)
    assert agent.wrapup_overdue_seconds(59) is None
    assert registry.tick(now=60).changes == ()  # overdue, not over
    assert agent.wrapup_overdue_seconds(75) == 15
    assert registry.tick(now=600).changes == ()
    with pytest.raises(AgentError) as refused:
        registry.ready("alice", now=601)
    assert refused.value.code == "disposition_first"
    assert registry.announce_ready("alice", 0, now=602).changes == ()  # "ready now" is said; the call still needs one
    assert status(registry) is AgentStatus.WRAPUP
    out = registry.finish_wrapup("alice", now=610)
    assert out.actions == (QueuePauseAction(AGENT_PHONE, False, ""),)
    agent = registry.get("alice")
    assert agent is not None
    assert (agent.status, agent.wrapup_needs_disposition, agent.wrapup_until) == (AgentStatus.READY, False, None)


def test_the_timer_still_ends_the_wrapups_of_other_queues(registry: AgentRegistry) -> None:
    registry.configure_wrapup("sales", 20, until_disposition=False)
    queue_call(registry, connected=10, ended=40)
    assert registry.tick(now=59).changes == ()
    agent = registry.get("alice")
    assert agent is not None
    assert agent.wrapup_overdue_seconds(75) is None  # the timer's wrap-up is never overdue
    assert [c.reason for c in registry.tick(now=60).changes] == ["wrapup_timeout"]
    assert status(registry) is AgentStatus.READY


def test_a_change_of_terms_leaves_the_wrapup_under_way_as_it_began(registry: AgentRegistry) -> None:
    queue_call(registry, connected=10, ended=40)
    registry.configure_wrapup("sales", 20, until_disposition=False)
    assert registry.tick(now=100).changes == ()  # began needing a disposition: still does
    assert registry.finish_wrapup("alice", now=101).changes[0].current is AgentStatus.READY
    queue_call(registry, connected=110, ended=120)
    assert [c.reason for c in registry.tick(now=140).changes] == ["wrapup_timeout"]  # the next one: the new terms


def test_a_pause_asked_meanwhile_follows_the_disposition(registry: AgentRegistry) -> None:
    queue_call(registry, connected=10, ended=40)
    registry.pause("alice", "lunch", now=45)
    assert registry.tick(now=100).changes == ()
    registry.finish_wrapup("alice", now=101)
    agent = registry.get("alice")
    assert agent is not None
    assert (agent.status, agent.pause_reason) == (AgentStatus.PAUSED, "lunch")


def test_a_direct_call_wraps_up_as_its_campaign_says(registry: AgentRegistry) -> None:
    registry.reserve_for_preview("alice", now=5, queue="sales")
    registry.apply(direct(AGENT_CONNECT_USER_EVENT), now=10)
    registry.apply(direct(AGENT_COMPLETE_USER_EVENT), now=30)
    agent = registry.get("alice")
    assert agent is not None
    assert (agent.status, agent.wrapup_until, agent.wrapup_needs_disposition) == (AgentStatus.WRAPUP, 50, True)
    assert registry.tick(now=60).changes == ()
    registry.finish_wrapup("alice", now=61)
    # A direct call of no campaign in particular: the default wrap-up, ended by its timer.
    registry.reserve_for_preview("alice", now=70)
    registry.apply(direct(AGENT_CONNECT_USER_EVENT), now=71)
    registry.apply(direct(AGENT_COMPLETE_USER_EVENT), now=80)
    agent = registry.get("alice")
    assert agent is not None
    assert (agent.wrapup_until, agent.wrapup_needs_disposition, agent.direct_queue) == (110, False, None)
    assert [c.reason for c in registry.tick(now=110).changes] == ["wrapup_timeout"]


def test_an_agent_restored_in_wrapup_still_owes_the_disposition() -> None:
    registry = AgentRegistry(default_wrapup_seconds=30)
    registry.configure_wrapup("sales", 20, until_disposition=True)
    session = AgentSession("alice", AGENT_PHONE, "alice", frozenset({"sales"}), False, None, 0.0)
    members = [queue_member("sales", AGENT_PHONE, paused=True, paused_reason="wrapup")]
    registry.restore([session], members, now=100)
    agent = registry.get("alice")
    assert agent is not None
    assert (agent.status, agent.wrapup_needs_disposition) == (AgentStatus.WRAPUP, True)
    assert registry.tick(now=1000).changes == ()
