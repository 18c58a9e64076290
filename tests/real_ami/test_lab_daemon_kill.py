"""kill -9 of a running `dialer run` process against the real lab (opt-in: DIALER_TEST_AMI), then a restart.

The daemon is the real one (a subprocess, its own SQLite file, its HTTP API, an agent logged in through it). It is
killed with SIGKILL while its calls are up in Asterisk, and started again with the same node identity. Then, as the
restart promise says (issue 12 §2): the restarted process takes its campaign back; every attempt the dead one
placed ends with the outcome Asterisk reported (a connected call is CONNECTED, a ringing one NO_ANSWER, a busy one
BUSY, none guessed or inferred); no lead is dialled again while its attempt is open; the agent is still logged in.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from harness.lab import QUEUE, lab_settings
from pydantic import SecretStr

from dialer.settings import AmiServerSettings

pytestmark = pytest.mark.real_ami

REPO = Path(__file__).resolve().parents[2]
DIALER = [sys.executable, "-m", "dialer"]
AGENT = "agent1"
PHONE = "Local/agent1@lab-agents"  # auto-answers (asterisk/lab/extensions.conf [lab-agents])
# US area codes by zone: the leads' numbers are taken from a zone whose calling window is open now.
ZONES = {
    "212": "America/New_York",
    "312": "America/Chicago",
    "303": "America/Denver",
    "213": "America/Los_Angeles",
    "907": "America/Anchorage",
    "808": "Pacific/Honolulu",
}
# The lab's callee is chosen by the last digit: 1 answers (and reaches the agent), 2 busy, 3 rings on.
EXPECTED = {"1": "connected", "2": "busy", "3": "no_answer"}


def secret_of(settings: AmiServerSettings) -> str:
    secret = settings.secret
    return secret.get_secret_value() if isinstance(secret, SecretStr) else str(secret)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def open_area_code() -> str:
    """An area code whose local time is well inside the US calling window (08:00-21:00) for the next minutes."""
    now = datetime.now(UTC)
    for code, zone in ZONES.items():
        local = now.astimezone(ZoneInfo(zone))
        if 9 <= local.hour < 20:
            return code
    pytest.skip("no US calling window is open now for the lab's leads")


def dialer(home: Path, *args: str) -> str:
    run = subprocess.run(
        [*DIALER, "-c", str(home / "dialer.toml"), *args],
        cwd=home,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, f"dialer {' '.join(args)}: {run.stdout}\n{run.stderr}"
    return run.stdout


@pytest.fixture
def home(tmp_path: Path) -> Path:
    lab = lab_settings()
    http_port = free_port()
    (tmp_path / "dialer.toml").write_text(
        f"""
database_url = "sqlite+aiosqlite:///{tmp_path / "dialer.db"}"
var_dir = "{tmp_path / "var"}"
campaigns_dir = "{tmp_path / "campaigns"}"
node_id = "lab-kill-test"
log_format = "console"

[http]
host = "127.0.0.1"
port = {http_port}

[[ami]]
name = "lab"
host = "{lab.host}"
port = {lab.port}
username = "{lab.username}"
secret = "{secret_of(lab)}"
""",
        encoding="utf-8",
    )
    (tmp_path / "campaigns").mkdir()
    return tmp_path


def attempts(home: Path) -> list[sqlite3.Row]:
    with contextlib.closing(sqlite3.connect(home / "dialer.db")) as db:
        db.row_factory = sqlite3.Row
        return db.execute("SELECT * FROM attempts ORDER BY id").fetchall()


def leads(home: Path) -> dict[int, str]:
    with contextlib.closing(sqlite3.connect(home / "dialer.db")) as db:
        return {row[0]: row[1] for row in db.execute("SELECT id, phone FROM leads")}


@contextlib.asynccontextmanager
async def daemon(home: Path, log: Path) -> AsyncIterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        command = [*DIALER, "-c", str(home / "dialer.toml"), "run"]
        process = subprocess.Popen(command, cwd=home, stdout=out, stderr=out)  # noqa: ASYNC220 (polled, never awaited)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


async def wait_for(condition: object, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.25)
    pytest.fail(f"timed out after {within:.0f} s waiting for {what}")


async def healthy(http: aiohttp.ClientSession, base: str, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        with contextlib.suppress(aiohttp.ClientError):
            async with http.get(f"{base}/healthz") as resp:
                if resp.status == 200:
                    return
        await asyncio.sleep(0.25)
    pytest.fail("the daemon's HTTP API did not come up")


def settings_port(home: Path) -> int:
    for line in (home / "dialer.toml").read_text(encoding="utf-8").splitlines():
        if line.startswith("port =") and "[[ami]]" not in line:
            return int(line.split("=")[1])
    raise AssertionError("no HTTP port")


async def test_kill_9_of_the_daemon_process_mid_call_then_restart(home: Path) -> None:
    code = open_area_code()
    numbers = {f"+1{code}555{suffix}": EXPECTED[suffix[-1]] for suffix in ("0101", "0102", "0103")}
    campaign = home / "campaigns" / "lab-kill.toml"
    campaign.write_text(
        f"""
name = "lab-kill"
dial_mode = "power"
queue = "{QUEUE}"
trunk = "Local/{{number}}@lab-pstn"
regime = "US"
timezone = "{ZONES[code]}"
ring_timeout_seconds = 25
max_attempts = 1

[caller_id]
number = "+1 202 555 0100"
name = "Lab Dialer"

[pacing]
power_ratio = 3
""",
        encoding="utf-8",
    )
    csv = home / "leads.csv"
    csv.write_text("phone,first_name\n" + "".join(f"{n},Lab{i}\n" for i, n in enumerate(numbers)), encoding="utf-8")
    dialer(home, "db", "upgrade")
    dialer(home, "campaign", "apply", str(campaign))
    dialer(home, "leads", "import", str(csv), "--campaign", "lab-kill")
    dialer(home, "user", "add", AGENT, "--role", "agent", "--password", "lab-agent-pass", "--phone", PHONE)
    token = dialer(home, "user", "token", AGENT).strip().split()[-1]
    auth = {"Authorization": f"Bearer {token}"}
    base = f"http://127.0.0.1:{settings_port(home)}"
    log = home / "daemon.log"

    async with aiohttp.ClientSession() as http:
        async with daemon(home, log) as first:
            await healthy(http, base)
            async with http.post(f"{base}/api/agents/{AGENT}/login", json={"queues": [QUEUE]}, headers=auth) as r:
                assert r.status == 200, await r.text()
            async with http.post(f"{base}/api/agents/{AGENT}/ready", headers=auth) as r:
                assert r.status == 200, await r.text()
            dialer(home, "campaign", "start", "lab-kill")
            # Every lead placed, and the live one connected to the agent: then the crash.
            await wait_for(lambda: len(attempts(home)) == len(numbers), 60, "the three calls")
            await wait_for(
                lambda: any(a["connected_at"] is not None for a in attempts(home)), 60, "the live call to connect"
            )
            open_at_kill = [a["id"] for a in attempts(home) if a["ended_at"] is None]
            assert open_at_kill, "calls should be up at the crash"
            os.kill(first.pid, signal.SIGKILL)
            first.wait(10)

        async with daemon(home, log):
            await healthy(http, base)
            await wait_for(
                lambda: all(a["ended_at"] is not None for a in attempts(home)), 120, "every attempt to be closed"
            )
            async with http.get(f"{base}/api/agents/{AGENT}", headers=auth) as r:
                agent = await r.json()
            assert agent["status"] != "logged_out", agent  # the agent was taken back, not logged out

    rows = attempts(home)
    phones = leads(home)
    assert len(rows) == len(numbers), "no lead dialled again while its attempt was open (max_attempts = 1)"
    outcomes = {phones[a["lead_id"]]: a["outcome"] for a in rows}
    assert outcomes == numbers, log.read_text(encoding="utf-8")[-4000:]
    assert not any(a["outcome_inferred"] for a in rows), "every outcome is the PBX's, none inferred"
