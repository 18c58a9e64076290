"""[dialer-ivr] on the simulated PBX against the recorded Asterisk 22 session (ami-traces/lab/ivr-reminder.txt): the
same dialplan steps, the same AGI commands from the dialer's own FastAGI service, the same UserEvents -- the
simulated callee presses 3 and reaches an agent, as the lab's 9983001 did."""

from __future__ import annotations

from dataclasses import replace

from harness.paths import REPO
from simpbx_ivr_rig import answering_pbx, ivr_rig
from simpbx_ivr_trace import normalise, recorded, whole_call

from dialer.ivr.actions import TableActions
from dialer.ivr.agi import IvrCallInfo
from dialer.ivr.executor import FlowResult
from dialer.sim.ivr import CallerBehaviour
from dialer.sim.pbx.config import build_config
from dialer.sim.pbx.ivr import IvrCallers, agi_environment

TRACE = REPO / "tests" / "fixtures" / "ami-traces" / "lab" / "ivr-reminder.txt"
FLOW = REPO / "campaigns" / "ivr" / "reminder.toml"
IVR = "dialer-ivr"  # an agentless Originate runs [dialer-ivr] from its first step


def call_end(whole: list[str]) -> int:
    """Where [dialer-hangup] reported the call (its DialerCallEnd) in a whole_call listing."""
    (at,) = [i for i, line in enumerate(whole) if line.startswith("UserEvent DialerCallEnd ")]
    return at


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


async def reminder_call(
    attempt: str, number: str, key: str
) -> tuple[list[dict[str, str]], list[tuple[IvrCallInfo, FlowResult]]]:
    """One reminder call on the simulated PBX as the lab's ``attempt`` was recorded: the callee ``number`` answers
    and presses ``key``; three auto-answering agents in outbound-agents. The events and the flow results."""
    # a callee who answers and stays; three auto-answering agents in outbound-agents (as in the lab)
    config = replace(answering_pbx(3), agent_talk_seconds=10.0)
    callers = IvrCallers(behaviour=CallerBehaviour(keys={key: 1.0}, think_seconds=(1.0, 1.0)))
    async with ivr_rig(FLOW, TableActions(), config, callers) as rig:
        await rig.probe.send(
            "Originate",
            ("Variable", f"DIALER_ATTEMPT={attempt}"),
            ("Variable", "DIALER_CAMPAIGN=fixtures"),
            ("Variable", "DIALER_AMD=0"),
            ("Variable", "DIALER_IVR_FLOW=reminder"),
            ("Variable", f"DIALER_FASTAGI={rig.fastagi}"),
            Channel=f"Local/{number}@sim-pstn",
            Context="dialer-ivr",
            Exten="s",
            Priority="1",
            Timeout="30000",
            CallerID='"Dialer" <5550100>',
            Async="true",
            ChannelId=f"fixture-{attempt}",
            ActionID=attempt,
        )
        # two simulated minutes
        await rig.run_until(lambda: bool(rig.results), 240)
    return rig.events(), rig.results


async def test_a_reminder_call_in_the_simulated_ivr_speaks_like_the_recorded_asterisk() -> None:
    events, results = await reminder_call("ivr-2", "9983001", "3")
    simulated = steps(events, ";1")
    lab = steps(recorded(TRACE), "00000001;1")
    assert simulated == lab
    # ... and to the end: the h extension asks /ivr-end how the queued call ended (before the channel's Hangup, as
    # Asterisk runs it), then [dialer-hangup] reports (DialerCallEnd), then the Hangup
    whole = whole_call(events, "fixture-ivr-2", start_context=IVR)
    assert whole == whole_call(recorded(TRACE), "fixture-ivr-2", start_context=IVR)
    assert whole.index("AGI: GET VARIABLE MEMBERINTERFACE") < call_end(whole) < len(whole) - 1
    assert whole[-1] == "Hangup 16"

    # the agent took the caller: the flow's result says so, through /ivr-end (MEMBERINTERFACE)
    assert len(results) == 1
    info, result = results[0]
    assert info.attempt == "ivr-2"
    assert result.transferred
    assert result.path[-1] == "agent"
    ends = [e for e in events if e.get("UserEvent") == "DialerCallEnd"]
    assert [e["Stage"] for e in ends] == ["CONNECTED"]


async def test_a_confirmed_reminder_hangs_up_after_its_agi_session_as_the_recorded_asterisk() -> None:
    """The flow's HANGUP: the channel is hung up softly, the session ends, then the h extension (no /ivr-end: the
    call was never queued) and DialerCallEnd with the causes Asterisk gives (0), then the Hangup."""
    events, results = await reminder_call("ivr-1", "9981001", "1")
    whole = whole_call(events, "fixture-ivr-1", start_context=IVR)
    assert whole == whole_call(recorded(TRACE), "fixture-ivr-1", start_context=IVR)
    assert call_end(whole) == len(whole) - 2
    assert whole[-1] == "Hangup 0"
    (end,) = [e for e in events if e.get("UserEvent") == "DialerCallEnd"]
    assert (end["Stage"], end["Cause"]) == ("IVR", "0")
    assert [r.result for _, r in results] == ["confirmed"]


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
    accounts = TableActions({"4321": {"account": "4321", "name": "Ann", "balance": "12.50", "dob": "19800101"}})
    config = build_config(agents=2, agents_queue="inbound-sales", inbound_queues=["inbound-sales"])
    callers = IvrCallers(behaviour=CallerBehaviour(keys={"4321": 1.0, "0": 0.0}, think_seconds=(1.0, 1.0)))
    inbound = REPO / "campaigns" / "ivr" / "inbound.toml"
    async with ivr_rig(inbound, accounts, replace(config, agent_talk_seconds=10.0), callers, inbound=True) as rig:
        await rig.probe.send(
            "Originate",
            ActionID="in-ivr",
            Channel="Local/ivr@sim-inbound",
            Application="Wait",
            Data="300",
            CallerID='"Ann" <+12125550199>',
            Async="true",
        )
        await rig.run_until(lambda: bool(rig.results), 240)

    events, results, probe = rig.events(), rig.results, rig.probe
    assert len(results) == 1
    info, result = results[0]
    assert info.attempt is None
    assert info.call_ref.startswith("i")
    assert info.flow == "inbound"
    assert result.variables["account"] == "4321"
    # "4321" then, at the menu, "4" (not an option) until the retries run out: an agent, with the context
    # (a UserEvent's own Context header comes after the channel's: the last one is the flow's)
    transfers = [dict(m.headers) for m in probe.received if m.is_event and m.get("UserEvent") == "DialerIvrTransfer"]
    assert len(transfers) == 1
    assert transfers[0]["Queue"] == "inbound-sales"
    assert "var_account=4321" in transfers[0]["Context"]
    assert any(e.get("Event") == "AgentConnect" and e.get("Queue") == "inbound-sales" for e in events)
    assert result.transferred
    # dialer-inbound,ivr goes to [dialer-ivr], which includes [dialer-hangup]: its h extension asks /ivr-end, then
    # reports the call (no attempt: an inbound caller), then the channel hangs up -- as for an outbound call
    caller = transfers[0]["Uniqueid"]
    whole = whole_call(events, caller, start_context="dialer-inbound")
    (end,) = [e for e in events if e.get("UserEvent") == "DialerCallEnd"]
    assert end["Uniqueid"] == caller
    assert (end["Attempt"], end["Stage"], end["Agent"]) == ("", "CONNECTED", result.variables["agent"])
    assert "dialer-ivr,h,1 ExecIf(1?AGI(agi://{fastagi}/ivr-end))" in whole
    assert whole.index("AGI: GET VARIABLE MEMBERINTERFACE") < call_end(whole)
    assert whole[-1].startswith("Hangup ")
