"""Driving the console and dashboard in headless chromium: the page size, signing in, and collecting a page's
script errors and Content-Security-Policy violations (a test asserts the list stays empty)."""

from __future__ import annotations

from typing import Any

from harness.web import PASSWORD

VIEWPORT = {"width": 1440, "height": 1000}


def csp_violations(page: Any, into: list[str]) -> None:
    page.on("console", lambda m: into.append(m.text) if "Content Security Policy" in m.text else None)


def watch_errors(page: Any, into: list[str]) -> None:
    """The page's uncaught script errors and its CSP violations, appended to ``into``."""
    page.on("pageerror", lambda exc: into.append(str(exc)))
    csp_violations(page, into)


async def login(page: Any, base: str, name: str) -> None:
    await page.goto(f"{base}/login")
    await page.fill("#name", name)
    await page.fill("#password", PASSWORD)
    await page.keyboard.press("Enter")


async def signed_in(browser: Any, base: str, name: str, errors: list[str], home: str) -> Any:
    """A new page, its errors collected into ``errors``, signed in as ``name`` and landed on ``home``."""
    page = await browser.new_page(viewport=VIEWPORT)
    watch_errors(page, errors)
    await login(page, base, name)
    await page.wait_for_url(f"{base}{home}")
    return page
