from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from harness.paths import REPO

from dialer.reload import reload_campaign_files
from dialer.store.campaigns import get_campaign
from dialer.store.engine import open_database
from dialer.store.migrate import upgrade


async def test_campaign_files_are_reapplied_and_bad_ones_reported(tmp_path: Path) -> None:
    campaigns = tmp_path / "campaigns"
    campaigns.mkdir()
    demo = (REPO / "campaigns" / "demo.toml").read_text(encoding="utf-8")
    (campaigns / "demo.toml").write_text(demo, encoding="utf-8")
    (campaigns / "broken.toml").write_text('name = "broken"\nring_timeout_seconds = 5\n', encoding="utf-8")
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    async with open_database(f"sqlite+aiosqlite:///{tmp_path / 'r.db'}") as db:
        await upgrade(db)
        first = await reload_campaign_files(db, campaigns, now)
        assert first.applied == ["demo"]
        assert list(first.failed) == [str(campaigns / "broken.toml")]
        again = await reload_campaign_files(db, campaigns, now)
        assert (again.applied, again.unchanged) == ([], ["demo"])
        (campaigns / "demo.toml").write_text(demo.replace("wrap_up_seconds = 15", "wrap_up_seconds = 20"))
        changed = await reload_campaign_files(db, campaigns, now)
        assert changed.applied == ["demo"]
        record = await get_campaign(db, "demo")
        assert record.config["wrap_up_seconds"] == 20
