"""The daemon (`dialer run`, a subprocess with its own SQLite file and its FastAGI server) running an agentless
reminder campaign against the real lab (opt-in: DIALER_TEST_AMI; the prompts are rendered with espeak-ng into the
lab's sounds directory by `dialer campaign apply --sounds`).

What issue 17 asks of the real tier, through the daemon rather than a hand-made FastAGI server: a callee who presses
1 confirms in self-service; one who presses 3 reaches an agent (logged in through the API) whose call view -- the
screen pop -- shows the flow's path and keys; one who presses 9 lands in the DNC list. Every attempt has the outcome
Asterisk reported and every answered one a stored flow result; and the campaign's calls per second hold where they
are promised, at the PBX: the Originates' channels appear in Asterisk no faster than the cap (seen by our own AMI
session, within a loopback measurement slack).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from harness.lab import lab_settings, prompt_sounds
from harness.lab_daemon import (
    AGENT,
    agent_auth,
    agent_ready_then_start,
    daemon,
    dialer,
    ended_attempts,
    healthy,
    import_leads,
    open_zone,
    rows,
    settings_port,
    write_campaign,
)
from harness.lab_daemon import wait_for as wait_until
from harness.paths import REPO

from dialer.ami.client import AmiClient
from dialer.ami.events import AmiEvent, Newchannel

pytestmark = pytest.mark.real_ami

CPS = 1
# the lab's 998Kxxx callee answers, listens LAB_IVR_LISTEN s and presses K (asterisk/lab/extensions.conf)
CALLEES = {"9981001": "1", "9983001": "3", "9989001": "9", "9981002": "1"}
MEASUREMENT_SLACK = 0.2  # seconds: loopback and this test's own event loop between Asterisk and the stamp


async def stamp_events(ami: AmiClient, seen: list[tuple[float, AmiEvent]]) -> None:
    async for event in ami.events():
        seen.append((time.monotonic(), event))


async def test_the_daemon_runs_an_agentless_reminder_campaign_on_the_lab(home: Path) -> None:
    sounds = prompt_sounds()
    zone = open_zone()
    numbers = {zone.number(seven): key for seven, key in CALLEES.items()}
    with (home / "dialer.toml").open("a", encoding="utf-8") as settings:
        settings.write('\n[fastagi]\nhost = "127.0.0.1"\nport = 0\n')  # a free port, sent with every Originate
    campaigns = home / "campaigns"
    (campaigns / "ivr").mkdir()
    shutil.copy(REPO / "campaigns" / "ivr" / "reminder.toml", campaigns / "ivr" / "reminder.toml")
    campaign = write_campaign(
        home,
        "lab-reminder",
        zone,
        'kind = "agentless"',
        max_attempts=1,
        caller_name="Lab Reminders",
        sections=f"""[amd]
enabled = false

[agentless]
purpose = "reminder"
flow = "reminder"
max_channels = 4
calls_per_second = {CPS}
""",
    )
    dialer(home, "db", "upgrade")
    dialer(home, "campaign", "apply", str(campaign), "--sounds", str(sounds))
    import_leads(home, "lab-reminder", numbers)
    auth = agent_auth(home)
    base = f"http://127.0.0.1:{settings_port(home)}"
    log = home / "daemon.log"

    seen: list[tuple[float, AmiEvent]] = []
    views: list[dict[str, Any]] = []
    async with AmiClient(lab_settings()) as ami:
        await ami.wait_up(within_seconds=5)
        stamps = asyncio.create_task(stamp_events(ami, seen))
        try:
            async with aiohttp.ClientSession() as http, daemon(home, log):
                await healthy(http, base)
                await agent_ready_then_start(http, base, auth, home, "lab-reminder")
                deadline = time.monotonic() + 180
                while time.monotonic() < deadline and len(ended_attempts(home)) < len(numbers):
                    async with http.get(f"{base}/api/agents/{AGENT}/call", headers=auth) as r:
                        body = await r.json()
                    call = body.get("call") or {}
                    if call.get("ivr"):
                        views.append(call)
                    await asyncio.sleep(0.5)
                await wait_until(lambda: len(ended_attempts(home)) == len(numbers), 30, "every reminder call to end")
                await asyncio.sleep(2)  # the last flow results reach the database
        finally:
            stamps.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await stamps

    history = log.read_text(encoding="utf-8")[-4000:]
    phones = {lead["id"]: lead["phone"] for lead in rows(home, "SELECT * FROM leads")}
    attempts = rows(home, "SELECT * FROM attempts ORDER BY id")
    assert len(attempts) == len(numbers), history
    outcomes = {phones[a["lead_id"]][-7:]: a["outcome"] for a in attempts}
    assert outcomes["9981001"] == outcomes["9981002"] == "self_service", (outcomes, history)
    assert outcomes["9983001"] == "connected", (outcomes, history)
    assert not any(a["outcome_inferred"] for a in attempts)

    results = {r["attempt_id"]: r for r in rows(home, "SELECT * FROM ivr_results")}
    assert set(results) == {a["id"] for a in attempts if a["answered_at"] is not None}, history
    by_number = {phones[a["lead_id"]][-7:]: results[a["id"]] for a in attempts}
    assert by_number["9981001"]["result"] == "confirmed"
    assert json.loads(by_number["9983001"]["path"]) == ["greet", "menu", "agent"]
    assert by_number["9983001"]["transferred"]
    assert by_number["9989001"]["opted_out"]
    dnc = {row["number"] for row in rows(home, "SELECT number FROM dnc")}
    assert zone.number("9989001") in dnc

    # the agent's call view (the screen pop) showed what the caller did in the flow
    assert views, "the agent never had the transferred call with its flow context"
    assert views[0]["ivr"]["path"].endswith("menu>agent")
    assert "keys menu:3" in views[0]["ivr_summary"]

    # the calls per second at the PBX: the Originates' channels as Asterisk created them
    created = sorted(
        at
        for at, event in seen
        if isinstance(event, Newchannel) and "@lab-pstn-" in event.channel and event.channel.endswith(";1")
    )
    assert len(created) == len(numbers)
    gaps = [b - a for a, b in zip(created, created[CPS:], strict=False)]
    assert min(gaps) >= 1.0 - MEASUREMENT_SLACK, gaps
