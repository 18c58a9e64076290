"""An agentless reminder campaign run by the daemon against the simulated PBX, end to end: the agentless runner
paces by channels and calls per second, Originates into [dialer-ivr], the simulated PBX runs the flow over the
daemon's FastAGI server (AGI over TCP), simulated callers press keys; every attempt ends with an outcome and every
answered one with a stored flow result; opt-outs land in the DNC list; "3" reaches an agent with the flow's context."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from harness.clock import START_EPOCH
from harness.e2e import CAMPAIGN, World, make_world
from harness.stepping import wait_real

import dialer.runner.originate as originate_module  # (the runner claims through its Originator)
from dialer.ami.fastagi import FastAgiServer
from dialer.campaign.config import load_campaign
from dialer.campaign.rules import TERMINAL_STATUSES
from dialer.commands.demo import finished_line
from dialer.daemon.agentless import IvrRole
from dialer.demo import summary
from dialer.i18n import use_locale
from dialer.parsing import load_toml
from dialer.runner.agentless import AgentlessRunner
from dialer.runner.bus import Notification
from dialer.runner.runner import CampaignRunner
from dialer.settings import FastAgiSettings
from dialer.sim.ivr import INVALID, SILENCE, CallerBehaviour
from dialer.sim.pbx.ivr import (
    IvrCallers,
    call_in_to_ivr,
    configure_ivr_callers,
    route_inbound_ivr,
)
from dialer.store.ivr_results import ivr_results
from dialer.store.tables import attempts_t, dnc_t, leads_t

pytestmark = pytest.mark.slow

FLOW = Path(__file__).resolve().parents[2] / "campaigns" / "ivr" / "reminder.toml"
CHANNELS = 8
CPS = 2.0


def agentless_campaign() -> dict[str, Any]:
    return {
        "kind": "agentless",
        "dial_mode": "progressive",
        "ivr": load_toml(FLOW.read_bytes(), str(FLOW)),
        "agentless": {"purpose": "reminder", "max_channels": CHANNELS, "calls_per_second": CPS},
        "amd": {"enabled": True},
        "max_attempts": 1,
    }


async def run_to_completion(
    world: World, runner: CampaignRunner, minutes: int, pops: list[Notification], notes: asyncio.Queue[Notification]
) -> None:
    """Run a minute at a time, for ``minutes`` at the most, until every lead is in a final status and no call is up."""
    terminal = {s.value for s in TERMINAL_STATUSES}
    for _ in range(minutes):
        await world.run_taking_pops(60, pops, notes)
        leads = await world.rows(leads_t)
        if all(lead["status"] in terminal for lead in leads) and not runner.in_flight.calls:
            return


def peak_overlap(intervals: list[tuple[float, float]]) -> int:
    edges = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    peak = level = 0
    for _, delta in edges:
        level += delta
        peak = max(peak, level)
    return peak


async def test_an_agentless_reminder_campaign_runs_to_completion(tmp_path: Path) -> None:
    async with make_world(tmp_path, campaign=agentless_campaign(), us_leads=120, japan_leads=0, agents=4) as world:
        configure_ivr_callers(
            world.pbx.core.engine,
            IvrCallers(
                behaviour=CallerBehaviour(
                    keys={"1": 0.5, "2": 0.15, "3": 0.15, SILENCE: 0.1, INVALID: 0.1},
                    opt_out_during_prompt=0.08,
                    hangup_per_step=0.02,
                ),
                prompt_seconds=2.0,
            ),
        )
        role = IvrRole(world.dialer, FastAgiSettings(port=0))
        await role.start()
        runner = world.dialer.runner("e2e")
        assert isinstance(runner, AgentlessRunner)
        assert runner.fastagi == role.address
        terminal = {s.value for s in TERMINAL_STATUSES}
        pops: list[Notification] = []
        try:
            with world.dialer.bus.subscribe("*") as notes:
                await run_to_completion(world, runner, 60, pops, notes)
                await world.run_taking_pops(20, pops, notes)
        finally:
            await role.stop()

        leads = await world.rows(leads_t)
        attempts = await world.rows(attempts_t)
        truth = world.pbx.truth.originates
        assert all(lead["status"] in terminal for lead in leads), Counter(str(lead["status"]) for lead in leads)
        assert len(attempts) == len(truth) >= 120

        # never above the channel cap, never faster than the calls per second
        ends = [(r.received_at, r.ended_at if r.ended_at is not None else r.received_at) for r in truth]
        assert peak_overlap(ends) <= CHANNELS
        assert cps_kept([r.received_at for r in truth], CPS)

        # every attempt has an outcome, the simulator's; every answered one a stored flow result
        by_action = {a["action_id"]: a for a in attempts}
        for record in truth:
            attempt = by_action[record.action_id]
            assert attempt["outcome"] is not None
            assert attempt["outcome"] == (record.outcome.value if record.outcome else None), record
        results = await ivr_results(world.db, campaign_id=runner.campaign_id)
        answered = {a["id"] for a in attempts if a["answered_at"] is not None}
        assert {r.attempt_id for r in results} == answered
        outcomes = Counter(str(a["outcome"]) for a in attempts)
        assert outcomes["self_service"] > 20, outcomes
        flows = Counter(r.result for r in results)
        assert flows["confirmed"] > 10, flows
        assert flows["cancelled"] > 0, flows

        # opt-outs land in the DNC list
        opted = {r.phone for r in results if r.opted_out}
        assert opted, flows
        assert opted == {r.number for r in truth if r.opted_out}
        dnc = {row["number"] for row in await world.rows(dnc_t)}
        assert opted <= dnc

        # "3": an agent took the caller, and the agent's screen pop showed what the caller did in the flow
        transferred = {r.attempt_id for r in results if r.transferred and r.result != "queue_timeout"}
        assert transferred, flows
        popped = {p.data["attempt_id"]: p.data for p in pops}
        assert transferred <= set(popped)
        for attempt_id in transferred:
            context = popped[attempt_id]["ivr"]
            assert context["flow"] == "reminder"
            assert context["path"].endswith("menu>agent")
            assert "keys menu:3" in popped[attempt_id]["ivr_summary"]
        assert role.sessions >= len(answered)


def cps_kept(starts: list[float], cps: float) -> bool:
    """No more than ``cps`` Originates received by the PBX in any second (its own clock: the runner's)."""
    starts = sorted(starts)
    return all(b - a >= 1.0 - 1e-6 for a, b in zip(starts, starts[int(cps) :], strict=False))


async def test_the_calls_per_second_hold_at_the_pbx_however_long_the_claims_take(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A loaded database makes some claims slow and others quick; the clock runs on meanwhile. The launches of a
    slow claim and of the quick one after it must not reach the PBX in the same second (the flake of the reminder
    campaign: launches stamped in the window when decided, not when written, let 4 Originates in at 2 CPS)."""
    async with make_world(tmp_path, campaign=agentless_campaign(), us_leads=16, japan_leads=0, agents=2) as world:
        claim = originate_module.claim_and_start_attempts
        durations = itertools.cycle([1.0, 0.0, 0.5, 0.0, 0.25, 0.75])  # of the runner's clock, claim after claim

        async def slow_claim(*args: Any, **kwargs: Any) -> Any:
            claimed = await claim(*args, **kwargs)
            await world.clock.advance(next(durations))
            return claimed

        monkeypatch.setattr(originate_module, "claim_and_start_attempts", slow_claim)
        role = IvrRole(world.dialer, FastAgiSettings(port=0))
        await role.start()
        try:
            with world.dialer.bus.subscribe("*") as notes:
                await world.run_taking_pops(20, [], notes)
        finally:
            await role.stop()
        starts = [r.received_at for r in world.pbx.truth.originates]
        assert len(starts) >= 10
        assert cps_kept(starts, CPS), sorted(s - min(starts) for s in starts)


async def test_a_new_calls_per_second_rate_still_counts_the_last_seconds_launches(tmp_path: Path) -> None:
    """The campaign file changes its rate mid-run (2 -> 3 CPS): the launches of the second before the change count
    against the new rate (a fresh window let 3 more out in the second 2 had just gone out in)."""
    async with make_world(tmp_path, campaign=agentless_campaign(), us_leads=30, japan_leads=0, agents=2) as world:
        role = IvrRole(world.dialer, FastAgiSettings(port=0))
        await role.start()
        runner = world.dialer.runner("e2e")
        try:
            with world.dialer.bus.subscribe("*") as notes:
                await world.run_taking_pops(2.5, [], notes)  # launches at 0, 1 and 2 s; the change half a second later
                before = len(world.pbx.truth.originates)
                faster = agentless_campaign()
                faster["agentless"] = {**faster["agentless"], "calls_per_second": 3}
                runner.reconfigure(load_campaign({**CAMPAIGN, **faster}, "e2e"))
                await world.run_taking_pops(6, [], notes)
        finally:
            await role.stop()
        starts = sorted(r.received_at for r in world.pbx.truth.originates)
        assert len(starts) > before > 0
        assert cps_kept(starts, 3), [s - starts[0] for s in starts]


async def test_without_its_fastagi_port_the_daemon_runs_and_the_agentless_campaign_waits(tmp_path: Path) -> None:
    async with make_world(tmp_path, campaign=agentless_campaign(), us_leads=10, japan_leads=0, agents=2) as world:
        taken = await asyncio.start_server(lambda _r, _w: None, "127.0.0.1", 0)
        port = int(taken.sockets[0].getsockname()[1])
        try:
            role = IvrRole(world.dialer, FastAgiSettings(port=port))
            assert await role.start() is None
            health = world.dialer.health.get("fastagi")
            assert health is not None
            assert health.state.value == "degraded"
            assert str(port) in health.detail
            await world.run(5)
            runner = world.dialer.runner("e2e")
            assert runner.why_not is not None
            assert runner.why_not.code == "no_fastagi"
            assert not world.pbx.truth.originates
            assert world.dialer.status()["health"]["status"] != "down"
        finally:
            taken.close()
            await taken.wait_closed()


async def test_the_fastagi_server_is_on_metrics_while_it_listens(tmp_path: Path) -> None:
    """Sessions served now and connections refused (a port probe closing before the end of its headers: it froze
    the daemon in panoramisk's handler); no series while the server does not listen."""
    async with make_world(tmp_path, campaign=agentless_campaign(), us_leads=5, japan_leads=0, agents=2) as world:
        registry = world.dialer.metrics.registry
        assert registry.get_sample_value("dialer_fastagi_sessions") is None
        role = IvrRole(world.dialer, FastAgiSettings(port=0))
        address = await role.start()
        assert address is not None
        try:
            assert registry.get_sample_value("dialer_fastagi_refused_total") == 0
            host, _, port = address.rpartition(":")
            _, writer = await asyncio.open_connection(host, int(port))
            writer.write(b"agi_network: yes\nagi_network_script: ivr\n")
            await writer.drain()
            assert await wait_real(lambda: registry.get_sample_value("dialer_fastagi_sessions") == 1)
            writer.close()
            assert await wait_real(lambda: registry.get_sample_value("dialer_fastagi_refused_total") == 1)
            assert registry.get_sample_value("dialer_fastagi_sessions") == 0
            await world.run(2)  # and the daemon runs on
            assert world.pbx.truth.originates
        finally:
            await role.stop()
        assert registry.get_sample_value("dialer_fastagi_refused_total") is None


@contextlib.asynccontextmanager
async def callers_in_long_prompts(tmp_path: Path) -> AsyncIterator[tuple[World, IvrRole, FastAgiServer]]:
    """An agentless campaign whose callers listen to a 30 s prompt, run until two of them are in their flows."""
    async with make_world(tmp_path, campaign=agentless_campaign(), us_leads=20, japan_leads=0, agents=2) as world:
        configure_ivr_callers(
            world.pbx.core.engine, IvrCallers(behaviour=CallerBehaviour(keys={"1": 1.0}), prompt_seconds=30.0)
        )
        role = IvrRole(world.dialer, FastAgiSettings(port=0))
        await role.start()
        assert role.server is not None
        server = role.server
        try:
            with world.dialer.bus.subscribe("*") as notes:
                for _ in range(120):
                    await world.run_taking_pops(0.5, [], notes)
                    if server.sessions >= 2:
                        break
            assert server.sessions >= 2
            yield world, role, server
        finally:
            await role.stop()


async def test_stopping_in_the_middle_of_ivr_calls_leaves_nothing_running(tmp_path: Path) -> None:
    """The IVR role, the daemon and the PBX stopped while callers are in their flows: every session of both sides
    ends (nothing is left for the event loop's close to cancel, or to wait for)."""
    async with callers_in_long_prompts(tmp_path) as (world, role, server):
        assert world.pbx.core.engine.tasks
        await role.stop()
        assert server.sessions == 0
    for _ in range(3):
        await asyncio.sleep(0)
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []


async def test_calls_cut_at_the_drain_deadline_are_counted_and_the_demo_says_so(tmp_path: Path) -> None:
    """Callers still in their flow when the drain's deadline passes are hung up and recorded as abandoned (an
    answered call the dialer dropped); the runner counts them apart, and the demo's last line says how many of its
    abandoned calls they were."""
    async with callers_in_long_prompts(tmp_path) as (world, _role, _server):
        runner = world.dialer.runner("e2e")
        up = {a for a, call in runner.in_flight.calls.items() if call.answered_at is not None}
        assert len(up) >= 2
        assert not await world.dialer.drain(0.0)
        closed = await runner.interrupt()
        assert closed >= len(up)
        assert runner.counters.interrupted["abandoned"] == len(up)
        assert runner.counters.as_dict()["interrupted"] == dict(runner.counters.interrupted)
        result = summary(world.dialer)
        assert result["abandoned_at_the_deadline"] == len(up)
        assert result["abandoned"] >= len(up)
        with use_locale("en"):
            last = finished_line(result).splitlines()[-1]
        assert last.strip().startswith(f"{len(up)} of the abandoned calls were answered calls still up")
        for attempt_id in up:
            (row,) = [a for a in await world.rows(attempts_t) if a["id"] == attempt_id]
            assert row["outcome"] == "abandoned"


async def test_a_thousand_reminders_at_30_channels_finish_by_the_target_time(tmp_path: Path) -> None:
    """The issue's check: 1 000 leads, a trunk cap of 30 channels, a target finish time (12:30 in New York, the
    world starts at 11:00): done in time, never above 30 channels nor the calls per second; every attempt has a
    result; opt-outs in the DNC list."""
    campaign = agentless_campaign()
    campaign["timezone"] = "America/New_York"
    campaign["agentless"] = {"purpose": "reminder", "max_channels": 30, "calls_per_second": 3, "target_finish": "12:30"}
    async with make_world(tmp_path, campaign=campaign, us_leads=1000, japan_leads=0, agents=6) as world:
        configure_ivr_callers(
            world.pbx.core.engine,
            IvrCallers(
                behaviour=CallerBehaviour(
                    keys={"1": 0.6, "2": 0.2, "3": 0.05, SILENCE: 0.15}, opt_out_during_prompt=0.03
                ),
                prompt_seconds=3.0,
            ),
        )
        role = IvrRole(world.dialer, FastAgiSettings(port=0))
        await role.start()
        runner = world.dialer.runner("e2e")
        terminal = {s.value for s in TERMINAL_STATUSES}
        pops: list[Notification] = []
        try:
            with world.dialer.bus.subscribe("*") as notes:
                await run_to_completion(world, runner, 120, pops, notes)
        finally:
            await role.stop()
        truth = world.pbx.truth.originates
        attempts = await world.rows(attempts_t)
        leads = await world.rows(leads_t)
        assert all(lead["status"] in terminal for lead in leads)
        assert len(attempts) == len(truth) == 1000
        assert all(a["outcome"] is not None for a in attempts)
        target = datetime(2026, 11, 23, 12, 30, tzinfo=ZoneInfo("America/New_York")).timestamp()
        last_end = max(r.ended_at or 0.0 for r in truth)
        assert last_end <= target, (last_end - target) / 60
        ends = [(r.received_at, r.ended_at if r.ended_at is not None else r.received_at) for r in truth]
        peak = peak_overlap(ends)
        assert peak <= 30
        assert cps_kept([r.received_at for r in truth], 3)
        results = await ivr_results(world.db, campaign_id=runner.campaign_id)
        assert {r.attempt_id for r in results} == {a["id"] for a in attempts if a["answered_at"] is not None}
        opted = {r.phone for r in results if r.opted_out}
        assert opted
        assert opted <= {row["number"] for row in await world.rows(dnc_t)}
        minutes = (last_end - START_EPOCH) / 60
        print(f"agentless 1000 leads: done in {minutes:.1f} simulated minutes, peak {peak} channels")


async def test_an_inbound_ivr_caller_reaches_an_agent_whose_screen_pop_shows_the_ivr_context(tmp_path: Path) -> None:
    """dialer-inbound,ivr on the simulated PBX with the daemon's FastAGI server and inbound flow: the caller's
    account number and path travel to the agent's screen pop (the inbound watcher), and the result is stored."""
    inbound = FLOW.parent / "inbound.toml"
    async with make_world(
        tmp_path, us_leads=5, japan_leads=0, agents=2, inbound_queues=("inbound-sales",), state="paused"
    ) as world:
        configure_ivr_callers(
            world.pbx.core.engine,
            IvrCallers(behaviour=CallerBehaviour(keys={"5678": 1.0}, think_seconds=(1.0, 1.0)), prompt_seconds=2.0),
        )
        role = IvrRole(world.dialer, FastAgiSettings(port=0, inbound_flows=[inbound]))
        address = await role.start()
        assert address is not None
        route_inbound_ivr(world.pbx.core.engine, address)
        call_in_to_ivr(world.pbx.core, mean_gap_seconds=20.0)
        pops: list[Notification] = []
        try:
            with world.dialer.bus.subscribe("*") as notes:
                for _ in range(30):
                    await world.run_taking_pops(30, pops, notes)
                    if any(p.data.get("ivr") for p in pops):
                        break
                for _ in range(20):  # the transferred caller's flow closes when the call ends (/ivr-end)
                    await world.run_taking_pops(30, pops, notes)
                    if await ivr_results(world.db, flow="inbound"):
                        break
        finally:
            await role.stop()
        popped = [p.data for p in pops if p.data.get("inbound") and p.data.get("ivr")]
        assert popped, [p.data for p in pops]
        assert popped[0]["ivr"]["flow"] == "inbound"
        assert popped[0]["ivr"]["var_account"] == "5678"
        assert "entered account 5678" in popped[0]["ivr_summary"]
        results = await ivr_results(world.db, flow="inbound")
        assert results
        assert all(r.attempt_id is None and r.call_ref.startswith("i") for r in results)
