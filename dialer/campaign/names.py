"""People's names (pure): family and given parts, the display form per script, the reading used for sorting.

Stored per lead: ``last_name`` (family), ``first_name`` (given), ``display_name`` (the form shown everywhere) and
an optional ``name_reading`` (furigana / pinyin). The order of the parts follows the name's script, not the
viewer's language: a name written in Han, kana or Hangul is "family given" (``山田 太郎`` stays ``山田 太郎``),
a name in Latin letters "given family" (``John Smith``), whichever language the console is shown in.
"""

from __future__ import annotations

import unicodedata

_CJK_PREFIXES = ("CJK ", "HIRAGANA", "KATAKANA", "HANGUL", "IDEOGRAPHIC", "HALFWIDTH KATAKANA")
_FULL_SPACE = "\u3000"


def is_cjk_name(text: str) -> bool:
    """True when the name's letters are Han, kana or Hangul (East Asian order: family name first)."""
    if text.isascii():
        return False
    for ch in text:
        if ch.isalpha() or ch in "々〆ヶ":
            name = unicodedata.name(ch, "")
            if name.startswith(_CJK_PREFIXES):
                return True
    return False


def clean_name(text: str) -> str:
    """Spaces folded (an ideographic space U+3000 becomes one ASCII space), ends trimmed."""
    return " ".join(text.replace(_FULL_SPACE, " ").split())


def split_full_name(full: str) -> tuple[str, str]:
    """(family, given) of a full name written in one cell.

    ``山田 太郎`` → (山田, 太郎); ``山田太郎`` (no space) → (山田太郎, "") since the boundary cannot be known;
    ``John Smith`` → (Smith, John); ``Mary Ann Smith`` → (Smith, Mary Ann); ``Smith, John`` → (Smith, John).
    """
    full = clean_name(full)
    if not full:
        return "", ""
    if "," in full and not is_cjk_name(full):
        family, _, given = full.partition(",")
        return family.strip(), given.strip()
    if is_cjk_name(full):
        family, _, given = full.partition(" ")
        return family, given
    given, _, family = full.rpartition(" ")
    if not given:
        return family, ""
    return family, given


def display_name(family: str | None, given: str | None) -> str:
    """The form to show: ``山田 太郎`` (family first for CJK names), ``John Smith`` (given first otherwise)."""
    family, given = clean_name(family or ""), clean_name(given or "")
    if not family or not given:
        return family or given
    if is_cjk_name(family) or is_cjk_name(given):
        return f"{family} {given}"
    return f"{given} {family}"


def sort_key(display: str, reading: str | None) -> str:
    """Sort by the reading when there is one (kanji do not sort by sound), else by the display form."""
    return unicodedata.normalize("NFKC", (reading or display)).casefold()
