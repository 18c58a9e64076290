"""The inbound staffing forecast over HTTP (GET /api/reports/staffing): managers only (inbound queues have no team
scope), every format, bad input a problem naming the field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from harness.web import WebWorld, problem, team_with_supervisor

from dialer.inbound.calls import InboundOutcome
from dialer.store.inbound_calls import InboundCallRecord, record_inbound_calls

# The harness clock starts on Monday 23 November 2026: the week of the 16th is over, the 9th is in its history.
HISTORY_MONDAY = datetime(2026, 11, 9, 10, tzinfo=UTC)
PLANNED_MONDAY = datetime(2026, 11, 16, 10, tzinfo=UTC)


def _answered(joined: datetime) -> InboundCallRecord:
    end = joined + timedelta(seconds=200)
    return InboundCallRecord("pbx", "care", "", joined, end, InboundOutcome.ANSWERED, 10.0, 190.0, "PJSIP/1001")


async def test_managers_read_a_queues_staffing_forecast_in_every_format(world: WebWorld, client: Any) -> None:
    boss = world.auth("boss")
    visits = [_answered(HISTORY_MONDAY + timedelta(minutes=4 * i)) for i in range(6)]
    visits += [_answered(PLANNED_MONDAY + timedelta(minutes=5 * i)) for i in range(3)]
    await record_inbound_calls(world.dialer.db, visits)
    url = "/api/reports/staffing?queue=care&week_of=2026-11-18"
    body = await (await client.get(url, headers=boss)).json()
    assert body["report"] == "staffing"
    assert body["week_of"] == "2026-11-16"
    assert [w["used"] for w in body["history"]] == [True, False, False, False]
    monday_ten = body["intervals"][20]
    assert (monday_ten["day"], monday_ten["interval"]) == ("2026-11-16", "10:00")
    assert monday_ten["forecast_offered"] == 6.0
    assert monday_ten["handle_seconds"] == 190.0  # no wrap-up recorded: talk alone (said in the notes)
    assert monday_ten["agents_required"] >= 1
    assert monday_ten["actual_offered"] == 3
    assert any("wrap-up" in n for n in body["notes"])
    # nobody gave up waiting: no patience to estimate, Erlang C, and the output says why
    assert (body["model"], body["patience"]) == ("erlang-c", {"mean_seconds": None, "abandons": 0, "sound": False})
    assert "patience cannot be estimated" in body["model_reason"]
    assert monday_ten["agents_required_erlang_a"] is None
    assert monday_ten["expected_abandon_rate"] is None
    assert body["holidays"] == []
    asked = await (await client.get(url + "&model=erlang-c", headers=boss)).json()
    assert asked["model_reason"] == "Erlang C asked for"
    custom = await (await client.get(url + "&target=90/10&shrinkage=0&weeks=2", headers=boss)).json()
    assert custom["target"]["target"] == 0.9
    assert custom["intervals"][20]["agents_to_schedule"] == custom["intervals"][20]["agents_required"]
    page = await client.get(url + "&format=html", headers=boss)
    assert page.content_type == "text/html"
    assert "Agents to schedule" in await page.text()
    csv_resp = await client.get(url + "&format=csv", headers=boss)
    assert csv_resp.content_type == "text/csv"
    assert "staffing-care-2026-11-16.csv" in csv_resp.headers["Content-Disposition"]
    ahead = await (await client.get("/api/reports/staffing?queue=care", headers=boss)).json()
    assert ahead["week_of"] == "2026-11-30"  # next week by default


async def test_bad_input_is_a_problem_and_only_managers_read_it(world: WebWorld, client: Any) -> None:
    boss = world.auth("boss")
    await record_inbound_calls(world.dialer.db, [_answered(HISTORY_MONDAY)])
    for query, field in [
        ("queue=nope", "queue"),
        ("queue=care&target=80", "target"),
        ("queue=care&week_of=soon", "week of"),
        ("queue=care&weeks=0", "weeks"),
        ("queue=care&shrinkage=1", "shrinkage"),
        ("queue=care&model=erlang-b", "model"),
    ]:
        doc = await problem(await client.get(f"/api/reports/staffing?{query}", headers=boss), 422)
        assert field in str(doc), (query, doc)
    await problem(await client.get("/api/reports/staffing", headers=boss), 422)  # the queue is required
    sue = await team_with_supervisor(world, client)
    await problem(await client.get("/api/reports/staffing?queue=care", headers=sue), 403)
    await problem(await client.get("/api/reports/staffing?queue=care", headers=world.auth("alice")), 403)
