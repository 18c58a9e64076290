"""kill -9 of a running `dialer run` process against the real lab (opt-in: DIALER_TEST_AMI), then a restart.

The daemon is the real one (a subprocess, its own SQLite file, its HTTP API, an agent logged in through it). It is
killed with SIGKILL while its calls are up in Asterisk, and started again with the same node identity. Then, as the
restart promise says (issue 12 §2): the restarted process takes its campaign back; every attempt the dead one
placed ends with the outcome Asterisk reported (a connected call is CONNECTED, a ringing one NO_ANSWER, a busy one
BUSY, none guessed or inferred); no lead is dialled again while its attempt is open; the agent is still logged in.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import aiohttp
import pytest
from harness.lab_daemon import (
    AGENT,
    attempts,
    daemon,
    healthy,
    open_zone,
    power_campaign,
    rows,
    start_with_agent_ready,
    wait_for,
)

pytestmark = pytest.mark.real_ami

# The lab's callee is chosen by the last digit: 1 answers (and reaches the agent), 2 busy, 3 rings on.
EXPECTED = {"1": "connected", "2": "busy", "3": "no_answer"}


async def test_kill_9_of_the_daemon_process_mid_call_then_restart(home: Path) -> None:
    zone = open_zone()
    numbers = {zone.number(f"555{suffix}"): EXPECTED[suffix[-1]] for suffix in ("0101", "0102", "0103")}
    campaign = power_campaign(home, "lab-kill", "Local/{number}@lab-pstn", zone, numbers, max_attempts=1)
    auth, base, log = campaign.auth, campaign.base, campaign.log

    async with aiohttp.ClientSession() as http:
        async with daemon(home, log) as first:
            await start_with_agent_ready(http, home, campaign)
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

    closed = attempts(home)
    phones = {row["id"]: row["phone"] for row in rows(home, "SELECT id, phone FROM leads")}
    assert len(closed) == len(numbers), "no lead dialled again while its attempt was open (max_attempts = 1)"
    outcomes = {phones[a["lead_id"]]: a["outcome"] for a in closed}
    assert outcomes == numbers, log.read_text(encoding="utf-8")[-4000:]
    assert not any(a["outcome_inferred"] for a in closed), "every outcome is the PBX's, none inferred"
