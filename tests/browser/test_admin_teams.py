"""Teams and user administration in headless chromium, against the whole dialer: a supervisor's dashboard shows
their team only; an admin disables a user and that user's open console ends at once.

Screenshots go to tests/artifacts/: supervisor-dashboard, admin-users, lists-recycle.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from harness.browser import assert_refused, browsed_world, count_is, has_text, signed_in
from harness.stepping import eventually
from harness.web import team_with_supervisor

from dialer.appkeys import DATABASE
from dialer.store.auth import get_user

pytestmark = pytest.mark.browser


async def test_a_supervisor_sees_only_their_team(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    async with browsed_world(tmp_path, aiohttp_client, campaign_running=False) as (world, client, base):
        await team_with_supervisor(world, client)
        errors: list[str] = []
        sue = await signed_in(browser, base, "sue", errors, "/dashboard")
        await sue.wait_for_selector("#ws-status.dot-on")
        rows = sue.locator("#agents-table tbody tr")
        await eventually(lambda: count_is(rows, 1), 10)
        await sue.wait_for_timeout(2500)  # a few pushes later, still only her team
        assert await rows.count() == 1
        assert "alice" in await rows.first.inner_text()
        assert "bob" not in await sue.inner_text("#agents-table")
        for hidden in ("a[href='/admin']", "a[href='/lists']", "#upload-form"):
            assert not await sue.locator(hidden).is_visible()
        # Bob joins her team: her open dashboard follows without a reload.
        moved = await client.patch("/api/users/bob", json={"team": "north"}, headers=world.auth("root"))
        assert moved.status == 200
        await eventually(lambda: count_is(rows, 2), 10)
        # Her team's report, on the teams page.
        await sue.click("a[href='/teams']")
        await sue.wait_for_url(f"{base}/teams")
        report = sue.locator("section.team[data-team=north]")
        await report.wait_for()
        await eventually(lambda: count_is(report.locator("tbody tr"), 2), 10)
        head = (await report.locator("thead").inner_text()).lower()  # (the style writes headers in capitals)
        assert "occupancy" in head
        assert "ready in n s announced" in head
        assert "quality" in head
        assert await report.locator("tbody tr td.occupancy").count() == 2
        assert await report.locator("tbody tr td.quality").count() == 2
        # By default a team's figures are its agents' while they were its members; "today's" reads all of theirs.
        asked: list[str] = []
        sue.on("request", lambda request: asked.append(request.url))
        await sue.select_option("#members", "now")
        await eventually(lambda: _asked(asked, "/api/reports/team/north?hours=24&members=now"), 10)
        await eventually(lambda: count_is(report.locator("tbody tr"), 2), 10)
        await sue.go_back()
        await sue.wait_for_selector("#ws-status.dot-on")
        await sue.screenshot(path=str(artifacts / "supervisor-dashboard.png"), full_page=True)
        # The manager sees everyone.
        boss = await signed_in(browser, base, "boss", errors, "/dashboard")
        await eventually(lambda: count_is(boss.locator("#agents-table tbody tr"), 2), 10)
        assert not await boss.locator("a[href='/admin']").is_visible()  # a manager, not an admin
        # Pages of other roles stay closed to her.
        for path in ("/admin", "/lists"):
            await assert_refused(sue, base, path)
        assert not errors, errors
        await sue.close()
        await boss.close()


async def test_an_admin_disables_a_user_whose_open_console_ends_at_once(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    async with browsed_world(tmp_path, aiohttp_client, campaign_running=False) as (world, client, base):
        errors: list[str] = []
        bob = await signed_in(browser, base, "bob", errors, "/console")
        await bob.wait_for_selector("#ws-status.dot-on")
        root = await signed_in(browser, base, "root", errors, "/dashboard")
        await root.click("a[href='/admin']")
        await root.wait_for_url(f"{base}/admin")
        row = root.locator("#users-table tr[data-user=bob]")
        await row.wait_for()
        assert await row.locator("[data-field=state]").inner_text() == "active"
        await row.locator("button[data-action=disable]").click()
        await root.locator("#users-table tr[data-user=bob] [data-field=state]", has_text="disabled").wait_for()
        # Bob's open console is sent to the login page within seconds (his socket is closed by the server).
        await bob.wait_for_url(f"{base}/login**", timeout=10_000)
        me = await client.get("/api/me", headers=world.auth("bob"))
        assert me.status == 401
        # The audit log shows who did it; the page offers no way to edit it.
        audit = root.locator("#audit-table tbody tr", has_text="user:bob")
        await audit.first.wait_for()
        assert "root" in await audit.first.inner_text()
        assert await root.locator("#audit-table button, #audit-table input").count() == 0
        # The phone a manager listens on is set in the table (Enter saves it), and audited.
        phone = root.locator("#users-table tr[data-user=boss] input[data-field=phone]")
        await phone.fill("PJSIP/2001")
        await phone.press("Enter")

        async def boss_phone() -> bool:
            user = await get_user(world.app[DATABASE], "boss")
            return user is not None and user.phone == "PJSIP/2001"

        await eventually(boss_phone, 10)
        await root.locator("#audit-table tbody tr", has_text="PJSIP/2001").first.wait_for()
        assert (
            await root.locator("#users-table tr[data-user=boss] input[data-field=phone]").input_value() == "PJSIP/2001"
        )
        await root.screenshot(path=str(artifacts / "admin-users.png"), full_page=True)
        assert not errors, errors
        await bob.close()
        await root.close()


async def test_a_manager_counts_then_recycles_in_the_lists_page(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    async with browsed_world(tmp_path, aiohttp_client, campaign_running=False) as (world, client, base):
        errors: list[str] = []
        page = await signed_in(browser, base, "boss", errors, "/dashboard", then="/lists")
        await page.locator("#lists-table tbody tr").first.wait_for()
        assert await page.locator("#btn-apply").is_disabled()
        await page.click("#btn-count")
        await page.wait_for_selector("#recycle-count")
        assert "would be recycled" in await page.inner_text("#recycle-count")
        # Lead search by number, then the lead's attempt history.
        await page.fill("#search-q", "212")
        await page.keyboard.press("Enter")
        await page.locator("#search-table tbody tr").first.wait_for()
        await page.locator("#search-table tbody tr button").first.click()
        await page.wait_for_selector("#history-table")
        # Disable the list: the claim stops taking its leads; the audit log records it.
        await page.locator("#lists-table tbody tr [data-field=enabled]").first.uncheck()
        await page.locator("#lists-table tbody tr button[data-action=save]").first.click()
        await eventually(lambda: has_text(page.locator("#lists-msg"), "saved"), 10)
        lists = await (await client.get("/api/campaigns/demo/lists", headers=world.auth("boss"))).json()
        assert lists["items"][0]["enabled"] is False
        # The list's leads exported with their results; an encoding that cannot hold a name is said, not downloaded.
        async with page.expect_download() as downloading:
            await page.locator("#lists-table tbody tr a[data-action=export]").first.click()
        saved = tmp_path / "exported.csv"
        await (await downloading.value).save_as(saved)
        exported = saved.read_text(encoding="utf-8-sig").splitlines()
        assert exported[0].startswith("external_id,phone,")
        assert len(exported) - 1 == sum(lists["items"][0]["leads"].values())
        await page.select_option("#export-encoding", "cp932")
        await eventually(lambda: _href_has(page, "encoding=cp932"), 10)
        await page.locator("#lists-table tbody tr a[data-action=export]").first.click()
        await eventually(lambda: has_text(page.locator("#export-msg"), "cp932 cannot hold"), 10)
        await page.screenshot(path=str(artifacts / "lists-recycle.png"), full_page=True)
        assert not errors, errors
        await page.close()


async def _href_has(page: Any, text: str) -> bool:
    href = await page.locator("#lists-table tbody tr a[data-action=export]").first.get_attribute("href")
    return text in (href or "")


async def _asked(urls: list[str], path: str) -> bool:
    return any(url.endswith(path) for url in urls)
