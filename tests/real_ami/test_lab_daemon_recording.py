"""Recording through the whole daemon (its HTTP API, its AMI client, its event pump and recording service) against
the real lab (opt-in: DIALER_TEST_AMI, with the lab on this host: Asterisk writes the file where the daemon reads
it): a campaign with ``recording = "all"``, an agent's manual dial to a callee who talks (``9980xxx``: a steady
tone, so MixMonitor has audio), the agent hangs up; the recording's row (from the lab's MixMonitorStart and the
call's Hangup, batched) is done and names the agent, the file on disk lasts as long as the conversation, a manager
plays it (Range request), another agent gets 403."""

from __future__ import annotations

import asyncio
import random
import wave
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from harness.lab import Lab, lab_settings

from dialer.ami.client import AmiClient
from dialer.app import build_app
from dialer.clock import RealTimeClock
from dialer.settings import FastAgiSettings, RecordingSettings, Settings
from dialer.store.auth import Role, add_api_token, create_user
from dialer.store.engine import open_database
from dialer.store.migrate import upgrade
from dialer.web.security import hash_password, new_api_token

pytestmark = pytest.mark.real_ami

T = TypeVar("T")
# A Los Angeles number whose last seven digits are a lab callee who talks ([lab-pstn] _9980XXX, LAB_LIVE_TALK s).
CUSTOMER = "+1 213 998 0191"
CAMPAIGN = """
name = "labrec"
dial_mode = "preview"
queue = "outbound-agents"
trunk = "Local/{e164}@lab-pstn"
regime = "US"
timezone = "America/Los_Angeles"
recording = "all"
[caller_id]
number = "+1 202 555 0142"
[call_control]
manual_dial = true
"""


@dataclass
class LabDialer:
    client: Any
    tokens: dict[str, str]
    recordings: Path

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}


async def until(check: Callable[[], Awaitable[T | None]], within: float = 30.0) -> T:
    async with asyncio.timeout(within):
        while True:
            value = await check()
            if value:
                return value
            await asyncio.sleep(0.3)


def _wav_seconds(path: Path) -> float | None:
    if not path.exists() or path.stat().st_size <= 44:
        return None
    with wave.open(str(path)) as audio:
        return audio.getnframes() / audio.getframerate()


@pytest.fixture
async def lab_dialer(tmp_path: Path, aiohttp_client: Any) -> AsyncIterator[LabDialer]:
    ami_settings = lab_settings()
    if ami_settings.host not in ("127.0.0.1", "localhost", "::1"):
        pytest.skip("the recording is checked on disk: run the lab on this host")
    if 5 <= datetime.now(UTC).hour < 16:
        pytest.skip("Los Angeles' calling window (08:00-21:00 there) is closed now")
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    recordings.chmod(0o777)  # Asterisk (another user, maybe) writes here
    run = random.randrange(10**4)
    phones = {"alice": f"Local/rd{run}a@lab-cc-agents", "bob": f"Local/rd{run}b@lab-cc-agents"}
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'lab.db'}",
        var_dir=tmp_path,
        ami=[ami_settings],
        inbound_queues=[],
        drain_timeout_seconds=0.5,
        recording=RecordingSettings(directory=recordings),
        fastagi=FastAgiSettings(port=0),
    )
    now = datetime.now(UTC)
    tokens: dict[str, str] = {}
    async with open_database(settings.database_url) as db:
        await upgrade(db)
        for name, role, phone in (("boss", Role.MANAGER, None), *((n, Role.AGENT, p) for n, p in phones.items())):
            user = await create_user(db, name, role, hash_password("correct-horse-9"), now, phone=phone)
            tokens[name] = new_api_token()
            await add_api_token(db, user.id, tokens[name], "tests", now)
    async with AmiClient(ami_settings) as ami:
        await ami.wait_up(within_seconds=5)
        await Lab(ami).empty_queues()
        client = await aiohttp_client(build_app(settings, clock=RealTimeClock()))
        world = LabDialer(client, tokens, recordings)
        boss = world.auth("boss")
        resp = await client.put(
            "/api/campaigns/labrec", data=CAMPAIGN, headers={**boss, "Content-Type": "application/toml"}
        )
        assert resp.status == 201, await resp.text()
        assert (await client.post("/api/campaigns/labrec/start", headers=boss)).status == 200
        try:
            yield world
        finally:
            for name in phones:
                await client.post(f"/api/agents/{name}/logout", headers=world.auth(name))
            await Lab(ami).empty_queues()


async def test_every_call_recorded_through_the_daemon(lab_dialer: LabDialer) -> None:
    world = lab_dialer
    alice, boss = world.auth("alice"), world.auth("boss")
    resp = await world.client.post("/api/agents/alice/login", json={"queues": ["outbound-agents"]}, headers=alice)
    assert resp.status == 200, await resp.text()
    assert (await world.client.post("/api/agents/alice/ready", headers=alice)).status == 200
    resp = await world.client.post("/api/agents/alice/dial", json={"number": CUSTOMER}, headers=alice)
    assert resp.status == 200, await resp.text()
    attempt_id = int((await resp.json())["attempt_id"])

    async def talking() -> bool:
        body = await (await world.client.get("/api/agents/alice/call/control", headers=alice)).json()
        return bool(body["control"]) and body["control"]["state"] == "talking"

    await until(talking, 40.0)

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
        return await asyncio.to_thread(_wav_seconds, path)

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
