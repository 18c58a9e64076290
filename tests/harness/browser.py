"""Driving the console and dashboard in headless chromium: the page size, signing in, and collecting a page's
script errors and Content-Security-Policy violations (a test asserts the list stays empty)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from dialer.i18n import catalog_json
from dialer.i18n.html import segments
from harness.web import PASSWORD, WebWorld, demo_campaign_with_wrap_up, web_world

VIEWPORT = {"width": 1440, "height": 1000}
LAPTOP = {"width": 1280, "height": 800}  # the smallest desk screen every page must fit
PHONE = {"width": 390, "height": 844}  # the narrow phone the agent console must fit

# Elements whose right edge is past the viewport's (the page scrolls sideways), the innermost first: "TAG#id.class".
_STICKING_OUT = """() => {
  const width = document.documentElement.clientWidth;
  const out = (el) => el.getBoundingClientRect().right > width + 1 && el.getBoundingClientRect().width > 0;
  const found = [];
  for (const el of document.querySelectorAll("body *")) {
    if (out(el) && ![...el.children].some(out)) found.push(`${el.tagName}#${el.id}.${el.className}`);
  }
  return document.documentElement.scrollWidth > width ? found : [];
}"""

# Names that are the same in every language.
SAME_EVERYWHERE = {"Dialer", "API"}


def catalogue_misses(html: str, locale: str) -> list[str]:
    """Texts and attributes of the rendered page ``html`` that are English catalogue messages with a translation
    into ``locale`` (a text the page shows untranslated)."""
    translated = catalog_json(locale)
    misses = []
    for seg in segments(html):
        text = seg.msgid
        if text in SAME_EVERYWHERE:
            continue
        if text in translated and translated[text] != text:
            misses.append(text)
    return misses


async def sticking_out(page: Any) -> list[str]:
    """What makes ``page`` wider than its viewport (a row of buttons that does not wrap, a wide table); [] when the
    page fits its width."""
    return list(await page.evaluate(_STICKING_OUT))


def csp_violations(page: Any, into: list[str]) -> None:
    page.on("console", lambda m: into.append(m.text) if "Content Security Policy" in m.text else None)


def watch_errors(page: Any, into: list[str]) -> None:
    """The page's uncaught script errors and its CSP violations, appended to ``into``."""
    page.on("pageerror", lambda exc: into.append(str(exc)))
    csp_violations(page, into)


def watch_refusals(page: Any, into: list[str]) -> None:
    """Every 4xx/5xx answer the page gets, appended to ``into`` (method, status, URL)."""
    page.on(
        "response",
        lambda r: into.append(f"{r.request.method} {r.status} {r.url}") if r.status >= 400 else None,
    )


async def login(page: Any, base: str, name: str) -> None:
    await page.goto(f"{base}/login")
    await page.fill("#name", name)
    await page.fill("#password", PASSWORD)
    await page.keyboard.press("Enter")


async def sign_in(page: Any, base: str, name: str, home: str) -> None:
    """Sign ``page`` in as ``name``; it lands on ``home``."""
    await login(page, base, name)
    await page.wait_for_url(f"{base}{home}")


async def signed_in(
    browser: Any, base: str, name: str, errors: list[str], home: str, *, then: str = "", own_context: bool = False
) -> Any:
    """A new page (:func:`new_page`: ``own_context``), its errors collected into ``errors``, signed in as ``name``
    and landed on ``home``; then on the page ``then`` when given."""
    page = await new_page(browser, errors, own_context=own_context)
    await sign_in(page, base, name, home)
    if then:
        await page.goto(f"{base}{then}")
    return page


async def signed_in_context(
    browser: Any, base: str, name: str, errors: list[str], home: str, **context_options: Any
) -> tuple[Any, Any]:
    """A browser context of its own (``context_options``: the zone, the language, downloads) and its page, its errors
    collected into ``errors``, signed in as ``name`` and landed on ``home``."""
    context = await browser.new_context(viewport=VIEWPORT, **context_options)
    page = await context.new_page()
    watch_errors(page, errors)
    await sign_in(page, base, name, home)
    return context, page


async def new_page(browser: Any, errors: list[str], *, own_context: bool = False) -> Any:
    """A new page, its errors collected into ``errors``; in a context of its own (its own cookies: a second user
    beside the first) when ``own_context``."""
    if own_context:
        page = await (await browser.new_context(viewport=VIEWPORT)).new_page()
    else:
        page = await browser.new_page(viewport=VIEWPORT)
    watch_errors(page, errors)
    return page


async def served(aiohttp_client: Any, app: Any) -> tuple[Any, str]:
    """The test client serving ``app`` and the base URL a browser opens (no trailing slash)."""
    client = await aiohttp_client(app)
    return client, str(client.make_url("")).rstrip("/")


@asynccontextmanager
async def browsed_world(
    tmp_path: Path, aiohttp_client: Any, **options: Any
) -> AsyncIterator[tuple[WebWorld, Any, str]]:
    """``async with browsed_world(tmp_path, aiohttp_client, **options) as (world, client, base)``: the web world
    (harness.web.web_world with ``options``) served, and the base URL a browser opens."""
    async with web_world(tmp_path, **options) as world:
        client, base = await served(aiohttp_client, world.app)
        yield world, client, base


@asynccontextmanager
async def wrap_up_world(
    tmp_path: Path, aiohttp_client: Any, wrap_up_seconds: int, *, speed: float, ends: str = "timer"
) -> AsyncIterator[tuple[WebWorld, Any, str]]:
    """:func:`browsed_world` on a clock ``speed`` times real time, the demo campaign's wrap-up ``wrap_up_seconds``
    long and ended by ``ends`` (harness.web.demo_campaign_with_wrap_up)."""
    campaign = demo_campaign_with_wrap_up(tmp_path, wrap_up_seconds, ends=ends)
    async with browsed_world(tmp_path, aiohttp_client, speed=speed, campaign_file=campaign) as served:
        yield served


async def count_is(locator: Any, n: int) -> bool:
    """Whether ``locator`` matches ``n`` elements (for ``eventually``)."""
    return bool(await locator.count() == n)


async def has_text(locator: Any, text: str) -> bool:
    """Whether ``locator`` matches and its first element's text contains ``text`` (for ``eventually``)."""
    return await locator.count() > 0 and text in str(await locator.first.inner_text())


async def refused_page(browser: Any, base: str, name: str, home: str, path: str) -> None:
    """``name``, signed in (landing on ``home``), is refused ``path``: 403."""
    page = await browser.new_page(viewport=VIEWPORT)
    await sign_in(page, base, name, home)
    await assert_refused(page, base, path)


async def assert_refused(page: Any, base: str, path: str) -> None:
    """``page`` opening ``path`` is refused: 403."""
    response = await page.goto(f"{base}{path}")
    assert response is not None
    assert response.status == 403


async def submitted_report(context: Any, page: Any) -> Any:
    """Submit the reports page's form on ``page``: the report it opens in a new tab of ``context``, loaded."""
    async with context.expect_page() as opened:
        await page.click("#rep-form button[type=submit]")
    report = await opened.value
    await report.wait_for_load_state()
    return report
