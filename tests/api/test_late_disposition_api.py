"""Late dispositions over the API (``POST /api/agents/{agent}/calls/{attempt}/disposition``): an agent's own call
left without their disposition takes one, once; another agent's call is refused (403), one already dispositioned
or past the campaign's window too (409), each with a problem document in the reader's language; "My recent calls"
(``GET /api/agents/{agent}/calls``) marks the calls awaiting one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from harness.stepping import eventually
from harness.web import WebWorld, agent_in_wrapup, demo_campaign_with_wrap_up, problem, web_world
from sqlalchemy import update

from dialer.store.dnc import check_dnc
from dialer.store.tables import attempts_t

JA = {"Accept-Language": "ja"}


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[WebWorld]:
    campaign = demo_campaign_with_wrap_up(tmp_path, 2)
    text = campaign.read_text(encoding="utf-8")
    campaign.write_text(
        text.replace('wrap_up_ends = "timer"', 'wrap_up_ends = "timer"\ntimeout_disposition = "no_decision"')
    )
    async with web_world(tmp_path, campaign_file=campaign) as w:
        yield w


def late(attempt: int, agent: str = "alice") -> str:
    return f"/api/agents/{agent}/calls/{attempt}/disposition"


async def awaiting_call(client: Any, headers: dict[str, str], *, besides: int) -> dict[str, Any]:
    """A call of alice's other than ``besides`` that "My recent calls" marks as awaiting her disposition."""

    async def found() -> dict[str, Any] | None:
        page = await (await client.get("/api/agents/alice/calls?limit=20", headers=headers)).json()
        waiting = [c for c in page["items"] if c["awaiting_disposition"] and c["id"] != besides]
        return waiting[-1] if waiting else None

    return await eventually(found, 120.0)


async def dispositioned_on_the_call(world: WebWorld, client: Any) -> int:
    """alice dispositions a call in its wrap-up, on the call; its id. (The world's clock runs faster than real time:
    on a loaded machine her wrap-up may run out and her next call reach her before the request; then the next.)"""
    alice = world.auth("alice")
    await agent_in_wrapup(world, client)
    for _ in range(5):
        resp = await client.post("/api/agents/alice/disposition", json={"code": "no_decision"}, headers=alice)
        if resp.status == 200:
            return int((await resp.json())["attempt_id"])
        assert resp.status == 409, await resp.text()

        async def next_wrapup() -> bool:
            state = await (await client.get("/api/agents/alice", headers=alice)).json()
            return bool(state["status"] == "wrapup")

        await eventually(next_wrapup, 120.0)
    raise AssertionError("no wrap-up lasted long enough to disposition its call")


async def test_late_disposition_of_an_own_call(world: WebWorld, client: Any) -> None:
    alice, bob = world.auth("alice"), world.auth("bob")
    dispositioned = await dispositioned_on_the_call(world, client)

    # A call of hers whose wrap-up ran out: the timeout disposition, awaiting hers.
    call = await awaiting_call(client, alice, besides=dispositioned)
    assert call["disposition"] in (None, "no_decision")
    waiting = call["awaiting_disposition"]
    assert waiting["campaign"] == "demo"
    assert "dnc" in [d["code"] for d in waiting["dispositions"]]
    attempt = call["id"]

    # Not hers to give: another agent, on alice's path or on their own.
    for path, headers in ((late(attempt), bob), (late(attempt, "bob"), bob)):
        english = await problem(await client.post(path, json={"code": "dnc"}, headers=headers), 403)
        japanese = await problem(await client.post(path, json={"code": "dnc"}, headers={**headers, **JA}), 403)
        assert english["detail"] != japanese["detail"]
    assert "not one of your calls" in english["detail"]
    # One she dispositioned on the call is not dispositioned again.
    body = await problem(await client.post(late(dispositioned), json={"code": "dnc"}, headers=alice), 409)
    assert "has a disposition already" in body["detail"]
    body = await problem(await client.post(late(dispositioned), json={"code": "dnc"}, headers={**alice, **JA}), 409)
    assert "has a disposition already" not in body["detail"]

    resp = await client.post(late(attempt), json={"code": "dnc", "notes": "asked on the call"}, headers=alice)
    assert resp.status == 200, await resp.text()
    assert await resp.json() == {"attempt_id": attempt, "code": "dnc", "lead": "dnc", "late": True}
    assert [e.number for e in await check_dnc(world.dialer.db, call["phone"])] == [call["phone"]]
    page = await (await client.get("/api/agents/alice/calls?limit=50", headers=alice)).json()
    (record,) = [c for c in page["items"] if c["id"] == attempt]
    assert (record["disposition"], record["late_disposition_by"], record["awaiting_disposition"]) == (
        "dnc",
        "alice",
        None,
    )
    assert record["late_disposition_at"]

    # Once: a second click is refused.
    body = await problem(await client.post(late(attempt), json={"code": "sale"}, headers=alice), 409)
    assert body["type"].endswith("late-disposition-dispositioned")
    audit = await (await client.get(f"/api/audit?target=call:{attempt}", headers=world.auth("root"))).json()
    assert [e["action"] for e in audit["items"]] == ["call.late_disposition"]


async def test_too_late(world: WebWorld, client: Any) -> None:
    alice = world.auth("alice")
    await agent_in_wrapup(world, client)
    call = await awaiting_call(client, alice, besides=0)
    long_ago = datetime.fromtimestamp(world.clock.now(), UTC) - timedelta(hours=24, seconds=1)
    async with world.dialer.db.write() as conn:  # it ended over a day ago (the campaign's window: 24 h)
        await conn.execute(update(attempts_t).where(attempts_t.c.id == call["id"]).values(ended_at=long_ago))
    english = await problem(await client.post(late(call["id"]), json={"code": "dnc"}, headers=alice), 409)
    assert "too late" in english["detail"]
    japanese = await problem(await client.post(late(call["id"]), json={"code": "dnc"}, headers={**alice, **JA}), 409)
    assert japanese["detail"] != english["detail"]
    page = await (await client.get("/api/agents/alice/calls?limit=50", headers=alice)).json()
    (record,) = [c for c in page["items"] if c["id"] == call["id"]]
    assert record["awaiting_disposition"] is None


async def test_unknown_call_and_bad_code(world: WebWorld, client: Any) -> None:
    alice = world.auth("alice")
    await problem(await client.post(late(999_999), json={"code": "dnc"}, headers=alice), 404)
    await agent_in_wrapup(world, client)
    call = await awaiting_call(client, alice, besides=0)
    await problem(await client.post(late(call["id"]), json={"code": "nonsense"}, headers=alice), 422)
