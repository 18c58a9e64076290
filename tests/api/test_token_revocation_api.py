"""A script's API token can be listed and revoked by its owner: a leaked token stops working at once, without
disabling the user; the revocation is audited, and nobody else's token can be revoked this way."""

from __future__ import annotations

from typing import Any

from harness.web import WebWorld, problem


async def test_an_owner_revokes_a_token_and_it_stops_at_once(world: WebWorld, client: Any) -> None:
    boss = world.auth("boss")
    minted = await client.post("/api/tokens", json={"label": "crm-sync"}, headers=boss)
    assert minted.status == 201
    body = await minted.json()
    crm = {"Authorization": f"Bearer {body['token']}"}
    assert (await client.get("/api/me", headers=crm)).status == 200  # (now kept in the credential cache)

    listed = await (await client.get("/api/tokens", headers=boss)).json()
    mine = {t["id"]: t for t in listed["items"]}
    assert mine[body["id"]]["label"] == "crm-sync"
    assert mine[body["id"]]["revoked"] is False
    assert all("token" not in t and "token_hash" not in t for t in listed["items"])  # never the secret

    # another user cannot revoke it: it is not theirs
    await problem(await client.delete(f"/api/tokens/{body['id']}", headers=world.auth("alice")), 404)
    assert (await client.get("/api/me", headers=crm)).status == 200

    revoked = await client.delete(f"/api/tokens/{body['id']}", headers=crm)  # with itself, as a script would
    assert revoked.status == 200
    assert await revoked.json() == {"id": body["id"], "user": "boss", "revoked": True}
    gone = await problem(await client.get("/api/me", headers=crm), 401)
    assert gone["type"].endswith("/unauthorized")
    await problem(await client.delete(f"/api/tokens/{body['id']}", headers=boss), 404)  # once
    assert (await client.get("/api/me", headers=boss)).status == 200  # the user's other tokens still work

    listed = await (await client.get("/api/tokens", headers=boss)).json()
    assert {t["id"]: t["revoked"] for t in listed["items"]}[body["id"]] is True
    audit = await (await client.get("/api/audit?limit=20", headers=world.auth("root"))).json()
    revocations = [e for e in audit["items"] if e["action"] == "token.revoke"]
    assert [(e["actor"], e["target"], e["detail"]["token_id"]) for e in revocations] == [
        ("boss", "user:boss", body["id"])
    ]


async def test_an_admin_lists_every_users_tokens_and_revokes_any(world: WebWorld, client: Any) -> None:
    root, boss = world.auth("root"), world.auth("boss")
    minted = await (await client.post("/api/tokens", json={"label": "crm-export"}, headers=boss)).json()
    crm = {"Authorization": f"Bearer {minted['token']}"}
    assert (await client.get("/api/me", headers=crm)).status == 200  # (now kept in the credential cache)

    everyone = await (await client.get("/api/tokens?user=*", headers=root)).json()
    by_id = {t["id"]: t for t in everyone["items"]}
    assert by_id[minted["id"]]["user"] == "boss"
    assert by_id[minted["id"]]["label"] == "crm-export"
    assert {"root", "boss", "alice"} <= {t["user"] for t in everyone["items"]}
    assert all("token" not in t and "token_hash" not in t for t in everyone["items"])  # never the secret
    bosses = await (await client.get("/api/tokens?user=boss", headers=root)).json()
    assert {t["user"] for t in bosses["items"]} == {"boss"}
    assert minted["id"] in {t["id"] for t in bosses["items"]}
    await problem(await client.get("/api/tokens?user=nobody", headers=root), 404)

    # only an admin sees another user's tokens or revokes them
    await problem(await client.get("/api/tokens?user=*", headers=boss), 403)
    await problem(await client.get("/api/tokens?user=root", headers=boss), 403)
    await problem(await client.delete(f"/api/tokens/{minted['id']}", headers=world.auth("alice")), 404)

    revoked = await client.delete(f"/api/tokens/{minted['id']}", headers=root)
    assert await revoked.json() == {"id": minted["id"], "user": "boss", "revoked": True}
    await problem(await client.get("/api/me", headers=crm), 401)  # at once, though it was cached
    assert (await client.get("/api/me", headers=boss)).status == 200  # boss's other tokens still work
    audit = await (await client.get("/api/audit?limit=20", headers=root)).json()
    revocations = [e for e in audit["items"] if e["action"] == "token.revoke"]
    assert [(e["actor"], e["target"], e["detail"]["token_id"]) for e in revocations] == [
        ("root", "user:boss", minted["id"])
    ]
