from __future__ import annotations

import pytest
from harness.agents import QueuePbx

from dialer.agents.registry import AgentChange, AgentRegistry, AgentStatus, QueuesChange
from dialer.agents.service import AgentService


@pytest.fixture
async def service() -> AgentService:
    svc = AgentService(AgentRegistry(), QueuePbx(), clock=lambda: 0.0)
    svc.start()
    svc.register("alice", "PJSIP/1001")
    return svc


async def test_commands_send_their_actions_in_order(service: AgentService) -> None:
    pbx = service._control
    assert isinstance(pbx, QueuePbx)
    changes: list[AgentChange] = []
    service.add_listener(lambda change, agent: changes.append(change))
    agent = await service.login("alice", ["sales"])
    assert agent.status == AgentStatus.PAUSED
    await service.ready("alice")
    await service.pause("alice", "lunch")
    await service.logout("alice")
    assert pbx.sent == [
        ("add", "sales", "PJSIP/1001", True),
        ("pause", "PJSIP/1001", True, "sales", "login"),
        ("pause", "PJSIP/1001", False, None, ""),
        ("pause", "PJSIP/1001", True, None, "lunch"),
        ("remove", "sales", "PJSIP/1001"),
    ]
    assert [c.current for c in changes] == [
        AgentStatus.PAUSED,
        AgentStatus.READY,
        AgentStatus.PAUSED,
        AgentStatus.LOGGED_OUT,
    ]
    await service.stop()


async def test_a_change_of_queues_goes_to_the_queues_listeners_only(service: AgentService) -> None:
    changes: list[AgentChange] = []
    moves: list[tuple[QueuesChange, frozenset[str] | None]] = []
    service.add_listener(lambda change, agent: changes.append(change))
    service.add_queues_listener(lambda moved, agent: moves.append((moved, agent.queues if agent else None)))
    await service.login("alice", ["sales"])
    await service.ready("alice")
    await service.login("alice", ["sales", "inbound"])
    assert [c.current for c in changes] == [AgentStatus.PAUSED, AgentStatus.READY]
    both = frozenset({"sales", "inbound"})
    assert moves == [(QueuesChange("alice", frozenset({"sales"}), both, 0.0, "login"), both)]
    await service.stop()


async def test_a_failed_action_is_counted_and_the_sender_keeps_going(service: AgentService) -> None:
    pbx = service._control
    assert isinstance(pbx, QueuePbx)
    pbx.fail_next = True
    await service.login("alice", ["sales"])
    await service.ready("alice")
    assert service.failed_actions == 1
    assert ("pause", "PJSIP/1001", False, None, "") in pbx.sent
    await service.stop()
