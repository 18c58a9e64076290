"""The web tier's languages: the request's locale (the user's setting, else Accept-Language), the catalogue as
JSON for the browser scripts, translated templates, and the user's own language and time zone settings."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, field_validator

from dialer.campaign.windows import is_known_zone
from dialer.i18n import LOCALE_NAMES, LOCALES, M_, _, catalog_json, negotiate, normalize_locale, translations
from dialer.i18n.html import translate_html
from dialer.store.auth import UserRecord, update_user
from dialer.web.api.common import UiLanguage, ok
from dialer.web.layout import page_text
from dialer.web.problems import Problem
from dialer.web.routing import ANY_USER, CREDENTIALS, KIOSK, USER, Call, RouteTable

routes = RouteTable()


def request_locale(request: web.Request) -> str:
    """The user's language setting (a wallboard kiosk's: its token's), else the browser's Accept-Language, else
    English."""
    user: UserRecord | None = request.get(USER)
    kiosk = request.get(KIOSK)
    language = user.language if user is not None else kiosk.language if kiosk is not None else None
    return negotiate(language, request.headers.get("Accept-Language"))


@lru_cache(maxsize=64)
def translated_template(name: str, locale: str) -> str:
    """A page (composed with its layout: :mod:`dialer.web.layout`) with its messages in ``locale``
    (``$placeholders`` still to fill); cached per process."""
    return translate_html(page_text(name), translations(locale).gettext, locale)


@routes.route("GET", "/api/i18n/{name}", roles=ANY_USER, tag="users", errors=(404,), kiosk=True)
async def catalogue(call: Call) -> web.Response:
    """A catalogue for the browser scripts: msgid → translation (en: empty, the msgids are English)"""
    requested = call.path("name")
    locale = normalize_locale(requested)
    if locale is None or locale != requested:
        raise Problem(404, _("no catalogue for this language"), languages=list(LOCALES))
    return ok(catalog_json(locale))


class Preferences(BaseModel):
    model_config = ConfigDict(extra="forbid")
    language: UiLanguage = Field(default=None, description="en, ja, zh-CN, zh-Hant; '' for the browser's language")
    timezone: str | None = Field(default=None, description="IANA zone times are shown in; '' for the browser's")

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, v: str | None) -> str | None:
        if v and not is_known_zone(v):
            raise ValueError(M_("{value} is not an IANA time zone", value=repr(v)))
        return v


@routes.route("GET", "/api/me/preferences", roles=ANY_USER, tag="users")
async def get_preferences(call: Call) -> web.Response:
    """My language and time zone, and the choices"""
    return ok(_preferences(call.request, call.user))


@routes.route("PUT", "/api/me/preferences", roles=ANY_USER, tag="users", body=Preferences)
async def put_preferences(call: Call) -> web.Response:
    """Set my language and time zone ('' clears one: the browser's is used)"""
    body = call.body_as(Preferences)
    user = await update_user(call.db, call.user.name, datetime.now(UTC), language=body.language, timezone=body.timezone)
    call.app[CREDENTIALS].forget_user(user.name)
    return ok(_preferences(call.request, user))


def _preferences(request: web.Request, user: UserRecord) -> dict[str, Any]:
    return {
        "language": user.language,
        "timezone": user.timezone,
        "effective_language": negotiate(user.language, request.headers.get("Accept-Language")),
        "languages": [{"code": code, "name": LOCALE_NAMES[code]} for code in LOCALES],
    }
