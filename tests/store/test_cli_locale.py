"""The command line in the CLI's language (DIALER_LANG / LANG) and zone (DIALER_TZ / TZ): dnc, users, lists."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness.cli import run
from typer.testing import CliRunner

CAMPAIGN = """
name = "jp-sales"
queue = "sales"
trunk = "PJSIP/{number}@carrier"
caller_id = { number = "+14155550100", name = "Acme" }
timezone = "Asia/Tokyo"
"""


def applied_in_c_locale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """LANG=C.UTF-8, then the jp-sales campaign applied: the runner."""
    cli = CliRunner()
    path = tmp_path / "jp.toml"
    path.write_text(CAMPAIGN, encoding="utf-8")
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert run(cli, "campaign", "apply", str(path))[0] == 0
    return cli


def test_cli_sentences_and_times_in_japanese(
    settings_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIALER_LANG", "")
    cli = applied_in_c_locale(tmp_path, monkeypatch)
    assert run(cli, "dnc", "add", "+14155550199")[1].strip() == "+14155550199 added to the global list"
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    monkeypatch.setenv("DIALER_TZ", "Asia/Tokyo")
    assert run(cli, "dnc", "add", "+14155550199")[1].strip() == "+14155550199 はすでに全体リストにあります"
    code, out, _ = run(cli, "dnc", "check", "+14155550199")
    assert code == 0
    assert out.startswith("+14155550199 は全体リストにあります（")
    assert " JST から、manual）" in out  # the time: Babel, Japanese, in Tokyo
    assert run(cli, "lists", "show", "--campaign", "jp-sales")[1].strip() == "リストはありません"
    code, out, _ = run(cli, "user", "add", "sato", "--role", "manager", "--password", "long-enough-1")
    assert (code, out.strip()) == (0, "ユーザー sato（manager）を作成しました")
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert run(cli, "dnc", "remove", "+14155550199")[1].strip() == "已将 +14155550199 从全局名单中移除"


def test_report_times_in_dialer_tz_else_the_campaigns_zone(
    settings_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in ("DIALER_LANG", "DIALER_TZ", "TZ"):
        monkeypatch.delenv(key, raising=False)
    cli = applied_in_c_locale(tmp_path, monkeypatch)
    args = ("report", "compliance", "--campaign", "jp-sales", "--from", "2026-01-05", "--to", "2026-01-06")
    out = run(cli, *args)[1]
    assert "range: Jan 5, 2026, 9:00:00\u202fAM JST → " in out  # the campaign's zone
    monkeypatch.setenv("DIALER_TZ", "Europe/London")
    out = run(cli, *args)[1]
    assert "range: Jan 5, 2026, 12:00:00\u202fAM GMT → " in out  # the reader's own zone wins
