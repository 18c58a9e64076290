"""The simulated PBX against the lab's Asterisk 22 for a session opened again mid-call
(tests/fixtures/ami-traces/lab/reconnect-mid-call.txt): the recording's Aside actions (QueueAdd, the Originate) on a
first connection that then drops, the recorded session's actions at their offsets on a second one (manual clock:
tracetools.replay).
Like Asterisk, the PBX sends the second session no OriginateResponse (it went out once, at the answer, to the first),
lists the live call's channel, then the DialerCallEnd (Stage CONNECTED, the agent) and the Hangup; the dialer's
tracker, given the Originate, ends the call connected."""

from __future__ import annotations

import asyncio

from simpbx_replay import LAB, lab_config

from dialer.ami.parsing import parse_event
from dialer.ami.protocol import AmiMessage
from dialer.ami.recorder import SCENARIOS, Aside
from dialer.calls.outcome import Outcome
from dialer.calls.replay import originate_record
from dialer.calls.tracker import CallEnded, CallLost, CallTracker
from dialer.clock import ManualClock
from dialer.sim.pbx import SimulatedPbx
from dialer.sim.pbx.tracetools import load_trace
from dialer.sim.pbx.tracetools import replay as replay_actions

TRACE = LAB / "reconnect-mid-call.txt"
AGENT = "Local/agentfx1@lab-agents"


def _wire(headers: tuple[tuple[str, str], ...]) -> bytes:
    return ("".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n").encode()


def _aside() -> list[tuple[tuple[str, str], ...]]:
    """The recording's Aside actions before its session logged in (QueueAdd, Originate)."""
    steps = SCENARIOS["reconnect-mid-call"].steps
    before = steps[: next(i for i, step in enumerate(steps) if not isinstance(step, Aside))]
    return [action for step in before if isinstance(step, Aside) for action in step.actions]


async def simulated() -> list[AmiMessage]:
    """What the second session received: the recording's actions replayed at their offsets (tracetools.replay) after
    the Aside actions on a first connection, dropped."""
    clock = ManualClock()
    async with SimulatedPbx(lab_config(pstn_context="lab-pstn"), clock=clock) as pbx:
        _, first = await asyncio.open_connection("127.0.0.1", pbx.port)
        first.write(_wire((("Action", "Login"), ("Username", "lab-debug"), ("Secret", "lab-debug"))))
        for action in _aside():
            first.write(_wire(action))
        await first.drain()
        for _ in range(20):
            await asyncio.sleep(0)
        first.transport.abort()  # the connection drops
        return await replay_actions(TRACE, pbx.port, clock, tail=5.0)


def _what_matters(messages: list[AmiMessage]) -> tuple[object, ...]:
    listed = sorted(m.get("Uniqueid") or "" for m in messages if m.name == "CoreShowChannel")
    user_events = [(m.get("UserEvent"), m.get("Stage"), m.get("Agent")) for m in messages if m.name == "UserEvent"]
    hangup = [m.get("Cause") for m in messages if m.name == "Hangup" and m.get("Uniqueid") == "fixture-rc-1"]
    responses = [m for m in messages if m.name == "OriginateResponse"]
    return "fixture-rc-1" in listed, user_events, hangup, len(responses)


def _tracker() -> CallTracker:
    originate = next(action for action in _aside() if dict(action).get("Action") == "Originate")
    record = originate_record(AmiMessage(originate), 0.0)
    assert record is not None
    tracker = CallTracker()
    tracker.register(record)
    return tracker


async def test_the_second_session_sees_what_asterisk_sent_it() -> None:
    recorded = _what_matters(load_trace(TRACE))
    assert recorded == (True, [("DialerCallEnd", "CONNECTED", AGENT)], ["16"], 0)
    assert _what_matters(await simulated()) == recorded


async def test_the_tracker_ends_the_simulated_call_connected_with_its_agent() -> None:
    tracker = _tracker()
    updates = [u for m in await simulated() if (event := parse_event(m)) for u in tracker.feed(event, 15.0)]
    (ended,) = (u for u in updates if isinstance(u, CallEnded))
    assert (ended.outcome, ended.agent_interface) == (Outcome.CONNECTED, AGENT)
    assert not [u for u in updates if isinstance(u, CallLost)]
