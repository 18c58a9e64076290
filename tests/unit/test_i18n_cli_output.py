"""The command line speaks the user's language (DIALER_LANG, else LC_ALL / LC_MESSAGES / LANG): `dialer service`,
`dialer ivr check`, `dialer campaign apply`, `dialer report` errors and the demo's printed lines go through the
catalogue; in Japanese, Simplified and Traditional Chinese no English catalogue sentence is printed (a scan like the
browser tests' DOM scan). The default stays English."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from harness.catalogue_scan import catalogue_misses
from harness.paths import REPO
from typer.testing import CliRunner, Result

from dialer.cli import app
from dialer.commands.demo import banner, finished_line, progress_line
from dialer.i18n import M_, current_locale, render, use_locale
from dialer.runner.state import RunnerCounters
from dialer.web.demo import login_lines

LOCALES = ["ja", "zh-CN", "zh-Hant"]
# A word of each language the commands below print: the output is in that language, not merely free of English.
MARKERS = {"ja": "書き込み", "zh-CN": "写入", "zh-Hant": "寫入"}


def run(args: list[str], lang: str, tmp_path: Path, **env: str) -> Result:
    """``dialer ARGS`` with ``LANG``; the language the command set is undone afterwards (one test, one language)."""
    environ = {
        "LANG": lang,
        "DIALER_LANG": "",
        "LC_ALL": "",
        "LC_MESSAGES": "",
        "DIALER_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
        "DIALER_VAR_DIR": str(tmp_path / "var"),
        **env,
    }
    with use_locale("en"):
        result = CliRunner().invoke(app, args, env=environ)
    assert current_locale() == "en"
    return result


def scan(output: str, locale: str) -> None:
    assert catalogue_misses(output, locale) == [], output


@pytest.mark.parametrize("locale", LOCALES)
def test_service_install_dry_run_in_the_users_language(locale: str, tmp_path: Path) -> None:
    lang = {"ja": "ja_JP.UTF-8", "zh-CN": "zh_CN.UTF-8", "zh-Hant": "zh_TW.UTF-8"}[locale]
    result = run(
        [
            "service",
            "install",
            "--dry-run",
            "--unit-dir",
            str(tmp_path / "units"),
            "--config-dir",
            str(tmp_path / "etc"),
        ],
        lang,
        tmp_path,
    )
    assert result.exit_code == 0, result.output
    assert "[Service]" in result.stdout  # the unit itself (stdout) is a file, not a sentence
    assert MARKERS[locale] in result.stderr
    scan(result.stderr, locale)


def test_service_install_is_english_by_default(tmp_path: Path) -> None:
    result = run(
        ["service", "install", "--dry-run", "--unit-dir", str(tmp_path / "u"), "--config-dir", str(tmp_path / "e")],
        "C.UTF-8",
        tmp_path,
    )
    assert "# would write" in result.output


FLOW = """
name = "t"
start = "a"
[prompts]
p = { text = "hello" }
unused = { text = "never" }
[nodes.a]
type = "play"
prompt = "p"
next = "b"
[nodes.b]
type = "hangup"
[nodes.lost]
type = "play"
prompt = "missing"
next = "nowhere"
"""


@pytest.mark.parametrize("locale", LOCALES)
def test_ivr_check_problems_in_the_users_language(locale: str, tmp_path: Path) -> None:
    flow = tmp_path / "flow.toml"
    flow.write_text(FLOW, encoding="utf-8")
    result = run(["ivr", "check", str(flow)], "", tmp_path, DIALER_LANG=locale)
    assert result.exit_code == 1, result.output
    expected = {"ja": "ノード 'lost'", "zh-CN": "节点 'lost'", "zh-Hant": "節點 'lost'"}[locale]
    assert expected in result.output
    scan(result.output, locale)
    good = tmp_path / "good.toml"
    good.write_text(FLOW.split("[nodes.lost]")[0].replace('unused = { text = "never" }\n', ""), encoding="utf-8")
    ok = run(["ivr", "check", str(good)], "", tmp_path, DIALER_LANG=locale)
    assert ok.exit_code == 0, ok.output
    scan(ok.output, locale)
    assert "ok (" not in ok.output


def test_ivr_check_json_keeps_english_messages(tmp_path: Path) -> None:
    flow = tmp_path / "flow.toml"
    flow.write_text(FLOW, encoding="utf-8")
    result = run(["ivr", "check", "--json", str(flow)], "", tmp_path, DIALER_LANG="ja")
    assert "is not defined in [prompts]" in result.output  # JSON is read by programs


@pytest.mark.parametrize("locale", LOCALES)
def test_campaign_apply_refusal_and_success_in_the_users_language(locale: str, tmp_path: Path) -> None:
    good = (REPO / "campaigns" / "demo-ja.toml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.toml"
    # Two faults of our own validators: a ring shorter than the minimum, fewer dials than attempts.
    bad.write_text(
        good.replace("ring_timeout_seconds = 22", "ring_timeout_seconds = 5\nmax_dials = 1"), encoding="utf-8"
    )
    result = run(["campaign", "apply", str(bad)], "", tmp_path, DIALER_LANG=locale)
    assert result.exit_code == 1, result.output
    assert {"ja": "エラー", "zh-CN": "错误", "zh-Hant": "錯誤"}[locale] in result.output
    assert "ring_timeout_seconds" in result.output  # the field is named as the file names it
    assert {"ja": "秒以上", "zh-CN": "最短振铃", "zh-Hant": "最短振鈴"}[locale] in result.output
    scan(result.output, locale)

    assert run(["db", "upgrade"], "", tmp_path).exit_code == 0
    path = tmp_path / "good.toml"
    path.write_text(good, encoding="utf-8")
    created = run(["campaign", "apply", str(path)], "", tmp_path, DIALER_LANG=locale)
    assert created.exit_code == 0, created.output
    scan(created.output, locale)
    again = run(["campaign", "apply", str(path)], "", tmp_path, DIALER_LANG=locale)
    scan(again.output, locale)
    assert "demo-ja" in again.output


@pytest.mark.parametrize("locale", LOCALES)
def test_report_errors_in_the_users_language(locale: str, tmp_path: Path) -> None:
    assert run(["db", "upgrade"], "", tmp_path).exit_code == 0
    unknown = run(["report", "compliance", "--campaign", "nope"], "", tmp_path, DIALER_LANG=locale)
    assert unknown.exit_code == 1
    assert "nope" in unknown.output
    scan(unknown.output, locale)
    dates = run(["report", "performance", "--campaign", "nope", "--from", "soon"], "", tmp_path, DIALER_LANG=locale)
    assert "YYYY-MM-DD" in dates.output
    scan(dates.output, locale)
    both = run(["report", "ivr", "--json", "--csv"], "", tmp_path, DIALER_LANG=locale)
    scan(both.output, locale)
    purge = run(["report", "purge-calls"], "", tmp_path, DIALER_LANG=locale)
    assert purge.exit_code == 0, purge.output
    scan(purge.output, locale)


def counters(**values: int) -> Any:
    c = RunnerCounters()
    for k, v in values.items():
        setattr(c, k, v)
    return c


@pytest.mark.parametrize("locale", LOCALES)
def test_the_demos_printed_lines(locale: str, tmp_path: Path) -> None:
    with use_locale(locale):
        lines = "\n".join(
            [
                banner(
                    "demo-ja",
                    leads=60,
                    agents=4,
                    pbx="x",
                    base_url="http://127.0.0.1:8080",
                    status_cli="dialer",
                    cli="dialer",
                    agentless="campaigns/leads/reminder.csv",
                    log_path=tmp_path / "demo.log",
                ),
                progress_line(
                    "demo-ja",
                    dialling=3,
                    talking=2,
                    ready=1,
                    counters=counters(attempts=9, connected=4),
                    not_dialling=("no_agents", render(M_("no agent logged in and unpaused"))),
                ),
                finished_line({"attempts": 9, "connected": 4, "abandoned": 0, "abandon_rate": 0.0}),
                *login_lines("http://127.0.0.1:8080", ["agent01", "agent04"], "dlr_x"),
            ]
        )
    assert "dialer report compliance --campaign demo-ja" in lines  # commands are printed as they are typed
    assert "no_agents — " in lines  # the why-not code stays a code, the sentence beside it is translated
    scan(lines, locale)
    with use_locale("en"):
        english = finished_line({})
        assert english.startswith("demo finished: 0 attempts")
    assert catalogue_misses(english, locale) != []  # the scan does see an English line


@pytest.mark.parametrize("locale", LOCALES)
def test_dnc_refusals_in_the_users_language(locale: str, tmp_path: Path) -> None:
    result = run(["dnc", "check", "12", "--region", "JP"], "", tmp_path, DIALER_LANG=locale)
    assert result.exit_code == 1, result.output
    assert "'12'" in result.output
    assert {"ja": "短すぎます", "zh-CN": "太短", "zh-Hant": "太短"}[locale] in result.output
    scan(result.output, locale)
    missing = run(["dnc", "import", str(tmp_path / "none.csv")], "", tmp_path, DIALER_LANG=locale)
    assert missing.exit_code != 0
    scan(missing.output, locale)


@pytest.mark.parametrize("locale", LOCALES)
def test_database_and_user_commands_in_the_users_language(locale: str, tmp_path: Path) -> None:
    upgraded = run(["db", "upgrade"], "", tmp_path, DIALER_LANG=locale)
    assert upgraded.exit_code == 0, upgraded.output
    scan(upgraded.output, locale)
    status = run(["db", "current"], "", tmp_path, DIALER_LANG=locale)
    scan(status.output, locale)
    assert {"ja": "リビジョン", "zh-CN": "修订版本", "zh-Hant": "修訂版本"}[locale] in status.output
    nobody = run(["user", "token", "nobody"], "", tmp_path, DIALER_LANG=locale)
    assert nobody.exit_code != 0
    scan(nobody.output, locale)
