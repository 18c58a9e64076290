"""The login page, the agent console with a screen pop, the dashboard and a report in Japanese and Chinese, in
headless chromium against the whole dialer running the JP / CN sample campaign: the DOM is scanned for any text
or attribute that is still a catalogue message in English (a catalogue miss), the screen pop shows the name
family-first and the lead's local time. Screenshots: tests/artifacts/i18n-<locale>-*.png."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from harness.browser import VIEWPORT, browsed_world, catalogue_misses, csp_violations, sign_in, watch_errors
from harness.paths import REPO

pytestmark = pytest.mark.browser

# Tuesday 2026-11-24 02:00 UTC: 11:00 in Tokyo, 10:00 in Shanghai (the campaigns' calling windows are open; the
# day before is Japan's Labour Thanksgiving Day, a national holiday on which the Japanese campaign calls nobody).
START = datetime(2026, 11, 24, 2, 0, tzinfo=UTC).timestamp()
CASES = {
    "ja": ("ja-JP", REPO / "campaigns/demo-ja.toml", REPO / "campaigns/leads/demo-ja.csv", "demo-ja"),
    "zh-CN": ("zh-CN", REPO / "campaigns/demo-zh-CN.toml", REPO / "campaigns/leads/demo-zh-CN.csv", "demo-zh-cn"),
    # A Taiwan browser: the UI in Traditional Chinese (the campaign's own texts stay as its file writes them).
    "zh-Hant": ("zh-TW", REPO / "campaigns/demo-zh-CN.toml", REPO / "campaigns/leads/demo-zh-CN.csv", "demo-zh-cn"),
}


async def scan(page: Any, locale: str, name: str, artifacts: Path) -> None:
    await page.screenshot(path=str(artifacts / f"i18n-{locale}-{name}.png"), full_page=True)
    html = await page.content()
    assert f'lang="{locale}"' in html
    misses = catalogue_misses(html, locale)
    if misses:
        (artifacts / f"i18n-{locale}-{name}.html").write_text(html, encoding="utf-8")
    assert misses == [], name


@pytest.mark.parametrize("locale", list(CASES))
async def test_localised_console_dashboard_and_report(
    locale: str, tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    accept, campaign_file, leads_file, campaign = CASES[locale]
    async with browsed_world(
        tmp_path, aiohttp_client, speed=20.0, campaign_file=campaign_file, leads_file=leads_file, start_epoch=START
    ) as (_world, _client, base):
        context = await browser.new_context(locale=accept, timezone_id="Europe/Berlin", viewport=VIEWPORT)
        page = await context.new_page()
        errors: list[str] = []
        watch_errors(page, errors)

        await page.goto(f"{base}/login")
        await scan(page, locale, "login", artifacts)

        await sign_in(page, base, "alice", "/console")
        await page.wait_for_selector(f"#q-{'outbound-agents'}")
        await page.wait_for_selector("#ws-status.dot-on")
        await scan(page, locale, "console", artifacts)
        await page.keyboard.press("Alt+l")
        await page.wait_for_selector("#state-pill.pill-paused")
        await page.keyboard.press("Alt+r")
        await page.wait_for_selector("#state-pill.pill-ready")
        await page.wait_for_selector("#lead-name", timeout=45_000)
        await page.wait_for_selector("#dispo-buttons button[data-code=refused]")
        # Family name first, as written in the list: "山田 太郎", never "太郎 山田".
        name = (await page.inner_text("#lead-name")).strip()
        assert re.fullmatch(r"\S+ \S+", name), name
        written = leads_file.read_text(encoding="utf-8")
        assert f"{name}," in written, f"{name!r} is not a name as the list writes it"
        # The identification the agent gives first (JP: 特定商取引法 §16), with the agent's name filled in.
        await page.wait_for_selector("#script-panel:not([hidden]) #script-text")
        script = await page.inner_text("#script-text")
        assert "alice" in script
        assert ("営業のお電話です" if locale == "ja" else "这是一通营销电话") in script
        # The lead's local time (Tokyo / Shanghai), while the browser is in Berlin.
        local = (await page.inner_text("#lead-local-time")).strip()
        assert local
        await page.fill("#callback-at", "2026-11-25T10:00")
        await page.dispatch_event("#callback-at", "input")
        assert (await page.inner_text("#callback-local")).strip()
        await scan(page, locale, "console-screen-pop", artifacts)

        manager = await browser.new_context(locale=accept, timezone_id="Europe/Berlin", viewport=VIEWPORT)
        dashboard = await manager.new_page()
        csp_violations(dashboard, errors)
        await sign_in(dashboard, base, "boss", "/dashboard")
        await dashboard.wait_for_selector(f'section[data-campaign="{campaign}"] .kpi')
        await scan(dashboard, locale, "dashboard", artifacts)

        report = await manager.new_page()
        await report.goto(f"{base}/api/reports/performance/{campaign}?format=html")
        await scan(report, locale, "report", artifacts)
        await report.goto(f"{base}/api/reports/compliance/{campaign}?format=html")
        await scan(report, locale, "compliance-report", artifacts)
        # A problem met by a page navigation is a page in the browser's language (title, detail, the way back).
        missing = await report.goto(f"{base}/reports/no-such-report")
        assert missing is not None
        assert missing.status == 404
        await scan(report, locale, "problem-page", artifacts)
        shown = await report.inner_text("body")
        assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", shown), shown
        assert "/reports/no-such-report" in shown
        assert errors == []
        await manager.close()
        await context.close()
