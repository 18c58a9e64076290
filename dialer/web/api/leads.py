"""Leads: search, read with history, correct, record the called party's consent, and put on the do-not-call list."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from typing import Annotated, Literal

from aiohttp import web
from pydantic import Field, StringConstraints

from dialer.campaign.rules import CONSENT_SOURCE_MAX, ConsentNotRecordable, LeadStatus
from dialer.i18n import M_
from dialer.lists.export import write_leads_csv
from dialer.reports.render.csv import CsvEncoding, CsvEncodingError
from dialer.store.attempts import get_attempt
from dialer.store.auth import Role
from dialer.store.console import LeadQuery, lead_history, search_leads, update_lead_fields
from dialer.store.dnc import import_dnc
from dialer.store.lead_export import LeadExportFilter, audit_export, check_lists, exported_leads
from dialer.store.leads import LeadRecord, record_consent
from dialer.store.leadscope import lead_scope
from dialer.store.lists import UnknownListError
from dialer.store.monitoring import recorded_attempts
from dialer.web.api.common import (
    Paging,
    Strict,
    attempt_json,
    campaign_id_of,
    campaign_or_404,
    csv_headers,
    inbound_call_with,
    invalid,
    lead_for,
    lead_json,
    ok,
    page_from,
    refused,
)
from dialer.web.problems import Problem
from dialer.web.routing import ANY_USER, MANAGERS, Call, RouteTable

routes = RouteTable(tag="leads")


class LeadSearch(Paging):
    campaign: str | None = Field(default=None, max_length=100)
    q: str | None = Field(default=None, max_length=100, description="name or phone digits")
    status: LeadStatus | None = None


class LeadEdit(Strict):
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    priority: int | None = Field(default=None, ge=-1000, le=1000)
    fields: dict[str, str | None] | None = Field(default=None, max_length=50)


class DncRequest(Strict):
    scope: Literal["campaign", "global"] = "campaign"
    reason: str | None = Field(default=None, max_length=200)


@routes.listing("/api/leads", roles=ANY_USER, query=LeadSearch)
async def get_leads(call: Call) -> web.Response:
    """Search leads (supervisors: their teams' campaigns and agents; agents: only their own calls)"""
    q = call.query_as(LeadSearch)
    query = LeadQuery(
        campaign_id=await campaign_id_of(call, q.campaign),
        text=q.q,
        status=q.status.value if q.status else None,
        limit=q.limit,
        offset=q.offset,
        scope=await lead_scope(call.db, call.user),
    )
    return page_from(q, await search_leads(call.db, query), lead_json)


LEAD = r"/api/leads/{lead_id:\d{1,15}}"


async def _path_lead(call: Call) -> LeadRecord:
    """The path's lead, one the user may see (:func:`lead_for`)."""
    return await lead_for(call, call.path_id("lead_id"))


class ConsentBody(Strict):
    source: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=CONSENT_SOURCE_MAX)] = (
        Field(description="how the called party gave consent, e.g. verbal on the call")
    )


@routes.route("GET", LEAD, roles=ANY_USER)
async def get_lead_view(call: Call) -> web.Response:
    """One lead with its attempt history"""
    lead = await _path_lead(call)
    history = await lead_history(call.db, lead.id)
    recorded = await recorded_attempts(call.db, [a.id for a in history])
    return ok({**lead_json(lead), "history": [attempt_json(a, recorded) for a in history]})


@routes.route("PATCH", LEAD, roles=ANY_USER, body=LeadEdit)
async def patch_lead(call: Call) -> web.Response:
    """Correct a lead's name, priority or fields"""
    lead = await _path_lead(call)
    body = call.body_as(LeadEdit)
    if body.priority is not None and not call.is_manager:
        raise Problem(403, M_("only a manager may change a lead's priority"))
    return await corrected(call, lead.id, body)


async def corrected(call: Call, lead_id: int, edit: LeadEdit) -> web.Response:
    """The lead with ``edit`` applied (names, priority; a null custom field removes it), as a lead is shown."""
    updated = await update_lead_fields(
        call.db,
        lead_id,
        call.now(),
        first_name=edit.first_name,
        last_name=edit.last_name,
        fields=edit.fields,
        priority=edit.priority,
    )
    assert updated is not None
    return ok(lead_json(updated))


@routes.route("POST", f"{LEAD}/dnc", roles=ANY_USER, body=DncRequest)
async def post_lead_dnc(call: Call) -> web.Response:
    """Put the lead's numbers on the do-not-call list"""
    lead = await _path_lead(call)
    body = call.body_as(DncRequest)
    if body.scope == "global" and not call.is_manager:
        raise Problem(403, M_("only a manager may add to the global do-not-call list"))
    imported = await import_dnc(
        call.db,
        [lead.phone, *lead.alt_phones],
        campaign_id=lead.campaign_id if body.scope == "campaign" else None,
        source=f"agent:{call.user.name}",
        reason=body.reason,
        now=call.now(),
        lead_id=lead.id,
    )
    return ok({"lead_id": lead.id, "scope": body.scope, "numbers_added": imported.added})


@dataclass(frozen=True, slots=True)
class _ConsentCall:
    """The call an agent records consent on: an outbound attempt or an inbound call (the caller's Uniqueid)."""

    attempt_id: int | None = None
    inbound_call: str | None = None


async def _consent_call(call: Call, lead: LeadRecord) -> _ConsentCall:
    """The call an agent records consent on: their current or just-ended call, or the inbound call they are on
    whose caller matched the lead (the screen pop's lead), which must be on ``lead`` (403 otherwise). No call for a
    supervisor or manager (on no call of theirs; :func:`lead_for` scoped the lead)."""
    if call.user.role is not Role.AGENT:
        return _ConsentCall()
    current = call.daemon.agent_call(call.user.name)
    attempt = await get_attempt(call.db, current.attempt_id) if current is not None else None
    if attempt is not None and attempt.lead_id == lead.id:
        return _ConsentCall(attempt_id=attempt.id)
    inbound = inbound_call_with(call, lead.id)
    if inbound is not None and inbound.get("call"):
        return _ConsentCall(inbound_call=str(inbound["call"]))
    raise Problem(
        403,
        M_(
            "consent is recorded only on the lead of your current or just-ended call, or of the inbound call you are on"
        ),
    )


@routes.route("POST", f"{LEAD}/consent", roles=ANY_USER, body=ConsentBody, errors=(403, 404, 409))
async def post_lead_consent(call: Call) -> web.Response:
    """Record the called party's consent to be called (agents: on their current or just-ended call, or the inbound
    call of the lead's caller they are on); audited. A lead with consent keeps its first record (``recorded``:
    false); a lead its regime set aside for want of consent is due again at the earliest time its other rules
    allow; withdrawal is the do-not-call action"""
    lead = await _path_lead(call)
    body = call.body_as(ConsentBody)
    on = await _consent_call(call, lead)
    with refused(ConsentNotRecordable, status=409, kind="consent-not-recordable"):
        written = await record_consent(
            call.db,
            lead.id,
            body.source,
            by=call.user.name,
            attempt_id=on.attempt_id,
            inbound_call=on.inbound_call,
            now=call.now(),
        )
    if written is None:
        raise Problem(404, M_("no lead {lead_id}", lead_id=lead.id))
    return ok({**lead_json(written.lead), "recorded": written.recorded})


class LeadExportQuery(Strict):
    lists: str | None = Field(
        default=None, max_length=1000, pattern=r"^\d{1,15}(,\d{1,15})*$", description="only these lists: ids, e.g. 3,4"
    )
    status: str | None = Field(
        default=None, max_length=200, description="only leads in these statuses, comma-separated, e.g. done,dnc"
    )
    encoding: CsvEncoding = Field(
        default="utf-8-sig", description="UTF-8 with BOM (Excel), plain UTF-8, or CP932 (Shift_JIS)"
    )


EXPORT_SPOOL_BYTES = 16 * 1024 * 1024  # an export held in memory up to this, on disk beyond
EXPORT_CHUNK_BYTES = 256 * 1024


@routes.route(
    "GET",
    "/api/campaigns/{name}/leads/export",
    roles=MANAGERS,
    query=LeadExportQuery,
    response={"type": "string"},
    response_content_type="text/csv",
    errors=(404, 422),
)
async def export_leads(call: Call) -> web.StreamResponse:
    """A campaign's leads with their results, as CSV (the importer's columns, then dialer_status, dialer_attempts,
    dialer_last_outcome, ...); by list and status; audited"""
    q = call.query_as(LeadExportQuery)
    record = await campaign_or_404(call, call.path("name"))
    statuses = {s.strip() for s in q.status.split(",") if s.strip()} if q.status else set()
    if unknown := sorted(statuses - {s.value for s in LeadStatus}):
        choices = ", ".join(s.value for s in LeadStatus)
        raise Problem(422, M_("status: {status} is not a lead status ({choices})", status=unknown[0], choices=choices))
    list_ids = {int(i) for i in q.lists.split(",")} if q.lists else set()
    with invalid(UnknownListError, said=lambda exc: M_("lists: {exc}", exc=exc)):
        await check_lists(call.db, record.id, list_ids)
    where = LeadExportFilter(record.id, list_ids=list_ids or None, statuses=statuses or None)
    with tempfile.SpooledTemporaryFile(max_size=EXPORT_SPOOL_BYTES) as spool:
        with invalid(CsvEncodingError, said=lambda exc: M_("encoding: {exc}", exc=exc)):
            n = await write_leads_csv(lambda: exported_leads(call.db, where), spool, encoding=q.encoding)
        await audit_export(call.db, call.user.name, record.name, where, n, call.now())
        response = web.StreamResponse(headers=csv_headers(q.encoding, f"leads-{record.name}.csv"))
        response.content_length = spool.tell()
        spool.seek(0)
        await response.prepare(call.request)
        while chunk := spool.read(EXPORT_CHUNK_BYTES):
            await response.write(chunk)
        await response.write_eof()
    return response
