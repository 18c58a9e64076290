"""A query parameter a route does not declare is refused (422, naming it and the accepted ones): a misspelt filter
(``?campain=demo``) must not quietly answer every row."""

from __future__ import annotations

from typing import Any

from harness.web import WebWorld, problem


async def test_a_misspelt_filter_is_refused_naming_it_and_the_accepted_ones(world: WebWorld, client: Any) -> None:
    boss = world.auth("boss")
    refused = await problem(await client.get("/api/leads?campain=demo&limit=5", headers=boss), 422)
    assert refused["type"].endswith("/validation-error")
    assert [e["location"] for e in refused["errors"]] == [["query", "campain"]]
    assert "campain" in refused["detail"]
    assert {"campaign", "status", "q", "limit", "offset"} <= set(refused["accepted"])
    assert "campaign" in refused["detail"]
    assert (await client.get("/api/leads?campaign=demo&limit=5", headers=boss)).status == 200


async def test_the_refusal_is_in_the_readers_language(world: WebWorld, client: Any) -> None:
    headers = {**world.auth("boss"), "Accept-Language": "ja"}
    refused = await problem(await client.get("/api/callbacks?stat=pending", headers=headers), 422)
    assert "stat" in refused["detail"]
    assert "unknown query parameter" not in refused["detail"]
