"""The simulated PBX as the daemon meets it (continued from test_simpbx_behaviour.py): time, seeds, ground truth,
crashes, the direct agent dial (DIALER_AGENT) and a PJSIP carrier trunk."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import replace

import pytest
from simpbx_flows import (
    BUSY,
    LIVE,
    add_agent,
    clock_of,
    direct_dial,
    queued_behind_a_paused_agent,
    run,
    send_originate,
    until,
    user_events,
)
from simpbx_helpers import originate, pbx_session, scenario

from dialer.calls.outcome import Outcome
from dialer.clock import ManualClock, RealTimeClock
from dialer.sim.pbx import Fate, PbxConfig, SimulatedPbx
from dialer.sim.pbx.config import build_config
from dialer.sim.pbx.probe import AmiProbe

# ------------------------------------------------------------------ world, time, truth


async def test_same_seed_same_world_and_bad_numbers_stay_bad() -> None:
    async def plans(seed: int) -> list[tuple[Fate, float]]:
        config = PbxConfig(seed=seed, unallocated_share=0.2, invalid_share=0.1)
        async with pbx_session(config) as (pbx, ami):
            for i in range(30):
                await send_originate(ami, f"55501{i:02d}", str(i))
            await ami.send("Ping", ActionID="sync")
            await ami.response("sync")
            return [(r.plan.fate, r.plan.ring_seconds) for r in pbx.truth.originates if r.plan is not None]

    first, again, other = await plans(7), await plans(7), await plans(8)
    assert first == again
    assert first != other
    bad = {Fate.UNALLOCATED, Fate.INVALID_NUMBER}
    config = PbxConfig(seed=7, unallocated_share=0.2, invalid_share=0.1)
    async with pbx_session(config) as (pbx, ami):
        for attempt in range(3):  # redialling the same numbers
            for i in range(30):
                await send_originate(ami, f"55501{i:02d}", f"{attempt}-{i}")
        await ami.send("Ping", ActionID="sync")
        await ami.response("sync")
        by_number: dict[str, set[bool]] = {}
        for record in pbx.truth.originates:
            assert record.plan is not None
            by_number.setdefault(record.number, set()).add(record.plan.fate in bad)
        assert all(len(v) == 1 for v in by_number.values())
        assert sum(True in v for v in by_number.values()) == sum(f in bad for f, _ in first)


async def test_ground_truth_counts_every_originate() -> None:
    async with pbx_session(LIVE) as (pbx, ami):
        for attempt in ("a", "b", "a"):
            await send_originate(ami, "5550002", attempt)
        await ami.send("Ping", ActionID="sync")
        await ami.response("sync")
        truth = pbx.truth
        assert truth.originates_by_attempt == {"a": 2, "b": 1}
        assert truth.originates_by_action_id["orig-a"] == 2
        assert truth.duplicates() == {"a": 2, "att-a": 2}
        assert truth.actions["originate"] == 3


async def test_accelerated_clock_runs_the_world_faster_than_real_time() -> None:
    busy = scenario(outbound={"answer_probability": 0.0, "busy_share": 1.0, "busy_release_seconds": 20.0})
    config = replace(LIVE, scenario=busy)
    async with SimulatedPbx(config, clock=RealTimeClock(speed=200.0)) as pbx, AmiProbe.connect(pbx.port) as ami:
        await ami.login()
        await send_originate(ami, "5550002", "fast")
        # 20 simulated seconds of ringing take 0.1 s here; waiting 3 s of real time is plenty.
        response = await ami.collect_until(lambda m: m.name == "OriginateResponse", within=3.0)
        assert response[-1].get("Reason") == "5"


async def test_kill_and_restart_on_the_same_port_keeps_the_ground_truth() -> None:
    async with pbx_session(LIVE) as (pbx, ami):
        port = pbx.port
        await send_originate(ami, "5550003", "k1")
        await ami.send("Ping", ActionID="sync")
        await ami.response("sync")
        assert pbx.core.engine.channels
        await pbx.kill()
        await ami.drain(within=0.2)
        assert ami.eof
        await pbx.restart()
        assert pbx.port == port
        assert not pbx.core.engine.channels
        async with AmiProbe.connect(port) as again:
            await again.login()
            await again.send("CoreShowChannels", ActionID="c")
            await again.response("c")
            listed = await again.collect_until(lambda m: m.name == "CoreShowChannelsComplete")
            assert listed[-1].get("ListItems") == "0"
        assert pbx.truth.originates_by_attempt["k1"] == 1


async def test_synchronous_originate_blocks_the_session_until_the_verdict() -> None:
    async with pbx_session(
        replace(LIVE, scenario=scenario(outbound={"answer_probability": 0.0, "busy_share": 1.0}))
    ) as (
        pbx,
        ami,
    ):
        await ami.send(
            "Originate", Channel="Local/5550002@sim-pstn", Context="dialer-outbound", Exten="s", ActionID="s"
        )
        await ami.send("Ping", ActionID="after")
        await asyncio.sleep(0.05)
        await ami.drain(within=0.05)
        assert not any(m.is_response and m.action_id in ("s", "after") for m in ami.received)
        await clock_of(pbx).advance(5)
        names = [(m.name, m.action_id) for m in await ami.collect_until(lambda m: m.action_id == "after")]
        assert names.index(("Error", "s")) < names.index(("Newchannel", None))
        verdict = next(m for m in ami.received if m.is_response and m.action_id == "s")
        assert verdict.get("Message") == "Originate failed"


# ------------------------------------------------------------------ DIALER_AGENT (preview, owned callbacks)


async def test_direct_agent_dial_connects_without_the_queue() -> None:
    async with pbx_session(LIVE) as (pbx, ami):
        await direct_dial(ami, "31", "PJSIP/1001")
        await run(pbx, ami, 120)
        names = {m.name for m in ami.received}
        assert not names & {"QueueCallerJoin", "AgentCalled", "AgentConnect", "AgentComplete"}
        connect = user_events(ami, "DialerAgentConnect")
        assert [(m.get("Attempt"), m.get("Agent")) for m in connect] == [("31", "PJSIP/1001")]
        assert (connect[0].get("Channel") or "").startswith("PJSIP/1001-")
        complete = user_events(ami, "DialerAgentComplete")
        assert [(m.get("Attempt"), m.get("Agent")) for m in complete] == [("31", "PJSIP/1001")]
        end = user_events(ami, "DialerCallEnd")
        assert [(m.get("Stage"), m.get("Agent")) for m in end] == [("CONNECTED", "PJSIP/1001")]
        record = pbx.truth.originate("orig-31")
        assert record.outcome is Outcome.CONNECTED
        assert record.agent == "PJSIP/1001"
        assert not pbx.core.engine.channels


async def test_direct_agent_busy_or_too_slow_is_an_abandon_with_the_agent_named() -> None:
    async with pbx_session(LIVE) as (pbx, ami):
        await add_agent(ami, "PJSIP/1001")
        await send_originate(ami, "5550001", "40")
        await until(pbx, ami, "AgentConnect")
        await direct_dial(ami, "41", "PJSIP/1001")
        await run(pbx, ami, 10)
        abandon = [m for m in user_events(ami, "DialerAbandon") if m.get("Attempt") == "41"]
        assert [(m.get("QueueStatus"), m.get("Agent")) for m in abandon] == [("AGENT_INUSE", "PJSIP/1001")]

    slow = replace(LIVE, agent_connect_seconds=3.0)
    async with pbx_session(slow) as (pbx, ami):
        await direct_dial(ami, "42", "PJSIP/1002")
        await run(pbx, ami, 20)
        abandon = user_events(ami, "DialerAbandon")
        assert [(m.get("QueueStatus"), m.get("Agent")) for m in abandon] == [("AGENT_NOANSWER", "PJSIP/1002")]
        assert next(m for m in ami.received if m.name == "DialEnd" and m.get("Channel")).get("DialStatus") == "NOANSWER"
        assert pbx.truth.originate("orig-42").outcome is Outcome.ABANDONED


async def test_vary_order_moves_the_originate_response_among_the_call_events() -> None:
    async with pbx_session(replace(BUSY, vary_order=True)) as (pbx, ami):
        for i in range(30):
            await send_originate(ami, f"55503{i:02d}", f"v{i}")
        await run(pbx, ami, 10)
        positions: set[int] = set()
        for i in range(30):
            uid = f"att-v{i}"
            mine = [m for m in ami.received if m.get("Uniqueid") == uid and m.name in ("OriginateResponse", "Hangup")]
            mine += [m for m in ami.received if m.name == "DialEnd" and m.get("DestUniqueid") == uid]
            mine.sort(key=ami.received.index)
            names = [m.name for m in mine]
            assert names.count("OriginateResponse") == 1
            positions.add(names.index("OriginateResponse"))
        assert len(positions) >= 2
        assert all(r.reason == 5 for r in pbx.truth.originates)


async def test_a_phone_that_does_not_answer_is_auto_paused_in_the_campaign_queue() -> None:
    async with pbx_session(replace(LIVE, agent_connect_seconds=3.0)) as (pbx, ami):
        await add_agent(ami, "PJSIP/1001")
        await add_agent(ami, "PJSIP/1001", queue="inbound-sales")
        await send_originate(ami, "5550001", "50")
        await run(pbx, ami, 20)
        assert [m.get("Interface") for m in ami.received if m.name == "AgentRingNoAnswer"] == ["PJSIP/1001"]
        pauses = [m for m in ami.received if m.name == "QueueMemberPause"]
        assert [(m.get("Queue"), m.get("Paused"), m.get("PausedReason")) for m in pauses] == [
            ("outbound-agents", "1", "Auto-Pause")
        ]
        assert pbx.queues["outbound-agents"].members["PJSIP/1001"].paused
        assert not pbx.queues["inbound-sales"].members["PJSIP/1001"].paused
        assert [m.get("QueueStatus") for m in user_events(ami, "DialerAbandon")] == ["TIMEOUT"]


async def test_last_member_leaving_empties_the_queue_leaveempty() -> None:
    async with pbx_session(LIVE) as (pbx, ami):
        record = await queued_behind_a_paused_agent(pbx, ami, "60")
        clock = clock_of(pbx)
        await clock.advance(0.1)
        await ami.send("QueueRemove", Queue="outbound-agents", Interface="PJSIP/1001", ActionID="rm")
        await ami.response("rm")
        await run(pbx, ami, 15)
        assert not any(m.name == "QueueCallerAbandon" for m in ami.received)
        assert [m.get("QueueStatus") for m in user_events(ami, "DialerAbandon")] == ["LEAVEEMPTY"]
        assert record.outcome is Outcome.ABANDONED


async def test_getvar_and_setvar() -> None:
    ringing = scenario(outbound={"answer_probability": 1.0, "busy_share": 0.0, "ring_mean_seconds": 8.0})
    config = replace(LIVE, scenario=ringing)
    async with pbx_session(config) as (pbx, ami):
        await send_originate(ami, "5550001", "61")
        await clock_of(pbx).advance(0.5)
        await ami.send("Getvar", Channel="att-61", Variable="DIALER_ATTEMPT", ActionID="g")
        got = await ami.response("g")
        assert (got.get("Variable"), got.get("Value")) == ("DIALER_ATTEMPT", "61")
        await ami.send("Setvar", Channel="att-61", Variable="LEAD_NOTE", Value="vip", ActionID="s")
        assert (await ami.response("s")).get("Message") == "Variable Set"
        await ami.send("Getvar", Channel="att-61", Variable="LEAD_NOTE", ActionID="g2")
        assert (await ami.response("g2")).get("Value") == "vip"
        await ami.send("Getvar", Channel="gone", Variable="X", ActionID="g3")
        assert (await ami.response("g3")).get("Message") == "No such channel"


async def test_inbound_callers_join_the_queue_the_scenario_names() -> None:
    support = scenario(outbound={"answer_probability": 0.0}, inbound={"rate_per_hour": 720.0, "queue": "support"})
    config = build_config(scenario=support, inbound_queues=["support"], queues=[])
    config = replace(config, inbound_queues=("inbound-sales",))  # the scenario's queue wins when the PBX has it
    async with pbx_session(config) as (pbx, ami):
        # a paused member: the queue is not empty, so its callers join it (joinempty) and wait
        await add_agent(ami, "PJSIP/2001", queue="support", paused=True)
        await run(pbx, ami, 60, step=1.0)
        joined = {m.get("Queue") for m in ami.received if m.name == "QueueCallerJoin"}
        assert joined == {"support"}


async def test_recorded_world_takes_e164_numbers_by_their_last_digit() -> None:
    async with pbx_session(PbxConfig.recorded()) as (pbx, ami):
        await ami.send(
            "Originate",
            ActionID="e164",
            Channel="Local/+13125550102@sim-pstn",
            Context="dialer-connect",
            Exten="s",
            Async="true",
        )
        await run(pbx, ami, 2)
        response = next(m for m in ami.received if m.name == "OriginateResponse")
        assert (response.get("Response"), response.get("Reason")) == ("Failure", "5")


# ------------------------------------------------------------------ a PJSIP carrier trunk


@pytest.mark.parametrize(
    ("world", "reason", "status", "cause", "outcome"),
    [
        ({"answer_probability": 0.0, "busy_share": 1.0}, "0", "BUSY", "17", Outcome.BUSY),
        (
            {"answer_probability": 0.0, "busy_share": 1.0, "congestion_share_of_busy": 1.0},
            "0",
            "CONGESTION",
            "34",
            Outcome.CONGESTION,
        ),
        ({"answer_probability": 0.0, "busy_share": 0.0}, "3", None, "19", Outcome.NO_ANSWER),
    ],
)
async def test_trunk_failures_have_sip_semantics(
    world: dict[str, float], reason: str, status: str | None, cause: str, outcome: Outcome
) -> None:
    async with pbx_session(replace(LIVE, scenario=scenario(outbound=world))) as (pbx, ami):
        repeated, named = originate("+13125550102", "t1", timeout_ms=15000)
        await ami.send("Originate", *repeated, **dict(named, Channel="PJSIP/+13125550102@carrier"))
        await run(pbx, ami, 20)
        response = next(m for m in ami.received if m.name == "OriginateResponse")
        assert (response.get("Response"), response.get("Reason"), response.get("Uniqueid")) == (
            "Failure",
            reason,
            "att-t1",
        )
        assert response.get("Channel") == "PJSIP/+13125550102@carrier"
        dial_end = [m.get("DialStatus") for m in ami.received if m.name == "DialEnd"]
        assert dial_end == ([status] if status else [])
        hangups = [(m.get("Channel") or "", m.get("Cause")) for m in ami.received if m.name == "Hangup"]
        assert len(hangups) == 1
        assert hangups[0][0].startswith("PJSIP/carrier-")
        assert hangups[0][1] == cause
        assert pbx.truth.originate("orig-t1").outcome is outcome


async def test_trunk_answer_runs_the_dialer_context_on_the_one_channel() -> None:
    async with pbx_session(LIVE) as (pbx, ami):
        await add_agent(ami, "PJSIP/1001")
        repeated, named = originate("+13125550101", "t2")
        await ami.send("Originate", *repeated, **dict(named, Channel="PJSIP/+13125550101@carrier"))
        await run(pbx, ami, 120)
        assert next(m for m in ami.received if m.name == "OriginateResponse").get("Reason") == "4"
        assert (next(m for m in ami.received if m.name == "AgentConnect").get("Channel") or "").startswith(
            "PJSIP/carrier-"
        )
        assert [m.get("Stage") for m in user_events(ami, "DialerCallEnd")] == ["CONNECTED"]
        assert not [m for m in ami.received if m.name == "LocalBridge"]
        assert pbx.truth.originate("orig-t2").outcome is Outcome.CONNECTED
        assert not pbx.core.engine.channels
        await ami.send("Originate", ActionID="bad-endpoint", Channel="PJSIP/5550001@nowhere", Async="true")
        await run(pbx, ami, 1)
        failed = next(m for m in ami.received if m.name == "OriginateResponse" and m.action_id == "bad-endpoint")
        assert (failed.get("Response"), failed.get("Reason"), failed.get("Uniqueid")) == ("Failure", "0", "<unknown>")


async def test_md5_challenge_login_and_login_with_events_off() -> None:
    async with SimulatedPbx(LIVE, clock=ManualClock()) as pbx, AmiProbe.connect(pbx.port) as ami:
        await ami.send("Challenge", AuthType="md5", ActionID="c")
        challenge = (await ami.response("c")).get("Challenge") or ""
        key = hashlib.md5((challenge + "dialer").encode(), usedforsecurity=False).hexdigest()
        await ami.send("Login", AuthType="md5", Username="dialer", Key=key, Events="off", ActionID="l")
        assert (await ami.response("l")).get("Message") == "Authentication accepted"
        await send_originate(ami, "5550001", "md5")
        await ami.response("orig-md5")
        await pbx.manual_clock.advance(5)
        await ami.drain()
        assert not [m for m in ami.received if m.is_event]
