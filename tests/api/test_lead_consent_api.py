"""``POST /api/leads/{id}/consent``: an agent records the called party's consent on the lead of their current or
just-ended call or of the inbound call they are on (another's lead: refused, saying so in the agent's language), a
manager on any lead; audited; 409 on a lead opted out or closed for good; 422 for a missing, blank or too long
source; in the OpenAPI document. And a callback a CN campaign would never dial, booked from the console, is a 409
problem until the consent is recorded."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from harness.clock import clock_dt
from harness.web import WebWorld, agent_in_wrapup, problem, supervisor

from dialer.appkeys import DATABASE
from dialer.campaign.rules import CONSENT_SOURCE_MAX
from dialer.store.audit import audit_entries
from dialer.store.campaigns import get_campaign
from dialer.store.console import create_callback
from dialer.store.leads import NewLead, find_leads_by_phone, insert_new_leads

REFUSED_EN = (
    "consent is recorded only on the lead of your current or just-ended call, or of the inbound call you are on"
)
REFUSED_JA = "同意を記録できるのは、通話中または直前の通話のリード、または応対中の着信通話のリードだけです"

CN_TOML = """
name = "cn-sales"
queue = "outbound-agents"
trunk = "Local/{number}@sim-pstn"
regime = "CN"
caller_id = { number = "010 6552 9988" }
"""


async def test_an_agent_records_consent_on_her_call_only(world: WebWorld, client: Any) -> None:
    await agent_in_wrapup(world, client)  # alice: her last call's lead
    alice, bob, boss = world.auth("alice"), world.auth("bob"), world.auth("boss")
    call = (await (await client.get("/api/agents/alice/call", headers=alice)).json())["call"]
    lead_id, attempt_id = call["lead"]["id"], call["attempt"]["id"]
    assert call["requires_consent"] is False  # the demo campaign's regime (US) does not
    consent = f"/api/leads/{lead_id}/consent"
    # Bob is on no call of this lead (not even one he may see): as for any lead outside his scope, a 404.
    await problem(await client.post(consent, json={"source": "verbal"}, headers=bob), 404)
    # Alice on a lead she may see (she holds its callback) that is not her call's: refused.
    other = 1 if lead_id != 1 else 2
    now = clock_dt(world.clock)
    assert await create_callback(world.app[DATABASE], other, now + timedelta(days=1), "alice", None, now)
    assert (await client.get(f"/api/leads/{other}", headers=alice)).status == 200
    refused = await client.post(f"/api/leads/{other}/consent", json={"source": "verbal"}, headers=alice)
    assert (await problem(refused, 403))["detail"] == REFUSED_EN
    # In her language, saying that the inbound call she is on counts too.
    refused = await client.post(
        f"/api/leads/{other}/consent", json={"source": "verbal"}, headers={**alice, "Accept-Language": "ja"}
    )
    assert (await problem(refused, 403))["detail"] == REFUSED_JA
    resp = await client.post(consent, json={"source": "  verbal on the call  "}, headers=alice)
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["recorded"] is True
    assert body["consent_source"] == f"call {attempt_id} by alice: verbal on the call"
    assert body["consent_at"] is not None
    # Recorded again (a manager, later): the first record stands; the attempt is audited too.
    again = await (await client.post(consent, json={"source": "signed form"}, headers=boss)).json()
    assert again["recorded"] is False
    assert (again["consent_source"], again["consent_at"]) == (body["consent_source"], body["consent_at"])
    total, entries = await audit_entries(world.app[DATABASE], target=f"lead:{lead_id}")
    assert total == 2
    assert [(e.actor, e.action, e.detail["recorded"], e.detail["call"]) for e in entries] == [
        ("boss", "lead.consent", False, None),
        ("alice", "lead.consent", True, attempt_id),
    ]


async def test_a_supervisor_records_consent_within_their_scope(world: WebWorld, client: Any) -> None:
    sue = await supervisor(world, client)  # team north: alice; no campaign of theirs
    await agent_in_wrapup(world, client)
    call = (await (await client.get("/api/agents/alice/call", headers=world.auth("alice"))).json())["call"]
    lead_id = call["lead"]["id"]
    resp = await client.post(f"/api/leads/{lead_id}/consent", json={"source": "signed form"}, headers=sue)
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["consent_source"] == "by sue: signed form"  # on no call of hers
    # A lead nobody of her team talked to, of a campaign not theirs: not hers to see.
    outside = 1 if lead_id != 1 else 2
    await problem(await client.post(f"/api/leads/{outside}/consent", json={"source": "form"}, headers=sue), 404)


async def test_bad_input_and_closed_leads_are_problems(world: WebWorld, client: Any) -> None:
    boss = world.auth("boss")
    consent = "/api/leads/3/consent"
    for body in ({}, {"source": ""}, {"source": "   "}, {"source": "x" * (CONSENT_SOURCE_MAX + 1)}, {"source": 5}):
        await problem(await client.post(consent, json=body, headers=boss), 422)
    await problem(await client.post(consent, json={"source": "ok", "by": "me"}, headers=boss), 422)
    await problem(await client.post("/api/leads/999999/consent", json={"source": "ok"}, headers=boss), 404)
    # The called party opted out: their withdrawal stands (the DNC action is how consent is withdrawn).
    assert (await client.post("/api/leads/3/dnc", json={}, headers=boss)).status == 200
    opted_out = await problem(await client.post(consent, json={"source": "verbal"}, headers=boss), 409)
    assert opted_out["type"].endswith("consent-not-recordable")
    assert "do-not-call" in opted_out["detail"]
    lead = await (await client.get("/api/leads/3", headers=boss)).json()
    assert lead["consent_source"] is None


async def test_a_cn_callback_without_consent_is_a_409_until_consent_is_recorded(world: WebWorld, client: Any) -> None:
    boss = world.auth("boss")
    headers = {**boss, "Content-Type": "application/toml"}
    assert (await client.put("/api/campaigns/cn-sales", data=CN_TOML, headers=headers)).status == 201
    db = world.app[DATABASE]
    now = clock_dt(world.clock)
    campaign = await get_campaign(db, "cn-sales")
    assert campaign is not None
    lead = NewLead(phone="+8613800138001", status="new", next_dialable_at=now, tz_candidates=["Asia/Shanghai"])
    async with db.write() as conn:
        await insert_new_leads(conn, campaign.id, None, [lead], now)
    (stored,) = await find_leads_by_phone(db, campaign.id, lead.phone)
    booking = {"lead_id": stored.id, "due_at": (now + timedelta(days=1)).isoformat()}
    refused = await problem(await client.post("/api/callbacks", json=booking, headers=boss), 409)
    assert refused["type"].endswith("consent-required")
    assert "record the called party's consent first" in refused["detail"]
    consent = await client.post(f"/api/leads/{stored.id}/consent", json={"source": "signed form"}, headers=boss)
    assert (await consent.json())["consent_source"] == "by boss: signed form"
    booked = await client.post("/api/callbacks", json=booking, headers=boss)
    assert booked.status == 201, await booked.text()


async def test_the_route_is_in_the_openapi_document(world: WebWorld, client: Any) -> None:
    spec = await (await client.get("/api/openapi.json")).json()
    path = next(p for p in spec["paths"] if p.startswith("/api/leads/{lead_id") and p.endswith("/consent"))
    post = spec["paths"][path]["post"]
    assert {"403", "404", "409", "422"} <= set(post["responses"])
    ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    source = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]["source"]
    assert (source["minLength"], source["maxLength"]) == (1, CONSENT_SOURCE_MAX)
    assert spec["components"]["schemas"][ref.rsplit("/", 1)[1]]["required"] == ["source"]
