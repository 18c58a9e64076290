"""Catalogue misses in text a user reads (a terminal's output, a problem's detail): English sentences of the
catalogue left untranslated. The browser tests scan the DOM the same way (tests/browser/test_localised_ui.py)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache

from dialer.i18n import catalog_json
from dialer.i18n.catalog import _PLACEHOLDERS

# Two or more English words in a row: a sentence fragment, not a code (``connected``, ``demo-ja``, ``--json``).
_WORDS = re.compile(r"[A-Za-z][a-z]+(?:[ -][A-Za-z][a-z]+)+")


@cache
def catalogue_fragments(locale: str) -> Mapping[str, str]:
    """Every English run of words of every catalogue message whose translation does not keep it, with its msgid.
    Worked out once per locale and process, as the catalogue it reads (``catalog_json``, cached the same way): the
    i18n tests scan hundreds of texts."""
    found: dict[str, str] = {}
    for msgid, translated in catalog_json(locale).items():
        forms = translated if isinstance(translated, list) else [translated]
        for literal in _PLACEHOLDERS.split(msgid):
            for run in _WORDS.findall(literal):
                if len(run) >= 12 and not any(run in f for f in forms):
                    found.setdefault(run, msgid)
    return found


def catalogue_misses(text: str, locale: str) -> list[str]:
    """The catalogue messages whose English words appear in ``text`` (shown untranslated in ``locale``)."""
    return sorted({msgid for run, msgid in catalogue_fragments(locale).items() if run in text})
