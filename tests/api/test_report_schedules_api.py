"""Report schedules through the web tier (/api/report-schedules): managers add, read, change, run and remove them;
bad input is a 422 problem saying what is wrong; agents get 403; the routes are in the OpenAPI document. A run now
goes through a real SMTP server in-process (aiosmtpd) and is recorded with the schedule."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from harness.smtp import Mailbox, smtp_server
from harness.web import PROBLEM, WebWorld

from dialer.appkeys import SETTINGS
from dialer.settings import SmtpSettings

GOOD = {
    "report": "compliance",
    "campaign": "demo",
    "formats": ["csv", "html"],
    "period": "yesterday",
    "cadence": "daily",
    "at": "07:00",
    "recipients": ["boss@example.com"],
}


@pytest.fixture
def smtp_port() -> Iterator[tuple[Mailbox, int]]:
    with smtp_server() as server:
        yield server


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"recipients": ["not-an-address"]}, "not-an-address"),
        ({"recipients": []}, "recipients"),
        ({"campaign": "nope"}, "nope"),
        ({"campaign": "nope", "zone": "Europe/Paris"}, "nope"),  # a zone given: the campaign is still checked
        ({"campaign": None, "zone": "Europe/Paris"}, "need a campaign"),
        ({"report": "inbound", "campaign": None, "queue": "nowhere", "zone": "UTC"}, "nowhere"),
        ({"cadence": "weekly"}, "weekday"),
        ({"at": "25:00"}, "25:00"),
        ({"zone": "Mars/Olympus"}, "Mars/Olympus"),
        ({"report": "calls"}, "report"),
        ({"formats": ["pdf"]}, "formats"),
        ({"queue": "sales"}, "queue"),
    ],
)
async def test_bad_input_is_a_problem_saying_what(
    world: WebWorld, client: Any, change: dict[str, Any], where: str
) -> None:
    response = await client.post("/api/report-schedules", json=GOOD | change, headers=world.auth("boss"))
    assert response.status == 422
    assert response.content_type == PROBLEM
    assert where in (await response.text())


async def test_managers_manage_report_schedules(world: WebWorld, client: Any, smtp_port: tuple[Mailbox, int]) -> None:
    boss = world.auth("boss")
    assert (await client.get("/api/report-schedules", headers=world.auth("alice"))).status == 403
    assert (await client.post("/api/report-schedules", json=GOOD, headers=world.auth("alice"))).status == 403

    created = await client.post("/api/report-schedules", json=GOOD, headers=boss | {"Accept-Language": "ja"})
    assert created.status == 201, await created.text()
    doc = await created.json()
    assert doc["zone"] == "America/New_York"  # the campaign's
    assert doc["language"] == "ja"  # the manager's
    assert doc["deliveries"] == []
    assert doc["last_status"] is None
    one = f"/api/report-schedules/{doc['id']}"
    listed = await (await client.get("/api/report-schedules", headers=boss)).json()
    assert [s["id"] for s in listed["items"]] == [doc["id"]]

    weekly = GOOD | {"cadence": "weekly", "weekday": "mon", "at": "08:30", "zone": "Asia/Tokyo"}
    changed = await client.put(one, json=weekly, headers=boss)
    assert changed.status == 200
    body = await changed.json()
    assert (body["cadence"], body["weekday"], body["at"], body["zone"]) == ("weekly", "mon", "08:30", "Asia/Tokyo")

    inbox, port = smtp_port
    world.app[SETTINGS].smtp = SmtpSettings(host="127.0.0.1", port=port, tls="none", from_address="dialer@example.com")
    run = await client.post(one + "/run", headers=boss)
    assert run.status == 200
    assert await run.json() == {"status": "ok", "error": None, "recipients": 1}
    assert inbox.recipients == [["boss@example.com"]]
    after = await (await client.get(one, headers=boss)).json()
    assert after["last_status"] == "ok"
    assert [(d["status"], d["recipients"]) for d in after["deliveries"]] == [("ok", 1)]

    assert (await client.delete(one, headers=boss)).status == 204
    missing = await client.get(one, headers=boss)
    assert missing.status == 404
    assert missing.content_type == PROBLEM
    assert (await client.delete(one, headers=boss)).status == 404


async def test_the_routes_are_in_the_openapi_document(world: WebWorld, client: Any) -> None:
    spec = await (await client.get("/api/openapi.json")).json()
    assert set(spec["paths"]["/api/report-schedules"]) >= {"get", "post"}
    one = next(p for p in spec["paths"] if p.startswith("/api/report-schedules/{schedule_id") and "run" not in p)
    assert set(spec["paths"][one]) >= {"get", "put", "delete"}
