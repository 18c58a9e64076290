"""Call control and manual dial over the API, against the whole dialer and the simulated PBX: role checks, the
dialer's own rules applied to a number typed by hand (refused with the reason for a DNC number, dialled for a good
one, with an attempt row and the agent's screen pop), and the transfers report."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from harness.stepping import eventually
from harness.web import MANUAL_DIAL_TOML, WebWorld, agent_ready, call_of_attempt, problem, start_campaign

from dialer.store.dnc import add_dnc

MANUAL_TOML = MANUAL_DIAL_TOML + 'transfer_queues = ["closers"]\n'
DNC_NUMBER = "+1 212 555 0177"
GOOD_NUMBER = "+1 212 555 0191"


async def test_call_control_needs_a_live_call_and_the_agent_itself(world: WebWorld, client: Any) -> None:
    alice, bob = world.auth("alice"), world.auth("bob")
    for path, body in (
        ("hold", None),
        ("resume", None),
        ("hangup", None),
        ("dtmf", {"digits": "12#"}),
        ("transfer", {"kind": "queue", "target": "closers"}),
        ("transfer/complete", None),
        ("transfer/cancel", None),
        ("conference", {"kind": "external", "target": GOOD_NUMBER}),
        ("conference/leave", None),
    ):
        # Another agent's call: 403; no call: 409 with the reason.
        await problem(await client.post(f"/api/agents/alice/call/{path}", json=body, headers=bob), 403)
        refused = await problem(await client.post(f"/api/agents/alice/call/{path}", json=body, headers=alice), 409)
        assert "no call" in refused["detail"]
    await problem(await client.post("/api/agents/alice/call/dtmf", json={"digits": "x"}, headers=alice), 422)
    control = await (await client.get("/api/agents/alice/call/control", headers=alice)).json()
    assert control == {"control": None}
    # The transfers report is for managers.
    await problem(await client.get("/api/campaigns/demo/transfers", headers=alice), 403)
    report = await (await client.get("/api/campaigns/demo/transfers", headers=world.auth("boss"))).json()
    assert report == {"campaign": "demo", "transfers": []}


async def test_manual_dial_refused_for_dnc_allowed_for_a_good_number(world: WebWorld, client: Any) -> None:
    alice = world.auth("alice")
    # The demo campaign does not allow manual dial.
    await client.post("/api/agents/alice/login", json={"queues": ["outbound-agents"]}, headers=alice)
    await problem(await client.post("/api/agents/alice/dial", json={"number": GOOD_NUMBER}, headers=alice), 409)
    await client.post("/api/agents/alice/logout", headers=alice)
    await start_campaign(world, client, "manual", MANUAL_TOML)
    now = datetime.fromtimestamp(world.clock.now(), UTC)
    assert await add_dnc(world.dialer.db, "+12125550177", now=now)
    await client.post("/api/agents/alice/login", json={"queues": ["manual-agents"]}, headers=alice)
    await problem(await client.post("/api/agents/alice/dial", json={"number": GOOD_NUMBER}, headers=alice), 409)
    await client.post("/api/agents/alice/ready", headers=alice)
    await problem(await client.post("/api/agents/alice/dial", json={}, headers=alice), 422)
    refused = await problem(
        await client.post("/api/agents/alice/dial", json={"number": DNC_NUMBER}, headers=alice), 422
    )
    assert "dnc" in refused["detail"]
    # A lead by id: only one alice may see (she has talked to none yet).
    await problem(await client.post("/api/agents/alice/dial", json={"lead_id": 1}, headers=alice), 404)
    bad = await problem(await client.post("/api/agents/alice/dial", json={"number": "12345"}, headers=alice), 422)
    assert "invalid" in bad["detail"]
    resp = await client.post("/api/agents/alice/dial", json={"number": GOOD_NUMBER}, headers=alice)
    assert resp.status == 200, await resp.text()
    dialled = await resp.json()
    assert dialled["campaign"] == "manual"
    attempt_id = dialled["attempt_id"]

    call = await eventually(lambda: call_of_attempt(client, "alice", alice, attempt_id))
    assert call["attempt"]["phone"] == "+12125550191"
    assert call["lead"]["phone"] == "+12125550191"


async def test_hold_resume_dtmf_and_hang_up_on_the_simulated_pbx(world: WebWorld, client: Any) -> None:
    """A predictive call of the demo campaign, controlled through the API; its legs land in the call record."""
    alice = world.auth("alice")
    await agent_ready(world, client, "alice", "outbound-agents")

    async def controlled() -> Any:
        body = await (await client.get("/api/agents/alice/call/control", headers=alice)).json()
        return body["control"]

    control = await eventually(controlled, 30.0)
    assert control["state"] == "talking"
    held = await (await client.post("/api/agents/alice/call/hold", headers=alice)).json()
    assert held["state"] == "held"
    await problem(await client.post("/api/agents/alice/call/hold", headers=alice), 409)  # already held
    await problem(await client.post("/api/agents/alice/call/dtmf", json={"digits": "1"}, headers=alice), 409)
    resumed = await (await client.post("/api/agents/alice/call/resume", headers=alice)).json()
    assert resumed["state"] == "talking"
    assert resumed["hold_seconds"] >= 0
    sent = await client.post("/api/agents/alice/call/dtmf", json={"digits": "12#"}, headers=alice)
    assert sent.status == 200, await sent.text()
    ended = await client.post("/api/agents/alice/call/hangup", headers=alice)
    assert ended.status == 200, await ended.text()
    attempt_id = control["attempt_id"]

    async def legs() -> Any:
        body = await (await client.get(f"/api/attempts/{attempt_id}/legs", headers=alice)).json()
        return body["legs"]

    (leg,) = await eventually(legs, 20.0)
    assert (leg["party"], leg["how"], leg["transferred_by"]) == ("alice", "answered", None)
    assert leg["talk_seconds"] > 0
    await problem(await client.get(f"/api/attempts/{attempt_id}/legs", headers=world.auth("bob")), 403)
    assert (await client.get(f"/api/attempts/{attempt_id}/legs", headers=world.auth("boss"))).status == 200
