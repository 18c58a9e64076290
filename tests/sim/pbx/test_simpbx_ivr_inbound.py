"""dialer-inbound,ivr on the simulated PBX against the recorded Asterisk 22 sessions (ami-traces/lab/ivr-inbound*.txt),
one per path of the inbound flow: an inbound caller keys account 1234# (found), then 0 at the menu, and a member of
inbound-sales takes the call (ivr-inbound); keys an account the table does not have and is handed to the queue
(ivr-inbound-not-found); keys 1 for the balance and the flow hangs up (ivr-inbound-balance); waits in the queue,
whose one member is paused, past the flow's bound (ivr-inbound-queue-timeout: DialerAbandon, the flow's closed
message); hears that the wait is long, presses 1 at the offer and has a callback booked (ivr-inbound-callback:
virtual hold, the daemon's answers scripted as the recorder served them) -- the same dialplan steps, the same AGI
commands from the dialer's own FastAGI service, the same UserEvents and the same end of the call (the h extension's
/ivr-end, DialerCallEnd, the Hangup)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from harness.paths import REPO
from simpbx_ivr_rig import ivr_rig
from simpbx_ivr_trace import recorded, whole_call

from dialer.ami.recorder import IVR_INBOUND_ACCOUNT, IVR_INBOUND_PATHS, IVR_INBOUND_UNKNOWN_ACCOUNT, SCENARIOS
from dialer.ivr.actions import ScriptedActions, TableActions
from dialer.ivr.agi import IvrCallInfo
from dialer.ivr.executor import FlowResult
from dialer.sim.ivr import CallerBehaviour
from dialer.sim.pbx.config import build_config
from dialer.sim.pbx.ivr import IvrCallers

TRACES = REPO / "tests" / "fixtures" / "ami-traces" / "lab"
# The inbound flow the recordings ran (the shipped one): its path is in their context.
FLOW = REPO / "campaigns" / "ivr" / "inbound.toml"
CALLER = "fixture-ivr-in-1"  # the ChannelId of the recorded Originates: the caller's ;1 half
IVR_LEG = f"{CALLER};2"  # the ;2 half, which runs dialer-inbound,ivr
INBOUND_CONTEXT = "dialer-inbound"  # the inbound route reaches dialer-inbound,ivr
SIM_AGENT = "Local/agent1@sim-agents"  # the simulated PBX's one member of inbound-sales


@dataclass(frozen=True)
class InboundPath:
    """One recorded inbound IVR call: what its caller keyed (the recorder's scenario) and whether the queue's one
    member was paused (nobody takes the call)."""

    name: str
    account: str  # keyed at the welcome prompt (its # ends the entry)
    menu: str  # keyed at the menu ("": the caller never hears it)
    paused: bool

    @property
    def trace(self) -> Path:
        return TRACES / f"{self.name}.txt"


PATHS = {
    "ivr-inbound": InboundPath("ivr-inbound", IVR_INBOUND_ACCOUNT, "0", paused=False),
    **{
        name: InboundPath(name, account.rstrip("#"), menu, paused)
        for name, (account, menu, _patience, paused, _what) in IVR_INBOUND_PATHS.items()
    },
}


async def inbound_call(
    path: InboundPath = PATHS["ivr-inbound"],
) -> tuple[list[dict[str, str]], list[tuple[IvrCallInfo, FlowResult]]]:
    """The recorded call on the simulated PBX: the accounts table of the recording, one auto-answering member of
    inbound-sales who talks 10 s (the lab's LAB_AGENT_TALK; paused if the recording's was), a caller who keys the
    account, then the menu key, and holds on."""
    scenario = SCENARIOS[path.name]
    config = replace(
        build_config(agents=1, agents_queue="inbound-sales", inbound_queues=["inbound-sales"]), agent_talk_seconds=10.0
    )
    account = CallerBehaviour(keys={path.account: 1.0}, think_seconds=(1.0, 1.0))
    callers = IvrCallers(
        behaviour=CallerBehaviour(keys={path.menu or "0": 1.0}, think_seconds=(1.0, 1.0)),
        by_prompt={"inbound/welcome": account},
    )
    actions = ScriptedActions(scenario.ivr_answers, TableActions(scenario.ivr_accounts))
    async with ivr_rig(FLOW, actions, config, callers, inbound=True) as rig:
        probe = rig.probe
        if path.paused:
            await probe.send("QueuePause", Queue="inbound-sales", Interface=SIM_AGENT, Paused="true")
        await probe.send(
            "Originate",
            ActionID="ivr-in-1",
            Channel="Local/ivr@sim-inbound",
            Application="Wait",
            Data="300",
            CallerID='"Customer" <5550199>',
            Async="true",
            ChannelId=CALLER,
        )

        def over() -> bool:
            """The caller's ;2 half (the IVR's channel) hung up: the call is over."""
            hangups = (m for m in probe.received if m.is_event and m.get("Event") == "Hangup")
            return any(m.get("Uniqueid") == IVR_LEG for m in hangups)

        await rig.run_until(over, 600)  # five simulated minutes
    return rig.events(), rig.results


def ivr_channel(messages: list[dict[str, str]]) -> str:
    """The channel that ran dialer-inbound,ivr (the one that raised DialerCallEnd)."""
    (end,) = [m for m in messages if m.get("UserEvent") == "DialerCallEnd"]
    return end["Uniqueid"]


@pytest.mark.parametrize("name", sorted(PATHS))
async def test_an_inbound_ivr_call_in_the_simulated_pbx_speaks_like_the_recorded_asterisk(name: str) -> None:
    path = PATHS[name]
    events, results = await inbound_call(path)
    lab = recorded(path.trace)
    simulated = whole_call(events, ivr_channel(events), start_context=INBOUND_CONTEXT)
    assert ivr_channel(events) == ivr_channel(lab) == IVR_LEG
    assert simulated == whole_call(lab, IVR_LEG, start_context=INBOUND_CONTEXT)
    assert simulated[:2] == [
        "dialer-inbound,ivr,1 Set(DIALER_IVR_FLOW=inbound)",
        "dialer-inbound,ivr,2 Goto(dialer-ivr,s,1)",
    ]
    ((info, result),) = results
    assert info.attempt is None
    assert result.variables["account"] == path.account
    expected = {
        # (the sim's flow, like the recorder's, has the table's actions only: queue_wait answers error, to the queue;
        # ivr-inbound-callback's scenario answers it as the daemon does for a queue nobody serves: virtual hold)
        "ivr-inbound": (("welcome", "find", "menu", "wait", "agent"), "transferred", "Hangup 16"),
        "ivr-inbound-not-found": (("welcome", "find", "not-found", "wait", "agent"), "transferred", "Hangup 16"),
        "ivr-inbound-balance": (("welcome", "find", "menu", "balance"), "balance_heard", "Hangup 0"),
        "ivr-inbound-queue-timeout": (
            ("welcome", "find", "menu", "wait", "agent", "closed"),
            "queue_timeout",
            "Hangup 0",
        ),
        "ivr-inbound-callback": (
            ("welcome", "find", "not-found", "wait", "offer", "book", "booked-when", "callback-booked"),
            "callback_booked",
            "Hangup 0",
        ),
    }
    assert (result.path, result.result, simulated[-1]) == expected[name]
    hold = [i for i, line in enumerate(simulated) if line.startswith("AGI: STREAM FILE")]
    assert all(simulated[i + 1].startswith("VarSet PLAYBACKSTATUS=") for i in hold)


def test_the_recorded_inbound_paths_are_the_recorders_scenarios() -> None:
    """Every inbound IVR recording is a scenario of the recorder (one table: dialer.ami.recorder), and the unknown
    account is absent from the table the recording served."""
    assert {p.stem for p in TRACES.glob("ivr-inbound*.txt")} == set(PATHS) <= set(SCENARIOS)
    assert IVR_INBOUND_UNKNOWN_ACCOUNT not in SCENARIOS["ivr-inbound-not-found"].ivr_accounts
