"""The dashboard pushed once a second is in each manager's language, not only the first document (why a campaign
is not dialling, the pacing line): every push is rendered in the language of the socket's request."""

from __future__ import annotations

from typing import Any

from harness.web import WebWorld

NO_AGENTS = {
    "en": "no agent logged in and unpaused",
    "ja": "ログイン中で一時停止していないオペレーターがいません",
    "zh-CN": "没有已登录且未暂停的坐席",
}


async def _pushes(feed: Any, n: int) -> list[dict[str, Any]]:
    """The next ``n`` dashboards pushed on ``feed`` once the demo's runner says why it is not dialling."""
    seen: list[dict[str, Any]] = []
    while len(seen) < n:
        msg = await feed.receive_json(timeout=20)
        if msg["kind"] != "dashboard":
            continue
        why = msg["data"]["campaigns"][0].get("why_not_dialing") or {}
        if why.get("code") == "no_agents":
            seen.append(why)
    return seen


async def test_every_push_of_the_dashboard_is_in_the_managers_language(world: WebWorld, client: Any) -> None:
    feeds = {
        lang: await client.ws_connect("/ws", headers={**world.auth("boss"), "Accept-Language": lang})
        for lang in NO_AGENTS
    }
    try:
        for lang, feed in feeds.items():
            pushes = await _pushes(feed, 4)  # the first document (on connect) and the broadcast's after it
            assert [why["detail"] for why in pushes] == [NO_AGENTS[lang]] * 4, lang
    finally:
        for feed in feeds.values():
            await feed.close()
