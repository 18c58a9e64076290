"""Users, API tokens and browser sessions of the web tier (same metadata as :mod:`dialer.store.tables`).

Only hashes are stored: argon2id for passwords (hashed by the caller, :mod:`dialer.web.security`), SHA-256 for
API tokens and session ids (both are 256-bit random values, so a fast hash is enough and lookups stay indexed).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, delete, func, select, update
from sqlmodel import Field, SQLModel

from dialer.i18n import M_
from dialer.store.audit import audit_in
from dialer.store.changes import not_none
from dialer.store.engine import Database
from dialer.store.records import RecordReader, first_row, name_taken_in, paged, public_fields
from dialer.store.tables import metadata
from dialer.store.types import UTCDateTime

assert metadata is SQLModel.metadata  # one schema: the migrations compare every table at once


TOKEN_USE_RESOLUTION_SECONDS = 60.0


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    SUPERVISOR = "supervisor"  # sees and acts on the agents of their own teams only (dialer.store.admin)
    AGENT = "agent"


MAX_PHONE_CHARS = 120


class UserRow(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    role: str = Field(max_length=16)
    password_hash: str = Field(max_length=255)
    phone: str | None = Field(default=None, max_length=MAX_PHONE_CHARS)  # the agent's interface (check_agent_phone)
    display_name: str | None = Field(default=None, max_length=120)
    language: str | None = Field(default=None, max_length=16)  # en, ja, zh-CN; None: the browser's Accept-Language
    timezone: str | None = Field(default=None, max_length=64)  # IANA zone times are shown in; None: the browser's
    disabled: bool = False
    team_id: int | None = Field(default=None, foreign_key="teams.id", index=True)  # an agent's team
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class TeamRow(SQLModel, table=True):
    """A team of agents; its supervisors are in ``team_supervisors``."""

    __tablename__ = "teams"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_type=UTCDateTime)


class ApiTokenRow(SQLModel, table=True):
    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    label: str = Field(default="", max_length=100)
    created_at: datetime = Field(sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked: bool = False


class WebSessionRow(SQLModel, table=True):
    __tablename__ = "web_sessions"
    __table_args__ = (Index("ix_web_sessions_expires", "expires_at"),)

    id_hash: str = Field(max_length=64, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)


users_t = metadata.tables["users"]
api_tokens_t = metadata.tables["api_tokens"]
web_sessions_t = metadata.tables["web_sessions"]


class UserExistsError(ValueError):
    """Another user already has this name."""

    def __init__(self, name: str) -> None:
        super().__init__(M_("a user named {name} already exists", name=repr(name)))
        self.name = name


# An agent's phone is the channel the dialplan and the queues reach them on: a queue member's interface
# (QueueAdd), the channel a supervisor's Originate rings, the key of the agent's AMI events. One of the technologies
# the dialer is run with -- PJSIP/alice, SIP/1001, IAX2/desk1 (optionally @peer), Local/agent1@sim-agents (a Local
# channel needs its context; /n and the like may follow) -- with no space, comma, '&' or '|' the dialplan would split.
_RESOURCE = r"[A-Za-z0-9_.+*#-]+"
_AGENT_PHONE = re.compile(
    rf"(?:(?:PJSIP|SIP|IAX2)/{_RESOURCE}(?:@{_RESOURCE})?|Local/{_RESOURCE}@{_RESOURCE}(?:/[a-z]+)?)", re.IGNORECASE
)


class InvalidPhoneError(ValueError):
    """Not a channel an agent's phone can be (:func:`check_agent_phone`)."""

    def __init__(self, phone: str) -> None:
        super().__init__(
            M_(
                "phone {phone}: not a channel Asterisk can reach (e.g. PJSIP/1001, SIP/1001, IAX2/desk1, "
                "Local/agent1@agents)",
                phone=repr(phone),
            )
        )
        self.phone = phone


def check_agent_phone(phone: str | None) -> None:
    """The one rule for a user's phone (the CLI and the API alike): None (no phone) or a channel string such as
    ``PJSIP/1001`` or ``Local/agent1@sim-agents``; anything else raises :class:`InvalidPhoneError`."""
    if phone is not None and (len(phone) > MAX_PHONE_CHARS or not _AGENT_PHONE.fullmatch(phone)):
        raise InvalidPhoneError(phone)


class UnknownUserError(LookupError):
    """No user has this name."""

    def __init__(self, name: str) -> None:
        super().__init__(M_("no user named {name}", name=repr(name)))
        self.name = name


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A user account as stored, password hash included (``public()`` is what the API shows of it)."""

    id: int
    name: str
    role: Role
    password_hash: str
    phone: str | None
    display_name: str | None
    disabled: bool
    created_at: datetime
    team_id: int | None = None
    language: str | None = None  # en, ja, zh-CN; None: the browser's Accept-Language
    timezone: str | None = None  # IANA zone the UI shows times in; None: the browser's

    def public(self) -> dict[str, object]:
        return public_fields(self, "id name role phone display_name disabled team_id created_at language timezone")


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A signed-in browser session: its user, the CSRF token its forms carry, when it expires."""

    user: UserRecord
    csrf_token: str
    expires_at: datetime


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


_user = RecordReader(UserRecord, role=Role, disabled=bool)


async def create_user(
    db: Database,
    name: str,
    role: Role,
    password_hash: str,
    now: datetime,
    *,
    phone: str | None = None,
    display_name: str | None = None,
    actor: str | None = None,
) -> UserRecord:
    """A new user; ``actor``: who creates them, written to the audit log in the same transaction. A phone that is
    no channel raises :class:`InvalidPhoneError`."""
    check_agent_phone(phone)
    async with db.write() as conn:
        if await name_taken_in(conn, users_t, name):
            raise UserExistsError(name)
        if actor is not None:
            await audit_in(conn, actor, "user.create", f"user:{name}", now, role=role.value, phone=phone)
        await conn.execute(
            users_t.insert().values(
                name=name,
                role=role.value,
                password_hash=password_hash,
                phone=phone,
                display_name=display_name,
                disabled=False,
                created_at=now,
                updated_at=now,
            )
        )
        return await _user.one_in(conn, select(users_t).where(users_t.c.name == name))


async def update_user(
    db: Database,
    name: str,
    now: datetime,
    *,
    password_hash: str | None = None,
    phone: str | None = None,
    role: Role | None = None,
    disabled: bool | None = None,
    language: str | None = None,
    timezone: str | None = None,
) -> UserRecord:
    """Change the given fields; ``language`` / ``timezone`` "" clears the setting (back to the browser's)."""
    check_agent_phone(phone)
    role_value = None if role is None else role.value
    values = not_none(password_hash=password_hash, phone=phone, role=role_value, disabled=disabled)
    settings = not_none(language=language, timezone=timezone)
    values.update({name: value or None for name, value in settings.items()}, updated_at=now)  # "": NULL
    async with db.write() as conn:
        result = await conn.execute(update(users_t).where(users_t.c.name == name).values(**values))
        if result.rowcount == 0:
            raise UnknownUserError(name)
        return await _user.one_in(conn, select(users_t).where(users_t.c.name == name))


async def get_user(db: Database, name: str) -> UserRecord | None:
    return await _user.first(db, select(users_t).where(users_t.c.name == name))


async def list_users(
    db: Database, *, role: Role | None = None, limit: int = 100, offset: int = 0
) -> tuple[int, list[UserRecord]]:
    where = [users_t.c.role == role.value] if role is not None else []
    query = select(users_t).order_by(users_t.c.name)
    return await paged(db, users_t, query, where, _user, limit=limit, offset=offset)


async def count_users(db: Database) -> int:
    async with db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(users_t))).scalar_one())


# ------------------------------------------------------------------------------------------------ API tokens
async def add_api_token(
    db: Database, user_id: int, token: str, label: str, now: datetime, *, actor: str | None = None
) -> int:
    """A new API token; ``actor``: who mints it, written to the audit log in the same transaction."""
    async with db.write() as conn:
        result = await conn.execute(
            api_tokens_t.insert()
            .values(user_id=user_id, token_hash=secret_hash(token), label=label, created_at=now, revoked=False)
            .returning(api_tokens_t.c.id)
        )
        token_id = int(result.scalar_one())
        if actor is not None:
            name = (await conn.execute(select(users_t.c.name).where(users_t.c.id == user_id))).scalar_one()
            await audit_in(conn, actor, "token.mint", f"user:{name}", now, token_id=token_id, label=label)
        return token_id


async def user_for_token(db: Database, token: str, now: datetime) -> UserRecord | None:
    """The enabled user owning an unrevoked token. Notes when it was last used, at most once a minute (every API
    call would otherwise be a write, competing with the dialer's claims for SQLite's single writer)."""
    digest = secret_hash(token)
    row = await first_row(
        db,
        select(users_t, api_tokens_t.c.id.label("token_id"), api_tokens_t.c.last_used_at.label("token_last_used_at"))
        .join(api_tokens_t, api_tokens_t.c.user_id == users_t.c.id)
        .where(api_tokens_t.c.token_hash == digest, api_tokens_t.c.revoked.is_(False)),
    )
    if row is None or row["disabled"]:
        return None
    last = row["token_last_used_at"]
    if last is None or (now - last).total_seconds() >= TOKEN_USE_RESOLUTION_SECONDS:
        async with db.write() as conn:
            await conn.execute(
                update(api_tokens_t).where(api_tokens_t.c.id == row["token_id"]).values(last_used_at=now)
            )
    return _user(row)


@dataclass(frozen=True, slots=True)
class ApiTokenRecord:
    """An API token as its owner (or an admin) sees it: never the secret (only its hash is stored)."""

    id: int
    user: str  # the user it acts as
    label: str
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool

    def public(self) -> dict[str, object]:
        return public_fields(self, "id user label created_at last_used_at revoked")


_api_token = RecordReader(ApiTokenRecord, revoked=bool)


async def api_tokens_of(db: Database, user_id: int | None = None) -> list[ApiTokenRecord]:
    """The user's API tokens (None: every user's, for an admin), oldest first, revoked ones too."""
    t = api_tokens_t.c
    stmt = (
        select(t.id, users_t.c.name.label("user"), t.label, t.created_at, t.last_used_at, t.revoked)
        .join(users_t, users_t.c.id == t.user_id)
        .order_by(t.id)
    )
    if user_id is not None:
        stmt = stmt.where(t.user_id == user_id)
    return await _api_token.all(db, stmt)


async def revoke_api_token(
    db: Database, user_id: int | None, token_id: int, now: datetime, *, actor: str
) -> str | None:
    """Revoke token ``token_id`` of the user ``user_id`` (None: of whichever user, for an admin), audited by
    ``actor`` in the same transaction. The name of the user it acted as (whose cached credentials must go); None:
    no such token (of that user), or it was revoked already."""
    t = api_tokens_t.c
    async with db.write() as conn:
        owner = select(t.user_id).where(t.id == token_id, t.revoked.is_(False))
        if user_id is not None:
            owner = owner.where(t.user_id == user_id)
        found = (await conn.execute(owner)).scalar_one_or_none()
        if found is None:
            return None
        result = await conn.execute(
            update(api_tokens_t).where(t.id == token_id, t.revoked.is_(False)).values(revoked=True)
        )
        if result.rowcount != 1:
            return None
        name: str = (await conn.execute(select(users_t.c.name).where(users_t.c.id == found))).scalar_one()
        await audit_in(conn, actor, "token.revoke", f"user:{name}", now, token_id=token_id)
        return name


async def revoke_tokens(db: Database, user_id: int) -> int:
    async with db.write() as conn:
        result = await conn.execute(update(api_tokens_t).where(api_tokens_t.c.user_id == user_id).values(revoked=True))
        return int(result.rowcount)


# ---------------------------------------------------------------------------------------------- web sessions
async def create_session(
    db: Database,
    user_id: int,
    session_id: str,
    csrf_token: str,
    now: datetime,
    expires_at: datetime,
    *,
    end_others: bool = False,
) -> None:
    """A new browser session; ``end_others``: the user's other sessions end in the same transaction."""
    async with db.write() as conn:
        await conn.execute(delete(web_sessions_t).where(web_sessions_t.c.expires_at < now))
        if end_others:
            await conn.execute(delete(web_sessions_t).where(web_sessions_t.c.user_id == user_id))
        await conn.execute(
            web_sessions_t.insert().values(
                id_hash=secret_hash(session_id),
                user_id=user_id,
                csrf_token=csrf_token,
                created_at=now,
                expires_at=expires_at,
            )
        )


async def session_user(db: Database, session_id: str, now: datetime) -> SessionRecord | None:
    row = await first_row(
        db,
        select(users_t, web_sessions_t.c.csrf_token, web_sessions_t.c.expires_at)
        .join(web_sessions_t, web_sessions_t.c.user_id == users_t.c.id)
        .where(web_sessions_t.c.id_hash == secret_hash(session_id), web_sessions_t.c.expires_at > now),
    )
    if row is None or row["disabled"]:
        return None
    return SessionRecord(_user(row), row["csrf_token"], row["expires_at"])


async def end_session(db: Database, session_id: str) -> None:
    async with db.write() as conn:
        await conn.execute(delete(web_sessions_t).where(web_sessions_t.c.id_hash == secret_hash(session_id)))
