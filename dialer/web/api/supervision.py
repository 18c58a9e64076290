"""Supervisor actions on the dashboard: listen / whisper / barge on a live call (audited; managers on any agent,
supervisors on their teams' agents), and changing a campaign's dial mode and level live (managers). Forcing an
agent's pause or sign-out reuses ``POST /api/agents/{id}/pause`` and ``/logout``, scoped the same way."""

from __future__ import annotations

from typing import Any, Literal

from aiohttp import web
from pydantic import Field

from dialer.campaign.config import CampaignConfigError, DialMode, load_campaign
from dialer.i18n import M_, message_of
from dialer.store.auth import get_user
from dialer.store.campaigns import apply_campaign
from dialer.store.monitoring import SupervisionRecord, get_supervision, list_supervisions
from dialer.supervision.service import EndReason
from dialer.web.api.common import (
    Paging,
    Strict,
    campaign_json,
    campaign_or_404,
    invalid,
    ok,
    out_of_scope,
    own_agent,
    page_from,
)
from dialer.web.facade import SupervisionRefused
from dialer.web.floor import serving_daemon
from dialer.web.problems import Problem
from dialer.web.routing import ADMINS, MANAGERS, SUPERVISORS, Call, RouteTable

routes = RouteTable(tag="supervision")

SESSION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "supervisor", "agent", "mode", "state", "started_at"],
    "properties": {
        "id": {"type": "integer"},
        "supervisor": {"type": "string"},
        "agent": {"type": "string"},
        "mode": {"type": "string", "enum": ["listen", "whisper", "barge"]},
        "attempt_id": {"type": ["integer", "null"]},
        "phone": {"type": "string"},
        "state": {
            "type": "string",
            "enum": ["started", "ending", "ended", "failed"],
            "description": "ending: stopped, the PBX has not confirmed the hangup yet (its audit row says started)",
        },
        "started_at": {"type": "string", "format": "date-time"},
        "ended_at": {"type": ["string", "null"], "format": "date-time"},
        "end_reason": {
            "type": ["string", "null"],
            "enum": [*(r.value for r in EndReason), None],
            "description": "why it ended: hangup (the PBX hung the leg up), originate_failed, leg_gone (stopped: the"
            " PBX no longer had the leg), connection_lost (stopped by its daemon while disconnected from its server),"
            " server_not_connected (stopped: no daemon reporting is connected to its server, which may still have"
            " it), lost (its hangup missed while the AMI connection was down: the PBX no longer listed the leg);"
            " null while started",
        },
    },
}


class SuperviseBody(Strict):
    agent: str = Field(min_length=1, max_length=100, description="the agent whose call to join")
    mode: Literal["listen", "whisper", "barge"] = Field(
        description="listen: hear both sides; whisper: talk to the agent only (coaching); barge: talk to both"
    )


class SupervisionQuery(Paging):
    supervisor: str | None = Field(default=None, max_length=100)
    agent: str | None = Field(default=None, max_length=100)


class DialingBody(Strict):
    dial_mode: DialMode | None = None
    power_ratio: float | None = Field(default=None, ge=1, le=20, description="power mode: calls per free agent")
    aggressiveness: float | None = Field(default=None, gt=0, le=10, description="predictive: pacing multiplier")


def session_json(rec: SupervisionRecord) -> dict[str, Any]:
    return {
        "id": rec.id,
        "supervisor": rec.supervisor,
        "agent": rec.agent,
        "mode": rec.mode,
        "attempt_id": rec.attempt_id,
        "phone": rec.phone,
        "state": rec.state,
        "started_at": rec.started_at,
        "ended_at": rec.ended_at,
        "end_reason": rec.end_reason,
    }


@routes.route(
    "POST",
    "/api/supervision",
    roles=SUPERVISORS,
    body=SuperviseBody,
    response=SESSION_SCHEMA,
    status=201,
    errors=(403, 404, 409),
)
async def start_supervision(call: Call) -> web.Response:
    """Listen to, whisper to or barge into an agent's live call from my phone (audited; supervisors: their teams'
    agents)"""
    body = call.body_as(SuperviseBody)
    own_agent(call, body.agent)
    user = await get_user(call.db, call.user.name)
    local = call.daemon.agent(body.agent)
    # Another daemon's agent: their call is spied on through this daemon's own AMI connection to their server.
    served = await serving_daemon(call.app, body.agent) if local is None or not local.logged_in else None
    try:
        record = await call.daemon.supervise(
            call.user.name, user.phone if user else None, body.agent, body.mode, elsewhere=served and served[1]
        )
    except LookupError:
        raise Problem(404, M_("no agent {agent}", agent=repr(body.agent))) from None
    except SupervisionRefused as exc:
        raise Problem(409, message_of(exc)) from None
    return ok(session_json(record), 201)


@routes.route(
    "DELETE",
    r"/api/supervision/{session_id:\d{1,15}}",
    roles=SUPERVISORS,
    response=SESSION_SCHEMA,
    errors=(403, 404, 409),
)
async def stop_supervision(call: Call) -> web.Response:
    """Stop listening (hang up my phone's leg), on any daemon whichever started it: the session as it is then (409:
    this daemon cannot reach the session's Asterisk server)"""
    record = await get_supervision(call.db, call.path_id("session_id"))
    if record is None:
        raise Problem(404, M_("no supervision session {session_id}", session_id=call.path("session_id")))
    if record.supervisor != call.user.name and call.user.role not in ADMINS:
        raise Problem(403, M_("only the supervisor who started it (or an admin) may stop it"))
    if record.state != "started":
        return ok(session_json(record))
    try:
        state = await call.daemon.end_supervision(record)
    except SupervisionRefused as exc:
        raise Problem(409, message_of(exc)) from None
    body = session_json(await get_supervision(call.db, record.id) or record)
    body["state"] = state
    return ok(body)


@routes.listing("/api/supervision", roles=SUPERVISORS, query=SupervisionQuery, item=SESSION_SCHEMA)
async def get_supervisions(call: Call) -> web.Response:
    """The monitoring audit: who listened to whom, in which mode, when (newest first; supervisors: on their teams'
    agents)"""
    q = call.query_as(SupervisionQuery)
    scope = call.scope
    if q.agent is not None and scope is not None and q.agent not in scope:
        raise out_of_scope(
            call,
            supervisor=M_("a supervisor may only see the monitoring of their teams' agents"),
            agent=M_("you are {user}: an agent may only act on their own session", user=call.user.name),
        )
    found = await list_supervisions(
        call.db, supervisor=q.supervisor, agent=q.agent, limit=q.limit, offset=q.offset, agents=scope
    )
    return page_from(q, found, session_json)


@routes.route(
    "PATCH", "/api/campaigns/{name}/dialing", roles=MANAGERS, tag="campaigns", body=DialingBody, errors=(404, 422)
)
async def patch_dialing(call: Call) -> web.Response:
    """Change a campaign's dial mode and level live (the next pacing decision uses them)"""
    name = call.path("name")
    record = await campaign_or_404(call, name)
    body = call.body_as(DialingBody)
    data = dict(record.config)
    if body.dial_mode is not None:
        data["dial_mode"] = body.dial_mode.value
    pacing = dict(data.get("pacing") or {})
    if body.power_ratio is not None:
        pacing["power_ratio"] = body.power_ratio
    if body.aggressiveness is not None:
        pacing["aggressiveness"] = body.aggressiveness
    data["pacing"] = pacing
    with invalid(CampaignConfigError):
        config = load_campaign(data, f"PATCH /api/campaigns/{name}/dialing")
    applied = await apply_campaign(call.db, name, config.model_dump(mode="json"), call.now(), actor=call.user.name)
    state = await call.daemon.campaign_applied(name, config)
    result = campaign_json(applied.campaign, state)
    result.update(changed=list(applied.changed), pacing=config.pacing.model_dump(mode="json"))
    return ok(result)
