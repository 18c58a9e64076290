"""The real daemon's AMI connection cut while its call rings and is answered, then restored (opt-in: DIALER_TEST_AMI).

`dialer run` reaches the lab through a TCP relay (harness.faults.TcpCut); the relay resets the connection and refuses
new ones right after the Originate, while the callee (...1) answers at 3 s and the queue gives the call to the agent;
the relay is restored once the lab (seen past the relay) has the call bridged. The session opened again never gets
the call's OriginateResponse (Asterisk 22 sent it once, at the answer: tests/fixtures/ami-traces/lab/
reconnect-mid-call.txt); the dialplan's DialerCallEnd says the call was connected, and the attempt ends so when the
agent hangs up -- not lost, not counted as failed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from harness.faults import TcpCut
from harness.lab import QUEUE, lab_settings
from harness.lab_api import until
from harness.lab_daemon import (
    AGENT,
    PHONE,
    attempts,
    daemon,
    dialer,
    healthy,
    open_zone,
    power_campaign,
    secret_of,
    wait_for,
    write_home,
)

from dialer.ami.client import AmiClient

pytestmark = pytest.mark.real_ami


@pytest.fixture
async def relay() -> AsyncIterator[TcpCut]:
    lab = lab_settings()
    cut = TcpCut(lab.host, lab.port)
    await cut.start()
    try:
        yield cut
    finally:
        await cut.close()


async def test_a_call_answered_while_the_ami_connection_is_cut_ends_connected(
    tmp_path: Path, relay: TcpCut, monkeypatch: pytest.MonkeyPatch
) -> None:
    lab = lab_settings()
    monkeypatch.setenv("DIALER_TEST_AMI", f"{lab.host}:{relay.port}:{lab.username}:{secret_of(lab)}")
    home = write_home(tmp_path)  # its [[ami]] is the relay
    zone = open_zone()
    campaign = power_campaign(
        home, "lab-cut", "Local/{number}@lab-pstn", zone, [zone.number("5550101")], max_attempts=1
    )

    async with aiohttp.ClientSession() as http, daemon(home, campaign.log):
        await healthy(http, campaign.base)
        for step in ("login", "ready"):
            body = {"queues": [QUEUE]} if step == "login" else None
            async with http.post(f"{campaign.base}/api/agents/{AGENT}/{step}", json=body, headers=campaign.auth) as r:
                assert r.status == 200, await r.text()
        # The relay runs in this loop: the `dialer campaign start` command runs in a thread, not to stall it.
        await asyncio.to_thread(dialer, home, "campaign", "start", campaign.name)
        await wait_for(lambda: len(attempts(home)) == 1, 60, "the call")
        relay.cut()
        channel = attempts(home)[0]["channel_id"]
        async with AmiClient(lab) as watcher:  # the lab seen past the relay: the call bridged to the agent
            await watcher.wait_up(within_seconds=5)

            async def bridged() -> bool:
                return any(c.uniqueid == channel and c.bridge_id for c in await watcher.core_show_channels())

            await until(bridged, 30.0)
        relay.restore()
        await wait_for(lambda: attempts(home)[0]["ended_at"] is not None, 90, "the call to end")

    (attempt,) = attempts(home)
    log = campaign.log.read_text(encoding="utf-8")
    assert log.count("ami_connection_lost") == 1  # the cut, mid-call
    assert attempt["outcome"] == "connected", log[-3000:]
    assert attempt["agent"] == PHONE
    assert attempt["hangup_cause"] == 16
    assert "call_lost" not in log
