"""Traditional Chinese (zh-Hant) for Taiwan and Hong Kong centres: locale negotiation (zh-TW, zh-HK, zh-MO,
zh-Hant-* → zh-Hant; zh, zh-CN, zh-SG, zh-Hans-* → zh-CN), the catalogue, Babel's formats for the locale."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dialer.i18n import (
    LOCALES,
    _,
    catalog_json,
    cli_locale,
    format_datetime,
    format_duration,
    format_seconds,
    negotiate,
    normalize_locale,
    use_locale,
)
from dialer.i18n.catalog import check


@pytest.mark.parametrize(
    ("tag", "locale"),
    [
        ("zh-TW", "zh-Hant"),
        ("zh_TW", "zh-Hant"),
        ("zh-HK", "zh-Hant"),
        ("zh-MO", "zh-Hant"),
        ("zh-Hant", "zh-Hant"),
        ("zh-hant-hk", "zh-Hant"),
        ("zh", "zh-CN"),
        ("zh-CN", "zh-CN"),
        ("zh-SG", "zh-CN"),
        ("zh-Hans-HK", "zh-CN"),
        ("ja-JP", "ja"),
        ("fr", None),
    ],
)
def test_chinese_tags_choose_the_script(tag: str, locale: str | None) -> None:
    assert normalize_locale(tag) == locale


def test_accept_language_and_the_command_line() -> None:
    assert "zh-Hant" in LOCALES
    assert negotiate(None, "zh-TW,zh;q=0.9,en;q=0.5") == "zh-Hant"
    assert negotiate(None, "fr-FR, zh-HK;q=0.8") == "zh-Hant"
    assert negotiate("zh-CN", "zh-TW") == "zh-CN"  # the user's own setting wins
    assert cli_locale({"LANG": "zh_TW.UTF-8"}) == "zh-Hant"
    assert cli_locale({"LANG": "zh_HK.Big5"}) == "zh-Hant"


def test_the_catalogue_is_complete_and_traditional() -> None:
    assert [p for p in check(["zh-Hant"])] == []
    hant = catalog_json("zh-Hant")
    simplified = catalog_json("zh-CN")
    assert len(hant) == len(simplified)
    with use_locale("zh-Hant"):
        assert _("Password") == "密碼"
        assert _("Ready") == "就緒"
    # No message left in Simplified-only characters where Traditional ones exist.
    simplified_only = set("们这说时话应设线报务为发")
    leftovers = [k for k, v in hant.items() if isinstance(v, str) and simplified_only & set(v)]
    assert leftovers == []


def test_babel_formats_for_taiwan() -> None:
    at = datetime(2026, 12, 4, 13, 5, tzinfo=UTC)
    assert format_datetime(at, "Asia/Taipei", locale="zh-Hant") == "2026年12月4日 晚上9:05:00 CST"
    assert format_seconds(12, locale="zh-Hant") == "12 秒"
    assert format_duration(timedelta(minutes=3), locale="zh-Hant") == "3 分鐘"
