"""The wallboard on a 1920x1080 TV in headless chromium, opened as a kiosk with a wallboard token: every tile's
figure is the API's (/api/wallboard, the same document the page's feed pushes), the board fits the screen without
scrolling, an overdue pause lights its tile, and the "connection lost" banner covers it once the feed stops (the
token revoked). A supervisor's wallboard counts their team only; a kiosk in Japanese reads its labels translated.

Screenshots go to tests/artifacts/: wallboard-1920x1080, wallboard-connection-lost, wallboard-ja.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from harness.browser import browsed_world, sign_in, signed_in, watch_errors
from harness.stepping import eventually
from harness.web import agent_ready, supervisor

pytestmark = pytest.mark.browser
TV = {"width": 1920, "height": 1080}
AGENT_STATES = ("ready", "talking", "wrapup", "paused")


async def _tv(browser: Any, errors: list[str]) -> Any:
    page = await (await browser.new_context(viewport=TV)).new_page()
    watch_errors(page, errors)
    return page


async def _figures(page: Any) -> dict[str, Any]:
    """Every figure on the board as (its value, its text), by tile."""
    return dict(
        await page.evaluate(
            """() => {
            const fig = (root) => Object.fromEntries([...root.querySelectorAll("[data-figure]")].map(
                (n) => [n.dataset.figure, [n.dataset.value, n.textContent]]));
            const tiles = (sel, key) => Object.fromEntries(
                [...document.querySelectorAll(sel)].map((n) => [n.dataset[key], fig(n)]));
            return {
                at: document.body.dataset.at,
                agents: fig(document.querySelector(".wb-agents")),
                campaigns: tiles("[data-campaign]", "campaign"),
                queues: tiles("[data-queue]", "queue"),
            };
        }"""
        )
    )


def _count(n: float) -> str:
    """A count as the page writes it in English (whole, rounded half up)."""
    return f"{int(n + 0.5):,}"


def _pct(x: float, digits: int = 1) -> str:
    return f"{x * 100:.{digits}f}%"


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    s = int(seconds)
    h, m, r = s // 3600, (s % 3600) // 60, s % 60
    return f"{h}:{m:02d}:{r:02d}" if h else f"{m:02d}:{r:02d}"


def _expected(board: dict[str, Any]) -> dict[str, Any]:
    """The board as the page should show it in English: each figure's value and its text."""
    agents = {s: [board["agents"][s], _count(board["agents"][s])] for s in AGENT_STATES}
    agents["pauses_overdue"] = [board["pauses_overdue"], _count(board["pauses_overdue"])]
    campaigns = {
        c["campaign"]: {
            "dial_mode": [c["dial_mode"], c["dial_mode"]],
            "calls_today": [c["calls_today"], _count(c["calls_today"])],
            "live_answers_today": [c["live_answers_today"], _count(c["live_answers_today"])],
            "abandon_rate": [c["abandon_rate"], _pct(c["abandon_rate"])],
        }
        for c in board["campaigns"]
    }
    queues = {
        q["queue"]: {
            "waiting": [q["waiting"], _count(q["waiting"])],
            "longest_waiting_seconds": [q["longest_waiting_seconds"], _clock(q["longest_waiting_seconds"])],
            "service_level": [q["service_level"], "—" if q["service_level"] is None else _pct(q["service_level"], 0)],
        }
        for q in board["inbound"]
    }
    return {"agents": agents, "campaigns": campaigns, "queues": queues}


def _value(text: str) -> Any:
    """A figure's data-value as the document had it: "" for null, a number, else the text."""
    if text == "":
        return None
    try:
        return float(text)
    except ValueError:
        return text


def _shown(figures: dict[str, Any]) -> dict[str, Any]:
    def tile(figs: dict[str, list[str]]) -> dict[str, list[Any]]:
        return {name: [_value(value), text] for name, (value, text) in figs.items()}

    return {
        "agents": tile(figures["agents"]),
        "campaigns": {name: tile(figs) for name, figs in figures["campaigns"].items()},
        "queues": {name: tile(figs) for name, figs in figures["queues"].items()},
    }


async def _page_matches_api(page: Any, read: Callable[[], Awaitable[dict[str, Any]]]) -> dict[str, Any] | None:
    """The API's board (``read``) once the page shows it (figures move: read the page, the API, the page again)."""
    before = await _figures(page)
    board = await read()
    after = await _figures(page)
    return board if before == after and _shown(after) == _expected(board) else None


async def _no_scrollbars(page: Any) -> None:
    sizes = await page.evaluate(
        """() => { const d = document.documentElement;
        return [d.scrollWidth, d.clientWidth, d.scrollHeight, d.clientHeight, innerWidth, innerHeight]; }"""
    )
    scroll_w, client_w, scroll_h, client_h, inner_w, inner_h = sizes
    assert (inner_w, inner_h) == (1920, 1080)
    assert scroll_w <= client_w, sizes
    assert scroll_h <= client_h, sizes
    assert (client_w, client_h) == (inner_w, inner_h), sizes  # no scrollbar takes room either


async def test_the_wallboard_on_a_tv_shows_the_apis_figures_and_says_when_its_feed_is_lost(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    async with browsed_world(tmp_path, aiohttp_client, speed=20.0) as (world, client, base):
        boss = world.auth("boss")
        for agent in ("alice", "bob"):
            await agent_ready(world, client, agent, "outbound-agents")

        async def calls_made() -> bool:
            board = await (await client.get("/api/wallboard", headers=boss)).json()
            return bool(board["campaigns"] and board["campaigns"][0]["calls_today"] >= 3)

        await eventually(calls_made, 60)
        # The manager creates the TV's token on the dashboard; its address is shown once.
        errors: list[str] = []
        desk = await signed_in(browser, base, "boss", errors, "/dashboard")
        await desk.fill("#wbt-name", "floor TV")
        await desk.click("#wbt-form button[type=submit]")
        await desk.locator("#wbt-table tr[data-token='floor TV']").wait_for()
        address = await desk.locator("#wbt-link").inner_text()
        assert address.startswith(f"{base}/wallboard?token=wbt_")
        page = await _tv(browser, errors)
        refused: list[str] = []
        page.on("response", lambda r: refused.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        await page.goto(address)
        assert page.url == f"{base}/wallboard"  # the token left the address bar
        await page.wait_for_selector("[data-campaign=demo]")
        assert await page.locator(".wb-name").inner_text() == "· floor TV"
        # The agents go on a break (alice: 15 minutes at most) and training: the calls die down, the figures settle.
        await client.post("/api/agents/alice/pause", json={"reason": "break"}, headers=world.auth("alice"))
        await client.post("/api/agents/bob/pause", json={"reason": "training"}, headers=world.auth("bob"))

        async def overdue_lit() -> bool:
            return bool(await page.locator("#wb-overdue.lvl-over [data-figure=pauses_overdue]").count())

        await eventually(overdue_lit, 90)  # 15 minutes of the daemon's clock

        async def kiosk_reads() -> dict[str, Any]:  # the TV's own session reads the API like its page does
            board: dict[str, Any] = await (await page.request.get(f"{base}/api/wallboard")).json()
            return board

        board = await eventually(lambda: _page_matches_api(page, kiosk_reads), 30)
        assert board["agents"]["paused"] == 2
        assert board["pauses_overdue"] == 1
        assert board["campaigns"][0]["calls_today"] >= 3
        assert board["inbound"], "the inbound queue's tile"
        level = board["campaigns"][0]["abandon_level"]
        assert await page.locator(f"[data-campaign=demo].lvl-{level}").count() == 1
        assert await page.locator("#wb-lost").is_hidden()
        await _no_scrollbars(page)
        assert await page.locator("button, input, select, a").count() == 0  # read-only: nothing to operate
        await page.screenshot(path=str(artifacts / "wallboard-1920x1080.png"))
        assert not refused, refused
        assert not errors, errors

        # The manager revokes the token on the dashboard: its feed closes, the banner says the figures are not live.
        desk.on("dialog", lambda dialog: dialog.accept())
        await desk.click("#wbt-table tr[data-token='floor TV'] button")
        await desk.locator("#wbt-table tr[data-token='floor TV'] button").wait_for(state="detached")
        await page.locator("#wb-lost").wait_for(state="visible", timeout=10_000)
        await _no_scrollbars(page)
        await page.screenshot(path=str(artifacts / "wallboard-connection-lost.png"))
        await page.context.close()
        assert not errors, errors
        await desk.close()


async def test_a_supervisors_wallboard_and_a_kiosk_in_japanese(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    async with browsed_world(tmp_path, aiohttp_client, speed=20.0, campaign_running=False) as (world, client, base):
        sue = await supervisor(world, client)  # north: alice
        for agent in ("alice", "bob"):
            await agent_ready(world, client, agent, "outbound-agents")
        errors: list[str] = []
        page = await _tv(browser, errors)
        await sign_in(page, base, "sue", "/dashboard")
        await page.goto(f"{base}/wallboard")
        ready = page.locator(".wb-agents [data-figure=ready]")
        await eventually(lambda: _text_is(ready, "1"), 20)  # alice; bob is not on her team

        async def sue_reads() -> dict[str, Any]:
            board: dict[str, Any] = await (await client.get("/api/wallboard", headers=sue)).json()
            return board

        board = await eventually(lambda: _page_matches_api(page, sue_reads), 20)
        assert board["agents"]["ready"] == 1
        assert board["campaigns"] == []
        assert await page.locator(".wb-none").inner_text() == "No campaign is running"
        await _no_scrollbars(page)
        assert not errors, errors
        await page.context.close()

        made = await client.post(
            "/api/wallboard-tokens", json={"name": "東京フロア", "language": "ja"}, headers=world.auth("boss")
        )
        tv = await _tv(browser, errors)
        await tv.goto(base + (await made.json())["url"])
        await eventually(lambda: _text_is(tv.locator(".wb-agents [data-figure=ready]"), "2"), 20)
        assert await tv.get_attribute("html", "lang") == "ja"
        assert await tv.locator(".st-ready .wb-label").inner_text() == "受付可"
        assert await tv.locator(".wb-none").inner_text() == "実行中のキャンペーンはありません"
        await _no_scrollbars(tv)
        await tv.screenshot(path=str(artifacts / "wallboard-ja.png"))
        assert not errors, errors
        await tv.context.close()


async def _text_is(locator: Any, text: str) -> bool:
    return bool(await locator.inner_text() == text)
