"""Extract the messages (Python, browser scripts, HTML templates), merge them into the catalogues, check them.

``python -m dialer.i18n update`` rewrites every ``locales/<ll>/LC_MESSAGES/dialer.po`` from a fresh extraction:
new messages appear with an empty translation, messages no longer in the code are dropped. ``python -m dialer.i18n
check`` (and the test suite) fail when a catalogue misses a translation, keeps a message the code no longer has,
or changes a placeholder (``$name``, ``{name}``, ``%(name)s``, ``%s``)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from itertools import chain
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

from dialer.i18n import DEFAULT_LOCALE, DOMAIN, LOCALE_NAMES, LOCALES, catalog_path, gettext_name

PACKAGE = Path(__file__).resolve().parent.parent  # dialer/
SCRIPT_METHOD_MAP = [("**/static/**.js", "javascript")]
SCRIPT_OPTIONS_MAP = {"**/static/**.js": {"parse_template_string": "false"}}
# ``t``/``tn`` are the browser scripts' functions only: in Python a variable named ``t`` (``t["id"]``) is no message.
SCRIPT_KEYWORDS = {**DEFAULT_KEYWORDS, "t": None, "tn": (1, 2)}
# ``M_("... {name}", name=value)``: a Message translated where it is shown (dialer.i18n.Message).
SERVER_KEYWORDS = {**DEFAULT_KEYWORDS, "M_": None}
SERVER_METHOD_MAP = [
    ("**/static/**", "ignore"),
    ("**/templates/**.html", "dialer.i18n.html:extract_html"),
    ("**.py", "python"),
]
_PLACEHOLDERS = re.compile(r"\$\{?[A-Za-z_]\w*\}?|\{[A-Za-z_]\w*\}|%\([A-Za-z_]\w*\)[sd]|%[sd]")


def extract(root: Path = PACKAGE) -> Catalog:
    """Every message of the package, with where it is used."""
    template = Catalog(domain=DOMAIN, project="dialer", creation_date=datetime(2026, 1, 1, tzinfo=UTC))
    found = chain(
        extract_from_dir(
            str(root),
            SCRIPT_METHOD_MAP,
            SCRIPT_OPTIONS_MAP,
            SCRIPT_KEYWORDS,
            comment_tags=("i18n:",),
            strip_comment_tags=True,
        ),
        extract_from_dir(
            str(root), SERVER_METHOD_MAP, {}, SERVER_KEYWORDS, comment_tags=("i18n:",), strip_comment_tags=True
        ),
    )
    for filename, lineno, message, comments, context in found:
        if not message or (isinstance(message, tuple) and not message[0]):
            continue
        template.add(message, None, [(f"dialer/{filename}", lineno)], auto_comments=comments, context=context)
    for text, where in _cli_help() if root == PACKAGE else ():
        template.add(text, None, [("dialer/cli.py", 0)], auto_comments=[f"--help of {where}"])
    return template


def _cli_help() -> list[tuple[str, str]]:
    """The command line's help texts (docstrings and ``help=`` of the commands), read from the built tree."""
    import typer.main

    from dialer.cli import app
    from dialer.i18n.clihelp import help_messages

    return list(help_messages(typer.main.get_command(app)))


def _read(locale: str) -> Catalog:
    path = catalog_path(locale)
    if not path.is_file():
        return Catalog(locale=gettext_name(locale), domain=DOMAIN)
    with path.open("rb") as f:
        return read_po(f, locale=gettext_name(locale), domain=DOMAIN)


def update(locales: Iterable[str] = LOCALES) -> dict[str, int]:
    """Merge a fresh extraction into each catalogue; returns the untranslated count per locale."""
    template = extract()
    untranslated: dict[str, int] = {}
    for locale in locales:
        if locale == DEFAULT_LOCALE:
            continue
        catalog = _read(locale)
        catalog.update(template, no_fuzzy_matching=True, update_creation_date=False)
        catalog.project, catalog.version, catalog.fuzzy = "dialer", "1", False
        catalog.creation_date = datetime(2026, 1, 1, tzinfo=UTC)
        catalog.msgid_bugs_address = ""
        catalog.copyright_holder = "the dialer authors"
        catalog.last_translator = "the dialer authors"
        catalog.language_team = LOCALE_NAMES[locale]
        catalog.obsolete.clear()
        path = catalog_path(locale)
        path.parent.mkdir(parents=True, exist_ok=True)
        catalog.revision_date = datetime(2026, 1, 1, tzinfo=UTC)
        with path.open("wb") as f:
            write_po(f, catalog, width=120, sort_output=True, include_previous=False, omit_header=False)
        untranslated[locale] = sum(1 for m in catalog if m.id and not _translated(m.string))
    return untranslated


def _translated(string: object) -> bool:
    if isinstance(string, tuple | list):
        return bool(string) and all(string)
    return bool(string)


def _key(msgid: object) -> str:
    return str(msgid[0]) if isinstance(msgid, tuple | list) else str(msgid)


def check(locales: Iterable[str] = LOCALES) -> list[str]:
    """Problems of the catalogues against the code: missing, untranslated, fuzzy, stale, placeholder mismatch."""
    template = extract()
    wanted = {_key(m.id) for m in template if m.id}
    problems: list[str] = []
    for locale in locales:
        if locale == DEFAULT_LOCALE:
            continue
        path = catalog_path(locale)
        if not path.is_file():
            problems.append(f"{locale}: no catalogue at {path}")
            continue
        catalog = _read(locale)
        have = {_key(m.id): m for m in catalog if m.id}
        for msgid in sorted(wanted - have.keys()):
            problems.append(f"{locale}: missing {msgid!r}")
        for msgid in sorted(have.keys() - wanted):
            problems.append(f"{locale}: stale {msgid!r} (no longer in the code)")
        for msgid in sorted(wanted & have.keys()):
            m = have[msgid]
            if m.fuzzy:
                problems.append(f"{locale}: fuzzy {msgid!r}")
            elif not _translated(m.string):
                problems.append(f"{locale}: untranslated {msgid!r}")
            else:
                strings = m.string if isinstance(m.string, tuple | list) else (m.string,)
                expected = sorted(set(_PLACEHOLDERS.findall(msgid)))
                for s in strings:
                    if sorted(set(_PLACEHOLDERS.findall(str(s)))) != expected:
                        problems.append(f"{locale}: placeholders of {msgid!r} changed in {s!r}")
    return problems
