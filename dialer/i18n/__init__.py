"""Languages: gettext catalogues (Babel) for the server, the same catalogues as JSON for the browser scripts,
locale negotiation, and dates, times, numbers and durations formatted per locale.

How to use it (see docs/i18n.md):

- Python: ``from dialer.i18n import _`` and write ``_("Sign in")``; the language is the one of the current request
  or command (:func:`use_locale`). A string defined at import time is marked with ``N_("...")`` and translated
  where it is shown with ``_(value)``. A sentence made where no reader is known (the daemon's "why not dialling",
  a problem raised deep in a handler) is a :class:`Message`, ``M_("no lead {id}", id=7)``: an English message id
  and its values, translated into the reader's language where it is shown (``message.render()``, ``str()`` in
  the current language).
- Templates (``dialer/web/templates/*.html``): every text node and every ``title``, ``placeholder``,
  ``aria-label`` and ``alt`` is a message; :func:`translate_html` swaps them when the page is rendered. ``$name``
  placeholders stay as they are (they are substituted afterwards).
- Browser scripts: ``import { t } from "./i18n.js"`` and write ``t("Ready")`` or ``t("{n} calls", { n })``; the
  catalogue comes from ``/api/i18n/<locale>``.
- Catalogues: ``dialer/i18n/locales/<ll>/LC_MESSAGES/dialer.po`` are read (and compiled) at run time, so a fresh
  clone needs no build step. ``python -m dialer.i18n update`` extracts the messages and merges them into every
  catalogue; ``tests/unit/test_i18n_catalogues.py`` fails on a missing or stale message.
"""

from __future__ import annotations

import gettext as _gettext
import io
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel import dates as bdates
from babel import numbers as bnumbers
from babel import units as bunits
from babel.lists import format_list as bformat_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DOMAIN = "dialer"
DEFAULT_LOCALE = "en"
# The languages shipped, as the UI and settings name them (BCP 47); `catalog_dir` maps them to gettext's names.
# zh-Hant: Traditional Chinese for Taiwan and Hong Kong centres (Accept-Language zh-TW, zh-HK, zh-MO, zh-Hant).
LOCALES: tuple[str, ...] = ("en", "ja", "zh-CN", "zh-Hant")
LOCALE_NAMES = {"en": "English", "ja": "日本語", "zh-CN": "简体中文", "zh-Hant": "繁體中文"}
# Chinese tags written in Traditional characters by default (CLDR: Taiwan, Hong Kong, Macau), besides ``zh-Hant-*``.
_TRADITIONAL_REGIONS = ("tw", "hk", "mo")
LOCALE_DIR = Path(__file__).parent / "locales"

DEFAULT_ZONE = "UTC"

_current: ContextVar[str] = ContextVar("dialer_locale", default=DEFAULT_LOCALE)
# The zone times are shown in to the current reader (the user's setting; the CLI's DIALER_TZ / TZ); None: the
# reader chose none (a report then shows its campaign's zone, :func:`fallback_zone`; else UTC).
_zone_name: ContextVar[str | None] = ContextVar("dialer_zone", default=None)


def gettext_name(locale: str) -> str:
    """``zh-CN`` → ``zh_CN`` (the catalogue directory and Babel's identifier)."""
    return locale.replace("-", "_")


def catalog_path(locale: str) -> Path:
    return LOCALE_DIR / gettext_name(locale) / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=len(LOCALES) + 1)
def translations(locale: str) -> _gettext.NullTranslations:
    """The compiled catalogue of ``locale`` (read from its .po once per process); English is the identity."""
    path = catalog_path(locale)
    if locale == DEFAULT_LOCALE or not path.is_file():
        return _gettext.NullTranslations()
    with path.open("rb") as f:
        catalog = read_po(f, locale=gettext_name(locale), domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return _gettext.GNUTranslations(buf)


@lru_cache(maxsize=len(LOCALES) + 1)
def catalog_json(locale: str) -> dict[str, str | list[str]]:
    """The catalogue for the browser: msgid → translation (plural messages: the list of forms, indexed by
    ``Intl.PluralRules``), translated entries only (a missing one falls back to the English msgid)."""
    path = catalog_path(locale)
    if locale == DEFAULT_LOCALE or not path.is_file():
        return {}
    with path.open("rb") as f:
        catalog = read_po(f, locale=gettext_name(locale), domain=DOMAIN)
    out: dict[str, str | list[str]] = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        if isinstance(message.id, tuple | list):
            forms = [str(s) for s in message.string] if isinstance(message.string, tuple | list) else []
            if all(forms):
                out[str(message.id[0])] = forms
        elif message.string:
            out[str(message.id)] = str(message.string)
    return out


def current_locale() -> str:
    return _current.get()


def set_locale(locale: str) -> None:
    """Set the language of the current task (a request, a command)."""
    _current.set(normalize_locale(locale) or DEFAULT_LOCALE)


@contextmanager
def use_locale(locale: str) -> Iterator[None]:
    token = _current.set(normalize_locale(locale) or DEFAULT_LOCALE)
    try:
        yield
    finally:
        _current.reset(token)


def current_zone() -> str:
    """The IANA zone times are shown in to the current reader (``UTC`` unless set)."""
    return _zone_name.get() or DEFAULT_ZONE


def _valid_zone(zone: str | None) -> str | None:
    return zone if zone and _zone(zone) is not None else None


def set_zone(zone: str | None) -> None:
    """Show times in ``zone`` for the current task; None (or an unknown zone): the reader chose none."""
    _zone_name.set(_valid_zone(zone))


@contextmanager
def use_zone(zone: str | None) -> Iterator[None]:
    token = _zone_name.set(_valid_zone(zone))
    try:
        yield
    finally:
        _zone_name.reset(token)


@contextmanager
def fallback_zone(zone: str | None) -> Iterator[None]:
    """Within the block, times are shown in ``zone`` (a campaign's) unless the reader chose their own."""
    token = _zone_name.set(_zone_name.get() or _valid_zone(zone))
    try:
        yield
    finally:
        _zone_name.reset(token)


def _(message: str) -> str:
    """Translate ``message`` into the current language."""
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a message for extraction without translating it (translated later with ``_(value)``)."""
    return message


@dataclass(frozen=True, slots=True)
class Message:
    """A sentence translated where it is shown, not where it is made: an English message id (``{name}``
    placeholders) and the values of its placeholders. A value that is itself a :class:`Message` is translated
    too. ``str()`` renders it in the current language (the request's, the command's); :attr:`english` for logs."""

    msgid: str
    params: Mapping[str, object] = field(default_factory=dict)

    def render(self, locale: str | None = None) -> str:
        chosen = (normalize_locale(locale) or DEFAULT_LOCALE) if locale else _current.get()
        text = translations(chosen).gettext(self.msgid)
        if not self.params:
            return text
        values = {k: _shown(v, chosen) for k, v in self.params.items()}
        try:
            return text.format(**values)
        except (KeyError, IndexError, ValueError):  # a broken translation: the English sentence, never an error
            return self.msgid.format(**values)

    @property
    def english(self) -> str:
        return self.render(DEFAULT_LOCALE)

    def __str__(self) -> str:
        return self.render()


@dataclass(frozen=True, slots=True)
class OneOf:
    """A placeholder's value listing choices, shown as "a, b or c" in the reader's language (CLDR lists)."""

    choices: tuple[str, ...]

    def render(self, locale: str | None = None) -> str:
        return bformat_list(list(self.choices), style="or", locale=babel_locale(locale))

    def __str__(self) -> str:
        return self.render()


def _shown(value: object, locale: str) -> object:
    """A placeholder's value as the reader sees it: a Message, choices, an exception raised with a Message,
    in ``locale``."""
    if isinstance(value, Message | OneOf):
        return value.render(locale)
    if isinstance(value, BaseException):
        said = message_of(value)
        return said.render(locale) if isinstance(said, Message) else said
    return value


def message_of(exc: BaseException) -> str | Message:
    """What an exception says, kept translatable: the :class:`Message` it was raised with (``raise
    SomeError(M_(...))``), rendered later in the reader's language (a problem detail: the request's), else its
    text. Use it instead of ``str(exc)`` where the sentence is shown to someone else than the current reader, or
    crosses a process (the CPU worker) before it is shown."""
    args = exc.args
    if len(args) == 1 and isinstance(args[0], Message) and type(exc).__str__ in _PLAIN_STR:
        return args[0]
    return str(exc)


_PLAIN_STR = (BaseException.__str__, KeyError.__str__)


def message_json(message: Message) -> dict[str, object]:
    """``message`` as a JSON document (its English id and its values, a value that is a :class:`Message` or
    :class:`OneOf` kept as one), for a reader in another process -- another daemon's dashboard -- to render in its
    own language (:func:`message_from_json`)."""
    return {"id": message.msgid, "values": {k: _value_json(v) for k, v in message.params.items()}}


def _value_json(value: object) -> object:
    if isinstance(value, BaseException):
        value = message_of(value)
    if isinstance(value, Message):
        return {"message": message_json(value)}
    if isinstance(value, OneOf):
        return {"one_of": list(value.choices)}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def message_from_json(doc: Mapping[str, object]) -> Message:
    """The :class:`Message` :func:`message_json` wrote. Raises ValueError on a document that is not one."""
    msgid, values = doc.get("id"), doc.get("values", {})
    if not isinstance(msgid, str) or not isinstance(values, Mapping):
        raise ValueError(f"not a message document: {doc!r}")
    return Message(msgid, {str(k): _value_from_json(v) for k, v in values.items()})


def _value_from_json(value: object) -> object:
    if isinstance(value, Mapping):
        if isinstance(inner := value.get("message"), Mapping):
            return message_from_json(inner)
        if isinstance(choices := value.get("one_of"), list):
            return OneOf(tuple(str(c) for c in choices))
        raise ValueError(f"not a message value: {value!r}")
    return value


def M_(msgid: str, /, **params: object) -> Message:
    """A :class:`Message` (extracted for the catalogues like ``_``), rendered in the reader's language later."""
    return Message(msgid, params)


def render(text: str | Message, locale: str | None = None) -> str:
    """A sentence in ``locale`` (default: the current language); a plain string is shown as it is."""
    return text.render(locale) if isinstance(text, Message) else text


# -- negotiation ------------------------------------------------------------------------------------------------


def normalize_locale(tag: str | None) -> str | None:
    """A shipped locale for a language tag, or None: ``ja-JP`` → ``ja``; ``zh``, ``zh-Hans``, ``zh-CN``,
    ``zh_CN``, ``zh-SG`` → ``zh-CN``; ``zh-Hant``, ``zh-TW``, ``zh-HK``, ``zh-MO``, ``zh-Hant-HK`` → ``zh-Hant``;
    ``en-GB`` → ``en``."""
    if not tag:
        return None
    tag = tag.strip().replace("_", "-")
    lowered = tag.lower()
    for loc in LOCALES:
        if lowered == loc.lower():
            return loc
    primary = lowered.split("-")[0]
    if primary == "zh":
        subtags = lowered.split("-")[1:]
        if "hans" in subtags:
            return "zh-CN"
        if "hant" in subtags or any(t in _TRADITIONAL_REGIONS for t in subtags):
            return "zh-Hant"
        return "zh-CN"  # zh, zh-CN, zh-SG: Simplified Chinese
    return primary if primary in LOCALES else None


def parse_accept_language(header: str | None) -> list[str]:
    """The tags of an Accept-Language header, best first (``q`` weights respected, ``*`` and q=0 dropped)."""
    if not header:
        return []
    weighted: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")):
        tag, _sep, params = part.strip().partition(";")
        q = 1.0
        for p in params.split(";"):
            key, _eq, value = p.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if tag and tag != "*" and q > 0:
            weighted.append((-q, i, tag))
    return [tag for _q, _i, tag in sorted(weighted)]


def negotiate(user_language: str | None, accept_language: str | None) -> str:
    """The user's language setting, else the first shipped language of Accept-Language, else English."""
    chosen = normalize_locale(user_language)
    if chosen:
        return chosen
    for tag in parse_accept_language(accept_language):
        found = normalize_locale(tag)
        if found:
            return found
    return DEFAULT_LOCALE


def cli_locale(environ: Mapping[str, str]) -> str:
    """The command line's language: ``DIALER_LANG``, else the POSIX ``LC_ALL`` / ``LC_MESSAGES`` / ``LANG``
    (``ja_JP.UTF-8`` → ``ja``; ``C`` and ``POSIX`` → English)."""
    for key in ("DIALER_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(key, "").split(".")[0].split("@")[0]
        if value:
            return normalize_locale(value) or DEFAULT_LOCALE
    return DEFAULT_LOCALE


def cli_zone(environ: Mapping[str, str]) -> str | None:
    """The command line's zone for the times it shows: ``DIALER_TZ``, else ``TZ`` (an IANA name), else None
    (a report then shows its campaign's zone; other times UTC)."""
    for key in ("DIALER_TZ", "TZ"):
        value = environ.get(key, "").removeprefix(":")
        if value and _zone(value) is not None:
            return value
    return None


# -- formatting -------------------------------------------------------------------------------------------------


def babel_locale(locale: str | None = None) -> Locale:
    try:
        return Locale.parse(gettext_name(locale or _current.get()))
    except (UnknownLocaleError, ValueError):
        return Locale.parse(DEFAULT_LOCALE)


def _zone(tz: str | tzinfo | None) -> tzinfo | None:
    if tz is None or isinstance(tz, tzinfo):
        return tz
    try:
        return ZoneInfo(tz)
    except (KeyError, ValueError):
        return None


def format_datetime(value: datetime, tz: str | tzinfo | None = None, *, locale: str | None = None) -> str:
    """Date and time in ``tz`` (default: the reader's zone, :func:`current_zone`; a lead's zone), medium length,
    with the zone's short name."""
    zone = _zone(tz if tz is not None else current_zone())
    if zone is not None:
        value = value.astimezone(zone)
    return bdates.format_datetime(value, format="medium", tzinfo=zone, locale=babel_locale(locale)) + (
        f" {value.tzname()}" if value.tzinfo is not None and value.tzname() else ""
    )


def format_time(value: datetime, tz: str | tzinfo | None = None, *, locale: str | None = None) -> str:
    zone = _zone(tz if tz is not None else current_zone())
    if zone is not None:
        value = value.astimezone(zone)
    return bdates.format_time(value, format="short", tzinfo=zone, locale=babel_locale(locale))


def format_number(value: float, *, locale: str | None = None) -> str:
    return bnumbers.format_decimal(value, locale=babel_locale(locale))


def format_percent(value: float, *, digits: int = 1, locale: str | None = None) -> str:
    pattern = "#,##0." + "0" * digits + "%" if digits else "#,##0%"
    return bnumbers.format_percent(value, format=pattern, locale=babel_locale(locale))


def format_seconds(value: float, *, digits: int = 0, locale: str | None = None) -> str:
    """A number of seconds with the locale's unit (``12 sec``, ``12 秒``, ``12秒``): Babel's CLDR units."""
    pattern = "#,##0." + "0" * digits if digits else "#,##0"
    return bunits.format_unit(value, "duration-second", length="short", format=pattern, locale=babel_locale(locale))


def format_duration(value: timedelta | float, *, locale: str | None = None) -> str:
    """A duration in words of the locale (``3 minutes``, ``3分``, ``3分钟``)."""
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    return bdates.format_timedelta(
        timedelta(seconds=seconds), threshold=1.0, format="long", locale=babel_locale(locale)
    )
