"""Several Asterisk servers: each agent's phone on its own server, calls placed where the campaign's agents are.

Two simulated PBXs on one manual clock, one daemon connected to both, agents 1-3 on ``pbxa`` and 4-6 on ``pbxb``
(``[[ami]] agent_interfaces``). A call placed on a server can reach only that server's queue members, so a call
placed where no agent of its campaign is gets abandoned: routing must never do that.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import web
from harness.servers import AGENTS, TwoPbxWorld, two_pbx_world

from dialer.agents.registry import AgentStatus
from dialer.appkeys import DATABASE, DIALER
from dialer.commands.status import render
from dialer.web.floor import dashboard_document
from dialer.web.live import HUB, LiveHub


def routing_abandons(world: TwoPbxWorld) -> list[str]:
    """Answered calls (live, queued for an agent) abandoned on a server where no agent of the campaign is a
    member: the call could never have reached anyone."""
    lost = []
    for name, pbx in world.pbxs.items():
        members = world.members(name)
        for record in pbx.truth.originates:
            if record.queued_at is not None and record.abandoned and not members:
                lost.append(f"{name}:{record.attempt}")
    return lost


async def test_agents_are_members_on_their_own_server_and_calls_follow_them(tmp_path: Path) -> None:
    async with two_pbx_world(tmp_path) as world:
        await world.run(600)
        runner = world.dialer.runner(world.config.name)
        dials = runner.counters.dials
        # Every queued (answered, live) call reached an agent of its own server, or was a pacing abandon
        # within the legal cap -- never one lost to routing.
        assert routing_abandons(world) == []
        assert min(dials["pbxa"], dials["pbxb"]) > 20, dict(dials)
        assert world.members("pbxa") == {f"local/{a}@sim-agents" for a in AGENTS["pbxa"]}
        assert world.members("pbxb") == {f"local/{a}@sim-agents" for a in AGENTS["pbxb"]}
        connected = {
            name: sum(1 for r in pbx.truth.originates if r.connected_at is not None) for name, pbx in world.pbxs.items()
        }
        queued = sum(1 for pbx in world.pbxs.values() for r in pbx.truth.originates if r.queued_at is not None)
        abandoned = sum(1 for pbx in world.pbxs.values() for r in pbx.truth.originates if r.abandoned)
        assert min(connected.values()) > 5, connected
        print(f"dials {dict(dials)} connected {connected} queued {queued} abandoned {abandoned}")
        assert abandoned <= 0.03 * queued + 1, (abandoned, queued)
        # Each agent took calls of their own server only.
        for name, pbx in world.pbxs.items():
            takers = {r.agent.lower() for r in pbx.truth.originates if r.agent}
            assert takers <= {f"local/{a}@sim-agents" for a in AGENTS[name]}, (name, takers)

        # /status and the dashboard's document: agents and calls per server.
        status = world.dialer.status()
        servers = status["servers"]
        assert set(servers) == {"pbxa", "pbxb"}
        for name, agents in AGENTS.items():
            assert servers[name]["up"] is True
            assert servers[name]["agents"] == agents
            assert sum(servers[name]["agents_by_status"].values()) == 3
        assert {a["agent"]: a["server"] for a in status["agents"]} == {
            a: name for name, agents in AGENTS.items() for a in agents
        }
        in_flight = {name: servers[name]["calls_in_flight"] for name in AGENTS}
        assert sum(in_flight.values()) == len(runner.in_flight)
        campaign = next(c for c in status["campaigns"] if c["campaign"] == world.config.name)
        assert campaign["calls_in_flight_by_server"] == {k: v for k, v in in_flight.items() if v}

        rendered = render(status)
        assert "AMI pbxa: up" in rendered
        assert f"{servers['pbxb']['calls_in_flight']} calls up" in rendered
        # The dashboard's live document carries the same per-server view, and each agent's server.
        app = web.Application()
        app[DIALER], app[DATABASE] = world.dialer, world.db
        app[HUB] = LiveHub(app)
        doc = await dashboard_document(app, with_leads=False)
        assert doc["servers"] == world.dialer.server_view()
        assert {a["agent_id"]: a["server"] for a in doc["agents"]} == {
            a: name for name, agents in AGENTS.items() for a in agents
        }


async def test_a_server_going_down_moves_dialling_to_the_other(tmp_path: Path) -> None:
    async with two_pbx_world(tmp_path) as world:
        await world.run(120)
        runner = world.dialer.runner(world.config.name)
        assert runner.counters.dials["pbxb"] > 0
        await world.pbxs["pbxb"].stop()
        for _ in range(300):
            if not world.dialer.pool.get("pbxb").client.is_up:
                break
            await asyncio.sleep(0.01)
        assert not world.dialer.pool.get("pbxb").client.is_up
        before = dict(runner.counters.dials)
        await world.run(180)
        after = runner.counters.dials
        assert after["pbxb"] == before["pbxb"]  # nothing placed on the server that is down
        assert after["pbxa"] - before["pbxa"] > 10  # dialling goes on where agents still are
        assert world.dialer.status()["servers"]["pbxb"]["up"] is False
        # pbxa's agents keep taking calls; pbxb's cannot be reached and are not counted as free.
        assert any(
            a.status in (AgentStatus.TALKING, AgentStatus.WRAPUP) or a.calls_taken
            for a in world.dialer.agents.registry.agents()
            if a.server == "pbxa"
        )


async def test_progressive_every_answered_call_reaches_an_agent_of_its_server(tmp_path: Path) -> None:
    """Progressive dials one call per free agent -- per server: an answered call always finds its agent."""
    async with two_pbx_world(tmp_path, {"dial_mode": "progressive"}) as world:
        await world.run(400)
        runner = world.dialer.runner(world.config.name)
        assert min(runner.counters.dials["pbxa"], runner.counters.dials["pbxb"]) > 10, dict(runner.counters.dials)
        queued = [r for pbx in world.pbxs.values() for r in pbx.truth.originates if r.queued_at is not None]
        assert queued
        assert [r.attempt for r in queued if r.abandoned] == []
        assert runner.counters.abandoned == 0


async def test_with_its_agents_servers_full_the_campaign_says_the_call_limit_holds_it_not_that_nobody_is_in(
    tmp_path: Path,
) -> None:
    async with two_pbx_world(tmp_path) as world:
        await world.run(60)
        runner = world.dialer.runner(world.config.name)
        for name in AGENTS:  # every channel of both servers taken (by calls of another campaign, say)
            gate = world.dialer.pool.get(name).gate
            for _ in range(gate.max_channels):
                gate.occupy()
        dials = sum(runner.counters.dials.values())
        reasons = set()
        for _ in range(30):
            await world.run(1)
            assert runner.why_not is not None
            reasons.add(runner.why_not.code)
        assert sum(runner.counters.dials.values()) == dials
        assert "no_agents" not in reasons  # the agents are logged in: they wait for a channel
        assert "call_limit" in reasons
