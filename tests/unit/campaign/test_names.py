"""Names: family/given order by script, the display form, the reading for sorting; full-width phone numbers."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialer.campaign.leadimport import LeadCsvReader, parse_consent_time
from dialer.campaign.names import (
    CHINESE_COMPOUND_SURNAMES,
    display_name,
    is_cjk_name,
    name_language,
    sort_key,
    split_full_name,
)
from dialer.campaign.phones import Phone, fold_width, normalize


@pytest.mark.parametrize(
    ("full", "parts", "shown"),
    [
        ("山田 太郎", ("山田", "太郎"), "山田 太郎"),
        ("山田\u3000太郎", ("山田", "太郎"), "山田 太郎"),  # ideographic space
        ("王 伟", ("王", "伟"), "王 伟"),
        ("やまだ たろう", ("やまだ", "たろう"), "やまだ たろう"),
        ("ヤマダ タロウ", ("ヤマダ", "タロウ"), "ヤマダ タロウ"),
        ("山田太郎", ("山田", "太郎"), "山田 太郎"),  # no space: the Japanese name divider finds the boundary
        ("やまだたろう", ("やまだたろう", ""), "やまだたろう"),  # kana only, no space: no boundary to find
        ("欧阳修", ("欧阳", "修"), "欧阳 修"),
        ("王小明", ("王", "小明"), "王 小明"),
        ("김철수", ("김", "철수"), "김 철수"),
        ("남궁민수", ("남궁", "민수"), "남궁 민수"),
        ("John Smith", ("Smith", "John"), "John Smith"),
        ("Mary Ann Smith", ("Smith", "Mary Ann"), "Mary Ann Smith"),
        ("Smith, John", ("Smith", "John"), "John Smith"),
        ("Cher", ("Cher", ""), "Cher"),
    ],
)
def test_split_and_display(full: str, parts: tuple[str, str], shown: str) -> None:
    assert split_full_name(full) == parts
    assert display_name(*parts) == shown


@pytest.mark.parametrize(
    ("full", "region", "parts"),
    [
        ("山田太郎", "JP", ("山田", "太郎")),
        ("鈴木一郎", None, ("鈴木", "一郎")),
        ("佐々木小次郎", "JP", ("佐々木", "小次郎")),
        ("中曽根康弘", "JP", ("中曽根", "康弘")),
        ("長谷川一", "JP", ("長谷川", "一")),
        ("田中実", "JP", ("田中", "実")),
        ("竈門炭治郎", None, ("竈門", "炭治郎")),
        ("欧阳修", None, ("欧阳", "修")),  # 阳: not a character of Japanese names (outside CP932)
        ("歐陽修", "TW", ("歐陽", "修")),
        ("司马迁", None, ("司马", "迁")),
        ("司馬遷", "CN", ("司馬", "遷")),
        ("诸葛亮", None, ("诸葛", "亮")),
        ("王伟", "CN", ("王", "伟")),
        ("张伟", None, ("张", "伟")),
        ("李小龍", "HK", ("李", "小龍")),
        ("田中实", "CN", ("田", "中实")),  # a Chinese number: Chinese rules (田 family name, 中实 given)
        ("山", "JP", ("山", "")),
    ],
)
def test_split_unspaced_cjk(full: str, region: str | None, parts: tuple[str, str]) -> None:
    assert split_full_name(full, region) == parts


def test_language_of_an_unspaced_name() -> None:
    assert name_language("やまだ太郎") == "ja"
    assert name_language("山田太郎", "CN") == "zh"  # the number's country decides
    assert name_language("欧阳修") == "zh"
    assert name_language("上官婉儿") == "zh"
    assert name_language("山田太郎") == "ja"
    assert name_language("김철수", "JP") == "ko"


_HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
_SINGLE = st.sampled_from(list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘于蒋蔡余杜"))


@given(family=st.sampled_from(sorted(CHINESE_COMPOUND_SURNAMES)), given_name=st.text(_HAN, min_size=1, max_size=2))
def test_chinese_compound_family_names_split_off(family: str, given_name: str) -> None:
    assert split_full_name(family + given_name, "CN") == (family, given_name)


@given(family=_SINGLE, given_name=st.text(_HAN, min_size=1, max_size=2))
def test_chinese_single_family_names_split_off(family: str, given_name: str) -> None:
    if (family + given_name)[:2] in CHINESE_COMPOUND_SURNAMES and len(given_name) > 1:
        return  # 司 + 马X reads as the compound 司马: another name
    assert split_full_name(family + given_name, "CN") == (family, given_name)


@given(
    name=st.text(st.characters(min_codepoint=0x3041, max_codepoint=0x9FFF), min_size=1, max_size=8),
    region=st.sampled_from([None, "JP", "CN", "TW", "US"]),
)
def test_an_unspaced_cjk_split_loses_nothing(name: str, region: str | None) -> None:
    family, given_name = split_full_name(name, region)
    assert family + given_name == "".join(name.split())
    assert family


@given(family=st.text(_HAN, min_size=1, max_size=3), given_name=st.text(_HAN, min_size=1, max_size=3))
def test_a_spaced_cjk_name_keeps_its_parts(family: str, given_name: str) -> None:
    for region in (None, "JP", "CN"):
        assert split_full_name(f"{family} {given_name}", region) == (family, given_name)
        assert split_full_name(f"{family}\u3000{given_name}", region) == (family, given_name)


def test_import_splits_an_unspaced_name_by_the_number_country() -> None:
    data = "name,phone\n山田太郎,03-1234-5678\n欧阳修,+86 138 0013 8000\n"
    with LeadCsvReader(io.BytesIO(data.encode("utf-8")), default_region="JP") as reader:
        leads = list(reader)
    assert [(lead.last_name, lead.first_name, lead.display_name) for lead in leads] == [  # type: ignore[union-attr]
        ("山田", "太郎", "山田 太郎"),
        ("欧阳", "修", "欧阳 修"),
    ]


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
