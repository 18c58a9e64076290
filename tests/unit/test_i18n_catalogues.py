"""The catalogues match the code (no missing, untranslated, fuzzy or stale message, placeholders unchanged), locale
negotiation, template translation and per-locale formatting."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog

from dialer.i18n import (
    LOCALES,
    _,
    catalog_json,
    format_datetime,
    format_duration,
    format_percent,
    negotiate,
    translations,
    use_locale,
)
from dialer.i18n.catalog import check, extract
from dialer.i18n.html import segments, translate_html
from dialer.web.i18n import translated_template
from dialer.web.layout import TEMPLATES, page_text


def test_no_catalogue_has_a_missing_or_stale_message() -> None:
    problems = check()
    assert problems == [], "\n".join(problems[:40]) + "\n(run `python -m dialer.i18n update`, then translate)"


@pytest.fixture(scope="module")
def extracted() -> Catalog:
    """The messages of the code (extracted once for this module's tests: it reads every source file)."""
    return extract()


def test_extraction_covers_python_scripts_and_templates(extracted: Catalog) -> None:
    where = {loc.split(":")[0] for m in extracted for loc, _line in m.locations}
    assert any(w.endswith(".py") for w in where)
    assert any(w.endswith("console.js") for w in where)
    assert any(w.endswith("dashboard.js") for w in where)
    assert any(w.endswith("login.html") for w in where)


# A script's t("...") / tn("...") call with a literal first argument.
_SCRIPT_CALL = re.compile(r'\b(?:t|tn)\(\s*"((?:[^"\\\n]|\\.)*)"')


def test_every_script_message_is_extracted(extracted: Catalog) -> None:
    """Each t("...") / tn("...") literal of a browser script is a catalogue message: Babel's script extractor misses a
    call inside another call's arguments or deep in a template literal (the reader then sees the English)."""
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in extracted if m.id}
    missed = []
    for script in sorted((TEMPLATES.parent / "static").glob("*.js")):
        text = script.read_text(encoding="utf-8")
        for m in _SCRIPT_CALL.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            if text.splitlines()[line - 1].lstrip().startswith("//"):
                continue  # a comment's example
            if json.loads(f'"{m.group(1)}"') not in ids:
                missed.append(f"{script.name}:{line}: {m.group(1)}")
    assert missed == [], "hoist the call into a variable of its own so the extractor sees it:\n" + "\n".join(missed)


def test_script_keywords_do_not_apply_to_python(tmp_path: Path) -> None:
    """``t(...)`` marks a message in a browser script only: Python's ``t["id"]`` (a row) is no message."""
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "page.js").write_text('t("Ready"); tn("{n} call", "{n} calls", 2);\n')
    (tmp_path / "rows.py").write_text('names = [t["name"] for t in rows]\nlabel = _("Sign in")\n')
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in extract(tmp_path) if m.id}
    assert ids == {"Ready", "{n} call", "Sign in"}


@pytest.mark.parametrize(
    ("setting", "header", "expected"),
    [
        (None, "ja-JP,ja;q=0.9,en;q=0.8", "ja"),
        (None, "fr-FR, zh-Hans-CN;q=0.7, en;q=0.5", "zh-CN"),
        (None, "zh-CN", "zh-CN"),
        (None, "en-GB;q=0.4, ja;q=0.8", "ja"),
        (None, "de, fr", "en"),
        (None, None, "en"),
        ("ja", "zh-CN", "ja"),  # the user's setting wins
        ("en", "ja", "en"),
        ("xx", "ja;q=0", "en"),  # q=0 means "not this one"
    ],
)
def test_negotiation(setting: str | None, header: str | None, expected: str) -> None:
    assert negotiate(setting, header) == expected


@pytest.mark.parametrize("locale", [loc for loc in LOCALES if loc != "en"])
@pytest.mark.parametrize("template", ["login.html", "console.html", "dashboard.html"])
def test_every_template_message_is_translated(locale: str, template: str) -> None:
    text = translated_template(template, locale)
    assert f'<html lang="{locale}">' in text
    english = page_text(template)
    untranslated = [s.msgid for s in segments(text) if s.msgid in {x.msgid for x in segments(english)}]
    # Only names that are the same in every language may stay (the product name, "API").
    assert set(untranslated) <= {"Dialer", "API"}, untranslated


def test_translate_html_keeps_markup_placeholders_and_escapes() -> None:
    page = '<html lang="en"><title>Hi · $user</title><p title="live connection">Ready <kbd>Alt+R</kbd></p></html>'
    out = translate_html(
        page, {"Hi · $user": "<b>やあ</b> · $user", "live connection": 'a"b', "Ready": "受付可"}.get, "ja"
    )
    assert out == (
        '<html lang="ja"><title>&lt;b&gt;やあ&lt;/b&gt; · $user</title>'
        '<p title="a&quot;b">受付可 <kbd>Alt+R</kbd></p></html>'
    )


def test_python_messages_follow_the_current_locale() -> None:
    with use_locale("ja"):
        assert _("Not Found") == "見つかりません"
    with use_locale("zh-CN"):
        assert _("Not Found") == "未找到"
    assert _("Not Found") == "Not Found"
    assert translations("ja").gettext("Ready") == "受付可"
    assert catalog_json("zh-CN")["Ready"] == "就绪"


def test_formatting_per_locale() -> None:
    at = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    assert format_datetime(at, "Asia/Tokyo", locale="ja") == "2026/03/02 11:00:00 JST"
    assert format_datetime(at, "Asia/Shanghai", locale="zh-CN").startswith("2026年3月2日 10:00:00")
    assert format_datetime(at, "America/New_York", locale="en").startswith("Mar 1, 2026, 9:00:00")
    assert format_duration(timedelta(minutes=3), locale="ja") == "3 分"
    assert format_duration(timedelta(minutes=3), locale="zh-CN") == "3分钟"
    assert format_percent(0.027, locale="ja") == "2.7%"
