"""CSV exports in UTF-8 with BOM or CP932: CJK text survives; a character CP932 lacks is refused, never replaced."""

from __future__ import annotations

import pytest

from dialer.reports.render.csv import CsvEncodingError, encode_csv


def test_utf8_bom_and_cp932_round_trip_japanese() -> None:
    text = "name,phone\r\n山田 太郎,+81312345678\r\n"
    assert encode_csv(text, "utf-8-sig") == b"\xef\xbb\xbf" + text.encode("utf-8")
    assert encode_csv(text, "cp932").decode("cp932") == text


def test_cp932_refuses_what_it_cannot_hold_with_the_line() -> None:
    text = "name\r\n山田 太郎\r\n这是 王伟\r\n"  # 这 is simplified Chinese: not in CP932
    with pytest.raises(CsvEncodingError, match=r"line 3 has '这'.*utf-8-sig"):
        encode_csv(text, "cp932")
    assert encode_csv(text, "utf-8-sig").decode("utf-8-sig") == text
