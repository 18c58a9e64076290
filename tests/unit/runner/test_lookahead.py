"""The runner's pacing inputs: the next leads' answer rates (their history, the called party's local hour) and
the local hour each call placed is learnt by."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from dialer.campaign.config import CampaignConfig
from dialer.pacing.stats import LeadHistory, PacingStats
from dialer.runner.lookahead import Lookahead, lead_pacing, local_hour
from dialer.store.leads import LeadRecord

BASE: dict[str, Any] = {
    "name": "ahead",
    "queue": "outbound-agents",
    "trunk": "PJSIP/{number}@carrier",
    "caller_id": {"number": "+12025550100", "name": "Acme"},
}
# 2026-03-02 15:00 UTC: 10:00 in New York, 08:00 in Denver, 07:00 in Los Angeles, 15:00 in London, 00:00 in Tokyo.
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC).timestamp()


def record(lead_id: int, *, zones: Sequence[str] = (), postal: Sequence[str] = (), attempts: int = 0,
           last_outcome: str | None = None) -> LeadRecord:  # fmt: skip
    at = datetime(2026, 3, 1, tzinfo=UTC)
    return LeadRecord(
        id=lead_id, campaign_id=1, list_id=None, phone=f"+1202555{lead_id:04d}", alt_phones=[],
        tz_candidates=list(zones), postal_code=None, postal_zones=list(postal), first_name=None, last_name=None,
        fields={}, status="new" if attempts == 0 else "retry", claimed_from=None, attempts=attempts, dials=attempts,
        next_dialable_at=at, last_outcome=last_outcome, last_disposition=None, last_attempt_at=None,
        last_abandon_at=None, archive_reason=None, priority=0, callback_at=None, callback_agent=None,
        claim_owner=None, lease_expires_at=None, created_at=at, updated_at=at,
    )  # fmt: skip


def test_local_hour_is_the_called_partys() -> None:
    assert local_hour(NOW, "America/New_York") == 10
    assert local_hour(NOW, "America/Los_Angeles") == 7
    assert local_hour(NOW, "Asia/Tokyo") == 0
    assert local_hour(NOW, None) == 15
    assert local_hour(NOW, "Not/AZone") == 15  # unknown: UTC


def test_a_leads_zone_is_the_one_its_calling_window_uses() -> None:
    config = CampaignConfig.model_validate({**BASE, "timezones": {"fallback": "Europe/London"}})
    assert lead_pacing(record(1, zones=["America/Chicago"]), config).zone == "America/Chicago"
    # The postal code's zone wins over the number's candidates (prefer_postal_code, as the window rules).
    assert lead_pacing(record(2, zones=["America/Chicago"], postal=["America/Denver"]), config).zone == "America/Denver"
    assert lead_pacing(record(3), config).zone == "Europe/London"  # unknown: the campaign's fallback
    third = lead_pacing(record(4, attempts=2, last_outcome="no_answer"), config)
    assert third.history == LeadHistory(3, "no_answer")


def hour_trained() -> PacingStats:
    """People answer at 10:00 local (40 %), hardly at 08:00 (5 %)."""
    stats = PacingStats()
    rng = random.Random(5)
    for _ in range(3000):
        stats.record_attempt(10.0, rng.random() < 0.40, hour=10)
        stats.record_attempt(10.0, rng.random() < 0.05, hour=8)
    return stats


async def test_the_next_leads_rates_follow_their_local_hour_and_history() -> None:
    config = CampaignConfig.model_validate(BASE)
    stats = hour_trained()
    leads = [record(1, zones=["America/New_York"]), record(2, zones=["America/Denver"])]
    reads: list[int] = []

    async def read(limit: int, wall: datetime) -> list[LeadRecord]:
        reads.append(limit)
        return leads

    ahead = Lookahead(lambda: config, read, refresh_seconds=5.0)
    await ahead.refresh(NOW, 10)
    new_york, denver = ahead.answer_rates(stats, NOW)
    # At 15:00 UTC the New York lead is called at 10:00 its time, the Denver one at 08:00.
    assert new_york > 0.3 > 0.1 > denver
    assert new_york == stats.answer_rate(10, LeadHistory(1, None))
    assert ahead.hour_beyond(NOW) == 8  # beyond the leads read: the last one's local hour
    ahead.claimed([2])
    assert ahead.answer_rates(stats, NOW) == [new_york]
    await ahead.refresh(NOW + 1.0, 10)
    assert len(reads) == 1  # fresh enough: no second read
    await ahead.refresh(NOW + 6.0, 10)
    assert len(reads) == 2
    ahead.claimed([1, 2])  # the leads read are claimed: read again, however fresh
    await ahead.refresh(NOW + 7.0, 10)
    assert len(reads) == 3


async def test_without_leads_read_the_hour_beyond_is_the_campaigns() -> None:
    config = CampaignConfig.model_validate({**BASE, "timezone": "Asia/Tokyo"})

    async def read(limit: int, wall: datetime) -> list[LeadRecord]:
        return []

    ahead = Lookahead(lambda: config, read)
    await ahead.refresh(NOW, 10)
    assert ahead.answer_rates(PacingStats(), NOW) == []
    assert ahead.hour_beyond(NOW) == 0


async def test_leads_the_claim_would_set_aside_now_are_not_counted() -> None:
    """At 15:00 UTC Los Angeles is at 07:00, outside the US calling window (08:00–21:00): the claim would set
    that lead aside, so the pacer is not told its rate (the New York leads around it are the next dialled)."""
    config = CampaignConfig.model_validate(BASE)
    stats = hour_trained()
    zones = ("America/New_York", "America/Los_Angeles", "America/New_York")
    leads = [record(i, zones=[zone]) for i, zone in enumerate(zones, start=1)]

    async def read(limit: int, wall: datetime) -> list[LeadRecord]:
        return leads

    ahead = Lookahead(lambda: config, read)
    await ahead.refresh(NOW, 10)
    assert [lead.lead_id for lead in ahead.leads] == [1, 3]
    assert ahead.answer_rates(stats, NOW) == [stats.answer_rate(10, LeadHistory(1, None))] * 2
    # Three hours later Los Angeles is at 10:00: dialled again.
    await ahead.refresh(NOW + 3 * 3600.0, 10)
    assert [lead.lead_id for lead in ahead.leads] == [1, 2, 3]
