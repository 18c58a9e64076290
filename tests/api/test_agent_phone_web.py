"""The API refuses an agent's phone that is no channel (dialer.store.auth.check_agent_phone), creating and editing
a user alike: a 422 problem naming the phone, and nothing changed."""

from __future__ import annotations

from typing import Any

from harness.web import WebWorld, problem

SAID = (
    "phone 'bad phone': not a channel Asterisk can reach (e.g. PJSIP/1001, SIP/1001, IAX2/desk1, Local/agent1@agents)"
)


async def test_a_bad_phone_is_refused_on_create_and_on_edit(world: WebWorld, client: Any) -> None:
    root = world.auth("root")
    body = {"name": "carol", "role": "agent", "password": "long-enough-1", "phone": "bad phone"}
    refused = await problem(await client.post("/api/users", json=body, headers=root), 422)
    assert refused["detail"] == SAID
    assert (await client.post("/api/users", json={**body, "phone": "PJSIP/carol"}, headers=root)).status == 201
    refused = await problem(await client.patch("/api/users/carol", json={"phone": "bad phone"}, headers=root), 422)
    assert refused["detail"] == SAID
    users = (await (await client.get("/api/users", headers=root)).json())["items"]
    assert [u["phone"] for u in users if u["name"] == "carol"] == ["PJSIP/carol"]
