"""The rejected-rows CSV of a lead import is in the importer's language: its column headers and each row's detail
(a bad number, a number repeated in the file) follow LANG / DIALER_LANG on the command line; the ``reason`` codes
never change (numbers on DNC or already in the campaign are counted, not listed). Written with a BOM (Excel opens
CJK right)."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from harness.catalogue_scan import catalogue_misses
from harness.cli import CAMPAIGN, LEADS, run
from typer.testing import CliRunner

from dialer.i18n import use_locale

CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
HEADERS = {
    "en": ["row", "line", "reason", "detail"],
    "ja": ["データ行", "ファイル行", "理由コード", "詳細"],
    "zh-CN": ["数据行", "文件行", "原因代码", "详情"],
    "zh-Hant": ["資料列", "檔案行", "原因代碼", "詳情"],
}


def rejected_rows(cli: CliRunner, tmp_path: Path, locale: str, monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    monkeypatch.setenv("DIALER_LANG", locale)
    campaign = tmp_path / "spring.toml"
    campaign.write_text(CAMPAIGN, encoding="utf-8")
    leads = tmp_path / "leads.csv"
    leads.write_text(LEADS, encoding="utf-8")
    with use_locale("en"):
        assert run(cli, "campaign", "apply", str(campaign))[0] == 0
        assert run(cli, "dnc", "add", "415-555-0103", "--reason", "asked")[0] == 0
        code, out, err = run(cli, "leads", "import", "--campaign", "spring-sale", str(leads))
    assert code == 0, err
    raw = Path(json.loads(out)["errors_file"]).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(raw.decode("utf-8-sig").splitlines()))


@pytest.mark.parametrize("locale", ["en", "ja", "zh-CN", "zh-Hant"])
def test_the_rejected_rows_file_is_in_the_importers_language(
    cli: CliRunner, tmp_path: Path, locale: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    header, *rows = rejected_rows(cli, tmp_path, locale, monkeypatch)
    assert header == [*HEADERS[locale], "phone", "first_name", "last_name", "zip", "company"]
    assert sorted(row[2] for row in rows) == ["duplicate", "invalid_phone"]  # codes, in every language
    for row in rows:
        detail = row[3]
        if locale == "en":
            assert not CJK.search(detail), row
        else:
            assert CJK.search(detail), row
            assert catalogue_misses(detail, locale) == [], row
