"""Agents: register, the queues they may join, sign in to queues, ready / pause / sign out, live state."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from aiohttp import web
from pydantic import Field, field_validator

from dialer.agents.pausecodes import SUPERVISOR_PAUSE_REASON
from dialer.agents.ready import MAX_READY_ANNOUNCEMENT_SECONDS, MIN_READY_ANNOUNCEMENT_SECONDS
from dialer.agents.registry import Agent, AgentStatus
from dialer.i18n import M_
from dialer.store.auth import get_user
from dialer.web.api.common import (
    Paging,
    Strict,
    agent_errors,
    agent_here,
    agent_json,
    agent_on_floor,
    invalid,
    ok,
    page_of,
    path_agent,
)
from dialer.web.facade import UnknownQueues
from dialer.web.floor import floor_agents, read_floor
from dialer.web.problems import Problem
from dialer.web.routing import ANY_USER, MANAGERS, Call, RouteTable

routes = RouteTable(tag="agents")
# An Asterisk server, by its name in the settings' [[ami]] list.
ServerName = Annotated[str, Field(min_length=1, max_length=100)]


class AgentCreate(Strict):
    agent_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    interface: str = Field(min_length=3, max_length=120, pattern=r"^[A-Za-z]+/\S+$", description="e.g. PJSIP/1001")
    member_name: str | None = Field(default=None, max_length=100)
    server: ServerName | None = Field(
        default=None,
        description="the Asterisk server the phone is on ([[ami]] name); default: chosen by agent_interfaces",
    )


class AgentLogin(Strict):
    queues: list[str] = Field(min_length=1, max_length=50, description="campaign queues and inbound queues")
    server: ServerName | None = Field(
        default=None, description="the Asterisk server the agent's phone is on ([[ami]] name); default: as registered"
    )


class AgentPause(Strict):
    reason: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_ -]+$")


class AgentReadyIn(Strict):
    seconds: int = Field(
        ge=MIN_READY_ANNOUNCEMENT_SECONDS,
        le=MAX_READY_ANNOUNCEMENT_SECONDS,
        description="whole seconds until the agent is ready",
    )

    @field_validator("seconds", mode="before")
    @classmethod
    def _whole_seconds_in_range(cls, value: object) -> int:
        """One sentence for every bad value (not a number, a fraction, out of range): what the console shows."""
        if isinstance(value, bool):
            raise ValueError(_READY_IN_RANGE)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or not MIN_READY_ANNOUNCEMENT_SECONDS <= value <= MAX_READY_ANNOUNCEMENT_SECONDS:
            raise ValueError(_READY_IN_RANGE)
        return value


_READY_IN_RANGE = M_(
    "ready in a whole number of seconds from {min} to {max}",
    min=MIN_READY_ANNOUNCEMENT_SECONDS,
    max=MAX_READY_ANNOUNCEMENT_SECONDS,
)


AGENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["agent_id", "daemon", "status", "queues"],
    "properties": {
        "agent_id": {"type": "string"},
        "daemon": {"type": "string", "description": "the daemon serving the agent's console (its node id)"},
        "interface": {"type": "string"},
        "status": {"enum": [s.value for s in AgentStatus]},
        "since": {"type": "number", "description": "the daemon's clock (seconds) when the status began"},
        "seconds_in_state": {"type": ["number", "null"]},
        "queues": {"type": "array", "items": {"type": "string"}},
        "pause_reason": {"type": ["string", "null"]},
        "pending_pause": {"type": ["string", "null"], "description": "a pause asked on a call: taken when it ends"},
        "wrapup_until": {"type": ["number", "null"]},
        "wrapup_seconds_left": {"type": ["number", "null"]},
        "wrapup_needs_disposition": {"type": "boolean"},
        "ready_announced": {"type": "boolean"},
        "calls_taken": {"type": "integer"},
        "call_queue": {"type": ["string", "null"]},
    },
}


@routes.listing("/api/agents", roles=ANY_USER, query=Paging, item=AGENT_SCHEMA)
async def get_agents(call: Call) -> web.Response:
    """The whole floor's agents and their live state, whichever daemon serves them (agents: themselves; supervisors:
    their teams)"""
    now = call.daemon.now()
    rows = floor_agents(call.app, await read_floor(call.app))
    shown = [(node, p.agent) for node, p in rows if call.may_see_agent(p.agent.agent_id)]
    return page_of(shown, call.query_as(Paging), lambda row: agent_json(row[1], now, row[0]))


@routes.route("POST", "/api/agents", roles=MANAGERS, body=AgentCreate, status=201, errors=(409,))
async def post_agent(call: Call) -> web.Response:
    """Register an agent and their phone"""
    body = call.body_as(AgentCreate)
    daemon = call.daemon
    with agent_errors():
        agent = daemon.register_agent(body.agent_id, body.interface, body.member_name, body.server)
    return ok(agent_json(agent, daemon.now(), daemon.node), 201)


@routes.route("GET", "/api/queues", roles=ANY_USER)
async def get_queues(call: Call) -> web.Response:
    """Queues an agent may join: campaigns and inbound"""
    return ok({"queues": [q.as_json() for q in call.daemon.queues()]})


@routes.route("GET", "/api/agents/{agent_id}", roles=ANY_USER, response=AGENT_SCHEMA, errors=(403, 404))
async def get_agent(call: Call) -> web.Response:
    """One agent's live state, whichever daemon serves them (404 when that daemon is not reporting)"""
    node, agent = await agent_on_floor(call, path_agent(call))
    return ok(agent_json(agent, call.daemon.now(), node))


async def ensure_registered(call: Call, agent_id: str, server: str | None = None) -> None:
    """A user with a phone becomes an agent of this daemon on first use (on ``server``, when given: a registered
    agent who names another server moves there, if logged out)."""
    daemon = call.daemon
    known = daemon.agent(agent_id)
    if known is not None:
        if server is not None and server != known.server:
            with agent_errors():
                daemon.register_agent(agent_id, known.interface, known.member_name, server)
        return
    user = await get_user(call.db, agent_id)
    if user is None or not user.phone:
        raise Problem(
            409,
            M_(
                "{agent_id} has no phone: set one with `dialer user add {agent_id} --phone PJSIP/...`",
                agent_id=agent_id,
            ),
        )
    with agent_errors():
        daemon.register_agent(agent_id, user.phone, user.display_name or agent_id, server)


@routes.route("POST", "/api/agents/{agent_id}/login", roles=ANY_USER, body=AgentLogin, errors=(409,))
async def agent_login(call: Call) -> web.Response:
    """Join campaign and inbound queues (paused)"""
    agent_id = path_agent(call)
    body = call.body_as(AgentLogin)
    await ensure_registered(call, agent_id, body.server)
    daemon = call.daemon
    with invalid(UnknownQueues), agent_errors():
        agent = await daemon.login(agent_id, body.queues)
    return ok(agent_json(agent, daemon.now(), daemon.node))


async def _act(call: Call, action: Callable[[str], Awaitable[Agent]]) -> web.Response:
    """The path's agent (one the user may act on, and known) does ``action``: its new state, or the refusal."""
    agent_id = path_agent(call)
    await agent_here(call, agent_id)  # another daemon's agent: a 409 naming it
    with agent_errors():
        agent = await action(agent_id)
    return ok(agent_json(agent, call.daemon.now(), call.daemon.node))


@routes.route("POST", "/api/agents/{agent_id}/ready", roles=ANY_USER, errors=(409,))
async def agent_ready(call: Call) -> web.Response:
    """Ready for calls"""
    return await _act(call, call.daemon.ready)


@routes.route("GET", "/api/pause-codes", roles=ANY_USER)
async def get_pause_codes(call: Call) -> web.Response:
    """The reasons agents may pause for, each with the longest it should last (minutes; null: no limit)"""
    return ok({"pause_codes": [p.model_dump(mode="json") for p in call.daemon.pause_codes]})


@routes.route("POST", "/api/agents/{agent_id}/pause", roles=ANY_USER, body=AgentPause, errors=(409, 422))
async def agent_pause(call: Call) -> web.Response:
    """Pause with a reason code (one of /api/pause-codes; a supervisor pausing someone else may give "supervisor")"""
    body = call.body_as(AgentPause)
    codes = [p.code for p in call.daemon.pause_codes]
    forced = body.reason == SUPERVISOR_PAUSE_REASON and call.path("agent_id") != call.user.name
    if body.reason not in codes and not forced:
        raise Problem(
            422,
            M_("no pause code {reason}: pause for one of {codes}", reason=repr(body.reason), codes=", ".join(codes)),
        )
    return await _act(call, lambda agent_id: call.daemon.pause(agent_id, body.reason))


@routes.route("POST", "/api/agents/{agent_id}/ready-in", roles=ANY_USER, body=AgentReadyIn, errors=(409,))
async def agent_ready_in(call: Call) -> web.Response:
    """In wrap-up: announce being ready in N seconds (the wrap-up timer is brought forward)"""
    body = call.body_as(AgentReadyIn)
    return await _act(call, lambda agent_id: call.daemon.announce_ready(agent_id, body.seconds))


@routes.route("POST", "/api/agents/{agent_id}/logout", roles=ANY_USER, errors=(409,))
async def agent_logout(call: Call) -> web.Response:
    """Leave every queue"""
    return await _act(call, call.daemon.logout)
