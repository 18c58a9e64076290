"""Scheduled callbacks: list, schedule, cancel. Managers see every callback; a supervisor those of their teams'
campaigns and agents, an agent their own (dialer.store.leadscope): another's is a 404, as for leads."""

from __future__ import annotations

from datetime import UTC
from typing import Literal

from aiohttp import web
from pydantic import AwareDatetime, Field

from dialer.campaign.rules import CallbackTimeError, check_callback_due
from dialer.i18n import M_
from dialer.store.auth import Role
from dialer.store.console import (
    CallbackNotPending,
    LeadClosedForCallbacks,
    cancel_callback,
    create_callback,
    get_callback,
    list_callbacks,
)
from dialer.store.leadscope import lead_scope
from dialer.web.api.common import (
    Paging,
    Strict,
    callback_json,
    callback_listing_json,
    campaign_id_of,
    consent_first,
    invalid,
    lead_for,
    ok,
    page_from,
    refused,
)
from dialer.web.problems import Problem
from dialer.web.routing import ANY_USER, Call, RouteTable

routes = RouteTable(tag="callbacks")


class CallbackQuery(Paging):
    campaign: str | None = Field(default=None, max_length=100)
    state: Literal["pending", "done", "cancelled", "missed"] | None = None
    overdue: bool = Field(default=False, description="only those due before now (with state=pending: overdue)")


class CallbackCreate(Strict):
    lead_id: int = Field(ge=1, le=999_999_999_999_999)
    due_at: AwareDatetime
    personal: bool = True
    notes: str | None = Field(default=None, max_length=4000)


@routes.listing("/api/callbacks", roles=ANY_USER, query=CallbackQuery)
async def get_callbacks(call: Call) -> web.Response:
    """Scheduled callbacks, soonest due first, each with its lead's number and name (supervisors: their teams';
    agents: their own)"""
    q = call.query_as(CallbackQuery)
    now = call.now()
    found = await list_callbacks(
        call.db,
        campaign_id=await campaign_id_of(call, q.campaign),
        state=q.state,
        due_before=now if q.overdue else None,
        limit=q.limit,
        offset=q.offset,
        scope=await lead_scope(call.db, call.user),
    )
    return page_from(q, found, lambda item: callback_listing_json(item, now))


@routes.route("POST", "/api/callbacks", roles=ANY_USER, body=CallbackCreate, status=201, errors=(404, 409))
async def post_callback(call: Call) -> web.Response:
    """Schedule a callback"""
    body = call.body_as(CallbackCreate)
    lead = await lead_for(call, body.lead_id)
    with invalid(CallbackTimeError, said=lambda exc: M_("due_at {exc}", exc=exc)):
        check_callback_due(body.due_at, call.now())
    agent = call.user.name if body.personal and call.user.role is Role.AGENT else None
    with refused(LeadClosedForCallbacks, status=409), consent_first():
        created = await create_callback(call.db, lead.id, body.due_at.astimezone(UTC), agent, body.notes, call.now())
    if created is None:
        raise Problem(404, M_("no lead {id}", id=lead.id))
    return ok(callback_json(created), 201)


@routes.route("POST", r"/api/callbacks/{callback_id:\d{1,15}}/cancel", roles=ANY_USER, errors=(409,))
async def post_cancel_callback(call: Call) -> web.Response:
    """Cancel a pending callback"""
    callback_id = call.path_id("callback_id")
    existing = await get_callback(call.db, callback_id)
    scope = await lead_scope(call.db, call.user)
    if existing is None or not scope.sees_call(existing.campaign_id, existing.agent):
        raise Problem(404, M_("no callback {callback_id}", callback_id=callback_id))
    with refused(CallbackNotPending, status=409):
        cancelled = await cancel_callback(call.db, callback_id, call.now())
    if cancelled is None:
        raise Problem(404, M_("no callback {callback_id}", callback_id=callback_id))
    return ok(callback_json(cancelled))
