"""Quality evaluations through the API (dialer.web.api.quality): the scorecard, who may score which call (a
supervisor their teams' agents', managers any, agents none), answers refused naming the criterion, re-scoring
replacing the evaluator's evaluation, the scoped listings and the per-agent figures."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.integration import other_campaign
from harness.web import problem, supervisor, web_world
from sqlalchemy import select, update

from dialer.appkeys import DATABASE
from dialer.store.attempts import AttemptStart, start_attempt
from dialer.store.tables import attempts_t, campaigns_t

GOOD = {"greeting": True, "compliance": True, "discovery": 5, "resolution": 4, "courtesy": 5, "disposition": True}


async def test_supervisors_score_their_teams_calls_and_agents_read_their_own(
    tmp_path: Path, aiohttp_client: Any
) -> None:
    async with web_world(tmp_path, campaign_running=False) as world:
        client = await aiohttp_client(world.app)
        boss, alice, bob = world.auth("boss"), world.auth("alice"), world.auth("bob")
        sue = await supervisor(world, client)  # north: alice; bob has no team
        db = world.app[DATABASE]
        leads = await other_campaign(world)
        async with db.read() as conn:
            other = (await conn.execute(select(campaigns_t.c.id).where(campaigns_t.c.name == "other"))).scalar_one()
        now = datetime.now(UTC)
        calls: dict[str, int] = {}
        for agent, lead in (("alice", leads[0]), ("bob", leads[1]), (None, leads[2])):
            attempt = await start_attempt(db, AttemptStart(lead, other, "+14155559001", now))
            async with db.write() as conn:
                await conn.execute(update(attempts_t).where(attempts_t.c.id == attempt).values(agent=agent))
            calls[agent or "nobody"] = attempt

        card = await (await client.get("/api/campaigns/other/scorecard", headers=alice)).json()
        assert [c["id"] for c in card["criteria"]] == list(GOOD)
        assert card["criteria"][1]["critical"] is True
        await problem(await client.get("/api/campaigns/nothing/scorecard", headers=alice), 404)

        def put(attempt: int, headers: dict[str, str], answers: dict[str, Any], comment: str = "") -> Any:
            body = {"answers": answers, "comment": comment}
            return client.put(f"/api/calls/{attempt}/evaluation", json=body, headers=headers)

        # Sue scores alice's call; bob's is beyond her teams; nobody's call has no agent; agents never score.
        resp = await put(calls["alice"], sue, {**GOOD, "compliance": False}, "the disclosure was skipped")
        assert resp.status == 200, await resp.text()
        first = await resp.json()
        assert (first["score"], first["critical_failed"], first["failed"], first["replaced"]) == (
            0.0,
            True,
            ["compliance"],
            False,
        )
        await problem(await put(calls["bob"], sue, GOOD), 403)
        await problem(await put(calls["nobody"], boss, GOOD), 409)
        await problem(await put(999_999_999, boss, GOOD), 404)
        await problem(await put(calls["bob"], alice, GOOD), 403)
        # Answers that do not fit: named.
        bad = await problem(await put(calls["alice"], sue, {**GOOD, "discovery": 9}), 422)
        assert "'discovery'" in bad["detail"]
        missing = dict(GOOD)
        del missing["courtesy"]
        assert "'courtesy'" in (await problem(await put(calls["alice"], sue, missing), 422))["detail"]
        critical_na = await problem(await put(calls["alice"], sue, {**GOOD, "compliance": None}), 422)
        assert "'compliance'" in critical_na["detail"]
        # Scoring again replaces sue's evaluation; the manager's is another.
        again = await (await put(calls["alice"], sue, {**GOOD, "courtesy": None}, "better")).json()
        assert (again["id"], again["replaced"], again["score"], again["comment"]) == (first["id"], True, 95.0, "better")
        assert (await put(calls["bob"], boss, GOOD)).status == 200

        evaluations = await (await client.get(f"/api/calls/{calls['alice']}/evaluations", headers=alice)).json()
        assert [(e["evaluator"], e["score"]) for e in evaluations["items"]] == [("sue", 95.0)]
        await problem(await client.get(f"/api/calls/{calls['bob']}/evaluations", headers=alice), 403)
        await problem(await client.get(f"/api/calls/{calls['bob']}/evaluations", headers=sue), 403)

        async def listed(headers: dict[str, str], query: str = "") -> list[tuple[str, int]]:
            resp = await client.get(f"/api/evaluations?{query}", headers=headers)
            assert resp.status == 200, await resp.text()
            return [(e["agent"], e["attempt_id"]) for e in (await resp.json())["items"]]

        assert await listed(boss) == [("bob", calls["bob"]), ("alice", calls["alice"])]
        assert await listed(alice) == [("alice", calls["alice"])]
        assert await listed(bob) == [("bob", calls["bob"])]
        assert await listed(sue) == [("alice", calls["alice"])]
        assert await listed(boss, "agent=bob&campaign=other&from=2000-01-01&to=2999-01-01") == [("bob", calls["bob"])]
        assert await listed(boss, "to=2000-01-01") == []
        await problem(await client.get("/api/evaluations?agent=bob", headers=sue), 403)
        await problem(await client.get("/api/evaluations?agent=bob", headers=alice), 403)
        await problem(await client.get("/api/evaluations?from=yesterday", headers=boss), 422)
        await problem(await client.get("/api/evaluations?campaign=nothing", headers=boss), 422)

        figures = await (await client.get("/api/evaluations/agents?campaign=other", headers=boss)).json()
        assert {a["agent"]: (a["evaluations"], a["critical_failures"]) for a in figures["agents"]} == {
            "alice": (1, 0),
            "bob": (1, 0),
        }
        theirs = await (await client.get("/api/evaluations/agents", headers=sue)).json()
        assert [a["agent"] for a in theirs["agents"]] == ["alice"]
        await problem(await client.get("/api/evaluations/agents", headers=alice), 403)
        # The team's figures carry each agent's quality figures of the period.
        team = await (await client.get("/api/reports/team/north", headers=sue)).json()
        assert {a["agent"]: a["quality"] for a in team["agents"]}["alice"] == {
            "calls": 1,
            "evaluations": 1,
            "mean_score": 95.0,
            "critical_failures": 0,
        }
