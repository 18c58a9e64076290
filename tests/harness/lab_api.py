"""The whole dialer in this process (its HTTP API, AMI client, event pump) connected to the real lab, for the
real-Asterisk tier's API-level tests: a manager ``boss`` (phone: a lab supervisor's, answering at once) and agents
``alice`` and ``bob`` (phones: [lab-cc-agents], auto-answer, staying on the line), API tokens for each, and one
campaign applied and started. Time is real, so the campaign's zone is a lab zone whose calling window is open now
(:func:`harness.lab_daemon.open_zone`): its leads' numbers are :attr:`LabDialer.zone`'s."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from dialer.ami.client import AmiClient
from dialer.app import build_app
from dialer.clock import RealTimeClock
from dialer.settings import FastAgiSettings, RecordingSettings, Settings
from dialer.store.auth import Role, add_api_token, create_user
from dialer.store.engine import open_database
from dialer.store.migrate import upgrade
from dialer.web.security import hash_password, new_api_token
from harness.lab import Lab, lab_settings
from harness.lab_daemon import LabZone, open_zone

T = TypeVar("T")
AGENTS = ("alice", "bob")


@dataclass
class LabDialer:
    client: Any
    app: Any
    ami: AmiClient
    tokens: dict[str, str]
    run: int  # this run's phones: Local/<prefix><run>a (alice), <prefix><run>b (bob), supervisor<run> (boss)
    zone: LabZone  # a zone whose calling window is open now: the leads' numbers are its
    recordings: Path

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}


async def until(check: Callable[[], Awaitable[T | None]], within: float = 30.0) -> T:
    """The first truthy value of ``check`` (polled), within ``within`` real seconds."""
    async with asyncio.timeout(within):
        while True:
            value = await check()
            if value:
                return value
            await asyncio.sleep(0.3)


async def sign_in(world: LabDialer, agent: str, queue: str) -> None:
    """``agent`` logs in to ``queue`` and becomes ready."""
    headers = world.auth(agent)
    resp = await world.client.post(f"/api/agents/{agent}/login", json={"queues": [queue]}, headers=headers)
    assert resp.status == 200, await resp.text()
    resp = await world.client.post(f"/api/agents/{agent}/ready", headers=headers)
    assert resp.status == 200, await resp.text()


async def dial_and_talk(world: LabDialer, number: str) -> int:
    """alice dials ``number`` by hand and talks with the callee (call control's state): the call's attempt id."""
    alice = world.auth("alice")
    resp = await world.client.post("/api/agents/alice/dial", json={"number": number}, headers=alice)
    assert resp.status == 200, await resp.text()
    attempt_id = int((await resp.json())["attempt_id"])

    async def talking() -> bool:
        body = await (await world.client.get("/api/agents/alice/call/control", headers=alice)).json()
        return bool(body["control"]) and body["control"]["state"] == "talking"

    await until(talking, 40.0)
    return attempt_id


@asynccontextmanager
async def lab_dialer(
    tmp_path: Path, aiohttp_client: Any, campaign: str, *, phone_prefix: str, inbound_queues: list[str]
) -> AsyncIterator[LabDialer]:
    """``campaign``: the campaign's TOML, ``{zone}`` standing for the open zone (its name is read from it)."""
    zone = open_zone()
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    recordings.chmod(0o777)  # Asterisk (another user, maybe) writes here
    run = random.randrange(10**4)
    phones = {name: f"Local/{phone_prefix}{run}{name[0]}@lab-cc-agents" for name in AGENTS}
    ami_settings = lab_settings()
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'lab.db'}",
        var_dir=tmp_path,
        ami=[ami_settings],
        inbound_queues=inbound_queues,
        drain_timeout_seconds=0.5,
        recording=RecordingSettings(directory=recordings),
        fastagi=FastAgiSettings(port=0),
    )
    now = datetime.now(UTC)
    tokens: dict[str, str] = {}
    staff = (
        ("boss", Role.MANAGER, f"Local/supervisor{run}@lab-supervisors"),
        *((name, Role.AGENT, phone) for name, phone in phones.items()),
    )
    async with open_database(settings.database_url) as db:
        await upgrade(db)
        for name, role, phone in staff:
            user = await create_user(db, name, role, hash_password("correct-horse-9"), now, phone=phone)
            tokens[name] = new_api_token()
            await add_api_token(db, user.id, tokens[name], "tests", now)
    toml = campaign.replace("{zone}", zone.timezone)
    name = next(line.split('"')[1] for line in toml.splitlines() if line.startswith("name ="))
    async with AmiClient(ami_settings) as ami:
        await ami.wait_up(within_seconds=5)
        await Lab(ami).empty_queues()
        app = build_app(settings, clock=RealTimeClock())
        client = await aiohttp_client(app)
        world = LabDialer(client, app, ami, tokens, run, zone, recordings)
        boss = world.auth("boss")
        resp = await client.put(
            f"/api/campaigns/{name}", data=toml, headers={**boss, "Content-Type": "application/toml"}
        )
        assert resp.status == 201, await resp.text()
        assert (await client.post(f"/api/campaigns/{name}/start", headers=boss)).status == 200
        try:
            yield world
        finally:
            for agent in phones:
                await client.post(f"/api/agents/{agent}/logout", headers=world.auth(agent))
            await Lab(ami).empty_queues()
