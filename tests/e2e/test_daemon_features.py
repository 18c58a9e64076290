"""Preview dialling, inbound screen pops and blending, end to end against the simulated PBX."""

from __future__ import annotations

import asyncio
from pathlib import Path

from harness.e2e import World, make_world

from dialer.agents.registry import AgentStatus
from dialer.runner.bus import Notification
from dialer.sim.pbx.probe import AmiProbe
from dialer.store.leads import get_lead


async def wait_for(world: World, queue: asyncio.Queue[Notification], kind: str, seconds: float) -> Notification | None:
    spent = 0.0
    while spent < seconds:
        while not queue.empty():
            note = queue.get_nowait()
            if note.kind == kind:
                return note
        await world.run(0.5)
        spent += 0.5
    return None


async def test_preview_mode_dials_only_on_request_and_connects_the_agent(tmp_path: Path) -> None:
    async with make_world(
        tmp_path, campaign={"dial_mode": "preview"}, us_leads=20, japan_leads=0, agents=1, crew=False
    ) as world:
        runner = world.dialer.runner("e2e")
        await world.run(30)
        assert len(world.pbx.truth.originates) == 0, "preview mode must not dial by itself"
        assert runner.why_not is not None
        assert runner.why_not.code == "preview"

        with world.dialer.bus.subscribe("agent:agent01") as notes:
            pop = None
            for _ in range(10):  # leads that do not answer are skipped to the next one
                lead = await runner.preview_claim("agent01")
                assert lead is not None
                attempt_id = await runner.preview_dial("agent01")
                record = world.pbx.truth.originates[-1]
                assert record.variables["DIALER_AGENT"] == "Local/agent01@sim-agents"
                assert record.attempt == str(attempt_id)
                pop = await wait_for(world, notes, "screen_pop", 40)
                if pop is not None:
                    break
                assert world.dialer.agents.registry.get("agent01").status is AgentStatus.READY  # type: ignore[union-attr]
            assert pop is not None, "no preview call connected in ten leads"
            assert pop.data["attempt_id"] == attempt_id
            assert pop.data["lead_id"] == lead.id
            assert world.dialer.agents.registry.get("agent01").status is AgentStatus.TALKING  # type: ignore[union-attr]

        for _ in range(240):
            if world.dialer.agents.registry.get("agent01").status is AgentStatus.WRAPUP:  # type: ignore[union-attr]
                break
            await world.run(1)
        kind = await runner.disposition("agent01", "sale")
        assert kind.value == "closed"
        assert world.dialer.agents.registry.get("agent01").status is AgentStatus.READY  # type: ignore[union-attr]
        stored = await get_lead(world.db, lead.id)
        assert stored is not None
        assert stored.status == "done"


async def test_inbound_caller_holds_outbound_and_pops_the_matching_lead(tmp_path: Path) -> None:
    async with make_world(
        tmp_path, us_leads=30, japan_leads=0, agents=2, inbound_queues=("inbound-sales",), crew=False
    ) as world:
        dialer = world.dialer
        runner = dialer.runner("e2e")
        for agent in ("agent01", "agent02"):
            await dialer.agents.pause(agent, "meeting")
        await world.run(60)  # calls placed before the pause end

        # A known lead calls in while nobody is free.
        async with AmiProbe.connect(world.pbx.port) as probe:
            await probe.send("Login", Username="dialer", Secret="dialer", ActionID="l")
            await probe.response("l")
            await probe.send(
                "Originate",
                ActionID="in-1",
                Channel="Local/s@sim-inbound",
                Application="Wait",
                Data="120",
                CallerID='"Lead Three" <+12125551003>',
                Async="true",
            )
            await world.run(3)
            assert dialer.queue_load.waiting("inbound-sales") == 1
            snapshot = runner.snapshot(world.clock.now())
            assert snapshot.inbound.callers_waiting == 1
            dialled_before = len(world.pbx.truth.originates)  # the inbound caller's Originate included

            with dialer.bus.subscribe("agent:agent01") as notes:
                await dialer.agents.ready("agent01")
                await world.run(3)
                # The freed agent went to the inbound caller, and no outbound call was placed meanwhile.
                assert len(world.pbx.truth.originates) == dialled_before
                pop = await wait_for(world, notes, "screen_pop", 10)
            assert pop is not None
            assert pop.data["inbound"] is True
            assert pop.data["queue"] == "inbound-sales"
            lead = await get_lead(world.db, pop.data["lead_id"])
            assert lead is not None
            assert lead.phone == "+12125551003"
