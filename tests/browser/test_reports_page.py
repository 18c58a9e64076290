"""The reports page in headless chromium, against the whole dialer: a manager picks a campaign, a report and the
days, and the report opens in a new tab over exactly those days (whole days in the browser's time zone); a CSV or
JSON report is downloaded; a refused one is said under the form and opens nothing (the dashboard's report links
likewise, beside the link)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from harness.browser import browsed_world, has_text, signed_in_context, submitted_report
from harness.stepping import eventually

pytestmark = pytest.mark.browser


async def reports_page(browser: Any, base: str, errors: list[str], **context_options: Any) -> tuple[Any, Any]:
    """A browser context of its own (``context_options``: the zone, the language, downloads) and its page, its errors
    collected into ``errors``: boss signed in, on the reports page with the campaigns listed."""
    context, page = await signed_in_context(browser, base, "boss", errors, "/dashboard", **context_options)
    await page.goto(f"{base}/reports")
    await page.wait_for_selector("#rep-campaign option[value=demo]", state="attached")
    return context, page


async def opened_over_days(
    context: Any, page: Any, path: str, first: str, last: str
) -> tuple[Any, dict[str, list[str]]]:
    """The days ``first`` to ``last`` (YYYY-MM-DD) chosen on the reports ``page`` and the form submitted: the report
    tab it opened, whose URL is asserted to be the report ``path``, and that URL's query."""
    await page.fill("#rep-from", first)
    await page.fill("#rep-to", last)
    report = await submitted_report(context, page)
    url = urlparse(report.url)
    assert url.path == path
    return report, parse_qs(url.query)


async def test_a_manager_opens_a_report_over_chosen_days(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    async with browsed_world(tmp_path, aiohttp_client) as (_world, _client, base):
        errors: list[str] = []
        context, page = await signed_in_context(browser, base, "boss", errors, "/dashboard", timezone_id="Asia/Tokyo")
        await page.click("a[href='/reports']")
        await page.wait_for_url(f"{base}/reports")
        await page.wait_for_selector("#rep-campaign option[value=demo]", state="attached")
        await page.select_option("#rep-kind", "compliance")
        report, query = await opened_over_days(
            context, page, "/api/reports/compliance/demo", "2026-11-23", "2026-11-24"
        )
        # Tokyo's 23 November starts at 15:00 UTC the day before; the 24th ends at 15:00 UTC on the 24th.
        assert query["from"] == ["2026-11-22T15:00:00.000Z"]
        assert query["to"] == ["2026-11-24T15:00:00.000Z"]
        assert query["format"] == ["html"]
        assert "demo" in await report.title()
        await report.screenshot(path=str(artifacts / "reports-page-compliance.png"))
        assert not errors, errors
        await context.close()


def report_requests(page: Any) -> list[str]:
    """The report URLs ``page`` asks for (its checks before anything opens), in order."""
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/api/reports/" in r.url else None)
    return asked


async def test_a_refused_report_is_said_under_the_form_and_opens_nothing(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    """A range that ends before it starts: the server's sentence (in the page's language, Japanese here) under the
    form, the same the API gives for that URL, and no new tab or download."""
    async with browsed_world(tmp_path, aiohttp_client) as (world, client, base):
        errors: list[str] = []
        context, page = await reports_page(browser, base, errors, timezone_id="Asia/Tokyo", locale="ja-JP")
        downloads: list[Any] = []
        page.on("download", lambda d: downloads.append(d))
        asked = report_requests(page)
        message = page.locator("#rep-msg")
        await page.fill("#rep-from", "2026-11-24")
        await page.fill("#rep-to", "2026-11-22")
        for kind, format in (("compliance", "html"), ("performance", "csv")):
            await page.select_option("#rep-kind", kind)
            await page.select_option("#rep-format", format)
            await page.click("#rep-form button[type=submit]")
            await message.wait_for(state="visible")
            asking = {**world.auth("boss"), "Accept-Language": "ja"}
            answer = await client.get(asked[-1].removeprefix(base), headers=asking)
            assert answer.status == 422
            detail = (await answer.json())["detail"]
            assert "期間" in detail, detail  # the Japanese sentence, not the English one
            assert await eventually(lambda said=detail: has_text(message, said), 5)
            assert f"/api/reports/{kind}/demo" in asked[-1]
            assert await page.inner_text("#rep-link") == ""  # nothing was opened
        await page.screenshot(path=str(artifacts / "reports-page-refused.png"))
        await asyncio.sleep(0.5)  # a tab or a download would have come by now
        assert context.pages == [page]
        assert not downloads
        # corrected, the report opens: the sentence goes
        await page.fill("#rep-to", "2026-11-25")
        await page.select_option("#rep-kind", "compliance")
        await page.select_option("#rep-format", "html")
        report = await submitted_report(context, page)
        assert urlparse(report.url).path == "/api/reports/compliance/demo"
        assert await page.is_hidden("#rep-msg")
        assert not errors, errors
        await context.close()


async def test_a_csv_report_is_downloaded_without_a_new_tab(tmp_path: Path, aiohttp_client: Any, browser: Any) -> None:
    async with browsed_world(tmp_path, aiohttp_client) as (_world, _client, base):
        errors: list[str] = []
        context, page = await reports_page(browser, base, errors, accept_downloads=True)
        for format, name in (("csv", "compliance-demo.csv"), ("json", "compliance-demo.json")):
            await page.select_option("#rep-format", format)
            async with page.expect_download() as downloading:
                await page.click("#rep-form button[type=submit]")
            download = await downloading.value
            assert download.suggested_filename == name
            body = await asyncio.to_thread(Path(await download.path()).read_bytes)
            if format == "json":
                assert isinstance(json.loads(body), dict)
            else:
                assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 for Excel, the default encoding
        assert context.pages == [page]
        assert await page.is_hidden("#rep-msg")
        assert "format=json" in await page.inner_text("#rep-link")
        assert not errors, errors
        await context.close()


async def test_the_dashboards_report_links_say_a_refusal_beside_the_link(
    tmp_path: Path, aiohttp_client: Any, browser: Any
) -> None:
    """The campaign card's report links: a report the server refuses (here: the campaign deleted meanwhile, as the
    server would answer it) is said in the card and opens nothing; an accepted one opens in a new tab."""
    async with browsed_world(tmp_path, aiohttp_client) as (_world, _client, base):
        errors: list[str] = []
        context, page = await signed_in_context(browser, base, "boss", errors, "/dashboard")
        card = page.locator(".campaign[data-campaign=demo]")
        await card.locator("a", has_text="Compliance report").wait_for()
        refusal = {"type": "about:blank", "title": "Not Found", "status": 404, "detail": "no campaign 'demo'"}

        async def refuse(route: Any) -> None:
            await route.fulfill(status=404, content_type="application/problem+json", body=json.dumps(refusal))

        await page.route("**/api/reports/performance/demo*", refuse)
        await card.locator("a", has_text="Performance report").click()
        message = card.locator("[data-field=report-problem]")
        assert await eventually(lambda: has_text(message, "no campaign 'demo'"), 5)
        await asyncio.sleep(1.5)  # the card is rebuilt every second: the sentence stays
        assert await has_text(message, "no campaign 'demo'")
        assert context.pages == [page]
        async with context.expect_page() as opened:
            await card.locator("a", has_text="Compliance report").click()
        report = await opened.value
        await report.wait_for_load_state()
        assert urlparse(report.url).path == "/api/reports/compliance/demo"
        assert "demo" in await report.title()
        assert await message.is_hidden()
        assert not errors, errors
        await context.close()


async def test_a_manager_opens_the_agents_activity_over_chosen_days(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    """The agents' activity is no campaign's: the campaign field goes, the agent field stays, and the page opens over
    the days chosen (whole days in the browser's zone)."""
    async with browsed_world(tmp_path, aiohttp_client) as (_world, _client, base):
        errors: list[str] = []
        context, page = await reports_page(browser, base, errors, timezone_id="Asia/Tokyo")
        await page.select_option("#rep-kind", "agents")
        assert await page.is_hidden("#rep-campaign-field")
        assert await page.is_enabled("#rep-agent")
        await page.fill("#rep-agent", "alice")
        report, query = await opened_over_days(context, page, "/api/reports/agents", "2026-11-23", "2026-11-23")
        assert query["from"] == ["2026-11-22T15:00:00.000Z"]
        assert query["to"] == ["2026-11-23T15:00:00.000Z"]
        assert query["agent"] == ["alice"]
        assert await report.title() == "Agent activity"
        await report.screenshot(path=str(artifacts / "reports-page-agents.png"))
        assert not errors, errors
        await context.close()
