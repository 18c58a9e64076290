"""The lead export over HTTP: managers only, the campaign's leads with their results as CSV, filtered by list and
status, audited; bad filters are problem documents and write nothing."""

from __future__ import annotations

import csv
import io
from typing import Any

from harness.web import WebWorld, supervisor

from dialer.appkeys import DATABASE
from dialer.store.audit import audit_entries


async def test_a_manager_exports_the_campaigns_leads_with_their_results(world: WebWorld, client: Any) -> None:
    boss = world.auth("boss")
    resp = await client.get("/api/campaigns/demo/leads/export", headers=boss)
    assert resp.status == 200, await resp.text()
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="leads-demo.csv"' in resp.headers["Content-Disposition"]
    body = await resp.read()
    assert body.startswith(b"\xef\xbb\xbfexternal_id,phone,")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    lists = await (await client.get("/api/campaigns/demo/lists", headers=boss)).json()
    total = sum(sum(item["leads"].values()) for item in lists["items"])
    assert len(rows) == total > 0
    assert {r["dialer_status"] for r in rows} <= {"new", "retry", "in_call", "callback", "done", "archived", "dnc"}
    assert {r["dialer_list"] for r in rows} == {item["name"] for item in lists["items"]}
    assert all(r["phone"].startswith("+") for r in rows)
    # By status and by list.
    new = await client.get("/api/campaigns/demo/leads/export?status=new&encoding=utf-8", headers=boss)
    new_rows = list(csv.DictReader(io.StringIO((await new.read()).decode("utf-8"), newline="")))
    assert {r["dialer_status"] for r in new_rows} == {"new"}
    first = lists["items"][0]
    by_list = await client.get(f"/api/campaigns/demo/leads/export?lists={first['id']}", headers=boss)
    assert by_list.status == 200
    _, entries = await audit_entries(world.app[DATABASE], target="campaign:demo")
    exports = [e for e in entries if e.action == "leads.export"]
    assert [(e.actor, e.detail["statuses"]) for e in exports][-2:] == [("boss", ["new"]), ("boss", None)]


async def test_only_managers_export_and_bad_filters_are_problems(world: WebWorld, client: Any) -> None:
    boss, alice = world.auth("boss"), world.auth("alice")
    sue = await supervisor(world, client)
    for who in (alice, sue):
        assert (await client.get("/api/campaigns/demo/leads/export", headers=who)).status == 403
    assert (await client.get("/api/campaigns/nothing/leads/export", headers=boss)).status == 404
    for query, said in (("status=happy", "not a lead status"), ("lists=999999", "no lead list 999999")):
        resp = await client.get(f"/api/campaigns/demo/leads/export?{query}", headers=boss)
        assert resp.status == 422
        assert resp.headers["Content-Type"].startswith("application/problem+json")
        assert said in (await resp.json())["detail"]
    assert (await client.get("/api/campaigns/demo/leads/export?lists=x", headers=boss)).status == 422
    assert (await client.get("/api/campaigns/demo/leads/export?encoding=latin-1", headers=boss)).status == 422
    _, entries = await audit_entries(world.app[DATABASE], target="campaign:demo")
    assert not [e for e in entries if e.action == "leads.export"]
