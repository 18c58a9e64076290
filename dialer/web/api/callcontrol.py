"""Call control and manual dial: the agent's buttons on a live call, the legs of a call, transfers per agent.

Agents act on their own call only (managers on anyone's); every refusal is a problem document saying why (409:
the call's state or the agent's does not allow it; 422: a rule forbids the number -- DNC, calling window ...).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from aiohttp import web
from pydantic import AwareDatetime, Field

from dialer.agents.registry import AgentError
from dialer.ami.actions import AmiError
from dialer.callcontrol.compliance import NumberRefused
from dialer.callcontrol.core import CallControlError, PartyKind
from dialer.callcontrol.service import NoLiveCall, Target
from dialer.i18n import M_, message_of
from dialer.i18n.library import ami_error_text
from dialer.store.attempts import get_attempt
from dialer.store.call_legs import call_legs_of, transfers_per_agent
from dialer.web.api.common import Strict, campaign_or_404, lead_for, ok, own_agent, refused
from dialer.web.facade import NoRunningCampaign, NotInPreviewCampaign
from dialer.web.problems import Problem
from dialer.web.routing import ANY_USER, MANAGERS, Call, RouteTable

routes = RouteTable(tag="agents")


class DtmfBody(Strict):
    digits: str = Field(min_length=1, max_length=32, pattern=r"^[0-9*#A-D]+$")


class TransferBody(Strict):
    kind: Literal["agent", "queue", "external"] = Field(description="who takes the call")
    target: str = Field(min_length=1, max_length=100, description="agent id, queue name or phone number")
    mode: Literal["blind", "warm"] = "blind"


class ConferenceBody(Strict):
    kind: Literal["agent", "external"]
    target: str = Field(min_length=1, max_length=100)


class ManualDialBody(Strict):
    number: str | None = Field(default=None, min_length=3, max_length=40, description="a number to dial")
    lead_id: int | None = Field(default=None, ge=1, description="or a lead found by search")
    campaign: str | None = Field(default=None, max_length=100)


class TransfersQuery(Strict):
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None


@contextmanager
def _refusals() -> Iterator[None]:
    try:
        yield
    except NumberRefused as exc:
        raise Problem(
            422, M_("refused ({code}): {detail}", code=exc.code, detail=exc.detail), kind="validation-error"
        ) from None
    except (NoLiveCall, CallControlError, LookupError, RuntimeError, AgentError) as exc:
        raise Problem(409, message_of(exc)) from None
    except AmiError as exc:
        raise Problem(409, M_("the PBX did not do it: {exc}", exc=ami_error_text(exc)), detail_en=str(exc)) from None


def _agent(call: Call) -> str:
    return own_agent(call, call.path("agent_id"))


_CALL = "/api/agents/{agent_id}/call"


@routes.route("GET", f"{_CALL}/control", roles=ANY_USER, summary="Call control state: legs, timer")
async def get_control(call: Call) -> web.Response:
    agent = _agent(call)
    await call.daemon.call_control.adopt_queue_transfer(agent)  # a call a blind transfer queued for them
    return ok({"control": call.daemon.call_control.state_of(agent)})


@routes.route("POST", f"{_CALL}/hangup", roles=ANY_USER, summary="Hang up the customer", errors=(409,))
async def post_hangup(call: Call) -> web.Response:
    with _refusals():
        return ok(await call.daemon.call_control.hangup(_agent(call)))


@routes.route("POST", f"{_CALL}/hold", roles=ANY_USER, summary="Put the customer on hold", errors=(409,))
async def post_hold(call: Call) -> web.Response:
    with _refusals():
        return ok(await call.daemon.call_control.hold(_agent(call)))


@routes.route("POST", f"{_CALL}/resume", roles=ANY_USER, summary="Take the customer off hold", errors=(409,))
async def post_resume(call: Call) -> web.Response:
    with _refusals():
        return ok(await call.daemon.call_control.resume(_agent(call)))


@routes.route("POST", f"{_CALL}/dtmf", roles=ANY_USER, summary="Send DTMF digits", body=DtmfBody, errors=(409,))
async def post_dtmf(call: Call) -> web.Response:
    body = call.body_as(DtmfBody)
    with _refusals():
        return ok(await call.daemon.call_control.dtmf(_agent(call), body.digits))


@routes.route(
    "POST",
    f"{_CALL}/transfer",
    roles=ANY_USER,
    summary="Transfer the call (blind, or warm: talk to the target first)",
    body=TransferBody,
    errors=(409, 422),
)
async def post_transfer(call: Call) -> web.Response:
    body = call.body_as(TransferBody)
    with _refusals():
        return ok(
            await call.daemon.call_control.transfer(
                _agent(call), Target(PartyKind(body.kind), body.target), warm=body.mode == "warm"
            )
        )


@routes.route(
    "POST",
    f"{_CALL}/transfer/complete",
    roles=ANY_USER,
    summary="Warm transfer: hand the customer to the target and drop out",
    errors=(409,),
)
async def post_transfer_complete(call: Call) -> web.Response:
    with _refusals():
        return ok(await call.daemon.call_control.complete_transfer(_agent(call)))


@routes.route(
    "POST",
    f"{_CALL}/transfer/cancel",
    roles=ANY_USER,
    summary="Warm transfer: back to the customer",
    errors=(409,),
)
async def post_transfer_cancel(call: Call) -> web.Response:
    with _refusals():
        return ok(await call.daemon.call_control.cancel_transfer(_agent(call)))


@routes.route(
    "POST",
    f"{_CALL}/conference",
    roles=ANY_USER,
    summary="3-way call: bring a third party in",
    body=ConferenceBody,
    errors=(409, 422),
)
async def post_conference(call: Call) -> web.Response:
    body = call.body_as(ConferenceBody)
    with _refusals():
        return ok(await call.daemon.call_control.conference(_agent(call), Target(PartyKind(body.kind), body.target)))


@routes.route(
    "POST",
    f"{_CALL}/conference/leave",
    roles=ANY_USER,
    summary="3-way call: drop out, the two others talk on",
    errors=(409,),
)
async def post_conference_leave(call: Call) -> web.Response:
    with _refusals():
        return ok(await call.daemon.call_control.leave_conference(_agent(call)))


@routes.route(
    "POST",
    "/api/agents/{agent_id}/dial",
    roles=ANY_USER,
    summary="Manual dial: a number or a lead, under the dialer's rules",
    body=ManualDialBody,
    errors=(404, 409, 422),
)
async def post_manual_dial(call: Call) -> web.Response:
    agent_id = _agent(call)
    body = call.body_as(ManualDialBody)
    if (body.number is None) == (body.lead_id is None):
        raise Problem(422, M_("give either number or lead_id"), kind="validation-error")
    if body.lead_id is not None:
        await lead_for(call, body.lead_id)  # an agent dials only a lead they may see (404 otherwise)
    daemon = call.daemon
    with refused(NotInPreviewCampaign, status=409):
        campaign = daemon.manual_campaign(agent_id, body.campaign)
    with _refusals():
        try:
            attempt_id = await daemon.manual_dial(campaign, agent_id, number=body.number, lead_id=body.lead_id)
        except NoRunningCampaign:
            raise Problem(404, M_("no running campaign {campaign}", campaign=repr(campaign))) from None
    return ok({"campaign": campaign, "attempt_id": attempt_id})


@routes.route(
    "GET",
    r"/api/attempts/{attempt_id:\d{1,15}}/legs",
    roles=ANY_USER,
    summary="The legs of a call: who talked, who transferred to whom, when, talk time",
    tag="reports",
)
async def get_legs(call: Call) -> web.Response:
    attempt_id = call.path_id("attempt_id")
    attempt = await get_attempt(call.db, attempt_id)
    if attempt is None:
        raise Problem(404, M_("no such attempt {attempt_id}", attempt_id=attempt_id))
    legs = await call_legs_of(call.db, attempt_id)
    if not call.is_manager and call.user.name not in {attempt.agent, *(leg.party for leg in legs)}:
        raise Problem(403, M_("an agent may only read the calls they talked on"))
    return ok(
        {
            "attempt_id": attempt_id,
            "legs": [
                {
                    "seq": leg.seq,
                    "kind": leg.party_kind,
                    "party": leg.party,
                    "how": leg.how,
                    "transferred_by": leg.transferred_by,
                    "started_at": leg.started_at.isoformat(),
                    "connected_at": leg.connected_at.isoformat() if leg.connected_at else None,
                    "ended_at": leg.ended_at.isoformat() if leg.ended_at else None,
                    "talk_seconds": leg.talk_seconds,
                }
                for leg in legs
            ],
        }
    )


@routes.route(
    "GET",
    "/api/campaigns/{name}/transfers",
    roles=MANAGERS,
    summary="Transfers and 3-way calls per agent",
    tag="reports",
    query=TransfersQuery,
)
async def get_transfers(call: Call) -> web.Response:
    campaign = await campaign_or_404(call, call.path("name"))
    q = call.query_as(TransfersQuery)
    rows = await transfers_per_agent(call.db, campaign.id, q.start, q.end)
    return ok(
        {
            "campaign": campaign.name,
            "transfers": [{"agent": r.agent, "how": r.how, "to": r.party_kind, "count": r.transfers} for r in rows],
        }
    )
