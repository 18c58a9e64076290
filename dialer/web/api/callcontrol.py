"""Call control and manual dial: the agent's buttons on a live call, the legs of a call, transfers per agent.

Agents act on their own call only (managers on anyone's); every refusal is a problem document saying why (409:
the call's state or the agent's does not allow it; 422: a rule forbids the number -- DNC, calling window ...).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Literal

from aiohttp import web
from pydantic import AwareDatetime, Field

from dialer.agents.registry import AgentError
from dialer.ami.actions import AmiError
from dialer.callcontrol.compliance import NumberRefused
from dialer.callcontrol.core import CallControlError, PartyKind
from dialer.callcontrol.service import CallControlService, NoLiveCall, Target
from dialer.i18n import M_, message_of
from dialer.i18n.library import ami_error_text
from dialer.store.attempts import get_attempt
from dialer.store.call_legs import call_legs_of, transfers_per_agent
from dialer.web.api.common import Strict, campaign_or_404, lead_for, ok, path_agent, refused
from dialer.web.facade import NoRunningCampaign, NotInPreviewCampaign
from dialer.web.problems import Problem
from dialer.web.routing import ANY_USER, MANAGERS, Call, CallHandler, RouteTable

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


_CALL = "/api/agents/{agent_id}/call"
_Button = Callable[[CallControlService, str], Awaitable[dict[str, object]]]


def _on_call(
    action: str, body: type[Strict] | None = None, errors: tuple[int, ...] = (409,), *, summary: str | None = None
) -> Callable[[CallHandler], CallHandler]:
    """A button of the agent's live call: ``POST /api/agents/{agent_id}/call/{action}`` (409: not now)."""
    return routes.route("POST", f"{_CALL}/{action}", roles=ANY_USER, summary=summary, body=body, errors=errors)


async def _press(call: Call, button: _Button) -> web.Response:
    """The path's agent (one the user may act on) presses ``button``: the call's control state, or why not."""
    with _refusals():
        return ok(await button(call.daemon.call_control, path_agent(call)))


@routes.route("GET", f"{_CALL}/control", roles=ANY_USER)
async def get_control(call: Call) -> web.Response:
    """Call control state: legs, timer"""
    agent = path_agent(call)
    await call.daemon.call_control.adopt_queue_transfer(agent)  # a call a blind transfer queued for them
    return ok({"control": call.daemon.call_control.state_of(agent)})


# The buttons that take nothing but the press: the action, the service's method, the route's summary.
_PLAIN_BUTTONS: tuple[tuple[str, _Button, str], ...] = (
    ("hangup", CallControlService.hangup, "Hang up the customer"),
    ("hold", CallControlService.hold, "Put the customer on hold"),
    ("resume", CallControlService.resume, "Take the customer off hold"),
    (
        "transfer/complete",
        CallControlService.complete_transfer,
        "Warm transfer: hand the customer to the target and drop out",
    ),
    ("transfer/cancel", CallControlService.cancel_transfer, "Warm transfer: back to the customer"),
    ("conference/leave", CallControlService.leave_conference, "3-way call: drop out, the two others talk on"),
)


def _plain_button(action: str, button: _Button, summary: str) -> CallHandler:
    """``POST .../call/{action}`` presses ``button``; the handler is named ``post_<action>`` (its OpenAPI
    operationId), e.g. ``post_transfer_complete``."""

    async def handler(call: Call) -> web.Response:
        return await _press(call, button)

    handler.__name__ = handler.__qualname__ = "post_" + action.replace("/", "_")
    return _on_call(action, summary=summary)(handler)


for _action, _button, _summary in _PLAIN_BUTTONS:
    _plain_button(_action, _button, _summary)


@_on_call("dtmf", DtmfBody)
async def post_dtmf(call: Call) -> web.Response:
    """Send DTMF digits"""
    digits = call.body_as(DtmfBody).digits
    return await _press(call, lambda control, agent: control.dtmf(agent, digits))


@_on_call("transfer", TransferBody, (409, 422))
async def post_transfer(call: Call) -> web.Response:
    """Transfer the call (blind, or warm: talk to the target first)"""
    body = call.body_as(TransferBody)
    target = Target(PartyKind(body.kind), body.target)
    return await _press(call, lambda control, agent: control.transfer(agent, target, warm=body.mode == "warm"))


@_on_call("conference", ConferenceBody, (409, 422))
async def post_conference(call: Call) -> web.Response:
    """3-way call: bring a third party in"""
    body = call.body_as(ConferenceBody)
    target = Target(PartyKind(body.kind), body.target)
    return await _press(call, lambda control, agent: control.conference(agent, target))


@routes.route("POST", "/api/agents/{agent_id}/dial", roles=ANY_USER, body=ManualDialBody, errors=(404, 409, 422))
async def post_manual_dial(call: Call) -> web.Response:
    """Manual dial: a number or a lead, under the dialer's rules"""
    agent_id = path_agent(call)
    body = call.body_as(ManualDialBody)
    if (body.number is None) == (body.lead_id is None):
        raise Problem(422, M_("give either number or lead_id"), kind="validation-error")
    if body.lead_id is not None:
        await lead_for(call, body.lead_id)  # an agent dials only a lead they may see (404 otherwise)
    daemon = call.daemon
    with refused(NotInPreviewCampaign, status=409):
        campaign = daemon.manual_campaign(agent_id, body.campaign)
    with _refusals(), refused(NoRunningCampaign, status=404):
        attempt_id = await daemon.manual_dial(campaign, agent_id, number=body.number, lead_id=body.lead_id)
    return ok({"campaign": campaign, "attempt_id": attempt_id})


@routes.route("GET", r"/api/attempts/{attempt_id:\d{1,15}}/legs", roles=ANY_USER, tag="reports")
async def get_legs(call: Call) -> web.Response:
    """The legs of a call: who talked, who transferred to whom, when, talk time"""
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


@routes.route("GET", "/api/campaigns/{name}/transfers", roles=MANAGERS, tag="reports", query=TransfersQuery)
async def get_transfers(call: Call) -> web.Response:
    """Transfers and 3-way calls per agent"""
    campaign = await campaign_or_404(call, call.path("name"))
    q = call.query_as(TransfersQuery)
    rows = await transfers_per_agent(call.db, campaign.id, q.start, q.end)
    return ok(
        {
            "campaign": campaign.name,
            "transfers": [{"agent": r.agent, "how": r.how, "to": r.party_kind, "count": r.transfers} for r in rows],
        }
    )
