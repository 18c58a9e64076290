"""Alerts through the API and the dashboard (dialer.web.api.alerts): two agents' pauses past their code's limit
raise an alert each; a supervisor sees their team's agent's alert only (history and dashboard), managers both;
agents none; acknowledging is kept once and audited, another team's alert is not the supervisor's to acknowledge;
the agent going ready clears theirs (active=false)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.stepping import eventually
from harness.web import problem, team_with_supervisor, web_world

from dialer.agents.pausecodes import PauseCode
from dialer.appkeys import DATABASE
from dialer.store.audit import audit_entries

COFFEE = [PauseCode(code="coffee", label="Coffee", max_minutes=1)]


async def test_alerts_scoped_acknowledged_and_cleared(tmp_path: Path, aiohttp_client: Any) -> None:
    async with web_world(tmp_path, campaign_running=False, settings={"pause_codes": COFFEE}) as world:
        client = await aiohttp_client(world.app)
        boss, alice, bob = world.auth("boss"), world.auth("alice"), world.auth("bob")
        sue = await team_with_supervisor(world, client)  # north: alice; bob has no team
        for agent, headers in (("alice", alice), ("bob", bob)):
            login = await client.post(
                f"/api/agents/{agent}/login", json={"queues": ["outbound-agents"]}, headers=headers
            )
            assert login.status == 200, await login.text()
            paused = await client.post(f"/api/agents/{agent}/pause", json={"reason": "coffee"}, headers=headers)
            assert paused.status == 200, await paused.text()

        async def active(headers: dict[str, str]) -> dict[str, dict[str, Any]]:
            page = await (await client.get("/api/alerts?active=true", headers=headers)).json()
            return {a["subject"]: a for a in page["items"]}

        # A minute of coffee (three seconds of real time at this clock's speed), then the alerts.
        both = await eventually(lambda: _when(active(boss), lambda found: len(found) == 2), 30)
        assert set(both) == {"agent:alice", "agent:bob"}
        assert {a["rule"] for a in both.values()} == {"pause_overdue"}
        assert both["agent:alice"]["detail"] == "coffee"
        assert both["agent:alice"]["active"] is True
        assert set(await active(sue)) == {"agent:alice"}
        await problem(await client.get("/api/alerts", headers=alice), 403)
        dashboard = await (await client.get("/api/dashboard", headers=sue)).json()
        assert [a["subject"] for a in dashboard["alerts"] if a["agent"]] == ["agent:alice"]
        shown = next(a for a in dashboard["alerts"] if a["agent"])
        assert shown == both["agent:alice"]  # as GET /api/alerts shows it
        managers = await (await client.get("/api/dashboard", headers=boss)).json()
        assert {a["subject"] for a in managers["alerts"]} >= {"agent:alice", "agent:bob"}

        alice_id, bob_id = both["agent:alice"]["id"], both["agent:bob"]["id"]
        await problem(await client.post(f"/api/alerts/{bob_id}/ack", headers=sue), 404)  # not her team's
        await problem(await client.get(f"/api/alerts/{bob_id}", headers=sue), 404)
        await problem(await client.post("/api/alerts/999999/ack", headers=boss), 404)
        acked = await (await client.post(f"/api/alerts/{alice_id}/ack", headers=sue)).json()
        assert acked["acked_by"] == "sue"
        assert acked["acked_at"]
        again = await (await client.post(f"/api/alerts/{alice_id}/ack", headers=boss)).json()
        assert again["acked_by"] == "sue"  # the first acknowledgement is kept
        assert again["active"] is True  # acknowledging does not clear it
        _, entries = await audit_entries(world.app[DATABASE])
        assert [(e.actor, e.target) for e in entries if e.action == "alert.ack"] == [("sue", f"alert:{alice_id}")]

        assert (await client.post("/api/agents/alice/ready", headers=alice)).status == 200

        async def cleared() -> list[int]:
            page = await (await client.get("/api/alerts?active=false", headers=boss)).json()
            return [a["id"] for a in page["items"]]

        assert await eventually(cleared, 30) == [alice_id]
        assert set(await active(boss)) == {"agent:bob"}
        one = await (await client.get(f"/api/alerts/{alice_id}", headers=sue)).json()
        assert one["active"] is False
        assert one["cleared_at"]


async def _when(found: Any, ok: Any) -> Any:
    value = await found
    return value if ok(value) else None
