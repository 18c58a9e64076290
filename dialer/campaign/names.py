"""People's names (pure): family and given parts, the display form per script, the reading used for sorting.

Stored per lead: ``last_name`` (family), ``first_name`` (given), ``display_name`` (the form shown everywhere) and
an optional ``name_reading`` (furigana / pinyin). The order of the parts follows the name's script, not the
viewer's language: a name written in Han, kana or Hangul is "family given" (``山田 太郎`` stays ``山田 太郎``),
a name in Latin letters "given family" (``John Smith``), whichever language the console is shown in.

A CJK name written without a space (``山田太郎``, ``欧阳修``) is split where its family name ends:

- Japanese (kana in it, or a Japanese number's region ``JP``, or no hint and nothing Chinese about it): the
  GBDT divider of ``namedivider-core`` (kanji statistics of family/given names and a gradient-boosted model,
  shipped inside the package: nothing is downloaded). A name of kana only has no boundary to find from the
  characters (``やまだたろう``): it is kept whole as the family part, as before.
- Chinese (region ``CN``, ``TW``, ``HK``, ``MO``, ``SG``, or a character no Japanese name uses: one outside
  CP932, such as ``阳``, ``马``, ``伟``, or a two-character Chinese family name first): the family name is the
  longest of the compound family names (``欧阳``, ``司马``, ``诸葛``, … in simplified and traditional forms,
  :data:`CHINESE_COMPOUND_SURNAMES`) the name starts with, else its first character (nearly every Chinese
  family name is one character). A two-character name is always one + one.
- Korean (Hangul): the same rule with the two-syllable family names (``남궁``, ``황보``, ``제갈``, …).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Protocol

import namedivider_core  # type: ignore[import-untyped]

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


# Two-character Chinese family names (复姓), simplified and traditional forms.
CHINESE_COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "歐陽",
        "司马",
        "司馬",
        "诸葛",
        "諸葛",
        "上官",
        "东方",
        "東方",
        "皇甫",
        "慕容",
        "夏侯",
        "司徒",
        "公孙",
        "公孫",
        "令狐",
        "尉迟",
        "尉遲",
        "长孙",
        "長孫",
        "宇文",
        "轩辕",
        "軒轅",
        "西门",
        "西門",
        "南宫",
        "南宮",
        "独孤",
        "獨孤",
        "端木",
        "申屠",
        "司空",
        "呼延",
        "澹台",
        "澹臺",
        "公冶",
        "太史",
        "钟离",
        "鍾離",
        "闻人",
        "聞人",
        "万俟",
        "萬俟",
        "濮阳",
        "濮陽",
        "淳于",
        "单于",
        "單于",
        "赫连",
        "赫連",
        "拓跋",
        "百里",
        "东郭",
        "東郭",
        "鲜于",
        "鮮于",
        "谷梁",
        "穀梁",
        "宰父",
        "亓官",
        "羊舌",
        "微生",
        "梁丘",
        "左丘",
        "东门",
        "東門",
        "公良",
        "乐正",
        "樂正",
        "公西",
        "巫马",
        "巫馬",
        "漆雕",
        "壤驷",
        "壤駟",
        "段干",
        "第五",
        "即墨",
        "闾丘",
        "閭丘",
    ]
)
KOREAN_COMPOUND_SURNAMES = frozenset(["남궁", "황보", "제갈", "선우", "독고", "사공", "서문", "동방", "어금", "망절"])
CHINESE_REGIONS = frozenset({"CN", "TW", "HK", "MO", "SG"})


class _Divided(Protocol):
    family: str
    given: str


class _Divider(Protocol):
    def divide_name(self, undivided_name: str) -> _Divided: ...


@lru_cache(maxsize=1)
def _japanese_divider() -> _Divider:
    divider: _Divider = namedivider_core.GBDTNameDivider()
    return divider


def _is_kana(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith(("HIRAGANA", "KATAKANA", "HALFWIDTH KATAKANA")) or ch == "ー"


def _is_hangul(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith("HANGUL")


def _used_in_japanese(text: str) -> bool:
    """Every character is in CP932 (Shift_JIS as Windows writes it): a Japanese name can be written with it."""
    try:
        text.encode("cp932")
    except UnicodeEncodeError:
        return False
    return True


def name_language(name: str, region: str | None = None) -> str:
    """``ja``, ``zh`` or ``ko``: whose naming rules split this unspaced CJK name (see the module docstring).
    ``region`` is the phone number's ISO region (the lead's country), when known."""
    if any(_is_hangul(ch) for ch in name):
        return "ko"
    if any(_is_kana(ch) for ch in name):
        return "ja"
    if region == "JP":
        return "ja"
    if region in CHINESE_REGIONS or not _used_in_japanese(name):
        return "zh"
    if len(name) >= 3 and name[:2] in CHINESE_COMPOUND_SURNAMES:
        return "zh"
    return "ja"


def split_unspaced_cjk(name: str, region: str | None = None) -> tuple[str, str]:
    """(family, given) of a CJK name written without a space; ``(name, "")`` when no boundary can be told."""
    if len(name) < 2:
        return name, ""
    language = name_language(name, region)
    if language == "ja":
        if all(_is_kana(ch) for ch in name):
            return name, ""
        divided = _japanese_divider().divide_name(name)
        if divided.family and divided.given and divided.family + divided.given == name:
            return divided.family, divided.given
        return name, ""
    compounds = CHINESE_COMPOUND_SURNAMES if language == "zh" else KOREAN_COMPOUND_SURNAMES
    if len(name) >= 3 and name[:2] in compounds:
        return name[:2], name[2:]
    return name[:1], name[1:]


def split_full_name(full: str, region: str | None = None) -> tuple[str, str]:
    """(family, given) of a full name written in one cell; ``region`` is the lead's country (its phone's ISO
    region) when known, the hint for a CJK name written without a space.

    ``山田 太郎`` → (山田, 太郎); ``山田太郎`` → (山田, 太郎) (:func:`split_unspaced_cjk`); ``欧阳修`` → (欧阳, 修);
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
        if not given:
            return split_unspaced_cjk(family, region)
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
