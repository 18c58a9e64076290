"""Lead CSV import: the awkward files real lists come as."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from harness.campaign import read_leads

from dialer.campaign.leadimport import (
    MAX_CELL_CHARS,
    ImportedLead,
    LeadCsvReader,
    LeadFileError,
    RowErrorReason,
    dedupe_against,
    detect_encoding,
    looks_like_formula,
    neutralise_formula,
    scrub_dnc,
    sniff_delimiter,
    write_error_report,
)
from dialer.campaign.phones import PhoneRejection


def test_plain_utf8_with_common_headers() -> None:
    data = (
        b"First Name,Last Name,Phone Number,Mobile,ZIP,Priority,Company\n"
        b"Ava,Smith,(212) 555-0123,+1 415 555 0199,10001,3,Blue Harbor\n"
    )
    reader, leads, errors = read_leads(data)
    assert not errors
    assert reader.field_map[2] == "phone"
    assert reader.field_map[3] == "alt_phone"
    (ava,) = leads
    assert ava.phone == "+12125550123"
    assert ava.alt_phones == ("+14155550199",)
    assert ava.first_name == "Ava"
    assert ava.last_name == "Smith"
    assert ava.tz_candidates == ("America/New_York",)
    assert ava.postal_code == "10001"
    assert ava.postal_zones == ("America/New_York",)
    assert ava.priority == 3
    assert ava.fields == {"Company": "Blue Harbor"}
    assert (ava.row, ava.line) == (1, 2)


def test_utf8_bom_is_stripped() -> None:
    data = "\ufeffphone,name\n+442079460000,Zoë Brontë\n".encode()
    reader, leads, _ = read_leads(data)
    assert reader.encoding == "utf-8-sig"
    assert reader.header == ("phone", "name")
    assert (leads[0].first_name, leads[0].last_name) == ("Zoë", "Brontë")


def test_cp1252_semicolon_file_from_excel() -> None:
    data = "Téléphone;Prénom;Ville\r\n+33 1 42 68 53 00;Frédéric;Orléans\r\n".encode("cp1252")
    reader, leads, errors = read_leads(data, mapping={"Téléphone": "phone", "Prénom": "first_name"})
    assert reader.encoding == "cp1252"
    assert reader.delimiter == ";"
    assert not errors
    assert leads[0].phone == "+33142685300"
    assert leads[0].first_name == "Frédéric"
    assert leads[0].fields == {"Ville": "Orléans"}


def test_stray_cp1252_byte_in_a_utf8_file_is_not_fatal() -> None:
    data = "phone,notes\n+12125550123,caf\xc3\xa9\n".encode("latin-1") + b"+12125550124,na\xefve\n"
    _, leads, errors = read_leads(data)
    assert not errors
    assert leads[0].fields["notes"] == "café"
    assert leads[1].fields["notes"] == "naïve"


@pytest.mark.parametrize("delimiter", ["\t", "|", ";", ","])
def test_delimiters_are_sniffed(delimiter: str) -> None:
    rows = [["phone", "company", "notes"], ["+12125550123", "A, B and C", "x"], ["+12125550124", "D", "y; z"]]
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    reader, leads, errors = read_leads(buffer.getvalue().encode())
    assert reader.delimiter == delimiter
    assert not errors
    assert [lead.fields["company"] for lead in leads] == ["A, B and C", "D"]


def test_embedded_newlines_keep_row_and_line_numbers_right() -> None:
    data = b'phone,notes\n+12125550123,"first line\nsecond line\r\nthird"\n+12125550124,plain\nnot-a-phone,x\n'
    _, leads, errors = read_leads(data)
    assert leads[0].fields["notes"] == "first line second line third"  # CR/LF never reach AMI headers or the UI
    assert "sanitised:notes" in leads[0].flags
    assert (leads[1].row, leads[1].line) == (2, 5)
    assert (errors[0].row, errors[0].line) == (3, 6)
    assert errors[0].reason is RowErrorReason.INVALID_PHONE


def test_an_unclosed_quote_costs_its_own_row_only() -> None:
    body = "".join(f"+1212555{i:04d},row {i}\n" for i in range(1, 100))
    data = f'phone,notes\n+12125550000,"oops\n{body}'.encode()
    _, leads, errors = read_leads(data)
    (error,) = errors
    assert error.reason is RowErrorReason.MALFORMED
    assert "unclosed quote" in error.detail
    assert (error.row, error.line) == (1, 2)
    assert [lead.phone for lead in leads] == [f"+1212555{i:04d}" for i in range(1, 100)]
    assert [(lead.row, lead.line) for lead in leads[:2]] == [(2, 3), (3, 4)]


def test_control_characters_in_names_are_sanitised() -> None:
    data = b'phone,first_name\n+12125550123,"Eve\rAction: Originate\x00"\n'
    _, leads, _ = read_leads(data)
    assert "\r" not in leads[0].first_name
    assert "\x00" not in leads[0].first_name


def test_a_one_megabyte_field_is_rejected_not_fatal() -> None:
    huge = "x" * 1_000_000
    data = f"phone,notes\n+12125550123,{huge}\n+12125550124,ok\n".encode()
    _, leads, errors = read_leads(data)
    (error,) = errors
    assert error.reason is RowErrorReason.FIELD_TOO_LONG
    assert "notes" in error.detail
    assert str(MAX_CELL_CHARS) in error.detail
    assert len(error.raw[1]) < 2000  # the report keeps a cut copy
    assert [lead.phone for lead in leads] == ["+12125550124"]


def test_formula_values_are_kept_flagged_and_neutralised_on_export() -> None:
    data = b"phone,notes,company\n+12125550123,=cmd|' /C calc'!A0,@SUM(A1)\n+12125550124,-42,+1 555\n"
    _, leads, _ = read_leads(data)
    assert leads[0].fields["notes"] == "=cmd|' /C calc'!A0"
    assert {"formula:notes", "formula:company"} <= set(leads[0].flags)
    assert not any(flag.startswith("formula") for flag in leads[1].flags)  # plain numbers are not formulas
    assert neutralise_formula("=cmd") == "'=cmd"
    assert looks_like_formula("=1+1")
    assert not looks_like_formula("-42")


def test_duplicates_within_the_file_point_at_the_first_row() -> None:
    data = b"phone\n+1 212 555 0123\n(212) 555-0123\n+12125550124\n"
    _, leads, errors = read_leads(data)
    assert len(leads) == 2
    assert errors[0].reason is RowErrorReason.DUPLICATE
    assert "row 1" in errors[0].detail


@pytest.mark.parametrize(
    ("cell", "reason", "phone_reason"),
    [
        ("", RowErrorReason.MISSING_PHONE, PhoneRejection.MISSING),
        ("call reception", RowErrorReason.INVALID_PHONE, PhoneRejection.NOT_A_NUMBER),
        ("12", RowErrorReason.INVALID_PHONE, PhoneRejection.TOO_SHORT),
        ("+1 212 055 0100", RowErrorReason.INVALID_PHONE, PhoneRejection.INVALID_FOR_REGION),
        ("+1 900 555 0123", RowErrorReason.INVALID_PHONE, PhoneRejection.PREMIUM_RATE),
    ],
)
def test_bad_phone_rows_carry_the_reason(cell: str, reason: RowErrorReason, phone_reason: PhoneRejection) -> None:
    data = f"phone,name\n{cell},X\n".encode()
    _, leads, errors = read_leads(data)
    assert not leads
    assert errors[0].reason is reason
    assert errors[0].phone_reason is phone_reason


def test_national_numbers_use_the_default_region() -> None:
    _, leads, _ = read_leads(b"phone\n020 7946 0000\n", region="GB")
    assert leads[0].phone == "+442079460000"
    assert leads[0].tz_candidates == ("Europe/London",)


def test_shifted_columns_and_bad_priority_are_row_errors() -> None:
    data = b"phone,name,priority\n+12125550123,Doe, John,1\n+12125550124,Ann,high\n+12125550125,Bo\n"
    _, leads, errors = read_leads(data)
    assert [e.reason for e in errors] == [RowErrorReason.TOO_MANY_COLUMNS, RowErrorReason.BAD_PRIORITY]
    assert [lead.phone for lead in leads] == ["+12125550125"]  # a short row is fine


def test_mapping_by_name_and_index() -> None:
    data = b"a,b,c\nAnn,+12125550123,gold\n"
    reader, leads, _ = read_leads(data, mapping={"2": "phone", "a": "first_name", "c": "plan"})
    assert reader.field_map == {0: "first_name", 1: "phone", 2: "plan"}
    assert leads[0].fields == {"plan": "gold"}
    with pytest.raises(LeadFileError, match="no column 'zzz'"):
        read_leads(data, mapping={"zzz": "phone"})
    with pytest.raises(LeadFileError, match=r"columns 1\.\.3"):
        read_leads(data, mapping={"9": "phone"})


def test_repeated_custom_headers_keep_both_values() -> None:
    _, leads, _ = read_leads(b"phone,notes,notes\n+12125550123,a,b\n")
    assert leads[0].fields == {"notes": "a", "notes_2": "b"}


def test_file_without_header_finds_the_phone_column() -> None:
    data = b"Ann,+12125550123,gold\nBob,+12125550124,silver\n"
    reader, leads, _ = read_leads(data)
    assert not reader.has_header
    assert reader.field_map[1] == "phone"
    assert len(leads) == 2
    assert (leads[0].row, leads[0].line) == (1, 1)


def test_whole_file_problems_raise_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(LeadFileError, match="empty"):
        read_leads(b"\n\n")
    with pytest.raises(LeadFileError, match="no phone column"):
        read_leads(b"name,company\nAnn,Acme\n")
    with pytest.raises(LeadFileError, match="PNG"):
        read_leads(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    with pytest.raises(LeadFileError, match="cannot open"):
        LeadCsvReader(tmp_path / "missing.csv", default_region="US")


def test_blank_lines_are_skipped_and_counted() -> None:
    reader, leads, _ = read_leads(b"phone\r\n\r\n+12125550123\r\n\r\n")
    assert len(leads) == 1
    assert reader.stats.blank_lines == 2
    assert reader.stats.rows == 1


def test_reads_from_a_path(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(b"phone\n+12125550123\n")
    with LeadCsvReader(path, default_region="US") as reader:
        assert [type(x) for x in reader] == [ImportedLead]


def test_error_report_is_formula_safe() -> None:
    _, _, errors = read_leads(b"phone,notes\n=HYPERLINK(1),=cmd\n")
    out = io.StringIO()
    assert write_error_report(out, errors, ("phone", "notes")) == 1
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == ["row", "line", "reason", "detail", "phone", "notes"]
    assert rows[1][:3] == ["1", "2", "invalid_phone"]
    assert all(not cell.startswith(("=", "+", "-", "@")) for cell in rows[1])


def test_store_helpers_scrub_dnc_and_existing_numbers() -> None:
    _, leads, _ = read_leads(b"phone,mobile\n+12125550123,+14155550199\n+12125550124,\n+12125550125,\n")
    keep, dnc = scrub_dnc(leads, {"+12125550124", "+14155550199"})
    assert [e.reason for e in dnc] == [RowErrorReason.DNC]
    assert keep[0].alt_phones == ()
    assert "dnc_alt_phone" in keep[0].flags
    fresh, known = dedupe_against(keep, {"+12125550125"})
    assert [lead.phone for lead in fresh] == ["+12125550123"]
    assert known[0].reason is RowErrorReason.ALREADY_IN_CAMPAIGN


def test_sniffing_helpers() -> None:
    assert detect_encoding(b"\xef\xbb\xbfphone") == "utf-8-sig"
    assert detect_encoding("é".encode()[:1]) == "utf-8"  # a cut multibyte tail is not an error
    assert detect_encoding(b"caf\xe9 au lait") == "cp1252"
    assert detect_encoding("café".encode() + b" na\xefve") == "utf-8"  # mixed: stray bytes read as cp1252
    assert sniff_delimiter("a|b|c\n1|2|3\n") == "|"
