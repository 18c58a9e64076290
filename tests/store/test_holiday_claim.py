"""A public holiday (or a closed date) in the called party's local calendar leaves the lead unclaimed, its next time
the first opening after the day, counted as ``holiday`` / ``closed_date`` by the claim and the status report."""

from __future__ import annotations

from datetime import UTC, datetime

from harness.lifecycle import NY, lead, setup

from dialer.store import Database
from dialer.store.leads import get_lead
from dialer.store.lifecycle import claim_dialable
from dialer.store.status import lead_status

THANKSGIVING = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)  # Thursday 11:00 EST in New York
FRIDAY_OPENS = datetime(2026, 11, 27, 13, 0, tzinfo=UTC)  # Friday 08:00 EST
TOKYO = "Asia/Tokyo"


async def test_a_holiday_leaves_the_lead_unclaimed_until_the_day_after(db: Database) -> None:
    cfg, cid = await setup(db, [lead("+12125550101", [NY]), lead("+81312345678", [TOKYO])])
    report = await lead_status(db, cfg, cid, THANKSGIVING)
    assert report.sample_reasons == {"holiday": 1, "window_closed": 1}

    batch = await claim_dialable(db, cfg, campaign_id=cid, owner="runner-1", limit=10, now=THANKSGIVING)

    assert batch.leads == []
    assert batch.set_aside == {"holiday": 1, "window_closed": 1}
    ny = await get_lead(db, 1)
    assert ny is not None
    assert (ny.status, ny.claim_owner, ny.next_dialable_at) == ("new", None, FRIDAY_OPENS)
    # Friday 08:00 in New York (22:00 in Tokyo): the New York lead is claimed.
    friday = await claim_dialable(db, cfg, campaign_id=cid, owner="runner-1", limit=10, now=FRIDAY_OPENS)
    assert [claimed.phone for claimed in friday.leads] == ["+12125550101"]


async def test_a_closed_date_leaves_the_lead_unclaimed(db: Database) -> None:
    cfg, cid = await setup(db, [lead("+12125550101", [NY])], closed_dates=["2026-11-27"])
    friday = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # 10:00 EST
    batch = await claim_dialable(db, cfg, campaign_id=cid, owner="runner-1", limit=10, now=friday)
    assert batch.leads == []
    assert batch.set_aside == {"closed_date": 1}
    record = await get_lead(db, 1)
    assert record is not None
    assert record.next_dialable_at == datetime(2026, 11, 28, 13, 0, tzinfo=UTC)  # Saturday 08:00 EST
