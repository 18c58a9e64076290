"""Server-rendered pages (login, agent console, manager dashboard), login/logout, the OpenAPI document."""

from __future__ import annotations

import asyncio
import html
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from dialer.appkeys import DATABASE, SETTINGS
from dialer.i18n import DEFAULT_LOCALE, _
from dialer.store.auth import Role, UserRecord, create_session, end_session, get_user
from dialer.web.api.common import dumps, ok
from dialer.web.i18n import request_locale, translated_template
from dialer.web.live import HUB, websocket_handler
from dialer.web.problems import Handler, Problem
from dialer.web.routing import (
    ANY_USER,
    CREDENTIALS,
    PUBLIC,
    SESSION,
    SESSION_COOKIE,
    SUPERVISORS,
    USER,
    Call,
    RouteTable,
    current_user,
)
from dialer.web.security import LoginRateLimiter, new_secret, verify_password
from dialer.webhooks.core import frame_sources

routes = RouteTable()
SESSION_HOURS = 12
LIMITER: web.AppKey[LoginRateLimiter] = web.AppKey("web_login_limiter", LoginRateLimiter)
OPENAPI: web.AppKey[dict[str, Any]] = web.AppKey("web_openapi")


def render(template: str, request: web.Request | None = None, **values: Any) -> web.Response:
    """A template in the request's language (:func:`dialer.web.i18n.request_locale`), placeholders filled."""
    locale = request_locale(request) if request is not None else DEFAULT_LOCALE
    text = Template(translated_template(template, locale)).substitute(
        {k: html.escape(str(v)) if not k.endswith("_json") else v for k, v in values.items()}
    )
    return web.Response(
        text=text,
        content_type="text/html",
        headers={
            "Content-Security-Policy": "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
            "style-src 'self'; script-src 'self'; frame-ancestors 'none'",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
            "Cache-Control": "no-store",
        },
    )


def home_of(user: UserRecord) -> str:
    return "/console" if user.role is Role.AGENT else "/dashboard"


def safe_next(target: str | None) -> str | None:
    """Only a local path: never let ?next= send someone to another site."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target


def _secure(request: web.Request) -> bool:
    return bool(getattr(request.app[SETTINGS].http, "secure_cookies", False)) or request.secure


def client_address(request: web.Request) -> str:
    return request.remote or "unknown"


async def authenticate(request: web.Request, name: str, password: str) -> UserRecord:
    limiter = request.app[LIMITER]
    address = client_address(request)
    now = time.monotonic()
    wait = limiter.retry_after(name, address, now)
    if wait > 0:
        raise Problem(
            429,
            _("too many failed logins for {name} from your address: try again in {seconds} s").format(
                name=repr(name), seconds=int(wait)
            ),
            headers={"Retry-After": str(int(wait))},
        )
    user = await get_user(request.app[DATABASE], name)
    # argon2 is deliberately slow CPU work: in a worker thread, so a login flood does not stall dialling.
    good = await asyncio.to_thread(verify_password, user.password_hash if user else None, password)
    if user is None or not good or user.disabled:
        limiter.failed(name, address, now)
        raise Problem(401, _("wrong user name or password"), kind="bad-credentials")
    limiter.succeeded(name, address)
    return user


async def start_session(request: web.Request, response: web.StreamResponse, user: UserRecord) -> str:
    session_id, csrf = new_secret(), new_secret()
    now = datetime.now(UTC)
    # One browser session per user (every role): signing in again ends the others, so a session left open on a
    # shared or lost machine stops working, and an agent's seat is in one console only. API tokens are not sessions.
    await create_session(
        request.app[DATABASE], user.id, session_id, csrf, now, now + timedelta(hours=SESSION_HOURS), end_others=True
    )
    request.app[CREDENTIALS].forget_user(user.name)  # their other sessions ended
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=SESSION_HOURS * 3600,
        httponly=True,
        samesite="Strict",
        secure=_secure(request),
        path="/",
    )
    return csrf


async def sign_out(request: web.Request) -> None:
    """End the request's browser session: in the database, and at once in this daemon's memory of it."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        await end_session(request.app[DATABASE], cookie)
        request.app[CREDENTIALS].forget(cookie)


class LoginBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


@routes.route("POST", "/api/login", roles=PUBLIC, tag="auth", body=LoginBody, errors=(401, 429))
async def api_login(call: Call) -> web.Response:
    """Log in: sets the session cookie, returns the CSRF token"""
    body = call.body_as(LoginBody)
    user = await authenticate(call.request, body.name, body.password)
    response = ok({"user": user.public()})
    csrf = await start_session(call.request, response, user)
    response.text = dumps({"user": user.public(), "csrf_token": csrf, "home": home_of(user)})
    return response


@routes.route("POST", "/api/logout", roles=ANY_USER, tag="auth")
async def api_logout(call: Call) -> web.Response:
    """End the browser session"""
    await sign_out(call.request)
    call.app[HUB].release(call.user.name, "signed out")
    response = ok({"logged_out": True})
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


@routes.route("GET", "/api/openapi.json", roles=PUBLIC, tag="meta")
async def openapi_document(call: Call) -> web.Response:
    """This document"""
    return ok(call.app[OPENAPI])


FAVICON = Path(__file__).parent / "static" / "favicon.svg"


@routes.page("GET", "/favicon.ico", roles=PUBLIC)
async def favicon(request: web.Request) -> web.StreamResponse:
    """The icon a browser asks for on a page that names none (a report, an error page): the pages' own icon"""
    return web.FileResponse(FAVICON, headers={"Content-Type": "image/svg+xml", "Cache-Control": "max-age=86400"})


@routes.page("GET", "/login", roles=PUBLIC)
async def login_page(request: web.Request) -> web.StreamResponse:
    """Login form"""
    user = request.get(USER)
    if user is not None:
        raise web.HTTPFound(home_of(user))
    return render("login.html", request, error="", next=safe_next(request.query.get("next")) or "", name="")


@routes.page("POST", "/login", roles=PUBLIC)
async def login_submit(request: web.Request) -> web.StreamResponse:
    """Login form submission"""
    form = await request.post()
    name = str(form.get("name", ""))[:64]
    password = str(form.get("password", ""))[:200]
    target = safe_next(str(form.get("next", "")))
    try:
        user = await authenticate(request, name, password)
    except Problem as problem:
        response = render("login.html", request, error=problem.detail, next=target or "", name=name)
        response.set_status(problem.status)
        return response
    response = web.HTTPSeeOther(target or home_of(user))
    await start_session(request, response, user)
    raise response


@routes.page("POST", "/logout", roles=ANY_USER)
async def logout_submit(request: web.Request) -> web.StreamResponse:
    """Log out"""
    await sign_out(request)
    # Signing out of the console gives up the seat: paused and out of the queues (no call to an empty chair).
    request.app[HUB].release(current_user(request).name, "signed out")
    response = web.HTTPSeeOther("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


@routes.page("GET", "/", roles=ANY_USER)
async def home(request: web.Request) -> web.StreamResponse:
    """Home: the console or the dashboard"""
    raise web.HTTPFound(home_of(current_user(request)))


def _page_values(request: web.Request) -> dict[str, Any]:
    user: UserRecord = current_user(request)
    session = request.get(SESSION)
    return {
        "user": user.name,
        "role": user.role.value,
        "csrf": session.csrf_token if session else "",
        "boot_json": html.escape(
            json.dumps(
                {
                    "user": user.name,
                    "role": user.role.value,
                    "language": request_locale(request),
                    "timezone": user.timezone,
                    "language_setting": user.language or "",
                }
            ),
            quote=True,
        ),
    }


def shell(template: str) -> Handler:
    """A page whose data comes from the JSON API: ``template`` with the user, their CSRF token and boot values."""

    async def page(request: web.Request) -> web.StreamResponse:
        return render(template, request, **_page_values(request))

    return page


@routes.page("GET", "/console", roles=ANY_USER)
async def console_page(request: web.Request) -> web.StreamResponse:
    """Agent console"""
    response = render("console.html", request, **_page_values(request))
    # The CRM screen pop may be a frame of an allow-listed CRM host (dialer.web.api.crm).
    csp = response.headers["Content-Security-Policy"]
    response.headers["Content-Security-Policy"] = (
        f"{csp}; frame-src {frame_sources(request.app[SETTINGS].webhooks.allowed_destinations)}"
    )
    return response


@routes.page("GET", "/dashboard", roles=SUPERVISORS)
async def dashboard_page(request: web.Request) -> web.StreamResponse:
    """Manager dashboard (supervisors: their teams)"""
    return render("dashboard.html", request, **_page_values(request))


@routes.page("GET", "/ws", roles=ANY_USER)
async def ws_endpoint(request: web.Request) -> web.StreamResponse:
    """Live updates (WebSocket)"""
    return await websocket_handler(request)
