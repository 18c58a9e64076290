"""Virtual hold on a real Asterisk through the daemon (opt-in: DIALER_TEST_AMI): the promise the shipped inbound flow
makes -- "press 1 and we will call you back" -- kept end to end.

An inbound caller enters the production inbound route (dialer-inbound,ivr) while nobody is logged in to
inbound-sales. The daemon's FastAGI server runs campaigns/ivr/inbound.toml: the caller keys an account the daemon
has no table for, the daemon's ``queue_wait`` answers ``closed``, the caller presses 1 at the offer, and
``book_callback`` books a callback on the caller's number in ``[fastagi] callback_campaign``; the flow says so and
hangs up. Inside the calling window where the caller lives, an agent then logs in and the campaign starts: the
callback is due, the runner dials the caller back on the number they called from, the callee answers and reaches
the agent, and the callback is kept. Outside it, the caller is told the call will come later, and the callback is
due when the window opens there."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from harness.lab import lab_settings, prompt_sounds
from harness.lab_daemon import (
    AGENT,
    ZONES,
    LabZone,
    agent_auth,
    agent_ready_then_start,
    daemon,
    dialer,
    healthy,
    open_zone,
    rows,
    settings_port,
    write_campaign,
)
from harness.lab_daemon import wait_for as wait_until
from harness.paths import REPO
from harness.ports import free_port

from dialer.ami.actions import OriginateRequest, OriginateStatus
from dialer.ami.client import AmiClient
from dialer.campaign.config import load_campaign_file
from dialer.campaign.holiday_calendar import ClosedDays

pytestmark = pytest.mark.real_ami

CAMPAIGN = "lab-vh"
# The caller's number: the lab's callee ...1 answers after 3 s of ringing and talks LAB_LIVE_TALK seconds
# (asterisk/lab/extensions.conf [lab-pstn]), so the callback reaches a person.
CALLER_SEVEN = "7770001"
OPENS = time(8, 0)  # the US regime's calling window, 08:00-21:00 in the called party's zone


def closed_zone() -> LabZone:
    """A zone whose calling window is closed now and for the next minutes (local 22:00-06:00)."""
    now = datetime.now(UTC)
    for zone in ZONES:
        if zone.timezone.startswith("America/") or zone.timezone.startswith("Pacific/"):
            hour = now.astimezone(ZoneInfo(zone.timezone)).hour
            if hour >= 22 or hour < 6:
                return zone
    pytest.skip("no US lab zone's calling window is closed now")


def next_opening(zone: LabZone, now: datetime, closed: ClosedDays) -> datetime:
    """When the calling window next opens in ``zone`` (it is closed at ``now``), on a day the campaign's calendar
    (``closed``: its public holidays and closed dates) leaves open -- e.g. not on Guam's Lady of Camarin Day."""
    local = now.astimezone(ZoneInfo(zone.timezone))
    day = local.date() if local.time() < OPENS else local.date() + timedelta(days=1)
    while closed.is_closed(day, zone.timezone):
        day += timedelta(days=1)
    return datetime.combine(day, OPENS, tzinfo=ZoneInfo(zone.timezone)).astimezone(UTC)


@dataclass
class Home:
    path: Path
    base: str
    auth: dict[str, str]
    fastagi_port: int
    log: Path
    closed: ClosedDays  # the campaign's closed days (its regime's public holidays)

    def history(self) -> str:
        return self.log.read_text(encoding="utf-8")[-6000:] if self.log.exists() else ""


def prepare(home: Path, zone: LabZone) -> Home:
    """The daemon's home: the inbound flow (its prompts rendered into the lab's sounds: skipped without espeak-ng) on a
    fixed FastAGI port, virtual hold booking into a power campaign on the lab's queue in ``zone``, its agent."""
    sounds = prompt_sounds()
    flow = home / "campaigns" / "ivr" / "inbound.toml"
    flow.parent.mkdir()
    shutil.copy(REPO / "campaigns" / "ivr" / "inbound.toml", flow)
    fastagi_port = free_port()
    with (home / "dialer.toml").open("a", encoding="utf-8") as settings:
        settings.write(
            f'\n[fastagi]\nhost = "127.0.0.1"\nport = {fastagi_port}\ninbound_flows = ["{flow}"]\n'
            f'callback_campaign = "{CAMPAIGN}"\n'
        )
    amd_off = "[amd]\nenabled = false\n"
    campaign = write_campaign(home, CAMPAIGN, zone, 'dial_mode = "power"', max_attempts=2, sections=amd_off)
    dialer(home, "db", "upgrade")
    dialer(home, "ivr", "render", str(flow), "--sounds", str(sounds))
    dialer(home, "campaign", "apply", str(campaign))
    auth = agent_auth(home)
    closed = load_campaign_file(campaign).closed_days
    return Home(home, f"http://127.0.0.1:{settings_port(home)}", auth, fastagi_port, home / "daemon.log", closed)


@asynccontextmanager
async def running(home: Home) -> AsyncIterator[tuple[AmiClient, aiohttp.ClientSession]]:
    async with AmiClient(lab_settings()) as ami, aiohttp.ClientSession() as http, daemon(home.path, home.log):
        await ami.wait_up(within_seconds=5)
        await healthy(http, home.base)
        yield ami, http


async def caller_presses_1(ami: AmiClient, home: Home, caller: str) -> dict[str, object]:
    """An inbound caller (asterisk/lab [lab-inbound-ivr-keys]) keys 9999# at 6 s (no accounts table: the lookup errs,
    the flow goes on to the wait), then 1 six seconds later, while the offer plays; the flow's stored result."""
    request = OriginateRequest(
        channel="Local/s@lab-inbound-ivr",
        attempt_id="vh-caller",
        context="lab-inbound-ivr-keys",
        caller_id=f'"Customer" <{caller}>',
        variables={
            "_DIALER_FASTAGI": f"127.0.0.1:{home.fastagi_port}",
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
        return [dict(r) for r in rows(home.path, "SELECT * FROM ivr_results")]

    await wait_until(lambda: bool(flow_results()), 90, "the inbound flow's result")
    (flow,) = flow_results()
    assert flow["result"] == "callback_booked", home.history()
    assert json.loads(str(flow["keys"]))[-1] == ["offer", "1"]
    assert flow["attempt_id"] is None
    return flow


def callbacks(home: Home) -> list[dict[str, object]]:
    sql = "SELECT c.*, l.phone FROM callbacks c JOIN leads l ON l.id = c.lead_id ORDER BY c.id"
    return [dict(r) for r in rows(home.path, sql)]


async def test_a_caller_who_asks_to_be_called_back_is_called_back(home: Path) -> None:
    zone = open_zone()
    caller = zone.number(CALLER_SEVEN)
    lab = prepare(home, zone)
    async with running(lab) as (ami, http):
        flow = await caller_presses_1(ami, lab, caller)
        path = json.loads(str(flow["path"]))
        assert path[-5:] == ["wait", "offer", "book", "booked-when", "callback-booked"], path  # inside the window
        (callback,) = callbacks(lab)
        assert (callback["state"], callback["phone"]) == ("pending", caller), lab.history()
        assert "inbound IVR" in str(callback["notes"] or "")

        # An agent comes in and the campaign starts: the callback falls due and is dialled on the caller's number.
        await agent_ready_then_start(http, lab.base, lab.auth, home, CAMPAIGN)

        def kept() -> bool:
            (row,) = callbacks(lab)
            ended = rows(home, "SELECT outcome FROM attempts WHERE ended_at IS NOT NULL")
            return row["state"] == "done" and bool(ended)

        await wait_until(kept, 90, "the callback to be dialled, answered and ended")
        await asyncio.sleep(1)
    (attempt,) = rows(home, "SELECT a.*, l.phone FROM attempts a JOIN leads l ON l.id = a.lead_id")
    assert attempt["phone"] == caller
    assert attempt["outcome"] == "connected", lab.history()
    assert attempt["agent"] == AGENT
    assert attempt["lead_id"] == callback["lead_id"]


async def test_a_caller_outside_the_calling_window_is_told_it_will_come_later(home: Path) -> None:
    zone = closed_zone()
    caller = zone.number(CALLER_SEVEN)
    lab = prepare(home, zone)
    async with running(lab) as (ami, http):
        asked = datetime.now(UTC)
        flow = await caller_presses_1(ami, lab, caller)
        path = json.loads(str(flow["path"]))
        assert path[-5:] == ["wait", "offer", "book", "booked-when", "callback-booked-later"], path
        assert json.loads(str(flow["variables"]))["callback_moved"] == "yes"
        (callback,) = callbacks(lab)
        due = datetime.fromisoformat(str(callback["due_at"])).replace(tzinfo=UTC)
        assert (callback["state"], callback["phone"]) == ("pending", caller), lab.history()
        assert due == next_opening(zone, asked, lab.closed), (due, zone.timezone)
        # the campaign runs with an agent ready: nobody is dialled at night
        await agent_ready_then_start(http, lab.base, lab.auth, home, CAMPAIGN)
        await asyncio.sleep(5)
    assert rows(home, "SELECT id FROM attempts") == []
