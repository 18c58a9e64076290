"""Names: family/given order by script, the display form, the reading for sorting; full-width phone numbers."""

from __future__ import annotations

import io

import pytest

from dialer.campaign.leadimport import LeadCsvReader, parse_consent_time
from dialer.campaign.names import display_name, is_cjk_name, sort_key, split_full_name
from dialer.campaign.phones import Phone, fold_width, normalize


@pytest.mark.parametrize(
    ("full", "parts", "shown"),
    [
        ("山田 太郎", ("山田", "太郎"), "山田 太郎"),
        ("山田\u3000太郎", ("山田", "太郎"), "山田 太郎"),  # ideographic space
        ("王 伟", ("王", "伟"), "王 伟"),
        ("やまだ たろう", ("やまだ", "たろう"), "やまだ たろう"),
        ("ヤマダ タロウ", ("ヤマダ", "タロウ"), "ヤマダ タロウ"),
        ("山田太郎", ("山田太郎", ""), "山田太郎"),  # no boundary: kept whole as the family part
        ("John Smith", ("Smith", "John"), "John Smith"),
        ("Mary Ann Smith", ("Smith", "Mary Ann"), "Mary Ann Smith"),
        ("Smith, John", ("Smith", "John"), "John Smith"),
        ("Cher", ("Cher", ""), "Cher"),
    ],
)
def test_split_and_display(full: str, parts: tuple[str, str], shown: str) -> None:
    assert split_full_name(full) == parts
    assert display_name(*parts) == shown


def test_script_detection_and_sorting_by_reading() -> None:
    assert is_cjk_name("山田")
    assert is_cjk_name("さくら")
    assert is_cjk_name("김")
    assert not is_cjk_name("Smith")
    assert not is_cjk_name("Łukasz")
    names = [("山田 太郎", "やまだ たろう"), ("阿部 花子", "あべ はなこ"), ("小林 明", None)]
    ordered = sorted(names, key=lambda n: sort_key(n[0], n[1]))
    assert [n[0] for n in ordered][:2] == ["阿部 花子", "山田 太郎"]


@pytest.mark.parametrize(
    "cell",
    [
        "０９０－１２３４－５６７８",
        "090ー1234ー5678",
        "090‐1234‐5678",
        "０９０−１２３４−５６７８",
        "（090）1234-5678",
        "090–1234–5678",
    ],
)
def test_full_width_digits_and_dashes(cell: str) -> None:
    phone = normalize(cell, "JP")
    assert isinstance(phone, Phone)
    assert phone.e164 == "+819012345678"
    assert fold_width("＋８６ １３８") == "+86 138"


def test_import_reads_reading_and_consent_columns() -> None:
    data = (
        "氏名,フリガナ,電話番号,同意取得元,同意日時\n"
        "山田 太郎,ヤマダ タロウ,０３－１２３４－５６７８,Web,2026/01/05 10:00\n"
    )
    with LeadCsvReader(io.BytesIO(data.encode("cp932")), default_region="JP") as reader:
        (lead,) = list(reader)
    assert not hasattr(lead, "reason")
    assert (lead.last_name, lead.first_name, lead.display_name) == ("山田", "太郎", "山田 太郎")  # type: ignore[union-attr]
    assert lead.name_reading == "ヤマダ タロウ"  # type: ignore[union-attr]
    assert lead.consent_source == "Web"  # type: ignore[union-attr]
    assert lead.consent_at is not None
    assert lead.consent_at.isoformat() == "2026-01-05T10:00:00+09:00"


def test_consent_time_formats() -> None:
    tokyo = ("Asia/Tokyo",)
    assert parse_consent_time("2026-01-05T10:00:00+00:00", tokyo) is not None
    assert parse_consent_time("２０２６－０１－０５", tokyo) is not None
    assert parse_consent_time("yesterday", tokyo) is None
