"""User administration and teams: change a user (role, team, disable, password), teams and their supervisors,
per-team figures, and the audit log (read-only here: nothing in the web tier edits it)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Literal

from aiohttp import web
from pydantic import AwareDatetime, Field

from dialer.i18n import M_
from dialer.reports.performance import AgentTime
from dialer.reports.performance_scan import team_agents_time
from dialer.store.admin import (
    TeamExistsError,
    TeamSpell,
    UnknownCampaignNameError,
    UnknownTeamError,
    UserChange,
    change_user,
    create_team,
    list_teams,
    set_team_campaigns,
    set_team_supervisors,
    team_figures,
    team_spells,
)
from dialer.store.audit import audit_entries
from dialer.store.auth import InvalidPhoneError, Role, UnknownUserError
from dialer.store.evaluations import AgentQuality, EvaluationFilter, agent_quality
from dialer.web.api.common import Paging, Strict, invalid, ok, page_from, page_of, refused
from dialer.web.live import HUB
from dialer.web.problems import Problem
from dialer.web.routing import ADMINS, CREDENTIALS, SUPERVISORS, Call, RouteTable
from dialer.web.security import hash_password

routes = RouteTable(tag="users")
NAME = r"^[A-Za-z0-9_.-]+$"


class UserEdit(Strict):
    role: Role | None = None
    team: str | None = Field(default=None, max_length=64, description='the team\'s name; "" removes the user from it')
    disabled: bool | None = Field(default=None, description="a disabled user's sessions and consoles end at once")
    password: str | None = Field(default=None, min_length=8, max_length=200, description="reset the password")
    phone: str | None = Field(default=None, min_length=3, max_length=120)
    display_name: str | None = Field(default=None, max_length=120)


class TeamCreate(Strict):
    name: str = Field(min_length=1, max_length=64, pattern=NAME)


class TeamSupervisors(Strict):
    supervisors: list[str] = Field(max_length=100)


class TeamCampaigns(Strict):
    campaigns: list[str] = Field(max_length=500, description="the campaigns the team works (replaces the list)")


class AuditQuery(Paging):
    target: str | None = Field(default=None, max_length=200, description='e.g. "user:alice", "campaign:demo"')


class TeamReportQuery(Strict):
    from_: AwareDatetime | None = Field(default=None, alias="from", description="default: `hours` before `to`")
    to: AwareDatetime | None = Field(default=None, description="default: now")
    hours: int = Field(default=24, ge=1, le=24 * 366, description="the span when `from` is not given")
    members: Literal["then", "now"] = Field(
        default="then",
        description="`then`: each agent's calls and time while in the team; `now`: today's members, all of theirs",
    )


@routes.route("PATCH", "/api/users/{name}", roles=ADMINS, body=UserEdit, errors=(409,))
async def patch_user(call: Call) -> web.Response:
    """Change a user: role, team, disable, reset password (audited; ends their sessions when disabled)"""
    body = call.body_as(UserEdit)
    name = call.path("name")
    if name == call.user.name and (body.disabled or (body.role is not None and body.role is not Role.ADMIN)):
        raise Problem(409, M_("you cannot disable yourself or give up your own admin role"), kind="self-lockout")
    password_hash = await asyncio.to_thread(hash_password, body.password) if body.password else None
    change = UserChange(
        role=body.role,
        team=body.team,
        disabled=body.disabled,
        password_hash=password_hash,
        phone=body.phone,
        display_name=body.display_name,
    )
    with (
        refused(UnknownUserError, status=404),
        invalid(UnknownTeamError, said=lambda exc: M_("team: {exc}", exc=exc)),
        invalid(InvalidPhoneError),
    ):
        user = await change_user(call.db, name, change, call.now(), actor=call.user.name)
    call.app[CREDENTIALS].forget_user(name)  # this daemon's next request of theirs reads them afresh
    if body.disabled or body.role is not None or body.password:
        # Their browser sessions are gone (same transaction); their live consoles close now and the seat is freed.
        await call.app[HUB].end_user(name, "account changed by an administrator")
    if body.team is not None:
        await call.app[HUB].refresh_scopes()
    return ok(user.public())


@routes.listing("/api/teams", roles=SUPERVISORS, query=Paging)
async def get_teams(call: Call) -> web.Response:
    """Teams (supervisors: their own)"""
    teams = await list_teams(call.db)
    if not call.is_manager:
        teams = [t for t in teams if call.user.name in t.supervisors]
    return page_of(teams, call.query_as(Paging), lambda t: t.public())


@routes.route("POST", "/api/teams", roles=ADMINS, body=TeamCreate, status=201, errors=(409,))
async def post_team(call: Call) -> web.Response:
    """Create a team"""
    body = call.body_as(TeamCreate)
    with refused(TeamExistsError, status=409):
        team = await create_team(call.db, body.name, call.now(), actor=call.user.name)
    return ok(team.public(), 201)


@routes.route("PUT", "/api/teams/{name}/supervisors", roles=ADMINS, body=TeamSupervisors)
async def put_team_supervisors(call: Call) -> web.Response:
    """Set a team's supervisors (audited)"""
    body = call.body_as(TeamSupervisors)
    with (
        invalid(UnknownUserError, ValueError, said=lambda exc: M_("supervisors: {exc}", exc=exc)),
        refused(UnknownTeamError, status=404),
    ):
        team = await set_team_supervisors(
            call.db, call.path("name"), body.supervisors, call.now(), actor=call.user.name
        )
    await call.app[HUB].refresh_scopes()
    return ok(team.public())


@routes.route("PUT", "/api/teams/{name}/campaigns", roles=ADMINS, body=TeamCampaigns)
async def put_team_campaigns(call: Call) -> web.Response:
    """Set the campaigns a team works: its supervisors see those campaigns' leads (audited)"""
    body = call.body_as(TeamCampaigns)
    with (
        refused(UnknownTeamError, status=404),
        invalid(UnknownCampaignNameError, said=lambda exc: M_("campaigns: {exc}", exc=exc)),
    ):
        team = await set_team_campaigns(call.db, call.path("name"), body.campaigns, call.now(), actor=call.user.name)
    return ok(team.public())


@routes.route("GET", "/api/reports/team/{name}", roles=SUPERVISORS, tag="reports", query=TeamReportQuery)
async def get_team_report(call: Call) -> web.Response:
    """A team's figures per agent: calls, talk time, dispositions, occupancy, wrap-ups announced, quality evaluations
    (supervisors: their teams)"""
    q = call.query_as(TeamReportQuery)
    team = next((t for t in await list_teams(call.db) if t.name == call.path("name")), None)
    if team is None or (not call.is_manager and call.user.name not in team.supervisors):
        raise Problem(404, M_("no team {name} among yours", name=repr(call.path("name"))))
    end: datetime = q.to or call.now()
    start: datetime = q.from_ or end - timedelta(hours=q.hours)
    if start >= end:
        raise Problem(422, M_("from: must be before to"), kind="validation-error")
    if q.members == "now":
        spells = [TeamSpell(agent, team.name, None, None) for agent in team.members]
    else:
        spells = await team_spells(call.db, start, end, team=team.name)
    figures = await team_figures(call.db, spells, start, end, listed=team.members)
    times = await team_agents_time(call.db, team.name, spells, start, end)
    evaluated = {
        q.agent: q
        for q in await agent_quality(
            call.db, EvaluationFilter(since=start, until=end, agents=[f.agent for f in figures])
        )
    }
    agents = [
        {
            "agent": f.agent,
            "calls": f.calls,
            "talk_seconds": round(f.talk_seconds, 1),
            "dispositions": f.dispositions,
            **_time_figures(times.get(f.agent)),
            "quality": _quality_figures(evaluated.get(f.agent)),
        }
        for f in figures
    ]
    totals = {
        "calls": sum(f.calls for f in figures),
        "talk_seconds": round(sum(f.talk_seconds for f in figures), 1),
        **_time_figures(AgentTime.pooled(times.values())),
    }
    return ok({"team": team.name, "from": start, "to": end, "agents": agents, "totals": totals})


def _quality_figures(q: AgentQuality | None) -> dict[str, float | int] | None:
    """The agent's evaluations saved in the period, per call (calls, evaluations, mean score, critical failures; None:
    none)."""
    if q is None:
        return None
    return {
        "calls": q.calls,
        "evaluations": q.evaluations,
        "mean_score": q.mean_score,
        "critical_failures": q.critical_failures,
    }


def _time_figures(spent: AgentTime | None) -> dict[str, float | None]:
    """Occupancy and the share of wrap-ups with "ready in N s" announced, from the state history (None without)."""
    return {
        "occupancy": None if spent is None else spent.occupancy,
        "ready_announced_share": None if spent is None else spent.ready_announced_share,
    }


@routes.listing("/api/audit", roles=ADMINS, query=AuditQuery)
async def get_audit(call: Call) -> web.Response:
    """The audit log of administrative actions, newest first (append-only: no route changes it)"""
    q = call.query_as(AuditQuery)
    found = await audit_entries(call.db, target=q.target, limit=q.limit, offset=q.offset)
    return page_from(q, found, lambda e: e.public())
