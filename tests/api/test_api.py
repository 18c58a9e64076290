"""REST API behaviour against the whole dialer (simulated PBX, demo campaign): auth, roles, problems, resources."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import FormData, web
from aiohttp.test_utils import TestClient
from harness.stepping import eventually
from harness.web import PASSWORD, PREVIEW_TOML, WebWorld, call_of_attempt, problem

from dialer.store.console import CallbackRequest, create_callback
from dialer.web.routing import EXTERNAL_ROUTES, ROUTE_INDEX, STATIC_PREFIX, policy_for


# ---------------------------------------------------------------------------------------------- auth & roles
async def test_every_route_declares_roles_and_only_the_public_ones_are_open(world: WebWorld, client: Any) -> None:
    public = {"/api/login", "/api/openapi.json", "/login", "/healthz", "/favicon.ico"}
    index = world.app[ROUTE_INDEX]
    checked = 0
    for route in world.app.router.routes():
        canonical = route.resource.canonical if route.resource else ""
        if route.method == "HEAD":
            continue
        if canonical.startswith(STATIC_PREFIX.rstrip("/")):
            continue
        spec = index.get((route.method, canonical))
        roles = spec.roles if spec is not None else EXTERNAL_ROUTES.get(canonical)
        assert roles is not None, f"{route.method} {canonical} declares no roles"
        if not roles:
            assert canonical in public, f"{route.method} {canonical} is unexpectedly public"
            continue
        # Without credentials every protected route answers 401 (API) — never runs its handler.
        path = canonical.replace("{lead_id}", "1").replace("{list_id}", "1").replace("{callback_id}", "1")
        path = path.replace("{attempt_id}", "1")
        path = path.replace("{name}", "demo").replace("{agent_id}", "alice")
        path = path.replace("{external_id}", "x").replace("{subscription_id}", "1").replace("{delivery_id}", "1")
        path = (
            path.replace("{attempt_id}", "1")
            .replace("{session_id}", "1")
            .replace("{message_id}", "1")
            .replace("{schedule_id}", "1")
            .replace("{alert_id}", "1")
            .replace("{token_id}", "1")
        )
        # (X-Forwarded-For: as seen through a proxy, so the loopback read-outs are protected too.)
        resp = await client.request(
            route.method, path, headers={"Accept": "application/json", "X-Forwarded-For": "203.0.113.9"}
        )
        assert resp.status == 401, f"{route.method} {path} -> {resp.status}"
        checked += 1
    assert checked > 30
    assert policy_for  # the middleware's lookup is the same table


async def test_the_icon_browsers_ask_for_is_served_to_anyone(world: WebWorld, client: Any) -> None:
    resp = await client.get("/favicon.ico")
    assert (resp.status, resp.content_type) == (200, "image/svg+xml")
    assert (await resp.text()).startswith("<svg")


async def test_status_and_metrics_readable_from_loopback_only(world: WebWorld, client: Any) -> None:
    assert (await client.get("/status")).status == 200  # `dialer status` on the daemon's host
    assert (await client.get("/metrics")).status == 200
    await problem(await client.get("/status", headers={"X-Forwarded-For": "198.51.100.7"}), 401)
    assert (await client.get("/status", headers={"X-Forwarded-For": "1.2.3.4", **world.auth("boss")})).status == 200


async def test_unauthenticated_401_and_agent_on_manager_route_403(world: WebWorld, client: Any) -> None:
    body = await problem(await client.get("/api/dashboard"), 401)
    assert "Bearer" in body["detail"]
    await problem(await client.get("/api/dashboard", headers={"Authorization": "Bearer nope"}), 401)
    body = await problem(await client.get("/api/dashboard", headers=world.auth("alice")), 403)
    assert "manager" in body["detail"]
    await problem(await client.post("/api/campaigns/demo/stop", headers=world.auth("alice")), 403)
    await problem(await client.get("/api/users", headers=world.auth("boss")), 403)
    assert (await client.get("/api/users", headers=world.auth("root"))).status == 200
    # An agent acting for another agent.
    await problem(await client.post("/api/agents/bob/ready", headers=world.auth("alice")), 403)
    # Pages redirect a browser to the login form.
    resp = await client.get("/dashboard", headers={"Accept": "text/html"}, allow_redirects=False)
    assert resp.status == 302
    assert resp.headers["Location"].startswith("/login")


async def test_problem_documents_for_404_405_422(world: WebWorld, client: Any) -> None:
    auth = world.auth("boss")
    await problem(await client.get("/api/nothing-here", headers=auth), 404)
    body = await problem(await client.delete("/api/campaigns", headers=auth), 405)
    assert "GET" in body["detail"]
    body = await problem(await client.get("/api/leads?limit=0", headers=auth), 422)
    assert body["errors"][0]["location"][:2] == ["query", "limit"]
    await problem(await client.get("/api/leads/999999", headers=auth), 404)
    await problem(await client.get("/api/campaigns/nope", headers=auth), 404)
    body = await problem(await client.post("/api/agents", json={"agent_id": "x y"}, headers=auth), 422)
    assert body["type"].endswith("validation-error")


async def test_session_login_cookie_csrf_and_rate_limit(world: WebWorld, aiohttp_client: Any) -> None:
    client: TestClient[web.Request, web.Application] = await aiohttp_client(world.app)
    resp = await client.post("/api/login", json={"name": "boss", "password": PASSWORD})
    assert resp.status == 200
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    csrf = (await resp.json())["csrf_token"]
    assert (await client.get("/api/dashboard")).status == 200
    # A state-changing request on the cookie needs the CSRF token.
    body = await problem(await client.post("/api/campaigns/demo/pause"), 403)
    assert "CSRF" in body["detail"]
    resp = await client.post("/api/campaigns/demo/pause", headers={"X-CSRF-Token": csrf})
    assert (await resp.json())["state"] == "paused"
    assert world.dialer.runner("demo").state.value == "paused"
    # 5 failures for one user from one address, then 429 even with the right password.
    for _ in range(5):
        await problem(await client.post("/api/login", json={"name": "bob", "password": "wrong-password"}), 401)
    body = await problem(await client.post("/api/login", json={"name": "bob", "password": PASSWORD}), 429)
    assert "try again" in body["detail"]
    assert (await client.post("/api/login", json={"name": "alice", "password": PASSWORD})).status == 200


async def test_html_login_form_and_pages(world: WebWorld, client: Any) -> None:
    resp = await client.post("/login", data={"name": "boss", "password": "bad-password"})
    assert resp.status == 401
    assert "wrong user name or password" in await resp.text()
    resp = await client.post(
        "/login", data={"name": "boss", "password": PASSWORD, "next": "//evil.example"}, allow_redirects=False
    )
    assert resp.status == 303
    assert resp.headers["Location"] == "/dashboard"
    page = await client.get("/dashboard")
    text = await page.text()
    assert page.status == 200
    assert 'name="csrf-token"' in text
    assert "/static/dashboard.js" in text
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert (await client.get("/static/app.css")).status == 200


# ---------------------------------------------------------------------------------------------- campaigns
CAMPAIGN_TOML = """
name = "winback"
dial_mode = "progressive"
queue = "winback-agents"
trunk = "Local/{number}@sim-pstn"
regime = "US"
timezone = "America/New_York"
[caller_id]
number = "+1 202 555 0199"
"""


async def test_campaign_create_update_and_control(world: WebWorld, client: Any) -> None:
    auth = world.auth("boss")
    resp = await client.put(
        "/api/campaigns/winback", data=CAMPAIGN_TOML, headers={**auth, "Content-Type": "application/toml"}
    )
    assert resp.status == 201, await resp.text()
    assert "winback" in world.dialer.runners
    body = await problem(
        await client.put("/api/campaigns/winback", json={"ring_timeout_seconds": 5}, headers=auth), 422
    )
    assert "ring_timeout_seconds" in body["detail"]
    resp = await client.post("/api/campaigns/winback/start", headers=auth)
    assert (await resp.json())["state"] == "running"
    stats = await (await client.get("/api/campaigns/winback/stats", headers=auth)).json()
    assert (stats["state"] == "running" and stats["why_not_dialing"] is not None) or stats["pacing"] is None
    assert stats["leads"]["total"] == 0
    page = await (await client.get("/api/campaigns?limit=1&offset=1", headers=auth)).json()
    assert page["total"] == 2
    assert len(page["items"]) == 1


# ---------------------------------------------------------------------------------------------- lead lists
CSV = (
    "Tel,Given,Family,Account\n"
    "+1 212 555 0101,Ann,Lee,A-1\n"
    "not a number,Bad,Row,A-2\n"
    "+1 212 555 0102,Ben,Okafor,A-3\n"
    "+1 212 555 0101,Ann,Again,A-4\n"
)


async def test_csv_preview_upload_report_and_error_download(world: WebWorld, client: Any) -> None:
    auth = world.auth("boss")
    form = FormData()
    form.add_field("file", io.BytesIO(CSV.encode()), filename="spring.csv", content_type="text/csv")
    form.add_field("mapping", '{"Given": "first_name", "Family": "last_name"}')
    preview = await (await client.post("/api/campaigns/demo/lead-lists/preview", data=form, headers=auth)).json()
    fields = {c["column"]: c["field"] for c in preview["columns"]}
    assert fields == {"Tel": "phone", "Given": "first_name", "Family": "last_name", "Account": "Account"}
    form = FormData()
    form.add_field("file", io.BytesIO(CSV.encode()), filename="spring.csv", content_type="text/csv")
    form.add_field("mapping", '{"Given": "first_name", "Family": "last_name"}')
    resp = await client.post("/api/campaigns/demo/lead-lists", data=form, headers=auth)
    report = await resp.json()
    assert resp.status == 201, report
    assert (report["rows"], report["imported"], report["invalid"], report["duplicates"]) == (4, 2, 1, 1)
    errors = await client.get(report["errors_url"], headers=auth)
    text = await errors.text()
    assert errors.status == 200
    assert errors.content_type == "text/csv"
    assert "invalid_phone" in text
    assert "not a number" in text
    lists = await (await client.get("/api/lead-lists?campaign=demo", headers=auth)).json()
    assert lists["items"][0]["imported"] == 2
    assert lists["items"][0]["name"] == "spring.csv"
    found = await (await client.get("/api/leads?q=212-555-0102", headers=auth)).json()
    assert found["total"] == 1
    assert found["items"][0]["first_name"] == "Ben"
    form = FormData()
    form.add_field("file", io.BytesIO(b"name,city\nx,y\n"), filename="bad.csv")
    body = await problem(await client.post("/api/campaigns/demo/lead-lists", data=form, headers=auth), 422)
    assert "phone column" in body["detail"]


# ---------------------------------------------------------------------------------------------- agent flow
async def test_an_agent_not_yet_signed_in_reads_their_console_as_logged_out(world: WebWorld, client: Any) -> None:
    """The console polls the agent's call before they first join queues: that is a state, not a 404."""
    bob, boss = world.auth("bob"), world.auth("boss")
    body = await (await client.get("/api/agents/bob/call", headers=bob)).json()
    assert (body["agent"]["agent_id"], body["agent"]["status"], body["call"]) == ("bob", "logged_out", None)
    assert body["agent"]["queues"] == []
    assert body["agent"]["seconds_in_state"] is None
    agent = await (await client.get("/api/agents/bob", headers=bob)).json()
    assert agent["status"] == "logged_out"
    crm = await (await client.get("/api/agents/bob/crm", headers=bob)).json()
    assert (crm["attempt_id"], crm["url"], crm["why_not"]) == (None, None, "no call")
    # Reading is all it allows: acting still needs a session, and others' unknown agents stay unknown.
    await problem(await client.post("/api/agents/bob/ready", headers=bob), 404)
    await problem(await client.get("/api/agents/bob/call", headers=boss), 404)
    await problem(await client.get("/api/agents/nobody", headers=boss), 404)


async def test_agent_screen_pop_disposition_and_own_leads_only(world: WebWorld, client: Any) -> None:
    alice = world.auth("alice")
    resp = await client.post("/api/agents/alice/login", json={"queues": ["nope"]}, headers=alice)
    await problem(resp, 422)
    resp = await client.post("/api/agents/alice/login", json={"queues": ["outbound-agents"]}, headers=alice)
    assert (await resp.json())["status"] == "paused"
    # The live feed: a screen pop arrives on alice's WebSocket.
    login = await client.post("/api/login", json={"name": "alice", "password": PASSWORD})
    assert login.status == 200
    bad = await client.get(
        "/ws", headers={"Origin": "https://evil.example", "Upgrade": "websocket", "Connection": "Upgrade"}
    )
    assert bad.status == 403
    ws = await client.ws_connect("/ws")
    await client.post("/api/agents/alice/ready", headers=alice)

    async def screen_pop() -> Any:
        msg = await ws.receive_json(timeout=10)
        return msg if msg["kind"] == "screen_pop" else None

    pop = await eventually(screen_pop)
    lead_id = pop["data"]["lead_id"]
    call = (await (await client.get("/api/agents/alice/call", headers=alice)).json())["call"]
    assert call["lead"]["id"] == lead_id
    assert call["attempt"]["agent"] == "alice"
    assert [d["code"] for d in call["dispositions"]][:2] == ["sale", "not_interested"]
    # alice may read and edit her lead, not bob's view of it nor unrelated leads.
    assert (await client.get(f"/api/leads/{lead_id}", headers=alice)).status == 200
    other = await (await client.get("/api/leads?limit=1&q=a", headers=world.auth("boss"))).json()
    unrelated = next(i["id"] for i in other["items"] if i["id"] != lead_id)
    await problem(await client.get(f"/api/leads/{unrelated}", headers=alice), 404)
    await problem(await client.get(f"/api/leads/{lead_id}", headers=world.auth("bob")), 404)
    mine = await (await client.get("/api/leads", headers=alice)).json()
    assert [i["id"] for i in mine["items"]] == [lead_id]
    resp = await client.patch(f"/api/leads/{lead_id}", json={"fields": {"email": "x@example.com"}}, headers=alice)
    assert (await resp.json())["fields"]["email"] == "x@example.com"
    # "Ready in N s" is for wrap-up only, for oneself, within bounds.
    await problem(await client.post("/api/agents/alice/ready-in", json={"seconds": 10}, headers=alice), 409)
    await problem(await client.post("/api/agents/alice/ready-in", json={"seconds": -1}, headers=alice), 422)
    await problem(await client.post("/api/agents/alice/ready-in", json={"seconds": 10}, headers=world.auth("bob")), 403)
    await problem(await client.post("/api/agents/alice/disposition", json={"code": "bogus"}, headers=alice), 422)
    resp = await client.post("/api/agents/alice/disposition", json={"code": "sale", "notes": "bought"}, headers=alice)
    assert resp.status == 200, await resp.text()
    lead = await (await client.get(f"/api/leads/{lead_id}", headers=alice)).json()
    assert lead["last_disposition"] == "sale"
    assert lead["history"][0]["notes"] == "bought"
    calls = await (await client.get("/api/agents/alice/calls", headers=alice)).json()
    assert calls["total"] >= 1
    assert calls["items"][-1]["disposition"] == "sale"
    await client.post("/api/agents/alice/pause", json={"reason": "lunch"}, headers=alice)
    await ws.close()


async def test_callbacks_create_list_cancel(world: WebWorld, client: Any) -> None:
    boss = world.auth("boss")
    lead = (await (await client.get("/api/leads?limit=1&status=new", headers=boss)).json())["items"][0]
    now = datetime.fromtimestamp(world.clock.now(), UTC)
    await problem(
        await client.post("/api/callbacks", json={"lead_id": lead["id"], "due_at": now.isoformat()}, headers=boss), 422
    )
    due = (now + timedelta(days=1)).isoformat()
    resp = await client.post(
        "/api/callbacks", json={"lead_id": lead["id"], "due_at": due, "notes": "after 3"}, headers=boss
    )
    created = await resp.json()
    assert resp.status == 201
    assert created["state"] == "pending"
    listed = await (await client.get("/api/callbacks?state=pending", headers=boss)).json()
    assert [c["id"] for c in listed["items"]] == [created["id"]]
    # An agent does not see (or cancel) callbacks that are not theirs.
    assert (await (await client.get("/api/callbacks", headers=world.auth("alice"))).json())["total"] == 0
    await problem(await client.post(f"/api/callbacks/{created['id']}/cancel", headers=world.auth("alice")), 404)
    resp = await client.post(f"/api/callbacks/{created['id']}/cancel", headers=boss)
    assert (await resp.json())["state"] == "cancelled"
    await problem(await client.post(f"/api/callbacks/{created['id']}/cancel", headers=boss), 409)


async def test_users_and_tokens(world: WebWorld, client: Any) -> None:
    root = world.auth("root")
    body = {"name": "carol", "role": "agent", "password": "long-enough-1", "phone": "Local/carol@sim-agents"}
    assert (await client.post("/api/users", json=body, headers=root)).status == 201
    await problem(await client.post("/api/users", json=body, headers=root), 409)
    await problem(await client.post("/api/users", json={**body, "name": "dan", "password": "short"}, headers=root), 422)
    token = (await (await client.post("/api/tokens", json={"label": "x"}, headers=world.auth("bob"))).json())["token"]
    me = await (await client.get("/api/me", headers={"Authorization": f"Bearer {token}"})).json()
    assert me["user"]["name"] == "bob"
    assert me["user"]["role"] == "agent"
    assert "password_hash" not in me["user"]


async def test_dashboard_document(world: WebWorld, client: Any) -> None:
    async def settled() -> dict[str, Any] | None:
        """The dashboard once the demo's runner has started (its first pass says ``adopting``: the calls a daemon
        left on the PBX are looked for first)."""
        doc: dict[str, Any] = await (await client.get("/api/dashboard", headers=world.auth("boss"))).json()
        why = doc["campaigns"][0].get("why_not_dialing") or {}
        return doc if why.get("code") not in (None, "adopting") else None

    doc = await eventually(settled, 10)
    (demo,) = doc["campaigns"]
    assert demo["why_not_dialing"]["code"] == "no_agents"
    assert demo["leads"]["total"] > 1000
    assert "new" in demo["leads"]["by_status"]
    assert {"rate", "day_rate"} <= set(demo["abandon_30d"])
    assert demo["abandon_window"]["cap"] == 0.03
    reports = await (await client.get("/api/reports", headers=world.auth("boss"))).json()
    assert isinstance(reports["reports"], list)


async def test_preview_claim_dial_and_skip(world: WebWorld, client: Any) -> None:
    boss, alice = world.auth("boss"), world.auth("alice")
    resp = await client.put(
        "/api/campaigns/manual", data=PREVIEW_TOML, headers={**boss, "Content-Type": "application/toml"}
    )
    assert resp.status == 201, await resp.text()
    form = FormData()
    form.add_field("file", io.BytesIO(CSV.encode()), filename="manual.csv", content_type="text/csv")
    assert (await client.post("/api/campaigns/manual/lead-lists", data=form, headers=boss)).status == 201
    assert (await client.post("/api/campaigns/manual/start", headers=boss)).status == 200
    # Not in a preview campaign yet.
    await problem(await client.post("/api/agents/alice/preview/claim", json={}, headers=alice), 404)
    await client.post("/api/agents/alice/login", json={"queues": ["manual-agents"]}, headers=alice)
    await problem(await client.post("/api/agents/alice/preview/claim", json={}, headers=alice), 409)  # not ready
    await client.post("/api/agents/alice/ready", headers=alice)
    held = await (await client.post("/api/agents/alice/preview/claim", json={}, headers=alice)).json()
    assert held["campaign"] == "manual"
    first = held["lead"]["id"]
    again = await (await client.post("/api/agents/alice/preview/claim", json={}, headers=alice)).json()
    assert again["lead"]["id"] == first  # the same lead stays held
    skipped = await client.post("/api/agents/alice/preview/skip", json={}, headers=alice)
    assert (await skipped.json())["skipped"] is True
    held = await (await client.post("/api/agents/alice/preview/claim", json={}, headers=alice)).json()
    resp = await client.post("/api/agents/alice/preview/dial", json={}, headers=alice)
    assert resp.status == 200, await resp.text()
    attempt_id = (await resp.json())["attempt_id"]
    await problem(await client.post("/api/agents/alice/preview/dial", json={}, headers=alice), 409)  # nothing held

    call = await eventually(lambda: call_of_attempt(client, "alice", alice, attempt_id))
    assert call["lead"]["id"] == held["lead"]["id"]


async def test_reports_json_html_csv(world: WebWorld, client: Any) -> None:
    boss = world.auth("boss")
    listing = await (await client.get("/api/reports", headers=boss)).json()
    assert {r["name"] for r in listing["reports"]} == {
        "compliance",
        "performance",
        "calls",
        "ivr",
        "inbound",
        "agents",
        "staffing",
    }
    assert listing["campaigns"]["demo"]["compliance"] == "/api/reports/compliance/demo?format=html"
    report = await (await client.get("/api/reports/compliance/demo", headers=boss)).json()
    assert report["campaign"] == "demo"
    page = await client.get("/api/reports/performance/demo?format=html&from=2026-11-01", headers=boss)
    assert page.content_type == "text/html"
    assert "demo" in await page.text()
    csv_resp = await client.get("/api/reports/calls/demo?format=csv", headers=boss)
    assert csv_resp.content_type == "text/csv"
    ivr = await (await client.get("/api/reports/ivr/demo", headers=boss)).json()
    assert ivr["report"] == "ivr"
    assert ivr["flows"] == []  # the demo campaign has agents, no flow
    ivr_page = await client.get("/api/reports/ivr/demo?format=html", headers=boss)
    assert ivr_page.content_type == "text/html"
    await problem(await client.get("/api/reports/ivr/nope", headers=boss), 404)
    await problem(await client.get("/api/reports/compliance/nope", headers=boss), 404)
    await problem(await client.get("/api/reports/compliance/demo?from=yesterday-ish", headers=boss), 422)
    await problem(await client.get("/api/reports/compliance/demo", headers=world.auth("alice")), 403)


async def test_the_inbound_report_counts_the_stored_visits(world: WebWorld, client: Any) -> None:
    from dialer.inbound.calls import InboundOutcome
    from dialer.store.inbound_calls import InboundCallRecord, record_inbound_calls

    boss = world.auth("boss")
    at = datetime(2026, 11, 30, 9, 10, tzinfo=UTC)

    def visit(minute: int, outcome: InboundOutcome, wait: float, agent: str | None = None) -> InboundCallRecord:
        joined = at + timedelta(minutes=minute)
        talk = 60.0 if outcome is InboundOutcome.ANSWERED else None
        end = joined + timedelta(seconds=wait + (talk or 0))
        return InboundCallRecord("pbx", "care", "+12125550100", joined, end, outcome, wait, talk, agent)

    await record_inbound_calls(
        world.dialer.db,
        [
            visit(0, InboundOutcome.ANSWERED, 8, "alice"),
            visit(5, InboundOutcome.ANSWERED, 45, "bob"),
            visit(7, InboundOutcome.ABANDONED, 2),  # short
            visit(62, InboundOutcome.TIMED_OUT, 300),
            visit(64, InboundOutcome.REFUSED, 0),
        ],
    )
    listing = await (await client.get("/api/reports", headers=boss)).json()
    assert "care" in listing["inbound_queues"]
    body = await (await client.get("/api/reports/inbound?queue=care&from=2026-11-30", headers=boss)).json()
    assert body["report"] == "inbound"
    assert body["service_level_rule"] == {"answer_within_seconds": 20.0, "short_abandon_seconds": 5.0, "target": 0.8}
    (care,) = body["queues"]
    assert (care["offered"], care["answered"], care["answered_within"], care["short_abandoned"]) == (5, 2, 1, 1)
    assert care["service_level"] == 1 / 4
    assert care["average_speed_of_answer"] == 26.5
    assert [h["start"] for h in care["hours"]] == ["2026-11-30T09:00:00+00:00", "2026-11-30T10:00:00+00:00"]
    assert [(a["agent"], a["answered"]) for a in care["agents"]] == [("alice", 1), ("bob", 1)]
    page = await client.get("/api/reports/inbound?format=html&queue=care", headers=boss)
    assert page.content_type == "text/html"
    assert "care" in await page.text()
    csv_resp = await client.get("/api/reports/inbound?format=csv&queue=care", headers=boss)
    assert csv_resp.content_type == "text/csv"
    assert "service_level" in await csv_resp.text()
    outside = await (await client.get("/api/reports/inbound?queue=care&from=2026-12-01", headers=boss)).json()
    assert outside["queues"][0]["offered"] == 0
    await problem(await client.get("/api/reports/inbound?queue=nope", headers=boss), 422)
    await problem(await client.get("/api/reports/inbound?queue=care&from=soon", headers=boss), 422)
    await problem(await client.get("/api/reports/inbound", headers=world.auth("alice")), 403)


async def test_inbound_call_screen_pop_shows_the_caller(tmp_path: Any, aiohttp_client: Any) -> None:
    from harness.web import agent_ready, web_world

    async with web_world(tmp_path, speed=40.0, campaign_running=False) as world:
        client = await aiohttp_client(world.app)
        alice = world.auth("alice")
        await agent_ready(world, client, "alice", "inbound-sales")

        async def inbound() -> Any:
            body = await (await client.get("/api/agents/alice/call", headers=alice)).json()
            call = body["call"]
            return call if call and call.get("inbound") and call.get("caller") else None

        call = await eventually(inbound, 45)
        assert call["queue"] == "inbound-sales"
        assert call["caller"]


async def test_a_lead_shows_the_callback_its_caller_asked_for_until_it_is_cancelled(
    world: WebWorld, client: Any
) -> None:
    """The lead (and so the agent's screen pop) says the call is the callback the caller asked for, while the lead
    waits for it; a cancelled request is gone. An agent's callback is no request."""
    boss = world.auth("boss")
    first, second = (await (await client.get("/api/leads?limit=2&status=new", headers=boss)).json())["items"]
    now = datetime.fromtimestamp(world.clock.now(), UTC)
    due = now + timedelta(hours=1)
    asked = CallbackRequest(source="ivr flow inbound", at=now)
    requested = await create_callback(world.dialer.db, first["id"], due, None, None, now, requested=asked)
    assert requested is not None
    await create_callback(world.dialer.db, second["id"], due, None, None, now)
    lead = await (await client.get(f"/api/leads/{first['id']}", headers=boss)).json()
    assert lead["requested_callback"] == {
        "source": "ivr flow inbound",
        "requested_at": now.isoformat(),
        "due_at": due.isoformat(),
    }
    assert lead["consent_source"] is None
    other = await (await client.get(f"/api/leads/{second['id']}", headers=boss)).json()
    assert other["requested_callback"] is None
    resp = await client.post(f"/api/callbacks/{requested.id}/cancel", headers=boss)
    assert resp.status == 200
    lead = await (await client.get(f"/api/leads/{first['id']}", headers=boss)).json()
    assert (lead["status"], lead["requested_callback"]) == ("retry", None)
