"""The agent console in a browser test: signing in to a queue and becoming ready, and the call-control panel's
steps (a manual dial up to talking, the state pill, hanging up and dispositioning)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from harness.browser import browsed_world, login, new_page
from harness.stepping import eventually
from harness.web import MANUAL_DIAL_TOML, WebWorld, start_campaign

# The campaign queue a console signs in to unless a test names another.
OUTBOUND_QUEUE = "outbound-agents"


async def sign_in_agent(
    page: Any,
    base: str,
    name: str,
    *,
    queue: str = OUTBOUND_QUEUE,
    live: bool = False,
    ready: bool = True,
    see_ready: bool = True,
) -> None:
    """Sign in as ``name`` and log in to ``queue`` only (paused); with ``live``, first wait for the live feed.
    With ``ready``, become ready, and (``see_ready``) wait for the Ready pill -- not where a call may come at once
    and the pill moves on before it is seen."""
    await login(page, base, name)
    await page.wait_for_url(f"{base}/console")
    await page.wait_for_selector(f"#q-{queue}")
    if live:
        await page.wait_for_selector("#ws-status.dot-on")
    if queue != OUTBOUND_QUEUE:
        await page.uncheck(f"#q-{OUTBOUND_QUEUE}")  # only that queue: no predictive calls
        await page.check(f"#q-{queue}")
    await page.keyboard.press("Alt+l")
    await page.wait_for_selector("#state-pill.pill-paused")
    if ready:
        await page.keyboard.press("Alt+r")
        if see_ready:
            await page.wait_for_selector("#state-pill.pill-ready")


async def agent_console(browser: Any, base: str, errors: list[str], name: str, **sign_in: Any) -> Any:
    """A new page, its errors collected into ``errors``, with ``name`` signed in to the console
    (:func:`sign_in_agent`, with ``sign_in``)."""
    page = await new_page(browser, errors)
    await sign_in_agent(page, base, name, **sign_in)
    return page


async def console_with_a_call(browser: Any, base: str, errors: list[str], name: str) -> Any:
    """:func:`agent_console` for ``name``, ready, once the first call's screen pop shows (the Ready pill not waited
    for: the call may come at once)."""
    page = await agent_console(browser, base, errors, name, see_ready=False)
    await page.wait_for_selector("#lead-name", timeout=30_000)
    return page


async def console_in_wrapup(browser: Any, base: str, errors: list[str], name: str) -> Any:
    """:func:`agent_console` for ``name``, live and ready, once their first call has ended: in its wrap-up."""
    page = await agent_console(browser, base, errors, name, live=True)
    await page.wait_for_selector("#state-pill.pill-wrapup", timeout=120_000)
    return page


async def cc_state_is(page: Any, state: str) -> bool:
    """Whether the call-control panel says ``state`` (talking, held, consulting, conference ...)."""
    return str(await page.text_content("#cc-state")) == state


async def disposition_saved(page: Any) -> bool:
    return str(await page.inner_text("#dispo-msg")).startswith("Saved")


async def dial_until_talking(page: Any, number: str) -> None:
    """A manual dial of ``number`` from the console, until the call-control panel shows the call talking."""
    await page.fill("#dial-number", number)
    await page.click("#dial-go")
    await page.wait_for_selector("#callcontrol-panel:not([hidden])", timeout=30_000)
    await eventually(lambda: cc_state_is(page, "talking"))


async def panel_closed(page: Any) -> None:
    """The call-control panel is gone (the agent is off the call)."""
    await page.wait_for_selector("#callcontrol-panel[hidden]", state="attached", timeout=20_000)


async def dispose(page: Any, code: str = "sale") -> None:
    """Click the disposition ``code`` and wait until the console says it is saved."""
    await page.click(f"#dispo-buttons button[data-code={code}]")
    await eventually(lambda: disposition_saved(page))


async def hang_up_and_dispose(page: Any, code: str = "sale") -> None:
    """End the call from the call-control panel, then disposition it."""
    await page.click("#cc-hangup")
    await panel_closed(page)
    await dispose(page, code)


async def hand_over(page: Any, kind: str, target: str, button: str) -> None:
    """From the call-control panel: a transfer or conference (``button``: #cc-blind, #cc-warm, #cc-conf) to the
    ``kind`` of party (agent, queue, external) named ``target``."""
    await page.select_option("#cc-kind", kind)
    await page.fill("#cc-target", target)
    await page.click(button)


async def takes_the_call_over(receiver: Any, giver: Any) -> None:
    """``receiver``'s console pops the handed-over call with its call-control panel, talking; ``giver``'s panel is
    gone."""
    await receiver.wait_for_selector("#lead-name", timeout=20_000)
    await receiver.wait_for_selector("#callcontrol-panel:not([hidden])", timeout=20_000)
    await eventually(lambda: cc_state_is(receiver, "talking"))
    await panel_closed(giver)


async def last_call_and_legs(client: Any, agent: str, headers: dict[str, str]) -> tuple[dict[str, Any], list[Any]]:
    """The agent's latest call (GET /api/agents/{agent}/calls) and the legs of its call record."""
    calls = await (await client.get(f"/api/agents/{agent}/calls", headers=headers)).json()
    attempt = calls["items"][0]
    legs = (await (await client.get(f"/api/attempts/{attempt['id']}/legs", headers=headers)).json())["legs"]
    return attempt, legs


async def agent_consoles(browser: Any, base: str, errors: list[str], *desks: tuple[str, str]) -> list[Any]:
    """A console per (agent, queue) of ``desks``, each in a browser context of its own and signed in to that queue
    and ready, one after the other in that order; their errors collected into ``errors``."""
    pages = [await new_page(browser, errors, own_context=True) for _ in desks]
    for page, (name, queue) in zip(pages, desks, strict=True):
        await sign_in_agent(page, base, name, queue=queue)
    return pages


@asynccontextmanager
async def manual_dial_world(
    tmp_path: Path, aiohttp_client: Any, toml: str = MANUAL_DIAL_TOML, **options: Any
) -> AsyncIterator[tuple[WebWorld, Any, str]]:
    """harness.browser.browsed_world (``options``) with the manual-dial campaign "manual" (``toml``) started."""
    async with browsed_world(tmp_path, aiohttp_client, **options) as (world, client, base):
        await start_campaign(world, client, "manual", toml)
        yield world, client, base
