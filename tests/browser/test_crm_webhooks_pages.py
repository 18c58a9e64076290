"""Issue 18 in headless chromium: the CRM pop-up (the campaign's URL template opened on connect, as an
allow-listed frame or a tab without an opener; the disposition URL called, signed, on disposition), the
webhooks page (subscribe, deliveries, a dead letter re-sent), a supervisor's lead search (their teams' leads
only) and a list's scheduled recycling on the lists page.

Screenshots go to tests/artifacts/: crm-frame, webhooks-dead-letter, supervisor-leads, lists-schedule.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from harness.browser import (
    VIEWPORT,
    browsed_world,
    count_is,
    csp_violations,
    has_text,
    refused_page,
    served,
    signed_in,
)
from harness.clock import clock_dt
from harness.console import sign_in_agent
from harness.integration import CRM_HOST, CRM_SECRET, OTHER_PHONES, fast_webhooks, other_campaign, with_crm
from harness.stepping import eventually
from harness.web import team_with_supervisor, web_world
from sqlalchemy import select, update
from webhook_receiver import Receiver

from dialer.appkeys import DATABASE
from dialer.store.lists import run_due_recycles
from dialer.store.tables import leads_t

pytestmark = pytest.mark.browser


async def fake_crm(route: Any) -> None:
    """The CRM's contact page (the test's stand-in for the CRM host: no network leaves the machine)."""
    await route.fulfill(status=200, content_type="text/html", body=f"<h1 id=contact>{route.request.url}</h1>")


def crm_url_ok(url: str, agent: str) -> bool:
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    return (
        parts.scheme == "https"
        and parts.hostname == CRM_HOST
        and parts.path.startswith("/contacts/")
        and len(parts.path) > len("/contacts/")
        and query.get("agent") == [agent]
        and query.get("attempt", [""])[0].isdigit()
    )


async def test_crm_frame_on_connect_disposition_call_then_a_tab(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    receiver = Receiver(secret=CRM_SECRET)
    await receiver.start()
    try:
        async with web_world(tmp_path, speed=20.0) as world:
            fast_webhooks(world)
            await with_crm(world, mode="frame", disposition_url=receiver.url + "?code={disposition}")
            client, base = await served(aiohttp_client, world.app)
            context = await browser.new_context(viewport=VIEWPORT)
            await context.route(f"https://{CRM_HOST}/**", fake_crm)
            page = await context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            csp_violations(page, errors)
            await sign_in_agent(page, base, "alice", live=True)

            # Connect: the CRM page of the call's lead in a frame of the console (its host allowed by the CSP).
            await page.wait_for_selector("#lead-name", timeout=60_000)
            frame = page.locator("#crm-pop iframe.crm-frame")
            await frame.wait_for(timeout=15_000)
            src = await frame.get_attribute("src")
            assert src is not None
            assert crm_url_ok(src, "alice"), src
            pop = await (await client.get("/api/agents/alice/crm", headers=world.auth("alice"))).json()
            assert pop["url"] == src
            assert f"attempt={pop['attempt_id']}" in src
            contact = page.frame_locator("#crm-pop iframe.crm-frame").locator("#contact")
            await eventually(lambda: has_text(contact, CRM_HOST), 15)
            await page.screenshot(path=str(artifacts / "crm-frame.png"), full_page=True)

            # Disposition: the campaign's disposition URL is called, signed with the CRM secret.
            await page.wait_for_selector("#state-pill.pill-wrapup", timeout=90_000)
            await page.keyboard.press("Alt+1")
            await page.wait_for_selector("#state-pill.pill-ready")
            await eventually(lambda: _crm_called(receiver), 30)
            call = next(d for d in receiver.acknowledged() if d.event_type == "crm.disposition")
            assert call.signature_ok
            assert call.body["data"]["attempt_id"] == pop["attempt_id"]
            assert call.body["data"]["agent"] == "alice"
            assert call.body["data"]["disposition"] == "sale"
            assert not [e for e in errors if CRM_HOST in e or "frame" in e.lower()], errors

            # Tab mode: the next connected call opens the CRM in its own tab, with no way back to the console.
            await with_crm(world, mode="tab", disposition_url=None)
            async with page.expect_popup(timeout=120_000) as opened:
                pass
            tab = await opened.value
            await tab.wait_for_url(f"https://{CRM_HOST}/**", timeout=15_000)
            assert crm_url_ok(tab.url, "alice"), tab.url
            assert await tab.evaluate("window.opener === null")
            assert "opened in the CRM tab" in await page.inner_text("#crm-pop")
            await context.close()
    finally:
        await receiver.stop()


async def test_webhooks_page_subscribes_shows_a_dead_letter_and_resends_it(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    receiver = Receiver(mode="fail")
    await receiver.start()
    try:
        async with web_world(tmp_path, speed=20.0, campaign_running=False) as world:
            fast_webhooks(world, max_attempts=2)
            client, base = await served(aiohttp_client, world.app)
            errors: list[str] = []
            page = await signed_in(browser, base, "boss", errors, "/dashboard", then="/webhooks")
            await page.wait_for_selector("#sub-events input[value='optout.added']")
            assert "127.0.0.1/32" in await page.inner_text("#allowed")
            # Every type (those added later too, "*") is the default: the types one by one wait until it is unticked.
            assert await page.is_checked("#ev-all")
            assert await page.is_disabled("#sub-events input[value='optout.added']")
            # Subscribe to opt-outs only; the signing secret is shown once.
            for box in await page.locator("#sub-events input").all():
                if await box.get_attribute("value") != "optout.added":
                    await box.uncheck()
            await page.fill("#sub-url", receiver.url)
            await page.fill("#sub-description", "CRM opt-outs")
            await page.click("#sub-form button[type=submit]")
            secret = page.locator("#sub-msg .secret")
            await secret.wait_for()
            receiver.secret = (await secret.inner_text()).strip()
            row = page.locator("#subs-table tbody tr", has_text=receiver.url)
            await row.wait_for()
            assert "optout.added" in await row.inner_text()

            # An opt-out through the API; the receiver refuses it until it is dead-lettered.
            added = await client.post("/api/dnc", json={"number": "+12125550190"}, headers=world.auth("boss"))
            assert added.status == 200
            await eventually(lambda: _at_least(receiver, 2), 30)
            await page.select_option("#dl-state", "dead")
            dead = page.locator("#dl-table tbody tr", has_text="optout.added")
            await eventually(lambda: count_is(dead, 1), 20)
            assert "HTTP 500" in await dead.inner_text()
            await page.screenshot(path=str(artifacts / "webhooks-dead-letter.png"), full_page=True)

            # The receiver is back: re-send from the page; delivered once, signed with the subscription's secret.
            receiver.mode = "ok"
            await dead.locator("button[data-resend]").click()
            await eventually(lambda: has_text(page.locator("#dl-msg"), "queued again"), 10)
            await eventually(lambda: _acked(receiver, 1), 30)
            (delivery,) = receiver.acknowledged()
            assert delivery.signature_ok
            assert delivery.body["data"]["number"] == "+12125550190"
            await page.select_option("#dl-state", "delivered")
            await eventually(lambda: count_is(page.locator("#dl-table tbody tr", has_text="optout.added"), 1), 20)

            # Disable the subscription from the page: its state follows.
            await row.locator("button[data-toggle]").click()
            subscription = page.locator("#subs-table tbody tr", has_text=receiver.url)
            await eventually(lambda: has_text(subscription, "disabled"), 10)

            # A subscription left at the default is "*", shown as such on the page and by the API.
            await page.reload()
            await page.wait_for_selector("#sub-events input[value='optout.added']")
            await page.fill("#sub-url", "http://127.0.0.1:9/everything")
            await page.click("#sub-form button[type=submit]")
            everything = page.locator("#subs-table tbody tr", has_text="http://127.0.0.1:9/everything")
            await eventually(lambda: has_text(everything, "Every type, those added later too (*)"), 10)
            listed = await (await client.get("/api/webhooks/subscriptions", headers=world.auth("boss"))).json()
            assert [s["events"] for s in listed["items"] if s["url"].endswith("/everything")] == [["*"]]
            assert not errors, errors
    finally:
        await receiver.stop()


async def test_a_supervisor_searches_only_their_teams_leads(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    async with browsed_world(tmp_path, aiohttp_client, campaign_running=False) as (world, client, base):
        await team_with_supervisor(world, client)
        await other_campaign(world)
        errors: list[str] = []
        # The admin says which campaigns her team works, on the admin page.
        admin = await signed_in(browser, base, "root", errors, "/dashboard", then="/admin")
        north = admin.locator("#teams-table tr[data-team=north]")
        await north.locator("select[data-field=campaigns] option[value=demo]").wait_for(state="attached")
        await north.locator("select[data-field=campaigns]").select_option(["demo"])
        await north.locator("button[data-action=save-campaigns]").click()
        await eventually(lambda: _team_works(client, world.auth("root"), ["demo"]), 10)
        await admin.close()
        demo = await (await client.get("/api/leads?limit=1&campaign=demo", headers=world.auth("boss"))).json()
        demo_phone = demo["items"][0]["phone"]

        page = await signed_in(browser, base, "sue", errors, "/dashboard")
        await page.click("a[href='/leads']")
        await page.wait_for_url(f"{base}/leads")
        await page.wait_for_selector("#campaign option[value=demo]", state="attached")

        async def search(text: str) -> Any:
            await page.fill("#search-q", text)
            await page.click("#search-form button[type=submit]")
            return page.locator("#search-table tbody tr")

        # Her team's campaign: found, with its history.
        rows = await search(demo_phone.lstrip("+"))
        await eventually(lambda: count_is(rows, 1), 10)
        await rows.first.locator("button").click()
        await page.wait_for_selector("#history-table")
        # Another campaign's lead: not found; the one her agent alice holds a callback of: found.
        rows = await search(OTHER_PHONES[1].lstrip("+"))
        await eventually(lambda: has_text(page.locator("#lead-history"), "No lead found"), 10)
        assert await rows.count() == 0
        rows = await search(OTHER_PHONES[0].lstrip("+"))
        await eventually(lambda: count_is(rows, 1), 10)
        await page.screenshot(path=str(artifacts / "supervisor-leads.png"), full_page=True)
        # An agent is not let in; the manager finds the other campaign's lead.
        await refused_page(browser, base, "bob", "/console", "/leads")
        assert not errors, errors


async def _crm_called(receiver: Receiver) -> bool:
    return any(d.event_type == "crm.disposition" for d in receiver.acknowledged())


async def _at_least(receiver: Receiver, n: int) -> bool:
    return len(receiver.deliveries) >= n


async def _acked(receiver: Receiver, n: int) -> bool:
    return len(receiver.acknowledged()) >= n


async def test_a_manager_schedules_a_lists_recycling_and_sees_its_runs(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    async with browsed_world(tmp_path, aiohttp_client, campaign_running=False) as (world, client, base):
        db = world.app[DATABASE]
        now = clock_dt(world.clock)
        async with db.write() as conn:  # five no-answers from four days ago, waiting for their retry
            ids = list((await conn.execute(select(leads_t.c.id).order_by(leads_t.c.id).limit(5))).scalars())
            await conn.execute(
                update(leads_t)
                .where(leads_t.c.id.in_(ids))
                .values(status="retry", attempts=1, dials=1, last_outcome="no_answer",
                        last_attempt_at=now - timedelta(days=4), next_dialable_at=now + timedelta(days=2))
            )  # fmt: skip
        errors: list[str] = []
        page = await signed_in(browser, base, "boss", errors, "/dashboard", then="/lists")
        await page.wait_for_selector("#schedule-list option", state="attached")
        # Counts first (the rules chosen above: no-answers older than 72 h, busy older than 1 h) ...
        await page.click("#btn-schedule-count")
        await eventually(lambda: has_text(page.locator("#schedule-count"), "5 leads would be recycled now"), 10)
        # ... then the schedule: every 2 hours.
        await page.fill("#schedule-every", "2")
        await page.click("#btn-schedule-save")
        await eventually(lambda: has_text(page.locator("#schedule-count"), "Saved"), 10)
        row = page.locator("#schedules-table tbody tr")
        await eventually(lambda: count_is(row, 1), 10)
        assert "2 h" in await row.inner_text()
        # The daemon's job runs it once due (here at the dialer clock's time 2 h later): the page shows the run.
        (run,) = await run_due_recycles(db, now + timedelta(hours=2, minutes=5))
        assert run.result.recycled == 5
        await page.reload()
        await eventually(lambda: has_text(page.locator("#schedules-table .last-recycled"), "5"), 10)
        await page.screenshot(path=str(artifacts / "lists-schedule.png"), full_page=True)
        await page.click("#btn-schedule-remove")
        await eventually(lambda: count_is(row, 0), 10)
        audit = await (await client.get("/api/audit?limit=20", headers=world.auth("root"))).json()
        assert {"list.recycle_schedule", "lists.recycle"} <= {e["action"] for e in audit["items"]}
        assert not errors, errors


async def _team_works(client: Any, headers: dict[str, str], campaigns: list[str]) -> bool:
    teams = await (await client.get("/api/teams", headers=headers)).json()
    return any(x["name"] == "north" and x["campaigns"] == campaigns for x in teams["items"])
