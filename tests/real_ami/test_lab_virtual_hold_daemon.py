"""Virtual hold on a real Asterisk through the daemon (opt-in: DIALER_TEST_AMI): the promise the shipped inbound flow
makes -- "press 1 and we will call you back" -- kept end to end.

An inbound caller enters the production inbound route (dialer-inbound,ivr) while nobody is logged in to
inbound-sales. The daemon's FastAGI server runs campaigns/ivr/inbound.toml: the caller keys an account the daemon
has no table for, the daemon's ``queue_wait`` answers ``closed``, the caller presses 1 at the offer, and
``book_callback`` books a callback on the caller's number in ``[fastagi] callback_campaign``; the flow says so and
hangs up. Then an agent logs in and the campaign starts: the callback is due, the runner dials the caller back on the
number they called from, the callee answers and reaches the agent, and the callback is kept."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path

import aiohttp
import pytest
from harness.lab import QUEUE, lab_settings
from harness.lab_daemon import AGENT, PHONE, daemon, dialer, healthy, open_zone, rows, settings_port
from harness.lab_daemon import wait_for as wait_until
from harness.ports import free_port

from dialer.ami.actions import OriginateRequest, OriginateStatus
from dialer.ami.client import AmiClient

pytestmark = pytest.mark.real_ami

REPO = Path(__file__).resolve().parents[2]
CAMPAIGN = "lab-vh"
# The caller's number: the lab's callee ...1 answers after 3 s of ringing and talks LAB_LIVE_TALK seconds
# (asterisk/lab/extensions.conf [lab-pstn]), so the callback reaches a person.
CALLER_SEVEN = "7770001"


def write_settings(home: Path, fastagi_port: int) -> None:
    with (home / "dialer.toml").open("a", encoding="utf-8") as settings:
        settings.write(
            f"""
[fastagi]
host = "127.0.0.1"
port = {fastagi_port}
inbound_flows = ["{home / "campaigns" / "ivr" / "inbound.toml"}"]
callback_campaign = "{CAMPAIGN}"
"""
        )


def write_campaign(home: Path, timezone: str) -> Path:
    campaign = home / "campaigns" / f"{CAMPAIGN}.toml"
    campaign.write_text(
        f"""
name = "{CAMPAIGN}"
dial_mode = "power"
queue = "{QUEUE}"
trunk = "Local/{{number}}@lab-pstn"
regime = "US"
timezone = "{timezone}"
ring_timeout_seconds = 25
max_attempts = 2

[caller_id]
number = "+1 202 555 0100"
name = "Lab Dialer"

[amd]
enabled = false
""",
        encoding="utf-8",
    )
    return campaign


async def test_a_caller_who_asks_to_be_called_back_is_called_back(home: Path) -> None:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed: the lab's prompts cannot be rendered")
    sounds = Path(os.environ.get("DIALER_LAB_ROOT", "/tmp/dialer-asterisk-lab")) / "lib" / "sounds" / "en"
    zone = open_zone()
    caller = zone.number(CALLER_SEVEN)
    (home / "campaigns" / "ivr").mkdir()
    shutil.copy(REPO / "campaigns" / "ivr" / "inbound.toml", home / "campaigns" / "ivr" / "inbound.toml")
    fastagi_port = free_port()
    write_settings(home, fastagi_port)
    campaign = write_campaign(home, zone.timezone)
    dialer(home, "db", "upgrade")
    dialer(home, "ivr", "render", str(home / "campaigns" / "ivr" / "inbound.toml"), "--sounds", str(sounds))
    dialer(home, "campaign", "apply", str(campaign))
    dialer(home, "user", "add", AGENT, "--role", "agent", "--password", "lab-agent-pass", "--phone", PHONE)
    token = dialer(home, "user", "token", AGENT).strip().split()[-1]
    auth = {"Authorization": f"Bearer {token}"}
    base = f"http://127.0.0.1:{settings_port(home)}"
    log = home / "daemon.log"

    def history() -> str:
        return log.read_text(encoding="utf-8")[-6000:] if log.exists() else ""

    async with AmiClient(lab_settings()) as ami, aiohttp.ClientSession() as http, daemon(home, log):
        await ami.wait_up(within_seconds=5)
        await healthy(http, base)
        # An inbound caller (asterisk/lab [lab-inbound-ivr-keys]): keys 9999# at 6 s (no accounts table: the lookup
        # errs, the flow goes on to the wait), then 1 six seconds later, while the offer plays.
        request = OriginateRequest(
            channel="Local/s@lab-inbound-ivr",
            attempt_id="vh-caller",
            context="lab-inbound-ivr-keys",
            caller_id=f'"Customer" <{caller}>',
            variables={
                "_DIALER_FASTAGI": f"127.0.0.1:{fastagi_port}",
                "LAB_KEYS": "9999#",
                "LAB_MENU_KEYS": "1",
                "LAB_PATIENCE": "30",
            },
            action_id="vh-caller-a",
            channel_id="vh-caller-c",
        )
        result = await ami.originate(request)
        assert result.status is OriginateStatus.QUEUED, result

        def flow_results() -> list[dict[str, object]]:
            return [dict(r) for r in rows(home, "SELECT * FROM ivr_results")]

        await wait_until(lambda: bool(flow_results()), 90, "the inbound flow's result")
        (flow,) = flow_results()
        assert flow["result"] == "callback_booked", history()
        path = json.loads(str(flow["path"]))
        assert path[-4:] == ["wait", "offer", "book", "callback-booked"], path
        assert json.loads(str(flow["keys"]))[-1] == ["offer", "1"]
        assert flow["attempt_id"] is None

        (callback,) = rows(home, "SELECT c.*, l.phone FROM callbacks c JOIN leads l ON l.id = c.lead_id ORDER BY c.id")
        assert (callback["state"], callback["phone"]) == ("pending", caller), history()
        assert "inbound IVR" in (callback["notes"] or "")

        # An agent comes in and the campaign starts: the callback falls due and is dialled on the caller's number.
        async with http.post(f"{base}/api/agents/{AGENT}/login", json={"queues": [QUEUE]}, headers=auth) as r:
            assert r.status == 200, await r.text()
        async with http.post(f"{base}/api/agents/{AGENT}/ready", headers=auth) as r:
            assert r.status == 200, await r.text()
        dialer(home, "campaign", "start", CAMPAIGN)

        def kept() -> bool:
            (row,) = rows(home, f"SELECT state FROM callbacks WHERE id = {int(callback['id'])}")
            ended = rows(home, "SELECT outcome FROM attempts WHERE ended_at IS NOT NULL")
            return row["state"] == "done" and bool(ended)

        await wait_until(kept, 90, "the callback to be dialled, answered and ended")
        await asyncio.sleep(1)
    (attempt,) = rows(home, "SELECT a.*, l.phone FROM attempts a JOIN leads l ON l.id = a.lead_id")
    assert attempt["phone"] == caller
    assert attempt["outcome"] == "connected", history()
    assert attempt["agent"] == AGENT
    assert attempt["lead_id"] == callback["lead_id"]
