"""Leads as JSON go through the CSV reader itself: row n is leads[n-1] whatever the keys, empty leads included."""

from __future__ import annotations

import pytest

from dialer.campaign.leadimport import ImportedLead, LeadFileError, RowError, RowErrorReason
from dialer.campaign.leadjson import json_leads_reader


def test_rows_are_positions_and_keys_are_headers() -> None:
    leads = [
        {"phone": "+12125550101", "First Name": "Ann", "tier": 3, "vip": True},
        {"phone": ""},
        {},
        {"phone": "212 555 0102", "priority": "x"},
        {"phone": None, "mobile": "+12125550103"},
        {"phone": "+1 212 555 0101"},
    ]
    items = list(json_leads_reader(leads, default_region="US"))
    assert [i.row for i in items] == [1, 2, 3, 4, 5, 6]
    first = items[0]
    assert isinstance(first, ImportedLead)
    assert (first.phone, first.first_name, first.fields) == ("+12125550101", "Ann", {"tier": "3", "vip": "true"})
    reasons = [i.reason if isinstance(i, RowError) else None for i in items]
    assert reasons == [
        None,
        RowErrorReason.MISSING_PHONE,
        RowErrorReason.MISSING_PHONE,
        RowErrorReason.BAD_PRIORITY,
        RowErrorReason.MISSING_PHONE,  # (as in a CSV: the mobile column is an alternative, not the phone)
        RowErrorReason.DUPLICATE,
    ]


def test_a_batch_the_importer_cannot_read_is_refused_whole() -> None:
    with pytest.raises(LeadFileError, match="no phone column"):
        json_leads_reader([{"name": "x"}], default_region="US")
    with pytest.raises(LeadFileError, match="all read as first_name"):
        json_leads_reader([{"phone": "+12125550101", "first_name": "a", "First Name": "b"}], default_region="US")
