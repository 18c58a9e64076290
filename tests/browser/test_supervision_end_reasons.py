"""Why each supervision session ended, on the dashboard's supervise panel (its audit list), in the reader's language:
sessions that ended for every reason the service records (dialer.supervision.service.EndReason) read as a short
phrase each, in Japanese for a manager whose browser asks for it; a session still going says nothing.

Screenshot: tests/artifacts/dashboard-supervision-end-reasons-ja.png.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from harness.browser import browsed_world, signed_in_context

from dialer.appkeys import DATABASE
from dialer.i18n import translations
from dialer.store import Database
from dialer.store.monitoring import supervision_ended, supervision_started
from dialer.supervision.service import EndReason

pytestmark = pytest.mark.browser

# What the page says for each reason, in English (the catalogue's ids: dialer/web/static/supervision.js).
PHRASES = {
    EndReason.HANGUP: "hung up",
    EndReason.ORIGINATE_FAILED: "your phone was not called",
    EndReason.LEG_GONE: "stopped: the PBX no longer had the call",
    EndReason.CONNECTION_LOST: "stopped: connection to the PBX lost",
    EndReason.NO_DAEMON_CONNECTED: "stopped: no daemon connected to the PBX",
    EndReason.LOST: "its hang-up was missed: the PBX no longer had it",
}


async def session(db: Database, agent: str, mode: str, leg: str, at: datetime) -> None:
    """boss supervising ``agent`` from ``at`` on the supervisor leg ``leg``, as the service audits it."""
    await supervision_started(
        db, supervisor="boss", agent=agent, mode=mode, attempt_id=None, phone="Local/boss@sim-supervisors",
        server="pbx", channel_id=leg, at=at,
    )  # fmt: skip


async def test_each_sessions_end_reason_reads_in_the_managers_language(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    assert set(PHRASES) == set(EndReason)  # a reason added to the service needs its phrase on the page
    async with browsed_world(tmp_path, aiohttp_client, speed=1.0, campaign_running=False) as (world, _client, base):
        db = world.app[DATABASE]
        at = datetime.now(UTC) - timedelta(minutes=5)
        for i, reason in enumerate(EndReason):
            await session(db, "alice", "listen", f"sv-{i}", at)
            state = "failed" if reason is EndReason.ORIGINATE_FAILED else "ended"
            assert await supervision_ended(db, f"sv-{i}", at=at + timedelta(seconds=i + 1), reason=reason, state=state)
        await session(db, "bob", "whisper", "sv-open", at)  # still going
        errors: list[str] = []
        context, page = await signed_in_context(browser, base, "boss", errors, "/dashboard", locale="ja-JP")
        try:
            await page.wait_for_selector("#sv-audit tbody tr[data-state=started]")
            ja = translations("ja")
            for reason, english in PHRASES.items():
                cell = page.locator(f"#sv-audit tr[data-end-reason={reason.value}] .sv-end-reason")
                shown = await cell.inner_text()
                assert shown == ja.gettext(english), (reason, shown)
                assert shown != english  # translated
            assert await page.locator("#sv-audit tr[data-state=started] .sv-end-reason").inner_text() == ""
            assert await page.locator("#sv-audit thead").inner_text() != ""
            await page.screenshot(path=str(artifacts / "dashboard-supervision-end-reasons-ja.png"), full_page=True)
            assert errors == []
        finally:
            await context.close()
