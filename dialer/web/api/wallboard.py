"""The wallboard (:mod:`dialer.web.wallboard`): its page, its document, its feed, and the wallboard tokens.

The dashboard's users (managers, admins; a supervisor: their teams) open ``/wallboard`` signed in. A TV nobody signs
in on uses a wallboard token instead: a manager creates one (named, optionally limited to teams and campaigns) and
opens ``/wallboard?token=...`` on the TV once; the page swaps the token for a kiosk session cookie and drops it from
the address. A kiosk reads the wallboard page, ``/api/wallboard`` and ``/ws/wallboard`` (and the translations), and
every other route refuses it (:func:`dialer.web.routing.auth_middleware`). Revoking the token ends its kiosk
sessions and closes its open feeds at once.
"""

from __future__ import annotations

import html
import json
from typing import Any

from aiohttp import web
from pydantic import Field

from dialer.appkeys import DATABASE, SETTINGS
from dialer.i18n import M_, _
from dialer.store.admin import get_team
from dialer.store.wallboard import (
    UnknownWallboardTokenError,
    WallboardTokenExistsError,
    create_wallboard_token,
    list_wallboard_tokens,
    revoke_wallboard_token,
    start_kiosk_session,
)
from dialer.web.api.common import Strict, UiLanguage, ok, refused
from dialer.web.floor import dashboard_document
from dialer.web.live import HUB, wallboard_socket
from dialer.web.pages import render
from dialer.web.problems import Problem
from dialer.web.routing import (
    CREDENTIALS,
    KIOSK,
    KIOSK_BY_TOKEN,
    KIOSK_COOKIE,
    MANAGERS,
    SCOPE,
    SUPERVISORS,
    TOKEN_PAGE_HEADERS,
    USER,
    Call,
    RouteTable,
    request_now,
)
from dialer.web.security import new_secret
from dialer.web.wallboard import Viewer, wallboard_document

routes = RouteTable(tag="wallboard")
# A kiosk session ends on its own ([http] kiosk_idle_hours, kiosk_max_days) or when its token is revoked; the
# cookie is kept for the browser's longest (the store decides, and an expired session is told so).
KIOSK_COOKIE_SECONDS = 400 * 24 * 3600

_COUNT = {"type": "integer"}
WALLBOARD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["at", "agents", "pauses_overdue", "campaigns", "inbound", "service_level_rule"],
    "properties": {
        "at": {"type": "number", "description": "the daemon's clock (seconds)"},
        "name": {"type": "string", "description": "the kiosk token's name ('' for a signed-in user)"},
        "agents": {"type": "object", "properties": {s: _COUNT for s in ("ready", "talking", "wrapup", "paused")}},
        "pauses_overdue": {**_COUNT, "description": "agents paused longer than their pause code allows"},
        "hands_raised": _COUNT,
        "campaigns": {
            "type": "array",
            "description": "the running campaigns",
            "items": {
                "type": "object",
                "properties": {
                    "campaign": {"type": "string"},
                    "dial_mode": {"type": "string"},
                    "calls_today": _COUNT,
                    "live_answers_today": _COUNT,
                    "abandon_rate": {"type": "number", "description": "over the pacer's (compliance) window"},
                    "abandon_cap": {"type": "number"},
                    "abandon_margin": {"type": "number", "description": "cap minus rate"},
                    "abandon_level": {"enum": ["ok", "warn", "over"]},
                },
            },
        },
        "inbound": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "queue": {"type": "string"},
                    "waiting": _COUNT,
                    "longest_waiting_seconds": {"type": ["number", "null"]},
                    "service_level": {"type": ["number", "null"], "description": "the last hour's"},
                    "service_level_state": {"enum": ["ok", "below", "none"]},
                },
            },
        },
        "service_level_rule": {"type": "object"},
    },
}
TOKEN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": _COUNT,
        "name": {"type": "string"},
        "teams": {"type": "array", "items": {"type": "string"}},
        "campaigns": {"type": "array", "items": {"type": "string"}},
        "language": {"type": ["string", "null"]},
        "created_by": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "revoked_at": {"type": ["string", "null"], "format": "date-time"},
        "revoked": {"type": "boolean"},
        "token": {"type": "string", "description": "the secret, shown once (at creation)"},
        "url": {"type": "string", "description": "the address to open on the TV once (at creation)"},
    },
}


def viewer_of(request: web.Request) -> Viewer:
    """What the request's wallboard may show: a kiosk's teams and campaigns, a supervisor's teams, or everything."""
    kiosk = request.get(KIOSK)
    if kiosk is not None:
        return Viewer(kiosk.agents, kiosk.campaigns, kiosk.token_id, kiosk.name, kiosk.teams)
    user = request.get(USER)
    if user is None:
        raise Problem(401, M_("sign in first"))
    return Viewer(request.get(SCOPE))


def _page(request: web.Request) -> web.Response:
    kiosk = request.get(KIOSK)
    user = request.get(USER)
    boot = {"kiosk": kiosk is not None, "name": kiosk.name if kiosk else (user.name if user else "")}
    return render("wallboard.html", request, boot_json=html.escape(json.dumps(boot), quote=True))


@routes.page("GET", "/wallboard", roles=SUPERVISORS, kiosk=True)
async def wallboard_page(request: web.Request) -> web.StreamResponse:
    """The wallboard: the floor's live figures for a TV (managers, supervisors: their teams; a wallboard kiosk)"""
    kiosk = request.get(KIOSK)
    if kiosk is not None and request.get(KIOSK_BY_TOKEN):
        session_id = new_secret()
        db = request.app[DATABASE]
        await start_kiosk_session(db, kiosk, session_id, request_now(request), address=request.remote or "unknown")
        # The token leaves the address bar (and the browser's history); no Referer ever carries its address, and no
        # cache keeps it. (The access log masks it: dialer.logging.)
        response = web.HTTPSeeOther("/wallboard", headers=TOKEN_PAGE_HEADERS)
        response.set_cookie(
            KIOSK_COOKIE,
            session_id,
            max_age=KIOSK_COOKIE_SECONDS,
            httponly=True,
            samesite="Strict",
            secure=bool(getattr(request.app[SETTINGS].http, "secure_cookies", False)) or request.secure,
            path="/",
        )
        raise response
    return _page(request)


@routes.route("GET", "/api/wallboard", roles=SUPERVISORS, kiosk=True, response=WALLBOARD_SCHEMA)
async def get_wallboard(call: Call) -> web.Response:
    """The wallboard's figures (the same document /ws/wallboard pushes every second)"""
    return ok(wallboard_document(await dashboard_document(call.app, with_leads=False), viewer_of(call.request)))


@routes.page("GET", "/ws/wallboard", roles=SUPERVISORS, kiosk=True)
async def wallboard_feed(request: web.Request) -> web.StreamResponse:
    """The wallboard, pushed once a second (WebSocket)"""
    return await wallboard_socket(request, viewer_of(request))


class WallboardTokenCreate(Strict):
    name: str = Field(min_length=1, max_length=64, description="what the TV is, e.g. 'floor 2, north wall'")
    teams: list[str] = Field(default_factory=list, max_length=50, description="show these teams' agents only")
    campaigns: list[str] = Field(default_factory=list, max_length=50, description="show these campaigns only")
    language: UiLanguage = Field(default=None, description="en, ja, zh-CN, zh-Hant; none: the TV browser's")


@routes.route("GET", "/api/wallboard-tokens", roles=MANAGERS, response={"type": "array", "items": TOKEN_SCHEMA})
async def get_wallboard_tokens(call: Call) -> web.Response:
    """Every wallboard token (revoked ones too); never their secrets"""
    return ok([token.public() for token in await list_wallboard_tokens(call.db)])


@routes.route(
    "POST",
    "/api/wallboard-tokens",
    roles=MANAGERS,
    body=WallboardTokenCreate,
    status=201,
    errors=(409, 422),
    response=TOKEN_SCHEMA,
)
async def post_wallboard_token(call: Call) -> web.Response:
    """Create a wallboard token: open /wallboard?token=... once on the TV (the secret is shown once)"""
    body = call.body_as(WallboardTokenCreate)
    team_ids = []
    for name in dict.fromkeys(body.teams):
        team = await get_team(call.db, name)
        if team is None:
            raise Problem(422, _("no team named {name}").format(name=repr(name)), kind="validation-error")
        team_ids.append(team.id)
    known = set(call.daemon.campaign_names())
    for name in body.campaigns:
        if name not in known:
            raise Problem(422, _("no campaign named {name}").format(name=repr(name)), kind="validation-error")
    secret = "wbt_" + new_secret()  # a recognisable prefix lets secret scanners find a leaked one
    with refused(WallboardTokenExistsError, status=409):
        token = await create_wallboard_token(
            call.db,
            body.name,
            secret,
            call.now(),
            actor=call.user.name,
            teams=tuple(team_ids),
            campaigns=tuple(dict.fromkeys(body.campaigns)),
            language=body.language or None,
        )
    return ok({**token.public(), "token": secret, "url": f"/wallboard?token={secret}"}, 201)


@routes.route("DELETE", "/api/wallboard-tokens/{token_id:\\d+}", roles=MANAGERS, errors=(404,), response=TOKEN_SCHEMA)
async def delete_wallboard_token(call: Call) -> web.Response:
    """Revoke a wallboard token: its TVs' kiosk sessions end and their open feeds close at once"""
    with refused(UnknownWallboardTokenError, status=404):
        token = await revoke_wallboard_token(call.db, call.path_id("token_id"), call.now(), actor=call.user.name)
    call.app[CREDENTIALS].forget_kiosk(token.id)
    await call.app[HUB].end_kiosk(token.id, "wallboard token revoked")
    return ok(token.public())
