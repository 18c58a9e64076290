"""`dialer demo` as a user first meets it, and the console's seat: after the demo every printed command works; the
simulated crew never acts for a human agent; a restart keeps the web port; every role has a login and something to
see (teams, a supervisor who can listen); ending a console session gives up the seat (paused, out of every queue)."""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from harness.cli import dialer_process
from harness.paths import REPO
from harness.stepping import eventually
from harness.web import PASSWORD, web_world

from dialer.agents.pausecodes import SIGNED_OUT_PAUSE_REASON
from dialer.agents.registry import AgentStatus
from dialer.appkeys import AFTER_CONTEXTS, DIALER
from dialer.clock import RealTimeClock
from dialer.commands.demo import _free_port
from dialer.demo import (
    DemoDatabaseInUse,
    DemoPlan,
    build_demo_app,
    check_disposable,
    demo_database_held,
    demo_settings,
    prepare_database,
)
from dialer.settings import Settings
from dialer.web.demo import demo_teams, demo_users_ctx
from dialer.web.live import HUB


def test_after_the_demo_the_printed_commands_work(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIALER_")}
    # Free ports for this test (another dialer may hold 8080/5039 on this machine).
    env.update(DIALER_HTTP__PORT="0", DIALER_SIMULATION__LISTEN_PORT="0")
    demo = dialer_process(
        [
            "demo",
            "--for",
            "3",
            "--agents",
            "2",
            "--speed",
            "10",
            "--campaign",
            str(REPO / "campaigns/demo.toml"),
            "--leads",
            str(REPO / "campaigns/leads/demo.csv"),
        ],
        cwd=tmp_path,
        env=env,
    )
    assert demo.returncode == 0, demo.stderr[-3000:]
    printed = [line.split("report:", 1)[1].strip() for line in demo.stdout.splitlines() if "report:" in line]
    assert printed, demo.stdout
    words = shlex.split(printed[0])
    assigns: dict[str, str] = {}
    while words and re.match(r"^[A-Z_]+=", words[0]):  # VAR=value prefixes, as a shell takes them
        key, _, value = words.pop(0).partition("=")
        assigns[key] = value
    command = words
    assert command[0] == "dialer"
    report = dialer_process(command[1:], cwd=tmp_path, env={**env, **assigns})
    assert report.returncode == 0, report.stderr
    assert "demo" in report.stdout
    listing = dialer_process(["campaign", "list"], cwd=tmp_path, env=env)
    assert listing.returncode == 0, listing.stderr
    assert "demo" in listing.stdout


def test_the_demo_never_resets_a_database_with_other_campaigns(tmp_path: Path) -> None:
    path = tmp_path / "dialer.db"
    url = f"sqlite+aiosqlite:///{path}"
    check_disposable(url)  # no file yet
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE campaigns (name TEXT)")
        conn.execute("INSERT INTO campaigns VALUES ('demo')")
    check_disposable(url)  # only the demo's own campaign
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO campaigns VALUES ('spring-sale')")
    with pytest.raises(DemoDatabaseInUse, match="spring-sale"):
        check_disposable(url)


def test_a_second_demo_never_resets_the_database_of_a_running_one(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'dialer.db'}"
    with demo_database_held(url):
        with pytest.raises(DemoDatabaseInUse, match="in use by another `dialer demo`"), demo_database_held(url):
            pass
        # The command says so and leaves the database alone (the running demo's, here this test's hold).
        env = {**os.environ, "DIALER_VAR_DIR": str(tmp_path), "DIALER_DATABASE_URL": url}
        env.pop("DIALER_CONFIG", None)
        second = dialer_process(["demo", "--for", "1"], cwd=REPO, env=env)
        assert second.returncode != 0
        assert "in use by another `dialer demo`" in second.stderr + second.stdout
        assert not (tmp_path / "dialer.db").exists()
    with demo_database_held(url):  # released when the first ends
        pass


def test_the_localised_demo_books_inbound_callbacks_in_its_own_campaign(tmp_path: Path) -> None:
    """`dialer demo --locale ja` runs demo-ja: its inbound IVR's virtual hold books there, not in `demo` (which
    that demo's database does not hold)."""
    env = {**os.environ, "DIALER_VAR_DIR": str(tmp_path), "DIALER_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/d.db"}
    env.pop("DIALER_CONFIG", None)
    run = dialer_process(["demo", "--locale", "ja", "--for", "1", "--json", "--no-agentless"], cwd=REPO, env=env)
    assert run.returncode == 0, run.stderr
    lines = [json.loads(line) for line in (tmp_path / "demo.log").read_text(encoding="utf-8").splitlines()]
    (ready,) = [line for line in lines if line.get("event") == "ivr_ready"]
    assert ready["callback_campaign"] == "demo-ja"
    assert ready["inbound_flows"] == ["inbound"]


def test_a_var_dir_alone_keeps_the_database_in_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A daemon or demo given only its own ``var_dir`` never shares the working directory's database."""
    monkeypatch.delenv("DIALER_DATABASE_URL", raising=False)
    monkeypatch.setenv("DIALER_VAR_DIR", str(tmp_path))
    assert Settings().database_url == f"sqlite+aiosqlite:///{tmp_path}/dialer.db"
    assert demo_settings(Settings(), 5039).database_url == f"sqlite+aiosqlite:///{tmp_path}/dialer.db"


def test_demo_uses_the_database_the_cli_finds(tmp_path: Path) -> None:
    base = Settings(var_dir=tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path / 'dialer.db'}")
    assert demo_settings(base, 5039).database_url == base.database_url


def test_free_port_keeps_the_wanted_port_while_old_connections_are_in_time_wait() -> None:
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio's servers bind
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.listen()
    client = socket.create_connection(("127.0.0.1", port))
    served, _ = listener.accept()
    served.close()  # the server closes first: its end of the connection stays in TIME_WAIT
    client.close()
    listener.close()
    assert _free_port("127.0.0.1", port) == port


async def _demo_app(tmp_path: Path, agents: int) -> tuple[web.Application, RealTimeClock]:
    """The demo's app on a fresh database in ``tmp_path`` with ``agents`` simulated agents, 20 times real time."""
    base = Settings(var_dir=tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}")
    settings = demo_settings(base, _free_port("127.0.0.1", 0), drain_seconds=0.5)
    plan = DemoPlan(REPO / "campaigns/demo.toml", REPO / "campaigns/leads/demo.csv", agents=agents, seed=5, speed=20)
    clock = RealTimeClock(speed=20.0, start_epoch=1_795_449_600.0)
    await prepare_database(settings, plan, datetime.fromtimestamp(clock.now(), UTC))
    return build_demo_app(settings, plan, clock), clock


async def test_the_demo_crew_leaves_a_human_agent_alone(tmp_path: Path, aiohttp_client: Any) -> None:
    app, clock = await _demo_app(tmp_path, agents=2)
    await aiohttp_client(app)
    dialer = app[DIALER]
    service = dialer.agents
    await eventually(lambda: all(service.registry.get(a) is not None for a in ("agent01", "agent02")))
    service.register("you", "Local/you@sim-agents", "you")
    await service.login("you", [dialer.runner("demo").config.queue])
    await service.pause("you", "break")
    # The crew takes a simulated agent off a break with 5 % per half simulated second: 160 chances here.
    start = clock.now()
    await eventually(lambda: clock.now() - start > 80.0, seconds=30)
    you = service.registry.get("you")
    assert you is not None
    assert (you.status, you.pause_reason) == (AgentStatus.PAUSED, "break")


async def test_every_role_has_a_login_and_the_supervisor_listens(tmp_path: Path, aiohttp_client: Any) -> None:
    app, _clock = await _demo_app(tmp_path, agents=4)
    agents = [f"agent{n:02d}" for n in range(1, 5)]
    printed: list[str] = []
    app[AFTER_CONTEXTS].append(demo_users_ctx(agents, base_url="http://demo", echo=printed.append))
    client = await aiohttp_client(app)
    assert any("admin / demo-admin" in line for line in printed), printed
    assert any("supervisor / demo-supervisor" in line for line in printed), printed
    north = set(demo_teams(agents)["north"])
    assert north == {"agent01", "agent02", "you"}

    async def sign_in(name: str, password: str) -> dict[str, str]:
        client.session.cookie_jar.clear()
        resp = await client.post("/api/login", json={"name": name, "password": password})
        assert resp.status == 200, await resp.text()
        return {"X-CSRF-Token": (await resp.json())["csrf_token"]}

    await sign_in("admin", "demo-admin")
    assert (await client.get("/admin")).status == 200
    users = (await (await client.get("/api/users?limit=100")).json())["items"]
    names = {u["name"]: u["display_name"] for u in users if u["role"] == "agent"}
    assert names == {  # the names the agents give on their calls (the script's {{ agent }})
        "agent01": "Alex Morgan",
        "agent02": "Priya Shah",
        "agent03": "Tom Baker",
        "agent04": "Maria Lopez",
        "you": "Sam Taylor",
    }
    teams = await (await client.get("/api/teams")).json()
    members = {t["name"]: (sorted(t["members"]), t["supervisors"], t["campaigns"]) for t in teams["items"]}
    everything = ["demo"]  # every campaign of the demo (this plan has no agentless one)
    assert members == {
        "north": (["agent01", "agent02", "you"], ["supervisor"], everything),
        "south": (["agent03", "agent04"], [], everything),
    }

    csrf = await sign_in("supervisor", "demo-supervisor")
    report = await client.get("/api/reports/team/north")
    assert report.status == 200, await report.text()
    assert (await client.get("/api/reports/team/south")).status == 404  # not their team: not shown to exist

    async def listening() -> bool:
        dashboard = await (await client.get("/api/dashboard")).json()
        assert {a["agent_id"] for a in dashboard["agents"]} <= north  # their team only
        for agent in dashboard["agents"]:
            if agent["status"] == "talking":
                resp = await client.post(
                    "/api/supervision", json={"agent": agent["agent_id"], "mode": "listen"}, headers=csrf
                )
                if resp.status == 201:
                    return (await resp.json())["phone"] == "Local/supervisor@sim-agents"
        return False

    await eventually(listening, seconds=30)


async def test_signing_out_pauses_and_leaves_the_queues(tmp_path: Path, aiohttp_client: Any) -> None:
    async with web_world(tmp_path, campaign_running=False) as world:
        client = await aiohttp_client(world.app)
        login = await (await client.post("/api/login", json={"name": "alice", "password": PASSWORD})).json()
        csrf = {"X-CSRF-Token": login["csrf_token"]}
        resp = await client.post("/api/agents/alice/login", json={"queues": ["outbound-agents"]}, headers=csrf)
        assert resp.status == 200, await resp.text()
        assert (await client.post("/api/agents/alice/ready", headers=csrf)).status == 200
        registry = world.dialer.agents.registry
        assert registry.get("alice").status is AgentStatus.READY  # type: ignore[union-attr]
        changes: list[Any] = []
        world.dialer.agents.add_listener(lambda change, agent: changes.append(change))
        assert (await client.post("/api/logout", headers=csrf)).status == 200
        await eventually(lambda: not registry.get("alice").logged_in)  # type: ignore[union-attr]
        assert not registry.get("alice").queues  # type: ignore[union-attr]
        # It went through a pause first (no call offered between sign-out and leaving the queues).
        assert SIGNED_OUT_PAUSE_REASON in [c.reason for c in changes]


async def test_a_console_gone_for_good_gives_up_the_seat_and_a_reconnect_keeps_it(
    tmp_path: Path, aiohttp_client: Any
) -> None:
    async with web_world(tmp_path, campaign_running=False) as world:
        client = await aiohttp_client(world.app)
        login = await (await client.post("/api/login", json={"name": "alice", "password": PASSWORD})).json()
        csrf = {"X-CSRF-Token": login["csrf_token"]}
        await client.post("/api/agents/alice/login", json={"queues": ["outbound-agents"]}, headers=csrf)
        await client.post("/api/agents/alice/ready", headers=csrf)
        hub = world.app[HUB]
        registry = world.dialer.agents.registry
        # A reload: the socket closes and a new one opens within the grace period: the seat is kept.
        hub.console_grace_seconds = 30.0
        ws = await client.ws_connect("/ws")
        await ws.close()
        await eventually(lambda: "alice" in hub.releases)
        ws = await client.ws_connect("/ws")
        await eventually(lambda: "alice" not in hub.releases)
        assert registry.get("alice").status is AgentStatus.READY  # type: ignore[union-attr]
        # Gone for good: after the grace period the agent is paused and out of the queues.
        hub.console_grace_seconds = 0.2
        await ws.close()
        await eventually(lambda: not registry.get("alice").logged_in)  # type: ignore[union-attr]
