"""Call control through the whole daemon (its HTTP API, its AMI client, its event pump) against the real lab
(opt-in: DIALER_TEST_AMI): a manually dialled call blind-transferred to the closer queue, where the closer gets it
on app_queue's AgentConnect; a 3-way with an outside number that the agent leaves, the customer and the third party
talking on until the customer hangs up. Callees are [lab-cc-pstn] (answer after 1 s, stay on the line) and agents
[lab-cc-agents] phones (auto-answer, stay on the line); every leg lands in the call record."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from harness.lab_api import LabDialer, dial_and_talk, lab_dialer, sign_in, until
from harness.web import supervise

from dialer.appkeys import DATABASE
from dialer.store.auth import update_user
from dialer.web.facade import daemon_of

pytestmark = pytest.mark.real_ami


CAMPAIGN = """
name = "labcc"
dial_mode = "preview"
queue = "outbound-agents"
trunk = "Local/{e164}@lab-cc-pstn"
regime = "US"
timezone = "{zone}"
[caller_id]
number = "+1 202 555 0142"
[call_control]
manual_dial = true
transfer_queues = ["inbound-sales"]
external_transfers = true
"""


def customer(world: LabDialer) -> str:
    """The customer's number: of the open zone (the lab's callees answer any digits)."""
    return world.zone.number("555 0191")


def third(world: LabDialer) -> str:
    """The 3-way's outside number."""
    return world.zone.number("555 0199")


async def hang_up_the_customer(world: LabDialer) -> None:
    """An AMI Hangup of this call's customer channel: the youngest with the customer's number (an earlier run's
    callee, with the same number, may still be on the line: the lab's callees stay LAB_CC_TALK s)."""
    prefix = f"Local/{customer(world).replace(' ', '')[1:]}@"
    legs = [c for c in await world.ami.core_show_channels() if c.channel.startswith(prefix)]
    assert await world.ami.hangup(min(legs, key=lambda c: c.duration).channel)


@pytest.fixture
async def world(tmp_path: Path, aiohttp_client: Any) -> AsyncIterator[LabDialer]:
    async with lab_dialer(tmp_path, aiohttp_client, CAMPAIGN, phone_prefix="cd", inbound_queues=["inbound-sales"]) as w:
        yield w


async def legs(world: LabDialer, attempt_id: int) -> list[dict[str, Any]]:
    async def written() -> list[dict[str, Any]] | None:
        resp = await world.client.get(f"/api/attempts/{attempt_id}/legs", headers=world.auth("boss"))
        found: list[dict[str, Any]] = (await resp.json())["legs"]
        return found or None

    return await until(written, 40.0)


async def test_blind_transfer_to_the_closer_queue_through_the_daemon(world: LabDialer) -> None:
    await sign_in(world, "bob", "inbound-sales")
    await sign_in(world, "alice", "outbound-agents")
    attempt_id = await dial_and_talk(world, customer(world))
    daemon = daemon_of(world.app)
    sent = await world.client.post(
        "/api/agents/alice/call/transfer",
        json={"kind": "queue", "target": "inbound-sales"},
        headers=world.auth("alice"),
    )
    assert sent.status == 200, await sent.text()

    # bob's console never asks: the daemon hands the call over on the lab's AgentConnect.
    async def bob_has_it() -> dict[str, object] | None:
        return daemon.call_control.state_of("bob")

    control = await until(bob_has_it, 40.0)
    assert (control["attempt_id"], control["state"]) == (attempt_id, "talking")
    resp = await world.client.post("/api/agents/bob/call/hangup", headers=world.auth("bob"))
    assert resp.status == 200, await resp.text()
    found = await legs(world, attempt_id)
    assert [(leg["kind"], leg["party"], leg["how"]) for leg in found] == [
        ("agent", "alice", "answered"),
        ("queue", "inbound-sales", "blind"),
        ("agent", "bob", "answered"),
    ]
    assert found[2]["talk_seconds"] >= 0


async def test_a_warm_transfer_completed_while_its_target_rings_completes_when_it_answers(world: LabDialer) -> None:
    """alice presses Complete at once, while bob's phone still rings (a lab phone that answers LAB_LATE_ANSWER s
    late): the transfer is not refused, it completes when bob answers, and bob has the call. (The browser test's
    Complete came 0.5 s after its target answered: a loaded machine made it come before, and it was refused.)"""
    await update_user(world.app[DATABASE], "bob", datetime.now(UTC), phone=f"Local/late{world.run}b@lab-cc-agents")
    await sign_in(world, "bob", "inbound-sales")
    await sign_in(world, "alice", "outbound-agents")
    attempt_id = await dial_and_talk(world, customer(world))
    alice = world.auth("alice")
    resp = await world.client.post(
        "/api/agents/alice/call/transfer", json={"kind": "agent", "target": "bob", "mode": "warm"}, headers=alice
    )
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["state"] == "consulting"
    done = await world.client.post("/api/agents/alice/call/transfer/complete", headers=alice)
    assert done.status == 200, await done.text()
    control = await done.json()
    assert (control["attempt_id"], control["controller"], control["state"]) == (attempt_id, "bob", "talking")
    resp = await world.client.post("/api/agents/bob/call/hangup", headers=world.auth("bob"))
    assert resp.status == 200, await resp.text()
    found = await legs(world, attempt_id)
    assert [(leg["kind"], leg["party"], leg["how"], leg["transferred_by"]) for leg in found] == [
        ("agent", "alice", "answered", None),
        ("agent", "bob", "warm", "alice"),
    ]


async def test_three_way_the_agent_leaves_through_the_daemon(world: LabDialer) -> None:
    alice = world.auth("alice")
    await sign_in(world, "alice", "outbound-agents")
    attempt_id = await dial_and_talk(world, customer(world))
    resp = await world.client.post(
        "/api/agents/alice/call/conference", json={"kind": "external", "target": third(world)}, headers=alice
    )
    assert resp.status == 200, await resp.text()

    async def joined() -> bool:
        body = await (await world.client.get("/api/agents/alice/call/control", headers=alice)).json()
        control = body["control"]
        return bool(control) and control["state"] == "conference" and len(control["legs"]) >= 2

    await until(joined, 40.0)
    resp = await world.client.post("/api/agents/alice/call/conference/leave", headers=alice)
    assert resp.status == 200, await resp.text()
    # The customer and the third party talk on; then the customer hangs up (here: an AMI Hangup of their channel).
    await asyncio.sleep(2.0)
    await hang_up_the_customer(world)
    found = await legs(world, attempt_id)
    assert [(leg["kind"], leg["party"], leg["how"], leg["transferred_by"]) for leg in found] == [
        ("agent", "alice", "answered", None),
        ("external", third(world).replace(" ", ""), "conference", "alice"),
    ]
    assert found[0]["ended_at"] <= found[1]["ended_at"]


async def test_a_supervisor_whispers_then_barges_into_a_live_call_through_the_daemon(world: LabDialer) -> None:
    """Issue 16's supervision flow through the daemon's API against the lab: the manager's phone is called and
    ChanSpy joins alice's call (whisper: coaching her alone), the manager stops; then barges in, and the barge ends by
    itself with the call. The audit keeps both sessions, in order."""
    boss = world.auth("boss")
    await sign_in(world, "alice", "outbound-agents")
    await dial_and_talk(world, customer(world))
    spyer = f"Local/supervisor{world.run}@"

    async def spying() -> bool:
        # The phone leg Dials a Local leg that runs ChanSpy (asterisk/extensions.conf [dialer-supervise-spy]).
        channels = await world.ami.core_show_channels()
        phones = {c.uniqueid for c in channels if c.channel.startswith(spyer)}
        return any(c.application == "ChanSpy" and c.linkedid in phones for c in channels)

    async def spyer_gone() -> bool:
        return not any(c.channel.startswith(spyer) for c in await world.ami.core_show_channels())

    whisper = await supervise(world.client, boss, "boss", "alice", "whisper")
    await until(spying, 30.0)
    resp = await world.client.delete(f"/api/supervision/{whisper['id']}", headers=boss)
    assert resp.status == 200, await resp.text()
    # The answer says what happened, as the audit row does: "ended" (the leg's Hangup came and ended the row), or
    # "ending" while the PBX has not hung the leg up (the row still says started).
    # The leg's Hangup comes at once, even on this silent call (the phone does not run ChanSpy itself), so the answer
    # is "ended" and so is the audit row.
    stopped = await resp.json()
    row = next(s for s in (await (await world.client.get("/api/supervision", headers=boss)).json())["items"])
    assert (stopped["state"], row["id"], row["state"]) == ("ended", whisper["id"], "ended")
    await until(spyer_gone, 30.0)

    async def ended(session_id: int) -> bool:
        body = await (await world.client.get("/api/supervision?agent=alice", headers=boss)).json()
        return any(s["id"] == session_id and s["state"] == "ended" for s in body["items"])

    await until(lambda: ended(whisper["id"]), 30.0)  # (the audit row ends with the leg's Hangup)

    barge = await supervise(world.client, boss, "boss", "alice", "barge")
    await until(spying, 30.0)
    # The customer hangs up: the call ends, and with it the supervisor's leg (ChanSpy option E) and the session.
    await hang_up_the_customer(world)

    async def audited() -> list[dict[str, Any]] | None:
        body = await (await world.client.get("/api/supervision?agent=alice", headers=boss)).json()
        sessions: list[dict[str, Any]] = body["items"]
        return sessions if all(s["state"] != "started" for s in sessions) else None

    sessions = await until(audited, 40.0)
    assert [(s["id"], s["mode"], s["state"]) for s in sessions] == [
        (barge["id"], "barge", "ended"),
        (whisper["id"], "whisper", "ended"),
    ]
    await until(spyer_gone, 30.0)
