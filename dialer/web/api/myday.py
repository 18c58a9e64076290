"""My day: an agent's own figures since the start of their local day beside their team's average
(:mod:`dialer.reports.myday`; the console's "My day" card). An agent reads their own; a supervisor their teams'
agents'; a manager anyone's."""

from __future__ import annotations

from aiohttp import web
from pydantic import Field, field_validator

from dialer.campaign.windows import is_known_zone
from dialer.i18n import M_
from dialer.reports.myday import team_day
from dialer.store.auth import get_user
from dialer.web.api.common import Strict, ok, path_agent
from dialer.web.live import HUB
from dialer.web.routing import ANY_USER, Call, RouteTable

routes = RouteTable(tag="reports")


class TodayQuery(Strict):
    zone: str | None = Field(
        default=None,
        max_length=64,
        description="the browser's IANA zone: the day's zone when the agent's user has none set",
    )

    @field_validator("zone")
    @classmethod
    def _zone(cls, v: str | None) -> str | None:
        if v and not is_known_zone(v):
            raise ValueError(M_("{value} is not an IANA time zone", value=repr(v)))
        return v or None


async def _today(call: Call, agent: str) -> web.Response:
    """The day of ``agent`` (one the caller may read) in the agent's zone, else the asked one, else UTC."""
    user = await get_user(call.db, agent)
    zone = (user.timezone if user is not None else None) or call.query_as(TodayQuery).zone or "UTC"
    days, now = call.app[HUB].days, call.now()
    day = days.get(agent, zone, now)
    if day is None:
        day = await team_day(call.db, agent, zone=zone, now=now)
        days.keep(day)
    return ok(day.of(agent).as_json())


@routes.route("GET", "/api/me/today", roles=ANY_USER, query=TodayQuery)
async def get_my_day(call: Call) -> web.Response:
    """My day so far: calls, conversations, talk time, AHT, time ready/paused/in wrap-up, occupancy, dispositions,
    callbacks, beside my team's average per agent"""
    return await _today(call, call.user.name)


@routes.route("GET", "/api/agents/{agent_id}/today", roles=ANY_USER, query=TodayQuery)
async def get_agent_day(call: Call) -> web.Response:
    """An agent's day so far beside their team's average (an agent: their own; supervisors: their teams' agents)"""
    return await _today(call, path_agent(call))
