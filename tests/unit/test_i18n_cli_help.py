"""``dialer --help`` in the user's language: the commands', options' and arguments' help texts and Typer's own words
(the Options / Commands panels, [required]) come from the catalogue; the language is LANG (DIALER_LANG, LC_*) or
the root ``--locale``, decided before the eager ``--help`` runs. English stays the default."""

from __future__ import annotations

import re

import pytest
from harness.catalogue_scan import catalogue_misses
from typer.testing import CliRunner, Result

from dialer.calls.outcome import Outcome
from dialer.cli import app
from dialer.i18n import current_locale, use_locale

CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
LANGS = {"ja": "ja_JP.UTF-8", "zh-CN": "zh_CN.UTF-8", "zh-Hant": "zh_TW.UTF-8"}
PANELS = {"ja": ("オプション", "コマンド"), "zh-CN": ("选项", "命令"), "zh-Hant": ("選項", "命令")}
QUIET = {"DIALER_LANG": "", "LC_ALL": "", "LC_MESSAGES": ""}
OPTION_HELP = {"ja": "ファイルの文字コード", "zh-CN": "文件编码", "zh-Hant": "檔案編碼"}
SHOWN = {
    "ja": "キャンペーンファイルの適用",
    "zh-CN": "应用活动文件",
    "zh-Hant": "應用活動檔案",
}


# Names that stay as they are: the program, its commands and options (a code the user types), the help option.
_TYPED = re.compile(r"'[^']*'|\{\w+\}|--?[\w-]+|\bdialer(?: [a-z][a-z-]*)*")


def english_words(text: str) -> list[str]:
    """Latin words of three letters or more outside what the user types (commands, options, quoted values)."""
    return re.findall(r"[A-Za-z]{3,}", _TYPED.sub("", text))


def help_of(args: list[str], **env: str) -> Result:
    environ = {"LANG": "C", "DIALER_LANG": "", "LC_ALL": "", "LC_MESSAGES": "", **env}
    with use_locale("en"):
        result = CliRunner().invoke(app, [*args, "--help"], env=environ)
    assert current_locale() == "en"
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.parametrize("locale", list(LANGS))
def test_help_follows_lang(locale: str) -> None:
    root = help_of([], LANG=LANGS[locale]).output
    options, commands = PANELS[locale]
    assert options in root
    assert commands in root
    assert SHOWN[locale] in root
    assert "Show this message and exit." not in root
    assert catalogue_misses(root, locale) == [], root
    for args in (["campaign"], ["report"], ["db"], ["campaign", "apply"], ["leads", "import"], ["user", "add"]):
        text = help_of(args, LANG=LANGS[locale]).output
        assert CJK.search(text.split("╭")[0]), text  # the description
        assert catalogue_misses(text, locale) == [], text
        assert PANELS[locale][0] in text
    assert OPTION_HELP[locale] in help_of(["leads", "import"], LANG=LANGS[locale]).output


def test_the_root_locale_option_wins_over_the_environment_even_for_help() -> None:
    text = help_of(["--locale", "ja", "campaign"], LANG="zh_CN.UTF-8").output
    assert "キャンペーンを状態と発信モードとともに一覧表示します。" in text
    text = help_of(["--locale=zh-TW"], LANG="ja_JP.UTF-8").output
    assert "用於 Asterisk 的預測式外呼撥號器" in text


def test_english_is_the_default_and_languages_do_not_leak_between_runs() -> None:
    assert "キャンペーン" in help_of([], DIALER_LANG="ja").output
    english = help_of([]).output
    assert "Predictive outbound dialer for Asterisk" in english
    assert "Options" in english
    assert "Show this message and exit." in english
    assert not CJK.search(english)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["campaign", "nope"], {"ja": "そのようなコマンドはありません: 'nope'", "zh-CN": "没有这个命令：'nope'"}),
        (["campaign", "apply"], {"ja": "引数 'file' がありません", "zh-CN": "缺少参数 'file'"}),
        (
            ["campaign", "list", "--nope"],
            {"ja": "そのようなオプションはありません: --nope", "zh-CN": "没有这个选项：--nope"},
        ),
        (["campaign", "list", "extra"], {"ja": "余分な引数があります: extra", "zh-CN": "多余的参数：extra"}),
        (
            ["leads", "import", "--campaign"],
            {"ja": "オプション '--campaign' には値が必要です", "zh-CN": "选项 '--campaign' 需要一个值"},
        ),
        (
            ["demo", "--agents", "x"],
            {"ja": "'--agents' の値が正しくありません: 整数", "zh-CN": "'--agents' 的值无效：应为整数"},
        ),
        (
            ["demo", "--agents", "0"],
            {"ja": "'--agents' の値が正しくありません: 1 以上", "zh-CN": "'--agents' 的值无效："},
        ),
        (["demo", "--for", "soon"], {"ja": "'--for' の値が正しくありません: 数値", "zh-CN": "'--for' 的值无效："}),
        (
            ["lists", "recycle", "--campaign", "zz", "--rule", "nope:3d"],
            {"ja": "値が正しくありません: 'nope' は結果の種類ではありません", "zh-CN": "值无效：'nope' 不是结果类型"},
        ),
        (
            ["lists", "recycle", "--campaign", "zz", "--rule", "busy:soon"],
            {"ja": "結果:経過時間 の形で指定してください", "zh-CN": "请按 结果:时长 的格式填写"},
        ),
        (
            ["report", "calls", "--format", "csv"],
            {
                "ja": "そのようなオプションはありません: --format（使えるオプション: --from）",
                "zh-CN": "（可用的选项：--from）",
            },
        ),
    ],
)
def test_usage_errors_are_said_in_the_users_language(args: list[str], said: dict[str, str]) -> None:
    for locale, text in said.items():
        with use_locale("en"):
            result = CliRunner().invoke(app, args, env={**QUIET, "LANG": LANGS[locale]})
        assert result.exit_code == 2, result.output
        assert text in " ".join(result.output.replace("│", " ").split()), result.output
        typed = result.output
        for arg in args:  # what the user typed is shown as typed
            typed = typed.replace(arg, "")
        for outcome in Outcome:  # codes (the outcomes a rule may name)
            typed = re.sub(rf"\b{outcome.value}\b", "", typed)
        assert not english_words(typed), (locale, result.output)
        assert catalogue_misses(result.output, locale) == [], result.output
    with use_locale("en"):
        english = CliRunner().invoke(app, args, env={**QUIET, "LANG": "C"}).output
    assert not CJK.search(english), english  # click's own English words


@pytest.mark.parametrize("locale", ["ja", "zh-CN", "zh-Hant"])
def test_the_usage_line_is_in_the_users_language(locale: str) -> None:
    usage = {
        "ja": "使い方: dialer campaign [オプション] コマンド [引数]...",
        "zh-CN": "用法：dialer campaign [选项] 命令 [参数]...",
    }
    text = help_of(["campaign"], LANG=LANGS[locale]).output
    assert "Usage:" not in text, text
    assert "[OPTIONS]" not in text, text
    if locale in usage:
        assert usage[locale] in text, text
    with use_locale("en"):
        error = CliRunner().invoke(app, ["campaign", "apply"], env={**QUIET, "LANG": LANGS[locale]}).output
    assert "Usage:" not in error, error
    assert "[OPTIONS]" not in error, error
    assert not english_words(error), error
    assert "Usage: dialer campaign [OPTIONS] COMMAND [ARGS]..." in help_of(["campaign"]).output


@pytest.mark.parametrize("locale", ["en", *LANGS])
def test_settings_tables_named_in_help_are_shown_as_written(locale: str) -> None:
    """Typer reads help as Rich markup: a ``[smtp]`` or ``[[pause_codes]]`` in it must not be taken for a style."""
    env = {"LANG": LANGS.get(locale, "C")}
    for args, table in (
        (["ivr", "check"], "[ivr]"),
        (["report", "schedule"], "[smtp]"),
        (["report", "inbound"], "[inbound_service_level]"),
        (["report", "agents"], "[[pause_codes]]"),
    ):
        text = " ".join(help_of(args, COLUMNS="200", **env).output.split())
        assert table in text, (args, text)
