"""The simulated PBX against the lab's Asterisk 22 for a session opened again mid-call
(tests/fixtures/ami-traces/lab/reconnect-mid-call.txt): the recording's Aside actions (QueueAdd, the Originate) on a
first connection that then drops, the recorded session's actions at their offsets on a second one (manual clock).
Like Asterisk, the PBX sends the second session no OriginateResponse (it went out once, at the answer, to the first),
lists the live call's channel, then the DialerCallEnd (Stage CONNECTED, the agent) and the Hangup; the dialer's
tracker, given the Originate, ends the call connected."""

from __future__ import annotations

import asyncio

from simpbx_replay import LAB, lab_config

from dialer.ami.protocol import AmiMessage, AmiParser
from dialer.ami.recorder import SCENARIOS, Aside
from dialer.ami.transcript import Received, Sent, TranscriptItem
from dialer.calls.outcome import Outcome
from dialer.calls.replay import originate_record, replay
from dialer.calls.tracker import CallTracker
from dialer.clock import ManualClock
from dialer.sim.pbx import SimulatedPbx
from dialer.sim.pbx.tracetools import load_trace, sent_actions

TRACE = LAB / "reconnect-mid-call.txt"
AGENT = "Local/agentfx1@lab-agents"


def _wire(headers: tuple[tuple[str, str], ...]) -> bytes:
    return ("".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n").encode()


def _aside() -> list[tuple[tuple[str, str], ...]]:
    """The recording's Aside actions before its session logged in (QueueAdd, Originate)."""
    steps = SCENARIOS["reconnect-mid-call"].steps
    before = steps[: next(i for i, step in enumerate(steps) if not isinstance(step, Aside))]
    return [action for step in before if isinstance(step, Aside) for action in step.actions]


async def _settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def simulated() -> list[TranscriptItem]:
    """What the second session received (and sent), at simulated seconds since the first one's actions."""
    clock = ManualClock()
    items: list[TranscriptItem] = []
    async with SimulatedPbx(lab_config(pstn_context="lab-pstn"), clock=clock) as pbx:
        start = clock.now()
        _, first = await asyncio.open_connection("127.0.0.1", pbx.port)
        first.write(_wire((("Action", "Login"), ("Username", "lab-debug"), ("Secret", "lab-debug"))))
        for action in _aside():
            first.write(_wire(action))
        await first.drain()
        await _settle()
        first.transport.abort()  # the connection drops
        reader, writer = await asyncio.open_connection("127.0.0.1", pbx.port)

        async def read() -> None:
            while data := await reader.read(65536):
                items.append(Received(clock.now() - start, data))

        reading = asyncio.create_task(read())
        try:
            for at, action in sent_actions(TRACE):
                await clock.advance_to(start + at)
                items.append(Sent(clock.now() - start, AmiParser().feed(action)[0]))
                writer.write(action)
                await writer.drain()
                await _settle()
                if b"CoreShowChannels" in action:
                    for _ in range(200):  # the call's end, 20 s on
                        await clock.advance(0.1)
        finally:
            writer.close()
            reading.cancel()
            await asyncio.gather(reading, return_exceptions=True)
    return items


def _messages(items: list[TranscriptItem]) -> list[AmiMessage]:
    parser = AmiParser(expect_banner=True)
    return [m for item in items if isinstance(item, Received) for m in parser.feed(item.data)]


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
    assert _what_matters(_messages(await simulated())) == recorded


async def test_the_tracker_ends_the_simulated_call_connected_with_its_agent() -> None:
    result = replay(await simulated(), _tracker())
    assert result.lost == {}
    ended = result.ended["rc-orig-1"]
    assert (ended.outcome, ended.agent_interface) == (Outcome.CONNECTED, AGENT)
