"""Wallboard tokens and the kiosk sessions they open (same metadata as :mod:`dialer.store.tables`).

A wallboard token lets a TV that nobody signs in on show the wallboard, and nothing else: an admin or a manager
creates it (named, optionally limited to some teams' agents and some campaigns), opens ``/wallboard?token=...``
once on the TV, which swaps it for a kiosk session cookie. Revoking the token ends its kiosk sessions at once.

A kiosk session lives while its wallboard is in use, within bounds (:class:`KioskLifetime`, ``[http]
kiosk_idle_hours`` and ``kiosk_max_days``): each lookup while its page or feed is open renews it (``seen_at``,
written at most once a minute), it ends after ``idle`` without one, and ``longest`` after it was opened whatever
happens. An ended session stays refused as expired (its TV shows a page asking for the token again); the first
lookup that finds it over audits the expiry (``wallboard.kiosk.expire``), once across daemons.
Only SHA-256 hashes are stored, as for API tokens and browser sessions (:mod:`dialer.store.auth`): both are
256-bit random values. Creating and revoking are audited in the same transaction.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlmodel import Field, SQLModel

from dialer.i18n import M_
from dialer.store.admin import teams_t
from dialer.store.audit import audit_in
from dialer.store.auth import secret_hash, users_t
from dialer.store.engine import Database
from dialer.store.records import RecordReader, first_row, name_taken_in, public_fields
from dialer.store.tables import metadata
from dialer.store.types import UTCDateTime, json_document

assert metadata is SQLModel.metadata


class WallboardTokenRow(SQLModel, table=True):
    __tablename__ = "wallboard_tokens"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    token_hash: str = Field(max_length=64, unique=True)
    # The teams (ids) whose agents it shows, the campaigns (names) it shows; empty: all of them.
    teams: list[int] = Field(default_factory=list, sa_type=json_document())
    campaigns: list[str] = Field(default_factory=list, sa_type=json_document())
    language: str | None = Field(default=None, max_length=16)  # en, ja, zh-CN, zh-Hant; None: the TV browser's
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WallboardSessionRow(SQLModel, table=True):
    __tablename__ = "wallboard_sessions"

    id_hash: str = Field(max_length=64, primary_key=True)
    token_id: int = Field(foreign_key="wallboard_tokens.id", index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    seen_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # last renewed (None: since created_at)
    expired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # found over its lifetime (audited)


SEEN_RESOLUTION = timedelta(minutes=1)  # a session's renewal is written at most this often (a write per TV a minute)
wallboard_tokens_t = metadata.tables["wallboard_tokens"]
wallboard_sessions_t = metadata.tables["wallboard_sessions"]


class WallboardTokenExistsError(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(M_("a wallboard token named {name} already exists", name=repr(name)))


class KioskSessionExpiredError(LookupError):
    """The kiosk session outlived its lifetime: the TV must be opened with its wallboard token again."""

    def __init__(self, name: str) -> None:
        self.message = M_(
            "this wallboard's session has expired: open the wallboard's address with its token on this screen again "
            "(a manager has it, or makes a new one under Wallboard TVs on the dashboard)"
        )
        super().__init__(self.message)
        self.name = name


@dataclass(frozen=True, slots=True)
class KioskLifetime:
    """How long a kiosk session lives: ``idle`` after it was last renewed, and ``longest`` after it was opened."""

    idle: timedelta
    longest: timedelta

    def ends_at(self, opened: datetime, seen: datetime) -> datetime:
        return min(seen + self.idle, opened + self.longest)

    def why_ended(self, opened: datetime, seen: datetime) -> str:
        """``idle`` (not renewed in time) or ``lifetime`` (the absolute maximum reached)."""
        return "idle" if seen + self.idle < opened + self.longest else "lifetime"


class UnknownWallboardTokenError(LookupError):
    def __init__(self, token_id: int) -> None:
        super().__init__(M_("no wallboard token {id}", id=token_id))


@dataclass(frozen=True, slots=True)
class WallboardToken:
    """A wallboard token as stored (its hash left out) with the names of its teams."""

    id: int
    name: str
    teams: tuple[int, ...]
    campaigns: tuple[str, ...]
    language: str | None
    created_by: str
    created_at: datetime
    revoked_at: datetime | None
    team_names: tuple[str, ...] = ()

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def public(self) -> dict[str, object]:
        doc = public_fields(self, "id name campaigns language created_by created_at revoked_at")
        return {**doc, "teams": list(self.team_names), "revoked": self.revoked}


@dataclass(frozen=True, slots=True)
class Kiosk:
    """What a kiosk session may show: the wallboard of ``agents`` (None: every agent) and ``campaigns`` (None: every
    campaign), in ``language`` (None: the browser's)."""

    token_id: int
    name: str
    teams: tuple[int, ...]
    agents: frozenset[str] | None
    campaigns: frozenset[str] | None
    language: str | None


_token = RecordReader(WallboardToken, teams=lambda v: tuple(v or ()), campaigns=lambda v: tuple(v or ()))
_COLUMNS = [c for c in wallboard_tokens_t.c if c.name != "token_hash"]


async def _team_names(db: Database) -> dict[int, str]:
    async with db.read() as conn:
        return {int(i): str(n) for i, n in (await conn.execute(select(teams_t.c.id, teams_t.c.name))).all()}


def _named(token: WallboardToken, names: dict[int, str]) -> WallboardToken:
    return replace(token, team_names=tuple(names.get(t, f"#{t}") for t in token.teams))


async def create_wallboard_token(
    db: Database,
    name: str,
    token: str,
    now: datetime,
    *,
    actor: str,
    teams: tuple[int, ...] = (),
    campaigns: tuple[str, ...] = (),
    language: str | None = None,
) -> WallboardToken:
    """A new wallboard token (``token`` is the secret; only its hash is kept); audited as ``actor``'s."""
    async with db.write() as conn:
        if await name_taken_in(conn, wallboard_tokens_t, name):
            raise WallboardTokenExistsError(name)
        token_id = (
            await conn.execute(
                wallboard_tokens_t.insert()
                .values(
                    name=name,
                    token_hash=secret_hash(token),
                    teams=list(teams),
                    campaigns=list(campaigns),
                    language=language,
                    created_by=actor,
                    created_at=now,
                )
                .returning(wallboard_tokens_t.c.id)
            )
        ).scalar_one()
        detail: dict[str, Any] = {"token_id": token_id, "teams": list(teams), "campaigns": list(campaigns)}
        await audit_in(conn, actor, "wallboard.token.create", f"wallboard:{name}", now, **detail)
        created = await _token.one_in(conn, select(*_COLUMNS).where(wallboard_tokens_t.c.id == token_id))
    return _named(created, await _team_names(db))


async def list_wallboard_tokens(db: Database) -> list[WallboardToken]:
    """Every wallboard token, revoked ones included, by name."""
    async with db.read() as conn:
        tokens = await _token.all_in(conn, select(*_COLUMNS).order_by(wallboard_tokens_t.c.name))
    names = await _team_names(db)
    return [_named(t, names) for t in tokens]


async def revoke_wallboard_token(db: Database, token_id: int, now: datetime, *, actor: str) -> WallboardToken:
    """Revoke the token and end its kiosk sessions, audited as ``actor``'s (revoking it again changes nothing)."""
    async with db.write() as conn:
        token = await _token.first_in(conn, select(*_COLUMNS).where(wallboard_tokens_t.c.id == token_id))
        if token is None:
            raise UnknownWallboardTokenError(token_id)
        if token.revoked_at is None:
            await conn.execute(
                update(wallboard_tokens_t).where(wallboard_tokens_t.c.id == token_id).values(revoked_at=now)
            )
            await audit_in(conn, actor, "wallboard.token.revoke", f"wallboard:{token.name}", now, token_id=token_id)
        await conn.execute(delete(wallboard_sessions_t).where(wallboard_sessions_t.c.token_id == token_id))
        token = await _token.one_in(conn, select(*_COLUMNS).where(wallboard_tokens_t.c.id == token_id))
    return _named(token, await _team_names(db))


async def team_agents(db: Database, teams: Collection[int]) -> frozenset[str] | None:
    """The members of ``teams`` (ids) now; None (every agent) for no team."""
    if not teams:
        return None
    async with db.read() as conn:
        names = (await conn.execute(select(users_t.c.name).where(users_t.c.team_id.in_(list(teams))))).scalars()
        return frozenset(names)


async def _kiosk(db: Database, row: Any) -> Kiosk:
    teams = tuple(int(t) for t in row["teams"] or ())
    campaigns = frozenset(row["campaigns"]) if row["campaigns"] else None
    return Kiosk(int(row["id"]), str(row["name"]), teams, await team_agents(db, teams), campaigns, row["language"])


async def kiosk_for_token(db: Database, token: str) -> Kiosk | None:
    """The kiosk an unrevoked wallboard token opens (None: unknown or revoked)."""
    t = wallboard_tokens_t.c
    unrevoked = select(wallboard_tokens_t).where(t.token_hash == secret_hash(token), t.revoked_at.is_(None))
    row = await first_row(db, unrevoked)
    return None if row is None else await _kiosk(db, row)


async def start_kiosk_session(db: Database, kiosk: Kiosk, session_id: str, now: datetime, *, address: str) -> None:
    """A kiosk session of ``kiosk``'s token (its TV opened the wallboard with the token), audited with the TV's
    address."""
    async with db.write() as conn:
        # The token's expired sessions go (their TVs were told; this one is opening again).
        await conn.execute(
            delete(wallboard_sessions_t).where(
                wallboard_sessions_t.c.token_id == kiosk.token_id, wallboard_sessions_t.c.expired_at.is_not(None)
            )
        )
        await conn.execute(
            wallboard_sessions_t.insert().values(
                id_hash=secret_hash(session_id), token_id=kiosk.token_id, created_at=now, seen_at=now
            )
        )
        target = f"wallboard:{kiosk.name}"
        await audit_in(conn, target, "wallboard.kiosk.open", target, now, token_id=kiosk.token_id, address=address)


async def kiosk_for_session(db: Database, session_id: str, now: datetime, lifetime: KioskLifetime) -> Kiosk | None:
    """The kiosk of a session cookie at ``now``, while its token is not revoked (None otherwise), renewing the
    session (written at most once a minute). Raises KioskSessionExpiredError when the session is over
    ``lifetime`` (audited once, by the lookup that finds it so)."""
    s = wallboard_sessions_t.c
    digest = secret_hash(session_id)
    row = await first_row(
        db,
        select(wallboard_tokens_t, s.created_at.label("opened_at"), s.seen_at, s.expired_at)
        .join(wallboard_sessions_t, s.token_id == wallboard_tokens_t.c.id)
        .where(s.id_hash == digest, wallboard_tokens_t.c.revoked_at.is_(None)),
    )
    if row is None:
        return None
    opened, seen = row["opened_at"], row["seen_at"] or row["opened_at"]
    if row["expired_at"] is not None:
        raise KioskSessionExpiredError(row["name"])
    if now >= lifetime.ends_at(opened, seen):
        async with db.write() as conn:
            ended = await conn.execute(
                update(wallboard_sessions_t).where(s.id_hash == digest, s.expired_at.is_(None)).values(expired_at=now)
            )
            if ended.rowcount == 1:
                target = f"wallboard:{row['name']}"
                await audit_in(
                    conn,
                    target,
                    "wallboard.kiosk.expire",
                    target,
                    now,
                    token_id=row["id"],
                    reason=lifetime.why_ended(opened, seen),
                    opened_at=opened.isoformat(),
                    last_seen_at=seen.isoformat(),
                )
        raise KioskSessionExpiredError(row["name"])
    if now - seen >= SEEN_RESOLUTION:
        async with db.write() as conn:
            await conn.execute(update(wallboard_sessions_t).where(s.id_hash == digest).values(seen_at=now))
    return await _kiosk(db, row)
