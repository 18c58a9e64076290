"""The lead export's columns and cells (pure): the importer's columns first, one per alternative number, the custom
fields sorted, the results last; formulas neutralised, phone numbers left as they are; the BOM written once and a
character the encoding lacks refused with its line in the file."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from dialer.campaign.leadimport.model import HEADER_ALIASES, LeadField, norm_header
from dialer.lists.export import RESULT_COLUMNS, ExportedLead, ExportShape, alt_phone_column, write_leads_csv
from dialer.reports.render.csv import CsvEncodingError

AT = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
ANN = ExportedLead(
    id=7, list_name="spring", phone="+14155550101", alt_phones=["+14155550111"], first_name="Ann", last_name="Lee",
    name_reading=None, postal_code="94110", priority=2, consent_source=None, consent_at=None,
    fields={"external_id": "c-1", "company": "=HYPERLINK(\"x\")", "tags": ["a", "b"], "email": "ann@example.com"},
    status="done", attempts=2, dials=3, last_outcome="connected", last_disposition="sale", last_attempt_at=AT,
    next_dialable_at=AT, callback_at=None, requested_callback_source="ivr flow support",
    requested_callback_at=AT, requested_callback_due=None, archive_reason=None,
)  # fmt: skip


def test_the_header_holds_the_importers_columns_then_the_fields_then_the_results() -> None:
    bob = replace(ANN, id=8, alt_phones=["+1", "+2", "+3"], fields={"notes": "x"})
    shape = ExportShape().widened([ANN]).widened([bob])
    header = shape.header()
    assert header[:5] == ["external_id", "phone", "alt_phone", "alt_phone2", "alt_phone3"]
    assert header[-len(RESULT_COLUMNS) :] == list(RESULT_COLUMNS)
    assert [h for h in header if h in ("company", "email", "notes", "tags")] == ["company", "email", "notes", "tags"]
    assert len(header) == len(set(header))
    # Every column of the lead's own reads back as what it is; every result column is skipped by the importer.
    for column in ["phone", *(alt_phone_column(i) for i in range(3)), "first_name", "postal_code", "external_id"]:
        assert norm_header(column) in HEADER_ALIASES or column in {f.value for f in LeadField}, column
    assert {HEADER_ALIASES[norm_header(c)] for c in RESULT_COLUMNS} == {LeadField.SKIP}


def test_a_row_neutralises_formulas_and_keeps_numbers_and_times() -> None:
    shape = ExportShape().widened([ANN])
    row = dict(zip(shape.header(), shape.row(ANN), strict=True))
    assert row["phone"] == "+14155550101"  # a phone number is no formula
    assert row["company"] == '\'=HYPERLINK("x")'
    assert row["tags"] == '["a", "b"]'
    assert (row["priority"], row["dialer_attempts"], row["dialer_lead_id"]) == (2, 2, 7)
    assert row["dialer_last_attempt_at"] == "2026-03-02T14:00:00+00:00"
    assert (row["name_reading"], row["dialer_callback_at"]) == ("", "")
    # the callback the called party asked for: a result (skipped by the importer), times in UTC like the others
    requested = [row[f"dialer_requested_callback_{c}"] for c in ("source", "at", "due")]
    assert requested == ["ivr flow support", "2026-03-02T14:00:00+00:00", ""]


async def _pages(*pages: list[ExportedLead]) -> AsyncIterator[list[ExportedLead]]:
    for page in pages:
        yield page


async def test_the_bom_once_and_a_character_the_encoding_lacks_refused_with_its_line() -> None:
    yamada = replace(ANN, id=9, first_name="山田", last_name="太郎")
    out = io.BytesIO()
    n = await write_leads_csv(lambda: _pages([ANN], [yamada]), out, encoding="utf-8-sig")
    assert n == 2
    assert out.getvalue().count(b"\xef\xbb\xbf") == 1
    assert out.getvalue().decode("utf-8-sig").count("\r\n") == 3
    ok = io.BytesIO()
    assert await write_leads_csv(lambda: _pages([yamada]), ok, encoding="cp932") == 1
    assert "山田" in ok.getvalue().decode("cp932")
    maori = replace(ANN, id=10, last_name="Māui")
    with pytest.raises(CsvEncodingError, match="line 4 "):
        await write_leads_csv(lambda: _pages([ANN], [yamada, maori]), io.BytesIO(), encoding="cp932")
