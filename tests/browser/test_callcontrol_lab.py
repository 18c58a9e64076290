"""Call control end to end in two browsers against the real Asterisk lab (opt-in: DIALER_TEST_AMI, like the
real-Asterisk tier): alice takes a call, holds and resumes it, warm-transfers it to bob who takes it, alice drops out,
bob hangs up and dispositions. The legs are in the call record and the transfers report.

The whole dialer runs in this process, connected to the lab (asterisk/lab: [lab-cc-pstn] callees and
[lab-cc-agents] phones stay on the line); time is real, so the lead is a number of a lab zone whose calling window
(08:00-21:00 there) is open now (harness.lab_daemon.open_zone, as the tier's daemon tests pick theirs).
Screenshots: tests/artifacts/console-cc-*.png.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from harness.browser import new_page, served
from harness.console import (
    cc_state_is,
    hand_over,
    hang_up_and_dispose,
    last_call_and_legs,
    sign_in_agent,
    takes_the_call_over,
)
from harness.lab import lab_settings
from harness.lab_daemon import open_zone
from harness.stepping import eventually
from harness.web import PASSWORD

from dialer.app import build_app
from dialer.campaign.config import load_campaign_file
from dialer.clock import RealTimeClock
from dialer.provision import provision_campaign
from dialer.settings import Settings
from dialer.store.auth import Role, add_api_token, create_user
from dialer.store.engine import open_database
from dialer.store.migrate import upgrade
from dialer.web.security import hash_password, new_api_token

pytestmark = pytest.mark.browser

CAMPAIGN = """
name = "cc"
dial_mode = "progressive"
queue = "outbound-agents"
trunk = "Local/{nsn}@lab-cc-pstn"
regime = "US"
timezone = "{zone}"
wrap_up_seconds = 300
[caller_id]
number = "+1 202 555 0142"
[call_control]
manual_dial = true
"""
LEADS = "phone,first_name,last_name\n{number},Carla,Customer\n"


@asynccontextmanager
async def lab_dialer(tmp_path: Path) -> AsyncIterator[tuple[Any, dict[str, str]]]:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'cc.db'}",
        var_dir=tmp_path,
        ami=[lab_settings()],
        inbound_queues=["inbound-sales"],
        drain_timeout_seconds=0.5,
    )
    zone = open_zone()
    (tmp_path / "cc.toml").write_text(CAMPAIGN.replace("{zone}", zone.timezone))
    (tmp_path / "cc.csv").write_text(LEADS.replace("{number}", zone.number("555 0101")))
    now = datetime.now(UTC)
    tokens: dict[str, str] = {}
    async with open_database(settings.database_url) as db:
        await upgrade(db)
        await provision_campaign(db, load_campaign_file(tmp_path / "cc.toml"), tmp_path / "cc.csv", now)
        run = os.urandom(3).hex()
        for name, role, phone in (
            ("boss", Role.MANAGER, None),
            ("alice", Role.AGENT, f"Local/ccalice{run}@lab-cc-agents"),
            ("bob", Role.AGENT, f"Local/ccbob{run}@lab-cc-agents"),
        ):
            user = await create_user(db, name, role, hash_password(PASSWORD), now, phone=phone)
            tokens[name] = new_api_token()
            await add_api_token(db, user.id, tokens[name], "tests", now)
    yield build_app(settings, clock=RealTimeClock()), tokens


async def test_hold_resume_and_warm_transfer_to_a_second_agent(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    async with lab_dialer(tmp_path) as (app, tokens):
        client, base = await served(aiohttp_client, app)
        errors: list[str] = []
        alice = await new_page(browser, errors)
        bob = await new_page(browser, errors, own_context=True)
        await sign_in_agent(bob, base, "bob", ready=False)
        await sign_in_agent(alice, base, "alice", ready=True)
        # The campaign's only lead is dialled for alice: screen pop and the call-control panel.
        await alice.wait_for_selector("#lead-name", timeout=40_000)
        await alice.wait_for_selector("#callcontrol-panel:not([hidden])", timeout=20_000)
        await eventually(lambda: cc_state_is(alice, "talking"))
        await alice.click("#cc-hold")
        await eventually(lambda: cc_state_is(alice, "held"))
        await alice.screenshot(path=str(artifacts / "console-cc-held.png"))
        await alice.click("#cc-resume")
        await eventually(lambda: cc_state_is(alice, "talking"))
        # bob becomes ready (nothing left to dial); alice consults him, then hands the customer over.
        await bob.keyboard.press("Alt+r")
        await bob.wait_for_selector("#state-pill.pill-ready")
        await hand_over(alice, "agent", "bob", "#cc-warm")
        try:
            await eventually(lambda: cc_state_is(alice, "consulting"), 15.0)
        except AssertionError:
            raise AssertionError(await alice.text_content("#cc-msg")) from None
        await alice.screenshot(path=str(artifacts / "console-cc-consulting.png"))
        await alice.click("#cc-complete")
        # alice drops out; bob's console pops the call and he controls it.
        await takes_the_call_over(bob, alice)
        await bob.screenshot(path=str(artifacts / "console-cc-transferred.png"))
        legs = [str(t) for t in await bob.locator("#cc-legs li").all_inner_texts()]
        assert "agent alice" in legs[0]
        assert "warm by alice" in legs[1]
        # bob ends the call and dispositions it.
        await hang_up_and_dispose(bob)
        auth = {"Authorization": f"Bearer {tokens['boss']}"}
        attempt, legs = await last_call_and_legs(client, "bob", auth)
        assert attempt["disposition"] == "sale"
        assert [(leg["party"], leg["how"], leg["transferred_by"]) for leg in legs] == [
            ("alice", "answered", None),
            ("bob", "warm", "alice"),
        ]
        assert all(leg["talk_seconds"] and leg["talk_seconds"] > 0 for leg in legs)
        report = await (await client.get("/api/campaigns/cc/transfers", headers=auth)).json()
        assert report["transfers"] == [{"agent": "alice", "how": "warm", "to": "agent", "count": 1}]
        assert not errors, errors
