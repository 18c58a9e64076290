"""Campaign leases (dialer.store.ownership) on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from harness.databases import DbSpec

from dialer.store.campaigns import apply_campaign
from dialer.store.engine import Database
from dialer.store.migrate import upgrade
from dialer.store.ownership import acquire_campaigns, campaign_leases, release_campaigns

T0 = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
TTL = timedelta(seconds=20)


@pytest.fixture
async def two(any_spec: DbSpec) -> AsyncIterator[tuple[Database, Database, list[int]]]:
    first, second = any_spec.open(), any_spec.open()
    await upgrade(first)
    ids = []
    for name in ("alpha", "beta"):
        applied = await apply_campaign(first, name, {"name": name}, T0)
        ids.append(applied.campaign.id)
    try:
        yield first, second, ids
    finally:
        await first.dispose()
        await second.dispose()


async def test_one_owner_per_campaign_until_its_lease_expires(two: tuple[Database, Database, list[int]]) -> None:
    a, b, ids = two
    assert await acquire_campaigns(a, "A", ids, T0, TTL) == set(ids)
    assert await acquire_campaigns(b, "B", ids, T0 + timedelta(seconds=5), TTL) == set()
    # A renews: B still gets nothing, even past A's first expiry.
    assert await acquire_campaigns(a, "A", ids, T0 + timedelta(seconds=10), TTL) == set(ids)
    assert await acquire_campaigns(b, "B", ids, T0 + timedelta(seconds=25), TTL) == set()
    # A stops renewing: B takes both once the lease has run out; A's next renewal finds them gone.
    later = T0 + timedelta(seconds=31)
    assert await acquire_campaigns(b, "B", ids, later, TTL) == set(ids)
    assert await acquire_campaigns(a, "A", ids, later + timedelta(seconds=1), TTL) == set()
    leases = await campaign_leases(a, later)
    assert {lease.owner for lease in leases.values()} == {"B"}
    assert all(lease.acquired_at == later for lease in leases.values())


async def test_release_hands_campaigns_over_at_once(two: tuple[Database, Database, list[int]]) -> None:
    a, b, ids = two
    await acquire_campaigns(a, "A", ids, T0, TTL)
    assert await release_campaigns(a, "A", [ids[0]]) == 1
    assert await acquire_campaigns(b, "B", ids, T0 + timedelta(seconds=1), TTL) == {ids[0]}
    assert await release_campaigns(a, "A") == 1
    assert await acquire_campaigns(b, "B", ids, T0 + timedelta(seconds=2), TTL) == set(ids)
    # Renewing keeps the time it was first acquired.
    leases = await campaign_leases(b)
    assert leases[ids[0]].acquired_at == T0 + timedelta(seconds=1)
