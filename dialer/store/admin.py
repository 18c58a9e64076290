"""User administration: teams and their supervisors, administrative changes to users, and the audit log.

Every administrative action writes one audit log row (:mod:`dialer.store.audit`) in the same transaction as the
change itself, so the log holds exactly what was done.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import Field, SQLModel

from dialer.i18n import M_
from dialer.store.attempts import AgentFigures, figures_by_agent
from dialer.store.audit import audit_in
from dialer.store.auth import Role, UnknownUserError, UserRecord, _user, check_agent_phone, users_t, web_sessions_t
from dialer.store.engine import Database
from dialer.store.records import by_id, name_taken_in, public_fields
from dialer.store.tables import attempts_t, campaigns_t, metadata
from dialer.store.types import UTCDateTime

assert metadata is SQLModel.metadata


class TeamSupervisorRow(SQLModel, table=True):
    """Who supervises which team (a supervisor may have several teams, a team several supervisors)."""

    __tablename__ = "team_supervisors"

    team_id: int = Field(foreign_key="teams.id", primary_key=True)
    user_id: int = Field(foreign_key="users.id", primary_key=True, index=True)


class TeamCampaignRow(SQLModel, table=True):
    """Which campaigns a team works: its supervisors see those campaigns' leads (dialer.store.leadscope)."""

    __tablename__ = "team_campaigns"

    team_id: int = Field(foreign_key="teams.id", primary_key=True)
    campaign_id: int = Field(foreign_key="campaigns.id", primary_key=True, index=True)


class TeamMembershipRow(SQLModel, table=True):
    """A spell of a user in a team: from ``since`` (None: from before spells were kept, 0020) until ``until``
    (None: still a member). ``users.team_id`` is the open spell; the spells let a report over a past period give a
    team what its agents did while they were its members."""

    __tablename__ = "team_memberships"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    team_id: int = Field(foreign_key="teams.id", index=True)
    since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    until: datetime | None = Field(default=None, sa_type=UTCDateTime)


teams_t = metadata.tables["teams"]
team_campaigns_t = metadata.tables["team_campaigns"]
team_supervisors_t = metadata.tables["team_supervisors"]
team_memberships_t = metadata.tables["team_memberships"]


class TeamExistsError(ValueError):
    """Another team already has this name."""

    def __init__(self, name: str) -> None:
        super().__init__(M_("a team named {name} already exists", name=repr(name)))


class UnknownTeamError(LookupError):
    """No team has this id or name."""

    def __init__(self, team: int | str) -> None:
        super().__init__(M_("no team {team}", team=repr(team)))


@dataclass(frozen=True, slots=True)
class TeamRecord:
    """A team: its supervisors and members (user names) and the campaigns it works."""

    id: int
    name: str
    created_at: datetime
    supervisors: tuple[str, ...]
    members: tuple[str, ...]
    campaigns: tuple[str, ...] = ()  # the campaigns the team works: its supervisors see their leads

    def public(self) -> dict[str, object]:
        return public_fields(self, "id name supervisors members campaigns created_at")


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
        if await name_taken_in(conn, teams_t, name):
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
                raise ValueError(M_("{name} is an agent: give them the supervisor role first", name=name))
            ids.append(int(row["id"]))
        await conn.execute(delete(team_supervisors_t).where(team_supervisors_t.c.team_id == team_id))
        if ids:
            await conn.execute(team_supervisors_t.insert(), [{"team_id": team_id, "user_id": i} for i in ids])
        await audit_in(conn, actor, "team.supervisors", f"team:{team}", now, supervisors=sorted(set(supervisors)))
    record = await get_team(db, team)
    assert record is not None
    return record


class UnknownCampaignNameError(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(M_("no campaign named {name}", name=repr(name)))


async def set_team_campaigns(
    db: Database, team: str, campaigns: Collection[str], now: datetime, *, actor: str
) -> TeamRecord:
    """Replace the campaigns the team works (audited): its supervisors see those campaigns' leads."""
    names = sorted(set(campaigns))
    async with db.write() as conn:
        team_id = await _team_id(conn, team)
        query = select(campaigns_t.c.name, campaigns_t.c.id).where(campaigns_t.c.name.in_(names))
        found: dict[str, int] = {n: int(i) for n, i in (await conn.execute(query)).all()}
        missing = [n for n in names if n not in found]
        if missing:
            raise UnknownCampaignNameError(missing[0])
        await conn.execute(delete(team_campaigns_t).where(team_campaigns_t.c.team_id == team_id))
        if names:
            await conn.execute(
                team_campaigns_t.insert(), [{"team_id": team_id, "campaign_id": found[n]} for n in names]
            )
        await audit_in(conn, actor, "team.campaigns", f"team:{team}", now, campaigns=names)
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
        worked = (
            await conn.execute(
                select(team_campaigns_t.c.team_id, campaigns_t.c.name).join(
                    campaigns_t, campaigns_t.c.id == team_campaigns_t.c.campaign_id
                )
            )
        ).all()
    return [
        TeamRecord(
            t["id"],
            t["name"],
            t["created_at"],
            tuple(sorted(n for tid, n in sup if tid == t["id"])),
            tuple(sorted(n for tid, n in mem if tid == t["id"])),
            tuple(sorted(n for tid, n in worked if tid == t["id"])),
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
    password ends every browser session of theirs in that same transaction (the next request is refused). A phone
    that is no channel raises :class:`InvalidPhoneError`."""
    check_agent_phone(change.phone)
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
                await _move_spell(conn, row["id"], team_id, now)
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
        return await _user.one_in(conn, by_id(users_t, row["id"]))


async def _move_spell(conn: AsyncConnection, user_id: int, team_id: int | None, now: datetime) -> None:
    """The user's open spell in a team ends now; one in ``team_id`` (None: no team) starts."""
    m = team_memberships_t.c
    await conn.execute(update(team_memberships_t).where(m.user_id == user_id, m.until.is_(None)).values(until=now))
    if team_id is not None:
        await conn.execute(team_memberships_t.insert().values(user_id=user_id, team_id=team_id, since=now))


@dataclass(frozen=True, slots=True)
class TeamSpell:
    """``agent`` was in ``team`` from ``since`` (None: from before spells were kept) until ``until`` (None: still)."""

    agent: str
    team: str
    since: datetime | None
    until: datetime | None

    def clip(self, start: datetime, end: datetime) -> tuple[datetime, datetime]:
        """The part of ``[start, end)`` the spell covers (empty when it does not overlap)."""
        lo = start if self.since is None else max(start, self.since)
        hi = end if self.until is None else min(end, self.until)
        return lo, max(lo, hi)


async def team_spells(
    db: Database, start: datetime | None, end: datetime | None, *, team: str | None = None
) -> list[TeamSpell]:
    """Every spell of an agent in a team (or in ``team``) that overlaps ``[start, end)`` (None: unbounded), oldest
    first."""
    m = team_memberships_t.c
    query = (
        select(users_t.c.name, teams_t.c.name.label("team"), m.since, m.until)
        .join(users_t, users_t.c.id == m.user_id)
        .join(teams_t, teams_t.c.id == m.team_id)
        .order_by(m.since.is_not(None), m.since, m.id)
    )
    if end is not None:
        query = query.where((m.since.is_(None)) | (m.since < end))
    if start is not None:
        query = query.where((m.until.is_(None)) | (m.until > start))
    if team is not None:
        query = query.where(teams_t.c.name == team)
    async with db.read() as conn:
        rows = (await conn.execute(query)).all()
    return [TeamSpell(name, team_name, since, until) for name, team_name, since, until in rows]


async def team_figures(
    db: Database, spells: Sequence[TeamSpell], start: datetime, end: datetime, *, listed: Collection[str] = ()
) -> list[AgentFigures]:
    """Calls, talk time and dispositions of each spell's agent in the part of ``[start, end)`` the spell covers (a
    call counts where it started); every agent of a spell and of ``listed`` is listed, even idle."""
    a = attempts_t.c
    windows = [
        and_(a.agent == spell.agent, a.started_at >= lo, a.started_at < hi)
        for spell in spells
        for lo, hi in [spell.clip(start, end)]
        if hi > lo
    ]
    agents = {spell.agent for spell in spells} | set(listed)
    if not windows:
        return [AgentFigures(name, 0, 0.0, {}) for name in sorted(agents)]
    return list((await figures_by_agent(db, or_(*windows), agents=agents)).values())
