"""A campaign as a file through the API: its effective settings as TOML read back to the same campaign, a dry run
says what a change would change (or why it is refused) and saves nothing."""

from __future__ import annotations

import tomllib
from typing import Any

from harness.paths import REPO
from harness.web import WebWorld, problem

from dialer.campaign.config import load_campaign, load_campaign_file
from dialer.campaign.toml_file import campaign_toml


def test_every_shipped_campaign_reads_back_from_its_file() -> None:
    for path in sorted((REPO / "campaigns").glob("*.toml")):
        config = load_campaign_file(path)
        assert load_campaign(tomllib.loads(campaign_toml(config)), str(path)) == config, path.name


async def test_the_campaign_file_round_trips_and_a_dry_run_saves_nothing(world: WebWorld, client: Any) -> None:
    boss = world.auth("boss")
    resp = await client.get("/api/campaigns/demo/toml", headers=boss)
    assert resp.status == 200
    assert resp.content_type == "application/toml"
    text = await resp.text()
    assert text.startswith('name = "demo"\n')
    toml = {**boss, "Content-Type": "application/toml"}
    same = await client.put("/api/campaigns/demo?dry_run=true", data=text, headers=toml)
    assert (same.status, await same.json()) == (
        200,
        {"name": "demo", "valid": True, "created": False, "changed": [], "dry_run": True},
    )
    longer = text.replace("ring_timeout_seconds = 22", "ring_timeout_seconds = 30")
    checked = await (await client.put("/api/campaigns/demo?dry_run=true", data=longer, headers=toml)).json()
    assert checked["changed"] == ["ring_timeout_seconds"]
    stored = await (await client.get("/api/campaigns/demo", headers=boss)).json()
    assert stored["config"]["ring_timeout_seconds"] == 22  # a dry run saves nothing
    short = text.replace("ring_timeout_seconds = 22", "ring_timeout_seconds = 10")
    refused = await problem(await client.put("/api/campaigns/demo?dry_run=true", data=short, headers=toml), 422)
    assert "ring" in refused["detail"]
    fresh = await (
        await client.put("/api/campaigns/spring?dry_run=true", data=text.replace('"demo"', '"spring"', 1), headers=toml)
    ).json()
    assert (fresh["created"], fresh["valid"]) == (True, True)
    assert (await client.get("/api/campaigns/spring", headers=boss)).status == 404
    saved = await client.put("/api/campaigns/demo", data=longer, headers=toml)
    assert saved.status == 200, await saved.text()
    assert "ring_timeout_seconds = 30" in await (await client.get("/api/campaigns/demo/toml", headers=boss)).text()
    await problem(await client.get("/api/campaigns/demo/toml", headers=world.auth("alice")), 403)
    # Who changed the campaign and what, and who paused it: in the audit log (a dry run is not a change).
    assert (await client.post("/api/campaigns/demo/pause", headers=boss)).status == 200
    audit = (await (await client.get("/api/audit?target=campaign:demo", headers=world.auth("root"))).json())["items"]
    assert [(e["actor"], e["action"], e["detail"]) for e in audit] == [
        ("boss", "campaign.state", {"state": "paused"}),
        ("boss", "campaign.update", {"changed": ["ring_timeout_seconds"], "count": 1}),
    ]
