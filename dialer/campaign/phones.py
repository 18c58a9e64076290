"""Phone numbers: E.164 normalisation, rejection reasons, and the time-zone candidates of a lead.

Validation is phonenumbers' own (its metadata, its type rules). Because an import handles a million rows, numbers
already written in international form (``+CC...``, spaces/dashes/brackets allowed) take a fast path that applies the
same metadata with pre-compiled patterns and caches time zones by prefix (phonenumbers' time-zone data is keyed by
at most 9 leading digits); anything else, or anything the fast path does not accept, goes through
``phonenumbers.parse`` so the verdict and the reason are exactly phonenumbers'. Tests check both paths agree.

Zones: ``phonenumbers.timezone`` gives one or more IANA zones per number (non-geographic numbers get every zone of
their country). A US ZIP code maps to one zone through ``zip2tz`` (MIT, ZIP5 → IANA table compiled from public
ZIP/time-zone data, split states such as Indiana, Tennessee, Texas' El Paso or Florida's panhandle included); a
Canadian postal code maps by its first letter (the postal district, i.e. province or region) to the zones of that
district, a deliberately conservative candidate set.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any

import phonenumbers
import zip2tz
from phonenumbers import PhoneMetadata, PhoneNumber, PhoneNumberType
from phonenumbers import timezone as pn_timezone
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE, ValidationResult
from phonenumbers.tzdata import TIMEZONE_DATA, TIMEZONE_LONGEST_PREFIX

from dialer.i18n import M_, Message

_UNKNOWN_ZONE = "Etc/Unknown"

# Types an outbound campaign may dial. Premium-rate and shared-cost numbers cost the caller money and are a
# classic abuse target; pagers and voicemail access numbers never reach a person.
DIALLABLE_TYPES: frozenset[int] = frozenset(
    {
        PhoneNumberType.FIXED_LINE,
        PhoneNumberType.MOBILE,
        PhoneNumberType.FIXED_LINE_OR_MOBILE,
        PhoneNumberType.VOIP,
        PhoneNumberType.PERSONAL_NUMBER,
        PhoneNumberType.TOLL_FREE,
        PhoneNumberType.UAN,
    }
)
_TYPE_NAMES: dict[int, str] = {
    v: k.lower() for k, v in vars(PhoneNumberType).items() if k.isupper() and isinstance(v, int)
}


class PhoneRejection(StrEnum):
    MISSING = "missing"  # empty cell
    NOT_A_NUMBER = "not_a_number"  # letters, punctuation only, ...
    INVALID_COUNTRY_CODE = "invalid_country_code"
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    INVALID_FOR_REGION = "invalid_for_region"  # right length maybe, but no such number range in that country
    PREMIUM_RATE = "premium_rate"
    UNSUPPORTED_TYPE = "unsupported_type"  # shared cost, pager, voicemail


@dataclass(frozen=True, slots=True)
class Phone:
    e164: str
    country_code: int
    region: str | None  # ISO region, "001" for non-geographic services
    number_type: str  # phonenumbers type name, lowercase: fixed_line, mobile, fixed_line_or_mobile, ...
    zones: tuple[str, ...]  # candidate IANA zones, empty when unknown
    extension: str | None = None  # digits dialled after the call connects (``ext 5``, ``x12``, ``;ext=9``, ``#12``)


@dataclass(frozen=True, slots=True)
class PhoneError:
    reason: PhoneRejection
    detail: Message  # in the reader's language where it is shown (``str()``); ``reason`` is the stable code


# -- fast path --------------------------------------------------------------------------------------------------

_SEPARATORS = re.compile(r"[\s().\-/\u00a0]")
# Dashes a Japanese or Chinese list writes between digit groups (after NFKC has folded full-width digits, "＋",
# "（）" and "－"): hyphen, non-breaking hyphen, figure/en/em dash, bar, minus sign, the katakana long-vowel mark
# ("ー", often typed for a dash), its half-width form and the wave dash.
_WIDE_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff70\u301c~", "-"))


def fold_width(text: str) -> str:
    """Full-width digits, signs and the dashes of CJK lists folded to ASCII.

    ``０３－１２３４ー５６７８`` → ``03-1234-5678``."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFKC", text).translate(_WIDE_DASHES)


_PLUS_DIGITS = re.compile(r"^\+([1-9][0-9]{6,16})$")  # ASCII only: other digits take the slow path
_DESC_ORDER = (
    ("premium_rate", PhoneNumberType.PREMIUM_RATE),
    ("toll_free", PhoneNumberType.TOLL_FREE),
    ("shared_cost", PhoneNumberType.SHARED_COST),
    ("voip", PhoneNumberType.VOIP),
    ("personal_number", PhoneNumberType.PERSONAL_NUMBER),
    ("pager", PhoneNumberType.PAGER),
    ("uan", PhoneNumberType.UAN),
    ("voicemail", PhoneNumberType.VOICEMAIL),
)
_Desc = tuple[frozenset[int], re.Pattern[str]] | None


@dataclass(frozen=True, slots=True)
class _CompiledMetadata:
    """phonenumbers' _number_type_helper for one region, with the patterns compiled once."""

    region: str
    leading_digits: re.Pattern[str] | None
    general: _Desc
    ordered: tuple[tuple[int, _Desc], ...]
    # Union of the `ordered` patterns: when it does not match, none of them can, so one regex replaces eight.
    any_ordered: re.Pattern[str] | None
    fixed_line: _Desc
    mobile: _Desc
    same_mobile_and_fixed: bool

    def number_type(self, nsn: str) -> int:
        if not _matches(nsn, self.general):
            return PhoneNumberType.UNKNOWN
        if self.any_ordered is not None and self.any_ordered.fullmatch(nsn) is not None:
            for ntype, desc in self.ordered:
                if _matches(nsn, desc):
                    return ntype
        if _matches(nsn, self.fixed_line):
            if self.same_mobile_and_fixed or _matches(nsn, self.mobile):
                return PhoneNumberType.FIXED_LINE_OR_MOBILE
            return PhoneNumberType.FIXED_LINE
        if not self.same_mobile_and_fixed and _matches(nsn, self.mobile):
            return PhoneNumberType.MOBILE
        return PhoneNumberType.UNKNOWN


def _matches(nsn: str, desc: _Desc) -> bool:
    if desc is None:
        return False
    lengths, pattern = desc
    if lengths and len(nsn) not in lengths:
        return False
    return pattern.fullmatch(nsn) is not None


def _compile_desc(desc: Any) -> _Desc:
    if desc is None or not desc.national_number_pattern:
        return None
    return frozenset(desc.possible_length or ()), re.compile(desc.national_number_pattern)


def _compile_metadata(region: str, meta: Any) -> _CompiledMetadata:
    ordered = tuple((ntype, _compile_desc(getattr(meta, name))) for name, ntype in _DESC_ORDER)
    patterns = [desc[1].pattern for _, desc in ordered if desc is not None]
    return _CompiledMetadata(
        region=region,
        leading_digits=re.compile(meta.leading_digits) if meta.leading_digits is not None else None,
        general=_compile_desc(meta.general_desc),
        ordered=ordered,
        any_ordered=re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None,
        fixed_line=_compile_desc(meta.fixed_line),
        mobile=_compile_desc(meta.mobile),
        same_mobile_and_fixed=bool(meta.same_mobile_and_fixed_line_pattern),
    )


@dataclass(frozen=True, slots=True)
class _CountryCode:
    regions: tuple[_CompiledMetadata, ...]
    national_prefix: re.Pattern[str] | None  # the main region's national_prefix_for_parsing


@lru_cache(maxsize=512)
def _country(cc: int) -> _CountryCode | None:
    region_codes = COUNTRY_CODE_TO_REGION_CODE.get(cc)
    if not region_codes:
        return None
    compiled = []
    for rc in region_codes:
        meta = (
            PhoneMetadata.metadata_for_nongeo_region(cc)
            if rc == "001"
            else PhoneMetadata.metadata_for_region(rc.upper(), None)
        )
        if meta is not None:
            compiled.append(_compile_metadata(rc, meta))
    if not compiled:
        return None
    main = compiled[0]
    main_meta = (
        PhoneMetadata.metadata_for_nongeo_region(cc)
        if main.region == "001"
        else PhoneMetadata.metadata_for_region(main.region, None)
    )
    npfp = getattr(main_meta, "national_prefix_for_parsing", None)
    return _CountryCode(tuple(compiled), re.compile(npfp) if npfp else None)


def _fast_classify(cc: int, nsn: str) -> tuple[str, int] | None:
    """(region, type) exactly as phonenumbers.number_type would; None when the fast path cannot decide."""
    country = _country(cc)
    if country is None:
        return None
    if nsn.startswith("0") or (country.national_prefix is not None and country.national_prefix.match(nsn)):
        return None  # phonenumbers might strip a national prefix or keep an Italian leading zero: use it
    regions = country.regions
    if len(regions) == 1:
        meta = regions[0]
        return meta.region, meta.number_type(nsn)
    for meta in regions:
        if meta.leading_digits is not None:
            if meta.leading_digits.match(nsn):
                return meta.region, meta.number_type(nsn)
        else:
            ntype = meta.number_type(nsn)
            if ntype != PhoneNumberType.UNKNOWN:
                return meta.region, ntype
    return None


def _split_country_code(digits: str) -> tuple[int, str] | None:
    for n in (1, 2, 3):
        cc = int(digits[:n])
        if cc in COUNTRY_CODE_TO_REGION_CODE:
            return cc, digits[n:]
    return None


# -- zones ------------------------------------------------------------------------------------------------------


_GEO_CACHE: dict[str, tuple[str, ...]] = {}


@lru_cache(maxsize=512)
def _tz_prefix_length(cc: int) -> int:
    """The longest time-zone data prefix under a country code: longer digits never change the answer."""
    code = str(cc)
    return max((len(k) for k in TIMEZONE_DATA if k.startswith(code)), default=len(code))


def _geo_zones(e164_digits: str, cc: int) -> tuple[str, ...]:
    """Zones of a geographic number (phonenumbers' longest-prefix lookup), cached by the longest useful prefix."""
    key = e164_digits[: _tz_prefix_length(cc)]
    zones = _GEO_CACHE.get(key)
    if zones is None:
        zones = ()
        for n in range(min(len(key), TIMEZONE_LONGEST_PREFIX), 0, -1):
            found = TIMEZONE_DATA.get(key[:n])
            if found is not None:
                zones = _clean_zones(found)
                break
        if len(_GEO_CACHE) < 200_000:
            _GEO_CACHE[key] = zones
    return zones


@lru_cache(maxsize=1024)
def _country_zones(cc: int) -> tuple[str, ...]:
    num = PhoneNumber(country_code=cc, national_number=0)
    return _clean_zones(pn_timezone._country_level_time_zones_for_number(num))


def _clean_zones(zones: Any) -> tuple[str, ...]:
    return tuple(sorted(z for z in zones if z != _UNKNOWN_ZONE))


def _zones_for(cc: int, e164_digits: str, ntype: int) -> tuple[str, ...]:
    if ntype == PhoneNumberType.UNKNOWN:
        return ()
    if phonenumbers.is_number_type_geographical(ntype, cc):
        return _geo_zones(e164_digits, cc)
    return _country_zones(cc)


def known_region(region: str) -> bool:
    """Is ``region`` an ISO region phonenumbers has numbering data for (``US``, ``GB``, ``JP``, ...)?"""
    return region.upper() in phonenumbers.SUPPORTED_REGIONS


def time_zones_for_e164(e164: str) -> tuple[str, ...]:
    """Candidate zones of a (valid) E.164 number; empty when unknown."""
    result = normalize(e164, None)
    return result.zones if isinstance(result, Phone) else ()


# -- normalisation ----------------------------------------------------------------------------------------------


def _accept(
    cc: int, region: str | None, ntype: int, e164_digits: str, extension: str | None = None
) -> Phone | PhoneError:
    if ntype == PhoneNumberType.PREMIUM_RATE:
        return PhoneError(PhoneRejection.PREMIUM_RATE, M_("premium-rate number"))
    if ntype not in DIALLABLE_TYPES:
        return PhoneError(PhoneRejection.UNSUPPORTED_TYPE, M_("{kind} number", kind=_TYPE_NAMES.get(ntype, "unknown")))
    return Phone(
        e164="+" + e164_digits,
        country_code=cc,
        region=region,
        number_type=_TYPE_NAMES.get(ntype, "unknown"),
        zones=_zones_for(cc, e164_digits, ntype),
        extension=extension or None,
    )


def normalize(raw: str, default_region: str | None) -> Phone | PhoneError:
    """Normalise one phone cell to E.164, or say why not.

    ``default_region`` (ISO, e.g. "US", "GB") reads numbers written without a country code; None requires one.
    """
    text = fold_width(raw).strip()
    if not text:
        return PhoneError(PhoneRejection.MISSING, M_("no phone number"))
    if text.endswith("#"):
        # A keypad "#" ends the number on some exports ("415-555-0100#"): it is not part of the number.
        text = text.rstrip("# ")
        if not text:
            return PhoneError(PhoneRejection.NOT_A_NUMBER, M_("not a phone number"))
    compact = text if text[1:].isdigit() else _SEPARATORS.sub("", text)
    m = _PLUS_DIGITS.match(compact)
    if m:
        digits = m.group(1)
        split = _split_country_code(digits)
        if split is not None:
            cc, nsn = split
            fast = _fast_classify(cc, nsn)
            if fast is not None and fast[1] != PhoneNumberType.UNKNOWN:
                return _accept(cc, fast[0], fast[1], digits)
    return _slow_normalize(text, default_region)


def _slow_normalize(text: str, default_region: str | None) -> Phone | PhoneError:
    try:
        num = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as exc:
        return _parse_error(exc, default_region)
    cc = num.country_code or 0
    region = phonenumbers.region_code_for_number(num)
    ntype = phonenumbers.number_type(num)
    if ntype == PhoneNumberType.UNKNOWN:
        possible = phonenumbers.is_possible_number_with_reason(num)
        where = region or phonenumbers.region_code_for_country_code(cc)
        where = f"+{cc}" if where in (None, "ZZ") else where
        if possible in (ValidationResult.TOO_SHORT, ValidationResult.IS_POSSIBLE_LOCAL_ONLY):
            return PhoneError(PhoneRejection.TOO_SHORT, M_("too short for {where}", where=where))
        if possible == ValidationResult.TOO_LONG:
            return PhoneError(PhoneRejection.TOO_LONG, M_("too long for {where}", where=where))
        if possible == ValidationResult.INVALID_COUNTRY_CODE:
            return PhoneError(
                PhoneRejection.INVALID_COUNTRY_CODE, M_("unknown country code +{code}", code=num.country_code)
            )
        return PhoneError(PhoneRejection.INVALID_FOR_REGION, M_("not a valid number in {where}", where=where))
    e164 = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
    return _accept(cc, region, ntype, e164[1:], num.extension)


def _parse_error(exc: phonenumbers.NumberParseException, default_region: str | None) -> PhoneError:
    kind = exc.error_type
    if kind == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
        if default_region is None:
            return PhoneError(PhoneRejection.INVALID_COUNTRY_CODE, M_("no country code and no default region"))
        return PhoneError(PhoneRejection.INVALID_COUNTRY_CODE, M_("unknown country code"))
    if kind in (
        phonenumbers.NumberParseException.TOO_SHORT_NSN,
        phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD,
    ):
        return PhoneError(PhoneRejection.TOO_SHORT, M_("too short"))
    if kind == phonenumbers.NumberParseException.TOO_LONG:
        return PhoneError(PhoneRejection.TOO_LONG, M_("too long"))
    return PhoneError(PhoneRejection.NOT_A_NUMBER, M_("not a phone number"))


# -- postal codes -----------------------------------------------------------------------------------------------

_US_ZIP = re.compile(r"^(\d{5})(?:-?\d{4})?$")
_CA_POSTAL = re.compile(r"^([ABCEGHJ-NPRSTVXY])\d[A-Z] ?\d[A-Z]\d$")

# First letter of a Canadian postal code = postal district. Districts spanning zones list every zone in them.
CA_POSTAL_DISTRICT_ZONES: dict[str, tuple[str, ...]] = {
    "A": ("America/Goose_Bay", "America/St_Johns"),  # Newfoundland and Labrador
    "B": ("America/Halifax",),  # Nova Scotia
    "C": ("America/Halifax",),  # Prince Edward Island
    "E": ("America/Moncton",),  # New Brunswick
    "G": ("America/Halifax", "America/Toronto"),  # Eastern Quebec (Magdalen Islands are Atlantic)
    "H": ("America/Toronto",),  # Montréal
    "J": ("America/Toronto",),  # Western Quebec
    "K": ("America/Toronto",),  # Eastern Ontario
    "L": ("America/Toronto",),  # Central Ontario
    "M": ("America/Toronto",),  # Toronto
    "N": ("America/Toronto",),  # Southwestern Ontario
    "P": ("America/Toronto", "America/Winnipeg"),  # Northern Ontario (north-west on Central time)
    "R": ("America/Winnipeg",),  # Manitoba
    "S": ("America/Regina", "America/Edmonton"),  # Saskatchewan (Lloydminster keeps Mountain time)
    "T": ("America/Edmonton",),  # Alberta
    "V": ("America/Edmonton", "America/Vancouver"),  # British Columbia (Kootenays and north-east on Mountain)
    "X": ("America/Cambridge_Bay", "America/Edmonton", "America/Iqaluit", "America/Rankin_Inlet"),  # NT, NU
    "Y": ("America/Whitehorse",),  # Yukon
}


def postal_code_zones(postal_code: str, region: str | None = None) -> tuple[str, ...]:
    """Zones of a US ZIP or Canadian postal code; empty when not recognised (the number's zones then apply)."""
    code = postal_code.strip().upper()
    if not code:
        return ()
    if region in (None, "US"):
        m = _US_ZIP.match(code)
        if m:
            tz = zip2tz.timezone(m.group(1))
            return (tz,) if tz else ()
    if region in (None, "CA"):
        m = _CA_POSTAL.match(code)
        if m:
            return CA_POSTAL_DISTRICT_ZONES.get(m.group(1), ())
    return ()
