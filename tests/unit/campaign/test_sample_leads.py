"""The demo lead list: deterministic, valid numbers across the globe, always someone inside the window."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from harness.paths import REPO

from dialer.campaign.config import load_campaign_file
from dialer.campaign.leadimport import ImportedLead, LeadCsvReader, RowError, RowErrorReason
from dialer.campaign.rules import LeadSnapshot, dialability
from dialer.campaign.samples import SAMPLE_HEADER, sample_rows, write_sample_csv

DEMO_CSV = REPO / "campaigns" / "leads" / "demo.csv"


def demo_leads() -> tuple[list[ImportedLead], list[RowError]]:
    with LeadCsvReader(DEMO_CSV, default_region="US") as reader:
        items = list(reader)
    return [x for x in items if isinstance(x, ImportedLead)], [x for x in items if isinstance(x, RowError)]


def test_demo_csv_is_what_the_generator_writes() -> None:
    out = io.StringIO(newline="")
    assert write_sample_csv(out, 2000) == 2000
    assert DEMO_CSV.read_text(encoding="utf-8") == out.getvalue()


def test_generator_is_deterministic_per_seed() -> None:
    assert list(sample_rows(50, seed=3)) == list(sample_rows(50, seed=3))
    assert list(sample_rows(50, seed=3)) != list(sample_rows(50, seed=4))
    assert all(len(row) == len(SAMPLE_HEADER) for row in sample_rows(200))


def test_demo_list_imports_with_only_the_deliberate_bad_rows() -> None:
    leads, errors = demo_leads()
    assert len(leads) + len(errors) == 2000
    assert 1900 <= len(leads) < 2000
    reasons = {e.reason for e in errors}
    assert {RowErrorReason.INVALID_PHONE, RowErrorReason.MISSING_PHONE, RowErrorReason.DUPLICATE} <= reasons
    # Every invalid row is one of the planted ones (one row in 80), never a generator mistake.
    assert all(e.row % 80 == 0 for e in errors)
    assert any(lead.postal_zones for lead in leads)
    assert any(lead.alt_phones for lead in leads)
    assert any(any(f.startswith("formula") for f in lead.flags) for lead in leads)
    assert {"company", "plan", "notes"} <= set(leads[0].fields)


def test_demo_list_spans_the_world() -> None:
    leads, _ = demo_leads()
    zones = {z for lead in leads for z in lead.tz_candidates}
    for needed in (
        "Pacific/Honolulu",
        "America/Anchorage",
        "America/New_York",
        "America/Los_Angeles",
        "America/Toronto",
        "Europe/London",
        "Australia/Sydney",
        "Pacific/Auckland",
        "Asia/Tokyo",
        "America/Sao_Paulo",
    ):
        assert needed in zones, needed
    assert any(z in zones for z in ("Asia/Kolkata", "Asia/Calcutta"))


def test_demo_dials_at_every_hour_of_the_utc_day() -> None:
    campaign = load_campaign_file(REPO / "campaigns" / "demo.toml")
    leads, _ = demo_leads()
    snapshots = [
        LeadSnapshot(
            id=i, campaign="demo", phone=lead.phone, tz_candidates=lead.tz_candidates, postal_zones=lead.postal_zones
        )
        for i, lead in enumerate(leads[::4])
    ]
    for day in (datetime(2026, 1, 14, tzinfo=UTC), datetime(2026, 7, 11, tzinfo=UTC)):  # a Wednesday, a Saturday
        for hour in range(24):
            now = day + timedelta(hours=hour)
            open_now = sum(dialability(s, campaign, now, on_dnc=False).dialable for s in snapshots)
            assert open_now >= 0.10 * len(snapshots), (now, open_now)
