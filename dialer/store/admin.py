"""User administration: teams and their supervisors, administrative changes to users, and the audit log.

Every administrative action writes one ``audit_log`` row in the same transaction as the change itself, so the log
holds exactly what was done. The log is append-only: this module only inserts and reads it, no route edits it,
and the migration installs triggers that refuse UPDATE and DELETE on the table (SQLite and PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, delete, func, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import Field, SQLModel

from dialer.store.auth import Role, UnknownUserError, UserRecord, _user, users_t, web_sessions_t
from dialer.store.engine import Database
from dialer.store.tables import metadata
from dialer.store.types import UTCDateTime, json_document

assert metadata is SQLModel.metadata

AuditId = BigInteger().with_variant(Integer(), "sqlite")


class TeamSupervisorRow(SQLModel, table=True):
    """Who supervises which team (a supervisor may have several teams, a team several supervisors)."""

    __tablename__ = "team_supervisors"

    team_id: int = Field(foreign_key="teams.id", primary_key=True)
    user_id: int = Field(foreign_key="users.id", primary_key=True, index=True)


class AuditRow(SQLModel, table=True):
    """One administrative action: who did what to whom, when. Append-only (see the module docstring)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: int | None = Field(default=None, sa_type=AuditId, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime)
    actor: str = Field(max_length=64)
    action: str = Field(max_length=40)
    target: str = Field(max_length=200)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=json_document())


teams_t = metadata.tables["teams"]
team_supervisors_t = metadata.tables["team_supervisors"]
audit_log_t = metadata.tables["audit_log"]

# The SQL that makes the audit log append-only, per dialect (installed by the migration, checked by a test).
AUDIT_APPEND_ONLY_SQL: dict[str, list[str]] = {
    "sqlite": [
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    ],
    "postgresql": [
        "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$",
        "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
    ],
}
AUDIT_APPEND_ONLY_DROP_SQL: dict[str, list[str]] = {
    "sqlite": ["DROP TRIGGER IF EXISTS audit_log_no_update", "DROP TRIGGER IF EXISTS audit_log_no_delete"],
    "postgresql": [
        "DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log",
        "DROP FUNCTION IF EXISTS audit_log_append_only()",
    ],
}


class TeamExistsError(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(f"a team named {name!r} already exists")


class UnknownTeamError(LookupError):
    def __init__(self, team: int | str) -> None:
        super().__init__(f"no team {team!r}")


@dataclass(frozen=True, slots=True)
class TeamRecord:
    id: int
    name: str
    created_at: datetime
    supervisors: tuple[str, ...]
    members: tuple[str, ...]

    def public(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "supervisors": list(self.supervisors),
            "members": list(self.members),
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: dict[str, Any]

    def public(self) -> dict[str, object]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "detail": self.detail,
        }


async def audit_in(conn: AsyncConnection, actor: str, action: str, target: str, now: datetime, **detail: Any) -> None:
    """Append one entry inside the caller's transaction (the one that makes the change)."""
    await conn.execute(
        audit_log_t.insert().values(at=now, actor=actor, action=action, target=target[:200], detail=detail)
    )


async def audit(db: Database, actor: str, action: str, target: str, now: datetime, **detail: Any) -> None:
    async with db.write() as conn:
        await audit_in(conn, actor, action, target, now, **detail)


async def audit_entries(
    db: Database, *, target: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[int, list[AuditEntry]]:
    query = select(audit_log_t)
    count = select(func.count()).select_from(audit_log_t)
    if target is not None:
        query = query.where(audit_log_t.c.target == target)
        count = count.where(audit_log_t.c.target == target)
    async with db.read() as conn:
        total = int((await conn.execute(count)).scalar_one())
        rows = (
            (await conn.execute(query.order_by(audit_log_t.c.id.desc()).limit(limit).offset(offset))).mappings().all()
        )
    return total, [
        AuditEntry(r["id"], r["at"], r["actor"], r["action"], r["target"], dict(r["detail"] or {})) for r in rows
    ]


# ------------------------------------------------------------------------------------------------ teams
async def _team_id(conn: AsyncConnection, name: str) -> int:
    found = (await conn.execute(select(teams_t.c.id).where(teams_t.c.name == name))).scalar_one_or_none()
    if found is None:
        raise UnknownTeamError(name)
    return int(found)


async def _user_row(conn: AsyncConnection, name: str) -> RowMapping:
    row = (await conn.execute(select(users_t).where(users_t.c.name == name))).mappings().first()
    if row is None:
        raise UnknownUserError(name)
    return row


async def create_team(db: Database, name: str, now: datetime, *, actor: str) -> TeamRecord:
    async with db.write() as conn:
        if (await conn.execute(select(teams_t.c.id).where(teams_t.c.name == name))).first() is not None:
            raise TeamExistsError(name)
        await conn.execute(teams_t.insert().values(name=name, created_at=now))
        await audit_in(conn, actor, "team.create", f"team:{name}", now)
    team = await get_team(db, name)
    assert team is not None
    return team


async def set_team_supervisors(
    db: Database, team: str, supervisors: Collection[str], now: datetime, *, actor: str
) -> TeamRecord:
    """Replace the team's supervisors (users with the supervisor, manager or admin role)."""
    async with db.write() as conn:
        team_id = await _team_id(conn, team)
        ids: list[int] = []
        for name in sorted(set(supervisors)):
            row = await _user_row(conn, name)
            if Role(row["role"]) is Role.AGENT:
                raise ValueError(f"{name} is an agent: give them the supervisor role first")
            ids.append(int(row["id"]))
        await conn.execute(delete(team_supervisors_t).where(team_supervisors_t.c.team_id == team_id))
        if ids:
            await conn.execute(team_supervisors_t.insert(), [{"team_id": team_id, "user_id": i} for i in ids])
        await audit_in(conn, actor, "team.supervisors", f"team:{team}", now, supervisors=sorted(set(supervisors)))
    record = await get_team(db, team)
    assert record is not None
    return record


async def list_teams(db: Database) -> list[TeamRecord]:
    async with db.read() as conn:
        teams = (await conn.execute(select(teams_t).order_by(teams_t.c.name))).mappings().all()
        sup = (
            await conn.execute(
                select(team_supervisors_t.c.team_id, users_t.c.name).join(
                    users_t, users_t.c.id == team_supervisors_t.c.user_id
                )
            )
        ).all()
        members = select(users_t.c.team_id, users_t.c.name).where(users_t.c.team_id.is_not(None))
        mem = (await conn.execute(members)).all()
    return [
        TeamRecord(
            t["id"],
            t["name"],
            t["created_at"],
            tuple(sorted(n for tid, n in sup if tid == t["id"])),
            tuple(sorted(n for tid, n in mem if tid == t["id"])),
        )
        for t in teams
    ]


async def get_team(db: Database, name: str) -> TeamRecord | None:
    return next((t for t in await list_teams(db) if t.name == name), None)


async def supervised_agents(db: Database, user: UserRecord) -> frozenset[str] | None:
    """The agents ``user`` may see and act on: None (everyone) for admins and managers; for a supervisor, the
    members of the teams they supervise; for an agent, themselves."""
    if user.role in (Role.ADMIN, Role.MANAGER):
        return None
    if user.role is Role.AGENT:
        return frozenset({user.name})
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(users_t.c.name).where(
                    users_t.c.team_id.in_(
                        select(team_supervisors_t.c.team_id).where(team_supervisors_t.c.user_id == user.id)
                    )
                )
            )
        ).scalars()
        return frozenset(rows) | {user.name}


# ------------------------------------------------------------------------------------------------ users
@dataclass(frozen=True, slots=True)
class UserChange:
    """What an administrator changes about a user (None: unchanged). ``team`` "" removes them from their team."""

    role: Role | None = None
    team: str | None = None
    disabled: bool | None = None
    password_hash: str | None = None
    phone: str | None = None
    display_name: str | None = None


async def change_user(db: Database, name: str, change: UserChange, now: datetime, *, actor: str) -> UserRecord:
    """Apply ``change`` and audit it, in one transaction. Disabling a user, changing their role or resetting their
    password ends every browser session of theirs in that same transaction (the next request is refused)."""
    async with db.write() as conn:
        row = await _user_row(conn, name)
        values: dict[str, object] = {"updated_at": now}
        detail: dict[str, object] = {}
        if change.role is not None and change.role.value != row["role"]:
            values["role"] = change.role.value
            detail["role"] = {"from": row["role"], "to": change.role.value}
        if change.team is not None:
            team_id = await _team_id(conn, change.team) if change.team else None
            if team_id != row["team_id"]:
                values["team_id"] = team_id
                detail["team"] = change.team or None
        if change.disabled is not None and change.disabled != bool(row["disabled"]):
            values["disabled"] = change.disabled
            detail["disabled"] = change.disabled
        if change.password_hash is not None:
            values["password_hash"] = change.password_hash
            detail["password"] = "reset"  # noqa: S105 (what happened, not a secret)
        if change.phone is not None and change.phone != row["phone"]:
            values["phone"] = change.phone
            detail["phone"] = change.phone
        if change.display_name is not None and change.display_name != row["display_name"]:
            values["display_name"] = change.display_name
            detail["display_name"] = change.display_name
        await conn.execute(update(users_t).where(users_t.c.id == row["id"]).values(**values))
        if values.get("disabled") or "role" in values or "password_hash" in values:
            ended = await conn.execute(delete(web_sessions_t).where(web_sessions_t.c.user_id == row["id"]))
            detail["sessions_ended"] = ended.rowcount
        if values.get("role") == Role.AGENT.value:
            await conn.execute(delete(team_supervisors_t).where(team_supervisors_t.c.user_id == row["id"]))
        if detail:
            await audit_in(conn, actor, "user.change", f"user:{name}", now, **detail)
        fresh = (await conn.execute(select(users_t).where(users_t.c.id == row["id"]))).mappings().one()
    return _user(fresh)


async def team_of(db: Database, agents: Collection[str]) -> dict[str, str]:
    """Agent name → team name, for the agents that have a team."""
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(users_t.c.name, teams_t.c.name.label("team"))
                .join(teams_t, teams_t.c.id == users_t.c.team_id)
                .where(users_t.c.name.in_(list(agents)))
            )
        ).all()
    return {n: t for n, t in rows}
