"""Recording through the whole daemon (its HTTP API, its AMI client, its event pump and recording service) against
the real lab (opt-in: DIALER_TEST_AMI, with the lab on this host: Asterisk writes the file where the daemon reads
it): a campaign with ``recording = "all"``, an agent's manual dial to a callee who talks (``9980xxx``: a steady
tone, so MixMonitor has audio), the agent hangs up; the recording's row (from the lab's MixMonitorStart and the
call's Hangup, batched) is done and names the agent, the file on disk lasts as long as the conversation, a manager
plays it (Range request), another agent gets 403."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from harness.lab import lab_settings, wav_seconds
from harness.lab_api import LabDialer, dial_and_talk, lab_dialer, sign_in, until

pytestmark = pytest.mark.real_ami

CAMPAIGN = """
name = "labrec"
dial_mode = "preview"
queue = "outbound-agents"
trunk = "Local/{e164}@lab-pstn"
regime = "US"
timezone = "{zone}"
recording = "all"
[caller_id]
number = "+1 202 555 0142"
[call_control]
manual_dial = true
"""


def customer(world: LabDialer) -> str:
    """A number of the open zone whose last seven digits are a lab callee who talks ([lab-pstn] _9980XXX,
    LAB_LIVE_TALK s)."""
    return world.zone.number("998 0191")


@pytest.fixture
async def world(tmp_path: Path, aiohttp_client: Any) -> AsyncIterator[LabDialer]:
    if lab_settings().host not in ("127.0.0.1", "localhost", "::1"):
        pytest.skip("the recording is checked on disk: run the lab on this host")
    async with lab_dialer(tmp_path, aiohttp_client, CAMPAIGN, phone_prefix="rd", inbound_queues=[]) as w:
        yield w


async def test_every_call_recorded_through_the_daemon(world: LabDialer) -> None:
    alice, boss = world.auth("alice"), world.auth("boss")
    await sign_in(world, "alice", "outbound-agents")
    attempt_id = await dial_and_talk(world, customer(world))

    async def recording(state: str) -> dict[str, Any] | None:
        resp = await world.client.get(f"/api/recordings/{attempt_id}", headers=boss)
        body: dict[str, Any] = await resp.json() if resp.status == 200 else {}
        return body if body.get("state") == state else None

    live = await until(lambda: recording("recording"), 20.0)  # the row is there while the call is on
    assert live["mode"] == "all"
    await asyncio.sleep(5.0)
    resp = await world.client.post("/api/agents/alice/call/hangup", headers=alice)
    assert resp.status == 200, await resp.text()
    done = await until(lambda: recording("done"), 30.0)
    assert done["agent"] == "alice"
    path = world.recordings / f"{attempt_id}.wav"

    async def length() -> float | None:
        await asyncio.sleep(0.5)  # (Asterisk closes the file just after the hang-up)
        return await asyncio.to_thread(wav_seconds, path)

    seconds = await until(length, 20.0)
    # Option b: the bridged time, i.e. the conversation (the row runs from MixMonitor's start, a moment earlier).
    assert seconds == pytest.approx(done["duration_seconds"], abs=1.5), (seconds, done)
    assert seconds >= 4.0
    # The call record links to it; a manager plays it (seeking: a Range request); another agent may not.
    listed = await (await world.client.get("/api/recordings?agent=alice&limit=10", headers=boss)).json()
    assert [item["attempt_id"] for item in listed["items"]] == [attempt_id]
    audio = await world.client.get(f"/api/recordings/{attempt_id}/audio", headers={**boss, "Range": "bytes=0-43"})
    assert audio.status == 206
    assert (await audio.read())[:4] == b"RIFF"
    assert (await world.client.get(f"/api/recordings/{attempt_id}/audio", headers=world.auth("bob"))).status == 403
    assert (await world.client.get(f"/api/recordings/{attempt_id}/audio", headers=alice)).status == 200
