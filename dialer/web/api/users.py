"""Users, who am I, and API tokens."""

from __future__ import annotations

import asyncio

from aiohttp import web
from pydantic import Field

from dialer.i18n import M_
from dialer.store.auth import (
    InvalidPhoneError,
    Role,
    UserExistsError,
    add_api_token,
    api_tokens_of,
    create_user,
    get_user,
    list_users,
    revoke_api_token,
)
from dialer.web.api.common import Paging, Strict, invalid, ok, page_from, refused
from dialer.web.problems import Problem
from dialer.web.routing import ADMINS, ANY_USER, CREDENTIALS, SESSION, Call, RouteTable
from dialer.web.security import hash_password, new_api_token

routes = RouteTable(tag="auth")


class UserCreate(Strict):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    role: Role
    password: str = Field(min_length=8, max_length=200)
    phone: str | None = Field(default=None, min_length=3, max_length=120, description="agent phone, e.g. PJSIP/1001")
    display_name: str | None = Field(default=None, max_length=120)


class TokenCreate(Strict):
    label: str = Field(default="", max_length=100)


@routes.route("GET", "/api/me", roles=ANY_USER)
async def get_me(call: Call) -> web.Response:
    """Who am I"""
    session = call.request.get(SESSION)
    return ok({"user": call.user.public(), "csrf_token": session.csrf_token if session else None})


@routes.route("POST", "/api/tokens", roles=ANY_USER, body=TokenCreate, status=201)
async def mint_token(call: Call) -> web.Response:
    """Mint an API token for yourself"""
    body = call.body_as(TokenCreate)
    token = new_api_token()
    token_id = await add_api_token(call.db, call.user.id, token, body.label, call.now(), actor=call.user.name)
    return ok({"id": token_id, "token": token, "user": call.user.name, "note": "shown once: store it now"}, 201)


class TokenQuery(Strict):
    user: str | None = Field(
        default=None,
        max_length=64,
        description="whose tokens: a user's name, or `*` for every user's (admins only; default: yours)",
    )


@routes.route("GET", "/api/tokens", roles=ANY_USER, query=TokenQuery, errors=(403, 404))
async def get_tokens(call: Call) -> web.Response:
    """API tokens (never their secrets): label, user, when made and last used, revoked or not; yours, or (an
    admin) a user's or everyone's (``?user=NAME``, ``?user=*``)"""
    whose = call.query_as(TokenQuery).user
    if whose is None or whose == call.user.name:
        return ok({"items": [t.public() for t in await api_tokens_of(call.db, call.user.id)]})
    if call.user.role is not Role.ADMIN:
        raise Problem(403, M_("only an admin sees another user's API tokens"))
    if whose == "*":
        return ok({"items": [t.public() for t in await api_tokens_of(call.db)]})
    user = await get_user(call.db, whose)
    if user is None:
        raise Problem(404, M_("no such {kind} {value}", kind="user", value=repr(whose)))
    return ok({"items": [t.public() for t in await api_tokens_of(call.db, user.id)]})


@routes.route("DELETE", r"/api/tokens/{token_id:\d{1,15}}", roles=ANY_USER, errors=(404,))
async def delete_token(call: Call) -> web.Response:
    """Revoke an API token (a leaked one, one a script no longer needs): refused at once (audited). Yours; an admin
    revokes any user's"""
    token_id = call.path_id("token_id")
    mine_only = None if call.user.role is Role.ADMIN else call.user.id
    owner = await revoke_api_token(call.db, mine_only, token_id, call.now(), actor=call.user.name)
    if owner is None:
        raise Problem(404, M_("no such {kind} {value}", kind="token", value=repr(str(token_id))))
    call.app[CREDENTIALS].forget_user(owner)  # its cached lookup goes too
    return ok({"id": token_id, "user": owner, "revoked": True})


@routes.listing("/api/users", roles=ADMINS, tag="users", query=Paging)
async def get_users(call: Call) -> web.Response:
    """List users"""
    q = call.query_as(Paging)
    return page_from(q, await list_users(call.db, limit=q.limit, offset=q.offset), lambda u: u.public())


@routes.route("POST", "/api/users", roles=ADMINS, tag="users", body=UserCreate, status=201, errors=(409,))
async def post_user(call: Call) -> web.Response:
    """Create a user"""
    body = call.body_as(UserCreate)
    with refused(UserExistsError, status=409), invalid(InvalidPhoneError):
        user = await create_user(
            call.db,
            body.name,
            body.role,
            await asyncio.to_thread(hash_password, body.password),
            call.now(),
            phone=body.phone,
            display_name=body.display_name,
            actor=call.user.name,
        )
    return ok(user.public(), 201)
