"""The reader's bounds: malformed records cost their own row, memory stays bounded, and the whole-file checks."""

from __future__ import annotations

import io

import pytest
from harness.campaign import read_leads

from dialer.campaign.leadimport import (
    EXTENSION_FIELD,
    MAX_CELL_CHARS,
    MAX_LINE_CHARS,
    MAX_RECORD_LINES,
    LeadCsvReader,
    LeadFileError,
    RowErrorReason,
    detect_encoding,
    sniff_delimiter,
)
from dialer.campaign.phones import Phone, PhoneRejection, normalize


def rows(n: int, start: int = 0) -> str:
    return "".join(f"+1212555{start + i:04d},row {start + i}\n" for i in range(n))


def test_an_unclosed_quote_on_the_last_line_costs_that_line() -> None:
    _, leads, errors = read_leads(f'phone,notes\n{rows(3)}+12125559999,"open\n'.encode())
    assert len(leads) == 3
    ((row, line, reason),) = [(e.row, e.line, e.reason) for e in errors]
    assert (row, line, reason) == (4, 5, RowErrorReason.MALFORMED)


def test_a_quote_closed_by_a_later_row_does_not_swallow_the_rows_between() -> None:
    # Row 2 opens a quote; row 10's value has a stray quote that "closes" it: a record of 3+ columns results.
    body = rows(1) + '+12125550001,"oops\n' + rows(7, 2) + '+12125550009,say "hi",x\n' + rows(5, 10)
    _, leads, errors = read_leads(("phone,notes\n" + body).encode())
    assert [e.line for e in errors if e.reason is RowErrorReason.MALFORMED] == [3]
    assert {lead.phone for lead in leads} >= {f"+1212555{i:04d}" for i in (0, *range(2, 9), *range(10, 15))}


def test_two_unclosed_quotes_cost_two_rows() -> None:
    body = rows(5) + '+12125550100,"a\n' + rows(60, 5) + '+12125550101,"b\n' + rows(5, 65)
    _, leads, errors = read_leads(("phone,notes\n" + body).encode())
    assert len(errors) == 2
    assert len(leads) == 70


def test_a_multi_line_note_within_the_bounds_is_kept() -> None:
    note = "\n".join(f"line {i}" for i in range(MAX_RECORD_LINES - 2))
    _, leads, errors = read_leads(f'phone,notes\n+12125550000,"{note}"\n+12125550001,x\n'.encode())
    assert not errors
    assert leads[0].fields["notes"].startswith("line 0 line 1")
    assert leads[1].line == MAX_RECORD_LINES


def test_a_line_without_end_is_read_in_pieces_and_rejected() -> None:
    huge = "y" * (MAX_LINE_CHARS * 3)
    _, leads, errors = read_leads(f"phone,notes\n+12125550000,{huge}\n+12125550001,ok\n".encode())
    (error,) = errors
    assert error.reason is RowErrorReason.FIELD_TOO_LONG
    assert "notes" in error.detail
    assert str(MAX_CELL_CHARS) in error.detail
    assert [lead.phone for lead in leads] == ["+12125550001"]


def test_cr_only_and_mixed_line_endings() -> None:
    _, leads, errors = read_leads(b'phone,notes\r+12125550000,a\r+12125550001,"b\rc"\r\n+12125550002,d\n')
    assert not errors
    assert [(lead.phone, lead.line) for lead in leads] == [
        ("+12125550000", 2),
        ("+12125550001", 3),
        ("+12125550002", 5),
    ]
    assert sniff_delimiter("a;b\r1;2\r3;4\r") == ";"


@pytest.mark.parametrize(
    ("cell", "extension"),
    [
        ("+1 212 555 0000 ext 5", "5"),
        ("+1 212 555 0000 x12", "12"),
        ("+12125550000;ext=9", "9"),
        ("212-555-0000 #7", "7"),
    ],
)
def test_extensions_are_kept_in_their_own_field(cell: str, extension: str) -> None:
    _, (lead,), _ = read_leads(f"phone\n{cell}\n".encode())
    assert lead.phone == "+12125550000"
    assert lead.fields == {EXTENSION_FIELD: extension}


def test_phone_extensions_and_keypad_hash() -> None:
    parsed = normalize("212-555-0000 ext. 44", "US")
    assert isinstance(parsed, Phone)
    assert parsed.extension == "44"
    trailing = normalize("212-555-0000#", "US")
    assert isinstance(trailing, Phone)
    assert trailing.extension is None
    only_hash = normalize("#", "US")
    assert not isinstance(only_hash, Phone)
    assert only_hash.reason is PhoneRejection.NOT_A_NUMBER
    full_width = normalize("０９０−１２３４−５６７８", "JP")
    assert isinstance(full_width, Phone)
    assert full_width.e164 == "+819012345678"


def test_repeated_headers() -> None:
    with pytest.raises(LeadFileError, match=r"columns 2 \('first_name'\), 3 \('first name'\)"):
        read_leads(b"phone,first_name,first name\n+12125550000,a,b\n")
    reader, leads, _ = read_leads(b"phone,phone\n+12125550000,+12125550001\n")
    assert leads[0].alt_phones == ("+12125550001",)
    assert reader.notices == ["column 2 ('phone') is a second phone column: read as alt_phone"]
    reader, _, _ = read_leads(b"phone,notes,notes\n+12125550000,a,b\n")
    assert reader.notices == ["column 3 repeats the header 'notes': its values go to 'notes_2'"]
    with pytest.raises(LeadFileError, match="map by number"):
        read_leads(b"phone,notes,notes\n+12125550000,a,b\n", mapping={"notes": "skip"})


def test_region_and_encoding_options_are_checked() -> None:
    with pytest.raises(LeadFileError, match="unknown region 'XX'"):
        read_leads(b"phone\n2125550000\n", region="XX")
    with pytest.raises(LeadFileError, match="unknown encoding 'klingon'"):
        read_leads(b"phone\n2125550000\n", encoding="klingon")
    _, (lead,), _ = read_leads(b"phone\n2125550000\n", region="us")
    assert lead.phone == "+12125550000"


def test_encoding_detection() -> None:
    assert detect_encoding("電話番号\n".encode("utf-16")) == "utf-16"
    assert detect_encoding("phone,name\n+12125550000,x\n".encode("utf-16-le")) == "utf-16-le"
    sample = "電話番号,氏名\n090-1234-5678,山田 太郎\n090-1234-5679,田中 花子\n" * 5
    assert detect_encoding(sample.encode("cp932")) == "cp932"
    assert detect_encoding(sample.encode("euc_jp")) == "euc_jp"
    with pytest.raises(LeadFileError, match="candidates"):
        detect_encoding(("phone,name\n" + "+74951230000,Пётр Смирнов\n" * 20).encode("koi8_r"))


def test_an_undecodable_byte_later_in_a_cjk_file_fails_the_whole_file() -> None:
    head = ("電話番号,氏名\n" + "".join(f"090-1234-{i:04d},山田 太郎\n" for i in range(3000))).encode("cp932")
    reader = LeadCsvReader(io.BytesIO(head + b"090-9999-0000,\x81 \n"), default_region="JP")
    assert reader.encoding == "cp932"
    with pytest.raises(LeadFileError, match="--encoding"):
        list(reader)
