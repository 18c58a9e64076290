"""The pacer's memory in the store (dialer.store.pacer_memory), on SQLite and PostgreSQL: one row per campaign, the
latest replacing the last, written only by the daemon holding the campaign's lease."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dialer.pacing import PacingSettings, PacingStats
from dialer.pacing.memory import decode, encode, remember
from dialer.store import Database
from dialer.store.campaigns import apply_campaign
from dialer.store.ownership import acquire_campaigns, release_campaigns
from dialer.store.pacer_memory import load_pacer_memory, save_pacer_memory

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def memory_document(level: float) -> dict[str, object]:
    stats = PacingStats()
    stats.controller.x = level
    stats.record_amd(True, seconds=2.5)
    stats.record_ready_announcement(4.0)
    return encode(remember(stats, PacingSettings()))


async def test_the_lease_holder_writes_the_memory_and_the_latest_replaces_the_last(db: Database) -> None:
    campaign = (await apply_campaign(db, "memo", {}, T0)).campaign.id
    assert await load_pacer_memory(db, campaign) is None
    assert await acquire_campaigns(db, "daemon-a", [campaign], T0) == {campaign}
    assert await save_pacer_memory(db, campaign, "daemon-a", T0, memory_document(-3.0))
    later = T0 + timedelta(seconds=10)  # (within the lease)
    assert await save_pacer_memory(db, campaign, "daemon-a", later, memory_document(-2.5))
    stored = await load_pacer_memory(db, campaign)
    assert stored is not None
    assert (stored.owner, stored.saved_at) == ("daemon-a", later)
    memory = decode(stored.memory)
    assert memory.level_logit == -2.5
    assert memory.amd_seconds == 2.5
    assert memory.lateness_samples == 1


async def test_a_daemon_without_the_lease_writes_nothing(db: Database) -> None:
    campaign = (await apply_campaign(db, "memo", {}, T0)).campaign.id
    await acquire_campaigns(db, "daemon-a", [campaign], T0, ttl=timedelta(seconds=20))
    assert await save_pacer_memory(db, campaign, "daemon-a", T0, memory_document(-3.0))
    # B has taken the campaign over (A's lease ran out); A, which has not noticed yet, must not overwrite B's memory.
    taken = T0 + timedelta(seconds=25)
    assert await acquire_campaigns(db, "daemon-b", [campaign], taken) == {campaign}
    assert await save_pacer_memory(db, campaign, "daemon-b", taken, memory_document(-2.0))
    assert not await save_pacer_memory(db, campaign, "daemon-a", taken, memory_document(-4.0))
    # ... nor once it released its lease (a daemon that drained).
    await release_campaigns(db, "daemon-b")
    assert not await save_pacer_memory(db, campaign, "daemon-b", taken, memory_document(-4.0))
    stored = await load_pacer_memory(db, campaign)
    assert stored is not None
    assert stored.owner == "daemon-b"
    assert decode(stored.memory).level_logit == -2.0
