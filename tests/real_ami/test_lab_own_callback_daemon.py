"""A personal callback reaches the agent who promised it, through the whole daemon (its HTTP API, AMI client, event
pump, pacing loop) against the real lab (opt-in: DIALER_TEST_AMI): a progressive campaign, one lead booked as bob's
callback, due now. alice signs in first (the longest idle, whom the queue would pick): the callback waits for bob
and nothing is dialled; bob signs in: the callback is dialled straight to bob's phone ([dialer-direct-agent]) while
alice stays ready, the callee answers and reaches bob, whose console says it is his own callback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from harness.lab_api import LabDialer, lab_dialer, sign_in, until

from dialer.store.console import create_callback
from dialer.store.engine import open_database
from dialer.store.leads import get_lead

pytestmark = pytest.mark.real_ami

CAMPAIGN = """
name = "labowncb"
dial_mode = "progressive"
queue = "outbound-agents"
trunk = "Local/{e164}@lab-pstn"
regime = "US"
timezone = "{zone}"
[caller_id]
number = "+1 202 555 0142"
"""


@pytest.fixture
async def world(tmp_path: Path, aiohttp_client: Any) -> AsyncIterator[LabDialer]:
    async with lab_dialer(tmp_path, aiohttp_client, CAMPAIGN, phone_prefix="oc", inbound_queues=[]) as w:
        yield w


async def agent_call(world: LabDialer, agent: str) -> dict[str, Any] | None:
    resp = await world.client.get(f"/api/agents/{agent}/call", headers=world.auth(agent))
    assert resp.status == 200, await resp.text()
    body: dict[str, Any] = await resp.json()
    return body


async def test_the_callback_reaches_its_owner_while_another_agent_is_ready(world: LabDialer, tmp_path: Path) -> None:
    boss = world.auth("boss")
    # One lead, a callee who answers and talks ([lab-pstn] 9980xxx).
    lead = {"phone": world.zone.number("998 0191"), "first_name": "Ann", "last_name": "Lee"}
    resp = await world.client.post("/api/campaigns/labowncb/leads", json={"leads": [lead]}, headers=boss)
    assert resp.status == 200, await resp.text()
    async with open_database(f"sqlite+aiosqlite:///{tmp_path / 'lab.db'}") as db:
        now = datetime.now(UTC)
        booked = await create_callback(db, 1, now, "bob", "promised a quote", now)
        assert booked is not None

        await sign_in(world, "alice", "outbound-agents")

        async def status() -> dict[str, Any]:
            resp = await world.client.get("/api/campaigns/labowncb/stats", headers=boss)
            body: dict[str, Any] = await resp.json()
            return body

        async def waiting_for_owner() -> bool:
            why = (await status()).get("why_not_dialing") or {}
            return why.get("code") == "callback_owner"

        await until(waiting_for_owner, 15.0)
        lead_row = await get_lead(db, booked.lead_id)
        assert lead_row is not None
        assert lead_row.status == "callback"

        await sign_in(world, "bob", "outbound-agents")

        async def bobs_call() -> dict[str, Any] | None:
            body = await agent_call(world, "bob")
            assert body is not None
            call: dict[str, Any] | None = body["call"]
            return call if call is not None and body["agent"]["status"] == "talking" else None

        call = await until(bobs_call, 60.0)
        assert call["lead"]["id"] == booked.lead_id
        assert call["own_callback"]["notes"] == "promised a quote"
        alice = await agent_call(world, "alice")
        assert alice is not None
        assert alice["call"] is None
        assert alice["agent"]["status"] == "ready"
        resp = await world.client.post("/api/agents/bob/call/hangup", headers=world.auth("bob"))
        assert resp.status == 200, await resp.text()
