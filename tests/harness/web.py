"""A whole dialer (production app, simulated PBX over real TCP, demo campaign and leads) plus web users.

The clock runs faster than real time from a fixed weekday 11:00 in New York, so leads are inside their calling
windows and simulated calls ring and connect within a fraction of a real second.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from dialer.app import build_app
from dialer.appkeys import DATABASE, DIALER
from dialer.clock import RealTimeClock
from dialer.daemon import Dialer
from dialer.demo import DemoPlan, prepare_database
from dialer.settings import AmiServerSettings, FastAgiSettings, RecordingSettings, Settings
from dialer.sim.model import Scenario, load_scenario
from dialer.sim.pbx import PbxConfig, SimulatedPbx
from dialer.store.auth import Role, add_api_token, create_user, get_user
from dialer.store.engine import open_database
from dialer.web.security import hash_password, new_api_token
from harness.clock import START_EPOCH, clock_dt
from harness.paths import REPO
from harness.stepping import eventually

PASSWORD = "correct-horse-9"
USERS = {
    "root": (Role.ADMIN, None),
    "boss": (Role.MANAGER, None),
    "alice": (Role.AGENT, "Local/alice@sim-agents"),
    "bob": (Role.AGENT, "Local/bob@sim-agents"),
}

# "manual": a preview campaign on the simulated PBX's manual-agents queue, as the web tests PUT it (TOML).
PREVIEW_TOML = """
name = "manual"
dial_mode = "preview"
queue = "manual-agents"
trunk = "Local/{number}@sim-pstn"
regime = "US"
timezone = "America/New_York"
[caller_id]
number = "+1 202 555 0142"
"""
# The same with the agents' manual dial allowed.
MANUAL_DIAL_TOML = PREVIEW_TOML + "[call_control]\nmanual_dial = true\n"


@dataclass
class WebWorld:
    app: web.Application
    pbx: SimulatedPbx
    settings: Settings
    clock: RealTimeClock
    tokens: dict[str, str]

    @property
    def dialer(self) -> Dialer:
        return self.app[DIALER]

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}


# The demo's world, its conversations long enough to outlast a test: an agent put through to a caller stays on the
# call (its screen pop, the lead the caller matched) until the test ends.
_DEMO = load_scenario("demo")
TALKATIVE = replace(_DEMO, handle=replace(_DEMO.handle, talk_mean_seconds=36_000.0, talk_sd_seconds=1.0))


def inbound_caller_leads(tmp_path: Path) -> Path:
    """A lead list (CSV) of every number the simulated PBX's inbound callers ring from (+1 202 555 xxxx:
    ``dialer.sim.pbx.world``'s ``inbound_caller_number``): every inbound caller matches one of its leads."""
    leads = tmp_path / "inbound-callers.csv"
    leads.write_text("phone\n" + "".join(f"+1202555{n:04d}\n" for n in range(10_000)), encoding="utf-8")
    return leads


PROBLEM = "application/problem+json"


def demo_campaign_with_wrap_up(tmp_path: Path, wrap_up_seconds: int, *, ends: str = "timer") -> Path:
    """campaigns/demo.toml with another wrap-up time (e.g. an agent left in wrap-up for a test), ended by ``ends``
    (``wrap_up_ends``), copied under ``tmp_path``."""
    text = (REPO / "campaigns/demo.toml").read_text(encoding="utf-8")
    assert "wrap_up_seconds = 15" in text
    path = tmp_path / f"demo-wrap-up-{wrap_up_seconds}-{ends}.toml"
    changed = f'wrap_up_seconds = {wrap_up_seconds}\nwrap_up_ends = "{ends}"'
    path.write_text(text.replace("wrap_up_seconds = 15", changed), encoding="utf-8")
    return path


async def agent_in_wrapup(world: WebWorld, client: Any, agent: str = "alice") -> dict[str, Any]:
    """``agent`` signs in to the demo campaign's queue, goes ready, takes a call and is left in its wrap-up: their
    state (``GET /api/agents/{agent}``)."""
    auth = world.auth(agent)
    resp = await client.post(f"/api/agents/{agent}/login", json={"queues": ["outbound-agents"]}, headers=auth)
    assert resp.status == 200, await resp.text()
    assert (await client.post(f"/api/agents/{agent}/ready", headers=auth)).status == 200

    async def wrapup() -> dict[str, Any] | None:
        state: dict[str, Any] = await (await client.get(f"/api/agents/{agent}", headers=auth)).json()
        return state if state["status"] == "wrapup" else None

    return await eventually(wrapup, 120.0)


async def problem(resp: Any, status: int) -> dict[str, Any]:
    """The API's error response: ``status``, a problem+json body with its fields filled; the body."""
    assert resp.status == status, await resp.text()
    assert resp.content_type == PROBLEM
    body: dict[str, Any] = await resp.json()
    assert body["status"] == status
    assert body["detail"]
    assert body["title"]
    assert body["type"]
    return body


async def supervise(client: Any, headers: dict[str, str], supervisor: str, agent: str, mode: str) -> dict[str, Any]:
    """``supervisor`` (signed in by ``headers``) starts to listen to, whisper to or barge in on (``mode``) ``agent``'s
    call: the API's answer (201), a session naming them, the mode and its state, "started"."""
    resp = await client.post("/api/supervision", json={"agent": agent, "mode": mode}, headers=headers)
    assert resp.status == 201, await resp.text()
    session: dict[str, Any] = await resp.json()
    assert (session["supervisor"], session["agent"], session["mode"], session["state"]) == (
        supervisor,
        agent,
        mode,
        "started",
    )
    return session


async def start_campaign(world: WebWorld, client: Any, name: str, toml: str) -> None:
    """The manager creates campaign ``name`` from its TOML (201) and starts it (200)."""
    boss = world.auth("boss")
    resp = await client.put(f"/api/campaigns/{name}", data=toml, headers={**boss, "Content-Type": "application/toml"})
    assert resp.status == 201, await resp.text()
    assert (await client.post(f"/api/campaigns/{name}/start", headers=boss)).status == 200


@asynccontextmanager
async def web_world(
    tmp_path: Path,
    *,
    speed: float = 20.0,
    campaign_running: bool = True,
    campaign_file: Path = REPO / "campaigns/demo.toml",
    leads_file: Path = REPO / "campaigns/leads/demo.csv",
    start_epoch: float = START_EPOCH,
    write_recordings: bool = False,
    agentless: bool = False,
    inbound_callers: bool = True,
    settings: dict[str, Any] | None = None,
    scenario: Scenario | None = None,
    agent_talk_seconds: float | None = None,
) -> AsyncIterator[WebWorld]:
    """``agentless``: the reminder campaign (campaigns/reminder.toml, its flow over FastAGI) runs too;
    ``settings``: more daemon settings; ``scenario``: the simulated PBX's world (the demo's when None);
    ``agent_talk_seconds``: every answered call talks this long (simulated seconds; None: drawn from the scenario,
    60 s on average, a few real seconds at the clock's speed). A test that acts during a call for longer than that
    (several recording batches, a load-slowed machine) fixes it, or the call may end under it."""
    clock = RealTimeClock(speed=speed, start_epoch=start_epoch)
    # write_recordings: the simulated PBX writes MixMonitor's files (where the dialer's [recording] says).
    monitor_dir = str(tmp_path / "recordings") if write_recordings else ""
    # inbound_callers=False: no spontaneous callers join inbound-sales (a test that uses it as a closer queue).
    pbx = SimulatedPbx(
        PbxConfig(
            scenario=scenario or load_scenario("demo"),
            seed=3,
            monitor_dir=monitor_dir,
            inbound_queues=("inbound-sales",) if inbound_callers else (),
            agent_talk_seconds=agent_talk_seconds,
        ),
        clock=clock,
        port=0,
    )
    await pbx.start()
    try:
        daemon_settings = Settings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'web.db'}",
            var_dir=tmp_path,
            ami=[AmiServerSettings(name="sim", port=pbx.port, action_timeout_seconds=5.0)],
            inbound_queues=["inbound-sales"],
            drain_timeout_seconds=0.5,
            recording=RecordingSettings(directory=tmp_path / "recordings"),
            fastagi=FastAgiSettings(port=0),  # any free port (the agentless Originates carry it)
            **(settings or {}),
        )
        reminder = ((REPO / "campaigns/reminder.toml", REPO / "campaigns/leads/reminder.csv"),)
        plan = DemoPlan(campaign_file=campaign_file, leads_file=leads_file, agentless=reminder if agentless else ())
        now = clock_dt(clock)
        await prepare_database(daemon_settings, plan, now)
        tokens: dict[str, str] = {}
        async with open_database(daemon_settings.database_url) as db:
            if not campaign_running:
                from dialer.store.campaigns import set_campaign_state

                await set_campaign_state(db, "demo", "stopped", now)
            for name, (role, phone) in USERS.items():
                user = await create_user(db, name, role, hash_password(PASSWORD), now, phone=phone)
                tokens[name] = new_api_token()
                await add_api_token(db, user.id, tokens[name], "tests", now)
        app = build_app(daemon_settings, clock=clock)
        yield WebWorld(app, pbx, daemon_settings, clock, tokens)
    finally:
        await pbx.stop()


async def team_with_supervisor(world: WebWorld, client: Any) -> dict[str, str]:
    """Team "north" = alice, supervised by sue; bob has no team. Both agents registered with the daemon. Sue's
    headers."""
    boss = world.auth("boss")
    for agent in ("alice", "bob"):
        made = await client.post(
            "/api/agents", json={"agent_id": agent, "interface": f"Local/{agent}@sim-agents"}, headers=boss
        )
        assert made.status == 201
    return await supervisor(world, client)


async def supervisor(world: WebWorld, client: Any, name: str = "sue", team: str = "north") -> dict[str, str]:
    """A supervisor of ``team`` (alice's team; bob has none), made through the admin API; their token headers."""
    root = world.auth("root")
    assert (await client.post("/api/teams", json={"name": team}, headers=root)).status == 201
    made = await client.post(
        "/api/users", json={"name": name, "role": "supervisor", "password": PASSWORD}, headers=root
    )
    assert made.status == 201
    assert (await client.patch("/api/users/alice", json={"team": team}, headers=root)).status == 200
    put = await client.put(f"/api/teams/{team}/supervisors", json={"supervisors": [name]}, headers=root)
    assert put.status == 200
    body = await put.json()
    assert (body["supervisors"], body["members"]) == ([name], ["alice"])
    db = world.app[DATABASE]
    user = await get_user(db, name)
    assert user is not None
    token = new_api_token()
    await add_api_token(db, user.id, token, "tests", datetime.now(UTC))
    return {"Authorization": f"Bearer {token}"}


async def recorded_call(world: WebWorld, client: Any, consent: bool) -> dict[str, Any]:
    """The demo campaign recording every call (announcing it first when ``consent``), alice ready: the recording's
    row (GET /api/recordings/{attempt}) of the first call she takes."""
    boss, alice = world.auth("boss"), world.auth("alice")
    text = (
        'recording = "all"\n'
        + (f"recording_consent = {str(consent).lower()}\n")
        + (REPO / "campaigns/demo.toml").read_text(encoding="utf-8")
    )
    resp = await client.put("/api/campaigns/demo", data=text, headers={**boss, "Content-Type": "application/toml"})
    assert resp.status == 200, await resp.text()
    await agent_ready(world, client, "alice", "outbound-agents")

    async def recorded() -> dict[str, Any] | None:
        body = await (await client.get("/api/agents/alice/call", headers=alice)).json()
        if not body["call"]:
            return None
        resp = await client.get(f"/api/recordings/{body['call']['attempt']['id']}", headers=boss)
        return await resp.json() if resp.status == 200 else None

    rec: dict[str, Any] = await eventually(recorded, 60)
    return rec


async def call_of_attempt(client: Any, agent: str, headers: Mapping[str, str], attempt_id: int) -> Any:
    """``agent``'s call (GET /api/agents/{agent}/call) once it is attempt ``attempt_id``'s, else None (for
    ``eventually``)."""
    body = await (await client.get(f"/api/agents/{agent}/call", headers=headers)).json()
    return body["call"] if body["call"] and body["call"]["attempt"]["id"] == attempt_id else None


async def agent_ready(world: WebWorld, client: Any, agent: str, queue: str) -> None:
    """Through the API, as ``agent``: log in to ``queue`` only, then become ready."""
    headers = world.auth(agent)
    await client.post(f"/api/agents/{agent}/login", json={"queues": [queue]}, headers=headers)
    await client.post(f"/api/agents/{agent}/ready", headers=headers)
