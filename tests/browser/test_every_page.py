"""Every page of the product as an administrator, in each language, on a 1280x800 laptop, in headless chromium
against the whole dialer: each answers 200 and loads without a script error, a console error, a CSP violation or a
request answered 4xx/5xx; each page with the top bar has its language picker (five of them once had none); no page
is wider than the screen (the dashboard's top bar once pushed *Sign out* off it); in ja, zh-CN and zh-Hant no text
or attribute is left as an English catalogue message.

Screenshots to tests/artifacts/ (git-ignored): page-<locale>-<page>.png.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from harness.browser import LAPTOP, browsed_world, catalogue_misses, sign_in, sticking_out, watch_errors, watch_refusals

pytestmark = pytest.mark.browser

# The pages of the top bars' links (the dashboard links them all), the console and the wallboard (a TV's page).
PAGES = ("/dashboard", "/campaigns", "/reports", "/lists", "/teams", "/leads", "/admin", "/webhooks", "/console")
PAGES_OF_THEIR_OWN = ("/wallboard",)  # a page without the layout (no top bar), still in the reader's language
# The browser's language, and the page's <html lang> it gets.
LANGUAGES = {"en-US": "en", "ja-JP": "ja", "zh-CN": "zh-CN", "zh-TW": "zh-Hant"}


@pytest.mark.parametrize("accept", list(LANGUAGES))
async def test_every_page_loads_clean_for_an_admin(
    accept: str, tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    locale = LANGUAGES[accept]
    async with browsed_world(tmp_path, aiohttp_client) as (_world, _client, base):
        context = await browser.new_context(locale=accept, viewport=LAPTOP)
        page = await context.new_page()
        errors: list[str] = []
        watch_errors(page, errors)
        page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
        watch_refusals(page, errors)
        await sign_in(page, base, "root", "/dashboard")
        for path in PAGES + PAGES_OF_THEIR_OWN:
            response = await page.goto(f"{base}{path}")
            assert response is not None
            assert response.status == 200, path
            await page.wait_for_load_state("networkidle")
            name = path.strip("/")
            await page.screenshot(path=str(artifacts / f"page-{locale}-{name}.png"), full_page=True)
            html = await page.content()
            assert f'lang="{locale}"' in html, path
            assert await sticking_out(page) == [], path
            if path in PAGES:  # the top bar's language picker, on every page that has the top bar
                await page.wait_for_selector("#language-picker")
            if locale != "en":
                assert catalogue_misses(html, locale) == [], path
            assert errors == [], path
        await context.close()
