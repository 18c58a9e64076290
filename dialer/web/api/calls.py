"""An agent's calls: the current call (campaign or inbound), its disposition, call records, preview mode."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from pydantic import AwareDatetime, Field

from dialer.agents.registry import AgentError
from dialer.campaign.late_disposition import (
    LateDispositionRefused,
    LateRefusal,
    late_disposition_deadline,
    late_disposition_refusal,
)
from dialer.campaign.rules import DispositionError
from dialer.i18n import M_, message_of
from dialer.ivr.context import summarize
from dialer.store.attempts import AttemptRecord, get_attempt
from dialer.store.console import attempts_of_agent, lead_history, own_callback_kept
from dialer.store.leads import get_lead
from dialer.store.monitoring import get_recording, recorded_attempts
from dialer.web.api.common import (
    Paging,
    Strict,
    agent_json,
    agent_or_404,
    agent_to_read,
    attempt_and_lead,
    attempt_json,
    consent_first,
    invalid,
    lead_json,
    ok,
    page_from,
    path_agent,
    refused,
)
from dialer.web.facade import NoRunningCampaign, NotInPreviewCampaign
from dialer.web.live import HUB
from dialer.web.problems import Problem
from dialer.web.routing import ANY_USER, Call, CallHandler, RouteTable

routes = RouteTable(tag="agents")


class DispositionBody(Strict):
    code: str = Field(min_length=1, max_length=40)
    notes: str | None = Field(default=None, max_length=4000)
    callback_at: AwareDatetime | None = None
    callback_personal: bool = True
    campaign: str | None = Field(default=None, max_length=100)


class PreviewBody(Strict):
    campaign: str | None = Field(default=None, max_length=100, description="a preview campaign the agent is in")


async def _recording_of(call: Call, campaign: str, attempt_id: int) -> dict[str, str | None]:
    """What the agent may do about the call's recording: the campaign's mode (``none``, ``all``: pause and resume;
    ``on_demand``: start and stop too) and the recording's state (None: not recording yet)."""
    config = call.daemon.campaign_config(campaign)
    recording = await get_recording(call.db, attempt_id)
    return {
        "mode": config.recording.value if config is not None else "none",
        "state": recording.state if recording is not None else None,
    }


def _requires_consent(call: Call, campaign: str) -> bool:
    config = call.daemon.campaign_config(campaign)
    return config is not None and config.regime_preset.requires_consent


@routes.route("GET", "/api/agents/{agent_id}/call", roles=ANY_USER)
async def get_agent_call(call: Call) -> web.Response:
    """The agent's current call: lead, history, dispositions"""
    agent_id = path_agent(call)
    agent = agent_to_read(call, agent_id)
    daemon = call.daemon
    current = daemon.agent_call(agent_id)
    body: dict[str, Any] = {"agent": agent_json(agent, daemon.now(), daemon.node), "call": None}
    if current is not None:
        attempt, lead = await attempt_and_lead(call, current.attempt_id)
        history = await lead_history(call.db, lead.id) if lead is not None else []
        body["call"] = {
            "campaign": current.campaign,
            "attempt": attempt_json(attempt) if attempt is not None else None,
            "lead": lead_json(lead) if lead is not None else None,
            "history": [attempt_json(a) for a in history],
            "dispositions": [d.model_dump(mode="json") for d in current.dispositions],
            "wrap_up_seconds": current.wrap_up_seconds,
            "recording": await _recording_of(call, current.campaign, current.attempt_id),
            # The campaign's regime dials its leads only with recorded consent (or the caller's own request): the
            # screen pop offers to record it (POST /api/leads/{id}/consent).
            "requires_consent": _requires_consent(call, current.campaign),
        }
        own = await own_callback_kept(call.db, lead.id, current.attempt_id, agent_id) if lead is not None else None
        if own is not None:  # the call keeps a callback this agent promised: their own, placed to them alone
            body["call"]["own_callback"] = {"due_at": own.due_at.isoformat(), "notes": own.notes}
        ivr = daemon.ivr_context(current.campaign, current.attempt_id)
        if ivr is not None:  # an agentless call its flow handed to the agent (dialer.runner.agentless)
            body["call"]["ivr"] = ivr
            body["call"]["ivr_summary"] = summarize(ivr)
    elif agent.call_queue and agent.call_queue in daemon.inbound_queues:
        pop = call.app[HUB].inbound_call(agent) or {}
        inbound: dict[str, Any] = {"inbound": True, "queue": agent.call_queue, "caller": pop.get("caller")}
        lead = await get_lead(call.db, int(pop["lead_id"])) if pop.get("lead_id") else None
        if lead is not None:
            inbound["campaign"] = pop.get("campaign")
            inbound["lead"] = lead_json(lead)
            # The caller may give consent on their own call: the screen pop offers to record it, as on a campaign's.
            inbound["requires_consent"] = _requires_consent(call, str(pop.get("campaign")))
            inbound["history"] = [attempt_json(a) for a in await lead_history(call.db, lead.id)]
        inbound["other_matches"] = max(0, len(pop.get("matches", [])) - 1)
        if pop.get("ivr_summary"):
            inbound["ivr"] = pop.get("ivr")
            inbound["ivr_summary"] = pop.get("ivr_summary")
        body["call"] = inbound
    return ok(body)


@routes.route("POST", "/api/agents/{agent_id}/disposition", roles=ANY_USER, body=DispositionBody, errors=(409,))
async def post_disposition(call: Call) -> web.Response:
    """Disposition the current or last call"""
    agent_id = path_agent(call)
    body = call.body_as(DispositionBody)
    daemon = call.daemon
    with refused(NoRunningCampaign, status=404):
        current = daemon.agent_call(agent_id, body.campaign)
    if current is None:
        raise Problem(409, M_("{agent_id} has no call to disposition", agent_id=agent_id))
    with invalid(DispositionError), refused(LookupError, status=409), consent_first():
        kind = await daemon.disposition(
            current.campaign,
            current.attempt_id,
            agent_id,
            body.code,
            notes=body.notes,
            callback_at=body.callback_at,
            callback_personal=body.callback_personal,
        )
    return ok({"attempt_id": current.attempt_id, "code": body.code, "lead": kind.value})


@routes.listing("/api/agents/{agent_id}/calls", roles=ANY_USER, query=Paging)
async def get_agent_calls(call: Call) -> web.Response:
    """The agent's call records, newest first; ``awaiting_disposition``: a call left without the agent's
    disposition that they may still disposition (until when, its campaign's dispositions; not the call they are on
    or last wrapped up: the current call's disposition is for it), else null"""
    agent_id = path_agent(call)
    q = call.query_as(Paging)
    total, attempts = await attempts_of_agent(call.db, agent_id, q.limit, q.offset)
    recorded = await recorded_attempts(call.db, [a.id for a in attempts])
    now = datetime.fromtimestamp(call.daemon.now(), UTC)
    # The call the agent is on or last wrapped up is dispositioned on the console's current call, not from the list.
    current = call.daemon.agent_call(agent_id)
    on_it = current.attempt_id if current is not None else None

    def item(a: AttemptRecord) -> dict[str, Any]:
        waiting = _awaiting(call, a, agent_id, now) if a.id != on_it else None
        return attempt_json(a, recorded) | {"awaiting_disposition": waiting}

    return page_from(q, (total, attempts), item)


def _awaiting(call: Call, attempt: AttemptRecord, agent_id: str, now: datetime) -> dict[str, Any] | None:
    """What the console needs to disposition the call late, if the agent still may (None: they may not, or its
    campaign is not running here)."""
    campaign = call.daemon.campaign_of_call(attempt.campaign_id)
    if campaign is None:
        return None
    name, config = campaign
    state = attempt.disposition_state()
    if late_disposition_refusal(state, agent_id, now, config.late_disposition_window) is not None:
        return None
    return {
        "campaign": name,
        "until": late_disposition_deadline(state, config.late_disposition_window),
        "dispositions": [d.model_dump(mode="json") for d in config.dispositions],
    }


@contextmanager
def _late_refusals() -> Iterator[None]:
    """What the late disposition rule refuses, as a problem: 403 another agent's call, 409 otherwise."""
    try:
        yield
    except LateDispositionRefused as exc:
        status = 403 if exc.refusal is LateRefusal.NOT_YOURS else 409
        kind = "late-disposition-" + exc.refusal.value.replace("_", "-")
        raise Problem(status, message_of(exc), kind=kind) from None


class LateDispositionBody(Strict):
    code: str = Field(min_length=1, max_length=40)
    notes: str | None = Field(default=None, max_length=4000)
    callback_at: AwareDatetime | None = None
    callback_personal: bool = True


@routes.route(
    "POST",
    "/api/agents/{agent_id}/calls/{attempt_id}/disposition",
    roles=ANY_USER,
    body=LateDispositionBody,
    errors=(403, 404, 409),
)
async def post_late_disposition(call: Call) -> web.Response:
    """Disposition an earlier call of mine left without my disposition (once, within late_disposition_hours)"""
    agent_id = path_agent(call)
    attempt_id = call.path_id("attempt_id")
    body = call.body_as(LateDispositionBody)
    attempt = await get_attempt(call.db, attempt_id)
    if attempt is None:
        raise Problem(404, M_("no call {attempt_id}", attempt_id=attempt_id))
    if attempt.agent != agent_id:
        raise Problem(403, M_("call {attempt} is not one of your calls", attempt=attempt_id))
    campaign = call.daemon.campaign_of_call(attempt.campaign_id)
    if campaign is None:
        raise Problem(404, M_("the campaign of call {attempt} is not running here", attempt=attempt_id))
    with invalid(DispositionError), refused(LookupError, status=409), _late_refusals(), consent_first():
        kind = await call.daemon.disposition(
            campaign[0],
            attempt_id,
            agent_id,
            body.code,
            notes=body.notes,
            callback_at=body.callback_at,
            callback_personal=body.callback_personal,
            late_by=call.user.name,
        )
    return ok({"attempt_id": attempt_id, "code": body.code, "lead": kind.value, "late": True})


# ------------------------------------------------------------------------------------------------ preview
# What a preview action the state does not allow raises (no lead held, agent not ready, no server up): a 409.
PREVIEW_REFUSALS = (LookupError, RuntimeError, AgentError)


def _preview_route(action: str) -> Callable[[CallHandler], CallHandler]:
    """A preview-mode action: ``POST /api/agents/{agent_id}/preview/{action}`` naming the campaign (409: not now)."""
    return routes.route(
        "POST", f"/api/agents/{{agent_id}}/preview/{action}", roles=ANY_USER, body=PreviewBody, errors=(409,)
    )


def _preview_campaign(call: Call) -> tuple[str, str]:
    """(agent, the preview campaign they work in) or a problem."""
    agent_id = path_agent(call)
    body = call.body_as(PreviewBody)
    agent_or_404(call, agent_id)
    with refused(NotInPreviewCampaign, status=409):
        return agent_id, call.daemon.preview_campaign(agent_id, body.campaign)


@_preview_route("claim")
async def preview_claim(call: Call) -> web.Response:
    """Preview mode: hold the next lead for me to read"""
    agent_id, campaign = _preview_campaign(call)
    with refused(*PREVIEW_REFUSALS, status=409):
        claim = await call.daemon.preview_claim(campaign, agent_id)
    if claim.lead is None:
        return ok({"campaign": campaign, "lead": None, "why": claim.why, "breakdown": claim.breakdown})
    history = await lead_history(call.db, claim.lead.id)
    return ok({"campaign": campaign, "lead": lead_json(claim.lead), "history": [attempt_json(a) for a in history]})


@_preview_route("dial")
async def preview_dial(call: Call) -> web.Response:
    """Preview mode: dial the lead I hold"""
    agent_id, campaign = _preview_campaign(call)
    with refused(*PREVIEW_REFUSALS, status=409):
        attempt_id = await call.daemon.preview_dial(campaign, agent_id)
    return ok({"campaign": campaign, "attempt_id": attempt_id})


@_preview_route("skip")
async def preview_skip(call: Call) -> web.Response:
    """Preview mode: give the held lead back"""
    agent_id, campaign = _preview_campaign(call)
    with refused(*PREVIEW_REFUSALS, status=409):
        await call.daemon.preview_skip(campaign, agent_id)
    return ok({"campaign": campaign, "skipped": True})
