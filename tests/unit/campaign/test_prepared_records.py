"""Parsed leads sealed for PostgreSQL (dialer.campaign.leadimport.prepared): `records` is JSON whose values are
exactly the columns' (quotes, control characters, non-ASCII and astral characters, missing values)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from dialer.campaign.leadimport.prepared import PreparedLeads

texts = st.one_of(st.none(), st.text(max_size=20))


@given(first=texts, last=texts, reading=texts, alts=st.lists(st.text(max_size=12), max_size=3))
def test_sealed_records_are_the_columns_as_json(
    first: str | None, last: str | None, reading: str | None, alts: list[str]
) -> None:
    leads = PreparedLeads()
    leads.rows.append(1)
    leads.phones.append("+12125550101")
    leads.alt_phones.append(json.dumps(alts) if alts else "[]")
    leads.tz_candidates.append('["America/New_York"]')
    leads.postal_codes.append(None)
    leads.postal_zones.append("[]")
    leads.first_names.append(first)
    leads.last_names.append(last)
    leads.fields.append(json.dumps({"note": last}) if last else "{}")
    leads.priorities.append(3)
    leads.display_names.append(first)
    leads.name_readings.append(reading)
    leads.consent_sources.append("web" if first else None)
    leads.consent_at.append(datetime(2026, 3, 2, 14, 0, tzinfo=UTC) if last else None)
    leads.seal()
    assert leads.records is not None
    (record,) = json.loads(leads.records)
    assert record == {
        "p": "+12125550101",
        "a": alts,
        "t": ["America/New_York"],
        "z": None,
        "zz": [],
        "f": first,
        "l": last,
        "x": {"note": last} if last else {},
        "pr": 3,
        "d": first,
        "r": reading,
        "cs": "web" if first else None,
        "ca": "2026-03-02T14:00:00+00:00" if last else None,
    }
    assert leads.records.isascii()  # (as json.dumps writes it: the driver sends one ASCII text value)
