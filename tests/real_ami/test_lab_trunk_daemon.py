"""The daemon (`dialer run`, a subprocess with its own SQLite file) dialling a campaign whose trunk is the lab's IAX2
trunk, ``trunk = "IAX2/carrier/{number}"`` (asterisk/lab/iax.conf, asterisk/lab/carrier; opt-in: DIALER_TEST_AMI):
every failure the carrier sends back is recorded with the outcome its Reason and cause mean, and the lead rules act
on it -- busy, congestion and no answer requeue the lead, an unallocated number archives it.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import aiohttp
import pytest
from harness.lab import QUEUE
from test_lab_daemon_kill import AGENT, PHONE, ZONES, daemon, dialer, healthy, home, open_area_code, settings_port
from test_lab_daemon_kill import wait_for as wait_until

pytestmark = pytest.mark.real_ami
__all__ = ["home"]  # the fixture, imported with the helpers

# last seven digits -> (attempt outcome, lead status); the carrier acts them out ([carrier-numbers])
EXPECTED = {
    "5550102": ("busy", "retry"),  # Busy(): Reason 5, cause 17
    "5550104": ("congestion", "retry"),  # Congestion(): Reason 8, cause 34
    "5550105": ("unallocated", "archived"),  # released with cause 1: Reason 0
    "5559017": ("busy", "retry"),  # released with cause 17: Reason 0
    "5559019": ("no_answer", "retry"),  # released with cause 19: Reason 0
    "5559021": ("congestion", "retry"),  # released with cause 21 (call rejected): Reason 0
}


def rows(home: Path, sql: str) -> list[sqlite3.Row]:
    with contextlib.closing(sqlite3.connect(home / "dialer.db")) as db:
        db.row_factory = sqlite3.Row
        return db.execute(sql).fetchall()


async def test_the_daemon_records_the_carriers_causes_over_the_iax2_trunk(home: Path) -> None:
    code = open_area_code()
    numbers = {f"+1{code}{seven[:3]}{seven[3:]}": wanted for seven, wanted in EXPECTED.items()}
    campaign = home / "campaigns" / "lab-trunk.toml"
    campaign.write_text(
        f"""
name = "lab-trunk"
dial_mode = "power"
queue = "{QUEUE}"
trunk = "IAX2/carrier/{{number}}"
regime = "US"
timezone = "{ZONES[code]}"
ring_timeout_seconds = 25
max_attempts = 3

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
    dialer(home, "leads", "import", str(csv), "--campaign", "lab-trunk")
    dialer(home, "user", "add", AGENT, "--role", "agent", "--password", "lab-agent-pass", "--phone", PHONE)
    token = dialer(home, "user", "token", AGENT).strip().split()[-1]
    auth = {"Authorization": f"Bearer {token}"}
    base = f"http://127.0.0.1:{settings_port(home)}"
    log = home / "daemon.log"

    def ended() -> list[sqlite3.Row]:
        return rows(home, "SELECT * FROM attempts WHERE ended_at IS NOT NULL")

    async with aiohttp.ClientSession() as http, daemon(home, log):
        await healthy(http, base)
        async with http.post(f"{base}/api/agents/{AGENT}/login", json={"queues": [QUEUE]}, headers=auth) as r:
            assert r.status == 200, await r.text()
        async with http.post(f"{base}/api/agents/{AGENT}/ready", headers=auth) as r:
            assert r.status == 200, await r.text()
        dialer(home, "campaign", "start", "lab-trunk")
        await wait_until(lambda: len(ended()) == len(numbers), 120, "every lead dialled once over the trunk")

    phones = {row["id"]: row for row in rows(home, "SELECT * FROM leads")}
    attempts = rows(home, "SELECT * FROM attempts ORDER BY id")
    assert len(attempts) == len(numbers), "no lead dialled twice (the retry delays are minutes)"
    got = {phones[a["lead_id"]]["phone"]: (a["outcome"], phones[a["lead_id"]]["status"]) for a in attempts}
    assert got == numbers, log.read_text(encoding="utf-8")[-4000:]
    assert not any(a["outcome_inferred"] for a in attempts)
    archived = [lead for lead in phones.values() if lead["status"] == "archived"]
    assert [lead["archive_reason"] for lead in archived] == ["unallocated"]
