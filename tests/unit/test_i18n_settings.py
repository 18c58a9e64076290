"""The settings' refusals in the CLI's language (issue 19): a missing config file, a broken TOML file and pydantic's
refusals of the settings (said with the sentences the API uses, dialer.i18n.validation) reach a ja / zh-CN operator
without English words; English stays the default."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from harness.catalogue_scan import catalogue_misses
from typer.testing import CliRunner

from dialer.cli import app
from dialer.i18n import use_locale

CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
LANGS = {"ja": "ja_JP.UTF-8", "zh-CN": "zh_CN.UTF-8", "zh-Hant": "zh_TW.UTF-8"}
# Names that stay as they are in every language: formats, URL schemes, settings, a command.
TECHNICAL = {
    "domain",
    "https",
    "crm",
    "example",
    "com",
    "TOML",
    "UTF",
    "sqlite",
    "aiosqlite",
    "postgresql",
    "asyncpg",
    "database_url",
    "chmod",
    "ami",
}


def english_words(text: str) -> list[str]:
    """Latin words of three letters or more, past each line's setting name (``http.port: ...``: a code)."""
    words: list[str] = []
    for line in text.splitlines():
        unquoted = re.sub(r"'[^']*'", "", re.sub(r"^\s*[\w.]+[:：] ", "", line))
        words += [w for w in re.findall(r"[A-Za-z_]{3,}", unquoted) if w not in TECHNICAL]
    return words


def said(config: Path, lang: str) -> str:
    env = {"LANG": lang, "DIALER_LANG": "", "LC_ALL": "", "LC_MESSAGES": "", "DIALER_CONFIG": ""}
    with use_locale("en"):
        result = CliRunner().invoke(app, ["--config", str(config), "status"], env=env)
    assert result.exit_code == 1, result.output
    return result.output.replace(str(config), "'FILE'")


@pytest.fixture
def configs(tmp_path: Path) -> dict[str, Path]:
    bad = tmp_path / "bad.toml"
    bad.write_text('database_url = "mysql://db"\n[http]\nport = "abc"\n\n[[ami]]\nname = "a"\n[[ami]]\nname = "a"\n')
    hooks = tmp_path / "hooks.toml"
    hooks.write_text('[webhooks]\nallowed_destinations = ["https://crm.example.com/x"]\n')
    broken = tmp_path / "broken.toml"
    broken.write_text("log_level = \n")
    return {"bad": bad, "hooks": hooks, "broken": broken, "missing": tmp_path / "missing.toml"}


def test_settings_refusals_are_english_by_default(configs: dict[str, Path]) -> None:
    assert "config file 'FILE' does not exist" in said(configs["missing"], "C")
    assert "not valid TOML at line 1, column 13: a value is expected" in said(configs["broken"], "C")
    text = said(configs["bad"], "C")
    assert "invalid settings" in text
    assert "http.port: a whole number is expected" in text
    assert "database_url: database_url must start with" in text
    assert not CJK.search(text)


@pytest.mark.parametrize("locale", list(LANGS))
def test_settings_refusals_are_said_in_the_clis_language(configs: dict[str, Path], locale: str) -> None:
    for name, config in configs.items():
        text = said(config, LANGS[locale])
        assert CJK.search(text), (name, text)
        assert not english_words(text), (locale, name, text)
        assert catalogue_misses(text, locale) == [], (locale, name, text)
    assert "http.port" in said(configs["bad"], LANGS[locale])  # the setting's name stays a name
