"""The dashboard's Alerts card in headless chromium: two agents' coffee breaks past their minute raise an alert
each; their team's supervisor sees her agent's only, acknowledges it (her name shows on the row, and on the
manager's, from the dashboard document), the manager sees both; the agent going ready clears hers and the row goes.

Screenshot to tests/artifacts/ (git-ignored): alerts-dashboard.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from harness.browser import browsed_world, has_text, signed_in
from harness.stepping import eventually
from harness.web import team_with_supervisor

from dialer.agents.pausecodes import PauseCode

pytestmark = pytest.mark.browser

COFFEE = [PauseCode(code="coffee", label="Coffee", max_minutes=1)]


async def test_the_alerts_card_scoped_acknowledged_and_cleared(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    options: dict[str, Any] = {"campaign_running": False, "settings": {"pause_codes": COFFEE}}
    async with browsed_world(tmp_path, aiohttp_client, **options) as (world, client, base):
        await team_with_supervisor(world, client)  # sue supervises north: alice; bob has no team
        for agent in ("alice", "bob"):
            headers = world.auth(agent)
            login = await client.post(
                f"/api/agents/{agent}/login", json={"queues": ["outbound-agents"]}, headers=headers
            )
            assert login.status == 200
            assert (
                await client.post(f"/api/agents/{agent}/pause", json={"reason": "coffee"}, headers=headers)
            ).status == 200
        errors: list[str] = []
        dash = await signed_in(browser, base, "sue", errors, "/dashboard")
        boss = await signed_in(browser, base, "boss", errors, "/dashboard")
        mine = dash.locator("#alerts-table tr[data-subject='agent:alice']")
        await mine.wait_for(timeout=30_000)
        assert "Pause past its limit" in await mine.inner_text()
        assert "coffee" in await mine.inner_text()
        assert "--:--" not in await mine.inner_text()  # how long it has held: the document's time - started_at
        await boss.locator("#alerts-table tr[data-subject='agent:bob']").wait_for(timeout=30_000)
        assert await dash.locator("#alerts-table tr[data-subject='agent:bob']").count() == 0

        await mine.get_by_role("button", name="Acknowledge").click()
        assert await eventually(lambda: has_text(mine, "sue"), 20)
        assert await eventually(lambda: has_text(dash.locator("#alerts-msg"), "acknowledged"), 20)
        await dash.screenshot(path=str(artifacts / "alerts-dashboard.png"), full_page=True)
        # The dashboard document carries the alerts as GET /api/alerts shows them: who acknowledged one, too.
        assert await eventually(
            lambda: has_text(boss.locator("#alerts-table tr[data-subject='agent:alice']"), "sue"), 20
        )

        assert (await client.post("/api/agents/alice/ready", headers=world.auth("alice"))).status == 200
        await mine.wait_for(state="detached", timeout=30_000)
        assert await boss.locator("#alerts-table tr[data-subject='agent:bob']").count() == 1
        assert not errors, errors
