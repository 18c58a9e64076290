"""[dialer-ivr] on the simulated PBX against the recorded Asterisk 22 session (ami-traces/lab/ivr-reminder.txt): the
same dialplan steps, the same AGI commands from the dialer's own FastAGI service, the same UserEvents -- the
simulated callee presses 3 and reaches an agent, as the lab's 9983001 did."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from dialer.ami.fastagi import FastAgiServer
from dialer.ami.protocol import AmiMessage
from dialer.clock import ManualClock
from dialer.ivr.actions import TableActions
from dialer.ivr.agi import IvrAgiService, IvrCallInfo
from dialer.ivr.executor import FlowResult
from dialer.ivr.flow import load_flow
from dialer.sim.ivr import CallerBehaviour
from dialer.sim.model import parse_scenario
from dialer.sim.pbx import SimulatedPbx
from dialer.sim.pbx.config import build_config
from dialer.sim.pbx.ivr import IvrCallers, agi_environment, configure_ivr_callers, route_inbound_ivr
from dialer.sim.pbx.probe import AmiProbe

REPO = Path(__file__).resolve().parents[3]
TRACE = REPO / "tests" / "fixtures" / "ami-traces" / "lab" / "ivr-reminder.txt"
FLOW = REPO / "campaigns" / "ivr" / "reminder.toml"


def normalise(text: str) -> str:
    """The parts that differ between runs: the FastAGI address and the seconds spent in the flow."""
    text = re.sub(r"agi://[0-9.]+:[0-9]+/", "agi://{fastagi}/", text)
    return re.sub(r"seconds=[0-9]+", "seconds={n}", text)


def steps(messages: list[dict[str, str]], channel_suffix: str) -> list[str]:
    """The ;1 channel's dialplan steps, AGI commands and UserEvents, in order, up to the Queue() step."""
    out: list[str] = []
    for m in messages:
        if not m.get("Channel", "").endswith(channel_suffix):
            continue
        event = m.get("Event")
        if event == "Newexten" and m.get("Application") != "AppDial2":
            out.append(normalise(f"{m['Application']}({m.get('AppData', '')})"))
        elif event == "AGIExecStart":
            out.append(normalise(f"AGI: {m['Command']}"))
        elif event == "UserEvent":
            out.append(f"UserEvent {m['UserEvent']}")
        if event == "Newexten" and m.get("Application") == "Queue":
            break
    return out


def recorded() -> list[dict[str, str]]:
    text = TRACE.read_text(encoding="utf-8")
    found = []
    for block in re.split(r"\r?\n\r?\n", text):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            if line.startswith("#"):
                continue
            key, sep, value = line.partition(": ")
            if sep:
                fields.setdefault(key, value)
        found.append(fields)
    return found


def as_dict(message: AmiMessage) -> dict[str, str]:
    return {k: v for k, v in message.headers}


async def test_a_reminder_call_in_the_simulated_ivr_speaks_like_the_recorded_asterisk() -> None:
    flow = load_flow(FLOW)
    results: list[tuple[IvrCallInfo, FlowResult]] = []

    async def sink(info: IvrCallInfo, result: FlowResult) -> None:
        results.append((info, result))

    clock = ManualClock(1_795_449_600.0)
    service = IvrAgiService({flow.name: flow}, TableActions(), sink, lambda: datetime.fromtimestamp(clock.now(), UTC))
    server = FastAgiServer("127.0.0.1", 0, service.routes)
    await server.start()
    address = f"127.0.0.1:{server.bound_port}"
    # a callee who answers and stays; three auto-answering agents in outbound-agents (as in the lab)
    world = parse_scenario(
        {"outbound": {"answer_probability": 1.0, "ring_mean_seconds": 3.0, "ring_sd_seconds": 0.0, "busy_share": 0.0}}
    )
    pbx = SimulatedPbx(
        replace(
            build_config(scenario=world, agents=3), unallocated_share=0.0, invalid_share=0.0, agent_talk_seconds=10.0
        ),
        clock=clock,
    )
    await pbx.start()
    configure_ivr_callers(
        pbx.core.engine, IvrCallers(behaviour=CallerBehaviour(keys={"3": 1.0}, think_seconds=(1.0, 1.0)))
    )
    probe = await AmiProbe.open(pbx.port)
    try:
        await probe.login()
        await probe.send(
            "Originate",
            ("Variable", "DIALER_ATTEMPT=ivr-2"),
            ("Variable", "DIALER_CAMPAIGN=fixtures"),
            ("Variable", "DIALER_AMD=0"),
            ("Variable", "DIALER_IVR_FLOW=reminder"),
            ("Variable", f"DIALER_FASTAGI={address}"),
            Channel="Local/9983001@sim-pstn",
            Context="dialer-ivr",
            Exten="s",
            Priority="1",
            Timeout="30000",
            CallerID='"Dialer" <5550100>',
            Async="true",
            ChannelId="fixture-ivr-2",
            ActionID="ivr-2",
        )
        for _ in range(240):  # two simulated minutes; the AGI exchanges run over real TCP between the steps
            await clock.advance(0.5)
            for _ in range(3):
                await asyncio.sleep(0.005)
            if results:
                break
        await probe.drain(0.2)
    finally:
        await probe.close()
        await pbx.stop()
        await server.stop()

    simulated = steps([as_dict(m) for m in probe.received if m.is_event], ";1")
    lab = steps(recorded(), "00000001;1")
    assert simulated == lab

    # the agent took the caller: the flow's result says so, through /ivr-end (MEMBERINTERFACE)
    assert len(results) == 1
    info, result = results[0]
    assert info.attempt == "ivr-2"
    assert result.transferred
    assert result.path[-1] == "agent"
    events = [as_dict(m) for m in probe.received if m.is_event]
    ends = [e for e in events if e.get("UserEvent") == "DialerCallEnd"]
    assert [e["Stage"] for e in ends] == ["CONNECTED"]


def test_the_agi_environment_is_what_asterisk_sends_first() -> None:
    from dialer.sim.pbx.channels import Channel

    channel = Channel("Local/9981001@sim-pstn-00000000;1", "fixture-ivr-1", "fixture-ivr-1", "dialer-ivr", "s", 0.0)
    channel.priority = 15
    env = dict(agi_environment(channel, "ivr", "127.0.0.1:4573", thread=1))
    assert list(env)[:3] == ["agi_network", "agi_network_script", "agi_request"]
    assert env["agi_network_script"] == "ivr"
    assert env["agi_request"] == "agi://127.0.0.1:4573/ivr"
    assert env["agi_uniqueid"] == "fixture-ivr-1"
    assert env["agi_context"] == "dialer-ivr"
    assert env["agi_priority"] == "15"


async def test_an_inbound_ivr_caller_enters_an_account_and_reaches_an_agent_with_it() -> None:
    """dialer-inbound,ivr on the simulated PBX: the inbound flow runs over FastAGI, the caller types an account
    number, and the queue hands them to an agent with the flow's context (DialerIvrTransfer)."""
    flow = load_flow(REPO / "campaigns" / "ivr" / "inbound.toml")
    results: list[tuple[IvrCallInfo, FlowResult]] = []

    async def sink(info: IvrCallInfo, result: FlowResult) -> None:
        results.append((info, result))

    clock = ManualClock(1_795_449_600.0)
    accounts = TableActions({"4321": {"account": "4321", "name": "Ann", "balance": "12.50", "dob": "19800101"}})
    service = IvrAgiService({flow.name: flow}, accounts, sink, lambda: datetime.fromtimestamp(clock.now(), UTC))
    server = FastAgiServer("127.0.0.1", 0, service.routes)
    await server.start()
    config = build_config(agents=2, agents_queue="inbound-sales", inbound_queues=["inbound-sales"])
    pbx = SimulatedPbx(replace(config, agent_talk_seconds=10.0), clock=clock)
    await pbx.start()
    configure_ivr_callers(
        pbx.core.engine, IvrCallers(behaviour=CallerBehaviour(keys={"4321": 1.0, "0": 0.0}, think_seconds=(1.0, 1.0)))
    )
    route_inbound_ivr(pbx.core.engine, f"127.0.0.1:{server.bound_port}")
    probe = await AmiProbe.open(pbx.port)
    try:
        await probe.login()
        await probe.send(
            "Originate",
            ActionID="in-ivr",
            Channel="Local/ivr@sim-inbound",
            Application="Wait",
            Data="300",
            CallerID='"Ann" <+12125550199>',
            Async="true",
        )
        for _ in range(240):
            await clock.advance(0.5)
            for _ in range(3):
                await asyncio.sleep(0.005)
            if results:
                break
        await probe.drain(0.2)
    finally:
        await probe.close()
        await pbx.stop()
        await server.stop()

    events = [as_dict(m) for m in probe.received if m.is_event]
    assert len(results) == 1
    info, result = results[0]
    assert info.attempt is None
    assert info.call_ref.startswith("i")
    assert info.flow == "inbound"
    assert result.variables["account"] == "4321"
    # "4321" then, at the menu, "4" (not an option) until the retries run out: an agent, with the context
    transfers = [e for e in events if e.get("UserEvent") == "DialerIvrTransfer"]
    assert len(transfers) == 1
    assert transfers[0]["Queue"] == "inbound-sales"
    assert "var_account=4321" in transfers[0]["Context"]
    assert any(e.get("Event") == "AgentConnect" and e.get("Queue") == "inbound-sales" for e in events)
    assert result.transferred
