"""The real daemon against the lab (opt-in: DIALER_TEST_AMI): a `dialer run` subprocess in its own home (SQLite file,
HTTP API on a free port, the lab's AMI), the `dialer` command run against that home, a power campaign written and its
leads imported, an agent logged in and ready through the HTTP API, and the SQLite rows read back."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from pydantic import SecretStr

from dialer.bench.processes import stop_process
from dialer.settings import AmiServerSettings
from harness.lab import QUEUE, lab_settings
from harness.ports import free_port

DIALER = [sys.executable, "-m", "dialer"]
AGENT = "agent1"
PHONE = "Local/agent1@lab-agents"  # auto-answers (asterisk/lab/extensions.conf [lab-agents])


@dataclass(frozen=True)
class LabZone:
    """Where the lab's leads live: a time zone and the digits its numbers start with. The lab's dialplan reads only a
    number's last 7 digits (asterisk/lab/extensions.conf [lab-pstn]), so any zone's numbers reach the same callees."""

    prefix: str  # the E.164 digits before the 7 the lab reads
    timezone: str

    def number(self, seven: str) -> str:
        """The zone's number ending in ``seven`` (7 digits; spaces allowed)."""
        return self.prefix + seven.replace(" ", "")


# The campaigns stay in the US regime; each lead's calling window is read in its own number's zone (every candidate
# zone). US zones first; from 10:00 to 13:00 UTC (all year: Guam and Puerto Rico keep no summer time) no US zone is
# well inside its window and London's is: then the leads are London numbers, so the daemon lab tests run at any hour.
ZONES = (
    LabZone("+1212", "America/New_York"),
    LabZone("+1312", "America/Chicago"),
    LabZone("+1303", "America/Denver"),
    LabZone("+1213", "America/Los_Angeles"),
    LabZone("+1907", "America/Anchorage"),
    LabZone("+1808", "Pacific/Honolulu"),
    LabZone("+1671", "Pacific/Guam"),  # open while the mainland sleeps: 23:00-10:00 UTC
    LabZone("+1787", "America/Puerto_Rico"),  # UTC-4 all year: from 13:00 UTC
    LabZone("+44207", "Europe/London"),  # 020 7xxx xxxx
)


def secret_of(settings: AmiServerSettings) -> str:
    secret = settings.secret
    return secret.get_secret_value() if isinstance(secret, SecretStr) else str(secret)


def open_zone() -> LabZone:
    """A zone whose local time is well inside the calling window (08:00-21:00) for the next minutes."""
    now = datetime.now(UTC)
    for zone in ZONES:
        if 9 <= now.astimezone(ZoneInfo(zone.timezone)).hour < 20:
            return zone
    pytest.skip("no lab zone's calling window is open now")


def dialer(home: Path, *args: str) -> str:
    """The `dialer` command against the home's dialer.toml; its stdout (it must succeed)."""
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


def write_home(home: Path) -> Path:
    """A daemon's home: dialer.toml (SQLite file, HTTP on a free port, the lab's AMI) and an empty campaigns/."""
    lab = lab_settings()
    http_port = free_port()
    (home / "dialer.toml").write_text(
        f"""
database_url = "sqlite+aiosqlite:///{home / "dialer.db"}"
var_dir = "{home / "var"}"
campaigns_dir = "{home / "campaigns"}"
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
    (home / "campaigns").mkdir()
    return home


def rows(home: Path, sql: str) -> list[sqlite3.Row]:
    with contextlib.closing(sqlite3.connect(home / "dialer.db")) as db:
        db.row_factory = sqlite3.Row
        return db.execute(sql).fetchall()


def attempts(home: Path) -> list[sqlite3.Row]:
    return rows(home, "SELECT * FROM attempts ORDER BY id")


def ended_attempts(home: Path) -> list[sqlite3.Row]:
    """The attempts that have ended."""
    return rows(home, "SELECT * FROM attempts WHERE ended_at IS NOT NULL")


@contextlib.asynccontextmanager
async def daemon(home: Path, log: Path) -> AsyncIterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        command = [*DIALER, "-c", str(home / "dialer.toml"), "run"]
        process = subprocess.Popen(command, cwd=home, stdout=out, stderr=out)  # noqa: ASYNC220 (polled, never awaited)
    try:
        yield process
    finally:
        stop_process(process, grace=30, reap=10)


async def wait_for(condition: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
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


@dataclass(frozen=True)
class LabCampaign:
    """A campaign applied in a daemon's home, its leads imported and its agent added: how to reach the daemon."""

    name: str
    auth: dict[str, str]
    base: str
    log: Path


def write_campaign(
    home: Path,
    name: str,
    zone: LabZone,
    kind: str,
    *,
    trunk: str = "Local/{number}@lab-pstn",
    max_attempts: int,
    caller_name: str = "Lab Dialer",
    sections: str,
) -> Path:
    """Campaign ``name``'s file in ``home``: on the lab's queue in ``zone`` (the US regime) dialling ``trunk``, ``kind``
    its line saying what it is (``dial_mode = "power"``, ``kind = "agentless"``), ``sections`` the tables after its
    caller ID."""
    campaign = home / "campaigns" / f"{name}.toml"
    campaign.write_text(
        f"""
name = "{name}"
{kind}
queue = "{QUEUE}"
trunk = "{trunk}"
regime = "US"
timezone = "{zone.timezone}"
ring_timeout_seconds = 25
max_attempts = {max_attempts}

[caller_id]
number = "+1 202 555 0100"
name = "{caller_name}"

{sections}""",
        encoding="utf-8",
    )
    return campaign


def agent_auth(home: Path) -> dict[str, str]:
    """AGENT added in ``home`` with PHONE: the headers of its API token."""
    dialer(home, "user", "add", AGENT, "--role", "agent", "--password", "lab-agent-pass", "--phone", PHONE)
    token = dialer(home, "user", "token", AGENT).strip().split()[-1]
    return {"Authorization": f"Bearer {token}"}


def import_leads(home: Path, campaign: str, numbers: Iterable[str]) -> None:
    """``numbers`` imported in ``home`` as ``campaign``'s leads (named Lab0, Lab1, ...)."""
    csv = home / "leads.csv"
    csv.write_text("phone,first_name\n" + "".join(f"{n},Lab{i}\n" for i, n in enumerate(numbers)), encoding="utf-8")
    dialer(home, "leads", "import", str(csv), "--campaign", campaign)


def power_campaign(
    home: Path, name: str, trunk: str, zone: LabZone, numbers: Iterable[str], *, max_attempts: int
) -> LabCampaign:
    """A power campaign on the lab's queue in ``zone`` (``open_zone()``) dialling ``trunk``;
    its leads (``numbers``) imported; AGENT added with PHONE and an API token."""
    campaign = write_campaign(
        home,
        name,
        zone,
        'dial_mode = "power"',
        trunk=trunk,
        max_attempts=max_attempts,
        sections="[pacing]\npower_ratio = 3\n",
    )
    dialer(home, "db", "upgrade")
    dialer(home, "campaign", "apply", str(campaign))
    import_leads(home, name, numbers)
    auth = agent_auth(home)
    return LabCampaign(name, auth, f"http://127.0.0.1:{settings_port(home)}", home / "daemon.log")


async def agent_ready_then_start(
    http: aiohttp.ClientSession, base: str, auth: dict[str, str], home: Path, campaign: str
) -> None:
    """AGENT logged in to the lab's queue and ready through the HTTP API at ``base``, then ``campaign`` started."""
    async with http.post(f"{base}/api/agents/{AGENT}/login", json={"queues": [QUEUE]}, headers=auth) as r:
        assert r.status == 200, await r.text()
    async with http.post(f"{base}/api/agents/{AGENT}/ready", headers=auth) as r:
        assert r.status == 200, await r.text()
    dialer(home, "campaign", "start", campaign)


async def start_with_agent_ready(http: aiohttp.ClientSession, home: Path, campaign: LabCampaign) -> None:
    """Once the daemon answers: AGENT logged in to the lab's queue and ready, then the campaign started."""
    await healthy(http, campaign.base)
    await agent_ready_then_start(http, campaign.base, campaign.auth, home, campaign.name)
