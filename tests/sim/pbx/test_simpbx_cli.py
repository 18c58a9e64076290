"""`dialer sim-pbx`: option handling (the server itself is exercised in-process by the other tests)."""

from __future__ import annotations

from typer.testing import CliRunner

from dialer.cli import app
from dialer.sim.model import load_scenario
from dialer.sim.pbx import WorldKind
from dialer.sim.pbx.config import build_config


def test_bad_listen_address_is_a_clear_error() -> None:
    result = CliRunner().invoke(app, ["sim-pbx", "--listen", "nowhere"])
    assert result.exit_code == 1
    assert "HOST:PORT" in result.output


def test_unknown_scenario_is_a_clear_error() -> None:
    result = CliRunner().invoke(app, ["sim-pbx", "--listen", "127.0.0.1:0", "--scenario", "no-such-scenario"])
    assert result.exit_code == 1
    assert "no such scenario" in result.output


def test_build_config_adds_static_agents_and_queues() -> None:
    config = build_config(
        scenario=load_scenario("n10-p020"),
        seed=9,
        agents=3,
        queues=["winter-campaign"],
        inbound_queues=["support"],
        read="system,call,agent,user",
    )
    queues = {q.name: q for q in config.queues}
    assert [m.interface for m in queues["outbound-agents"].members] == [
        "Local/agent1@sim-agents",
        "Local/agent2@sim-agents",
        "Local/agent3@sim-agents",
    ]
    assert queues["winter-campaign"].autopause
    assert queues["winter-campaign"].ring_timeout == 2.0
    assert queues["support"].weight > queues["winter-campaign"].weight
    assert config.inbound_queues == ("support",)
    assert config.read_classes == ("system", "call", "agent", "user")
    assert config.scenario.name == "n10-p020"
    assert config.seed == 9
    recorded = build_config(world=WorldKind.RECORDED, agents=4)
    assert recorded.system_name == "amiref"
    outbound = next(q for q in recorded.queues if q.name == "outbound-agents")
    assert [m.interface for m in outbound.members] == [f"Local/agent{i}@sim-agents" for i in (1, 2, 3, 4)]
    assert recorded.chan_variables == ()
