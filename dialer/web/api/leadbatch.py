"""The lead API (issue 18 §2): add one lead or a batch through the CSV importer's own code path, with per-lead
results and ``Idempotency-Key``; look up, update and erase (data-subject request) a lead by its external id."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import json
from typing import Any

from aiohttp import web
from pydantic import Field

from dialer.appkeys import DIALER
from dialer.campaign.config import CampaignConfig
from dialer.campaign.leadimport import ImportedLead, LeadFileError, RowError, RowErrorReason
from dialer.campaign.leadjson import JsonCell, json_leads_reader
from dialer.i18n import M_
from dialer.store.console import update_lead_fields
from dialer.store.idempotency import KeyState, claim_key, release_key, store_answer
from dialer.store.imports import LeadVerdict, import_leads
from dialer.store.leadapi import LeadInCall, erase_leads, leads_by_external_id
from dialer.web.api.common import Strict, campaign_or_404, dumps, lead_json, ok
from dialer.web.problems import Problem
from dialer.web.routing import MANAGERS, Call, RouteTable

routes = RouteTable()
MAX_BATCH = 10_000
IDEMPOTENCY_HEADER = "Idempotency-Key"

RESULT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["row", "status"],
    "properties": {
        "row": {"type": "integer", "description": "position in `leads`, from 1"},
        "status": {"type": "string", "enum": ["imported", "duplicate", "dnc", "invalid"]},
        "lead_id": {"type": ["integer", "null"]},
        "phone": {"type": ["string", "null"], "description": "the number as stored (E.164)"},
        "reason": {"type": ["string", "null"], "description": "why not imported (the CSV error report's reasons)"},
        "detail": {"type": ["string", "null"]},
    },
}
BATCH_RESPONSE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "list_id": {"type": "integer"},
        "rows": {"type": "integer"},
        "imported": {"type": "integer"},
        "duplicates": {"type": "integer"},
        "invalid": {"type": "integer"},
        "dnc": {"type": "integer"},
        "results": {"type": "array", "items": RESULT_SCHEMA},
    },
}


class LeadBatch(Strict):
    """Each lead is a flat object: keys are read as CSV column headers (``phone``, ``first_name``, ``Tel``,
    ``external_id``, any custom field), values as cells."""

    leads: list[dict[str, JsonCell]] = Field(min_length=1, max_length=MAX_BATCH)
    mapping: dict[str, str] = Field(default_factory=dict, max_length=200, description="key → field, as --map")
    list_name: str | None = Field(default=None, max_length=200)


class ExternalLeadEdit(Strict):
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    priority: int | None = Field(default=None, ge=-1000, le=1000)
    fields: dict[str, str | None] | None = Field(default=None, max_length=50)


class ErasureQuery(Strict):
    dnc: bool = Field(default=True, description="put the numbers on the campaign's DNC list (recommended)")


def _result_of_error(error: RowError) -> dict[str, Any]:
    status = "duplicate" if error.reason is RowErrorReason.DUPLICATE else "invalid"
    return {"row": error.row, "status": status, "lead_id": None, "phone": None, "reason": error.reason.value,
            "detail": error.detail}  # fmt: skip


def _result_of_lead(lead: ImportedLead, verdict: LeadVerdict, lead_id: int | None) -> dict[str, Any]:
    reason = {
        LeadVerdict.DNC: RowErrorReason.DNC.value,
        LeadVerdict.DUPLICATE: RowErrorReason.ALREADY_IN_CAMPAIGN.value,
    }
    return {"row": lead.row, "status": verdict.value, "lead_id": lead_id, "phone": lead.phone,
            "reason": reason.get(verdict), "detail": None}  # fmt: skip


async def _import_batch(call: Call, name: str, body: LeadBatch) -> dict[str, Any]:
    record = await campaign_or_404(call, name)
    config = CampaignConfig.model_validate(record.config)
    results: list[dict[str, Any]] = []
    try:
        reader = json_leads_reader(body.leads, default_region=config.default_region, mapping=body.mapping)
    except LeadFileError as exc:
        raise Problem(422, str(exc).removeprefix("request: "), kind="bad-lead-batch") from None
    except csv.Error as exc:
        raise Problem(422, M_("unreadable leads: {exc}", exc=exc), kind="bad-lead-batch") from None
    with reader:
        # Parsing (phone numbers, validation) is CPU work: done in a worker thread, off the event loop that paces.
        rows = await asyncio.to_thread(list, reader)
        summary = await import_leads(
            call.db,
            campaign_id=record.id,
            rows=rows,
            list_name=body.list_name or f"api {call.now():%Y-%m-%d %H:%M:%S}",
            source_file=f"api:{call.user.name}",
            now=call.now(),
            on_error=lambda e: results.append(_result_of_error(e)),
            on_lead=lambda lead, verdict, lead_id: results.append(_result_of_lead(lead, verdict, lead_id)),
        )
    results.sort(key=lambda r: int(r["row"]))
    if summary.imported and DIALER in call.app:  # (no daemon: the web tier alone, as in `dialer bench hooks`)
        call.daemon.leads_added(record.name)
    return {
        "list_id": summary.list_id,
        "campaign": record.name,
        "rows": summary.rows,
        "imported": summary.imported,
        "duplicates": summary.duplicates,
        "invalid": summary.invalid,
        "dnc": summary.dnc,
        "results": results,
    }


@routes.route(
    "POST",
    "/api/campaigns/{name}/leads",
    roles=MANAGERS,
    tag="lead-api",
    summary="Add leads (one or a batch of up to 10 000) exactly as a CSV import would; per-lead results. "
    "Send an Idempotency-Key header to make a retry add nothing twice",
    body=LeadBatch,
    max_body=32 * 1024 * 1024,
    response=BATCH_RESPONSE,
    errors=(409, 413, 422),
)
async def post_leads(call: Call) -> web.Response:
    name = call.path("name")
    body = call.body_as(LeadBatch)
    key = call.request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return ok(await _import_batch(call, name, body))
    if not 1 <= len(key) <= 200 or not key.isprintable():
        raise Problem(
            422,
            M_("{header} must be 1 to 200 printable characters", header=IDEMPOTENCY_HEADER),
            kind="validation-error",
        )
    scope = f"{call.user.id}:POST /api/campaigns/{name}/leads"
    digest = hashlib.sha256(json.dumps(body.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()
    claim = await claim_key(call.db, scope, key, digest, call.now())
    if claim.state is KeyState.DONE:
        assert claim.status is not None
        assert claim.response is not None
        return web.Response(
            text=claim.response,
            status=claim.status,
            content_type="application/json",
            headers={"Idempotent-Replayed": "true"},
        )
    if claim.state is KeyState.MISMATCH:
        raise Problem(
            422,
            M_("this {header} was used with another request body", header=IDEMPOTENCY_HEADER),
            kind="idempotency-key",
        )
    if claim.state is KeyState.RUNNING:
        raise Problem(
            409,
            M_(
                "a request with this {header} is still running; retry later",
                header=IDEMPOTENCY_HEADER,
            ),
        )
    try:
        answer = await _import_batch(call, name, body)
    except BaseException:
        await release_key(call.db, scope, key)
        raise
    text = dumps(answer)
    await store_answer(call.db, scope, key, 200, text)
    return web.Response(text=text, status=200, content_type="application/json")


async def _one_by_external_id(call: Call) -> tuple[int, Any]:
    record = await campaign_or_404(call, call.path("name"))
    external_id = call.path("external_id")
    found = await leads_by_external_id(call.db, record.id, external_id)
    if not found:
        raise Problem(
            404,
            M_(
                "no lead with external id {external_id} in campaign {name}",
                external_id=repr(external_id),
                name=repr(record.name),
            ),
        )
    if len(found) > 1:
        raise Problem(
            409,
            M_(
                "{found} leads share external id {external_id}: use /api/leads/{{id}}",
                found=len(found),
                external_id=repr(external_id),
            ),
        )
    return record.id, found[0]


EXTERNAL = "/api/campaigns/{name}/leads/by-external-id/{external_id}"


@routes.route("GET", EXTERNAL, roles=MANAGERS, tag="lead-api", summary="A lead by its external id", errors=(409,))
async def get_lead_by_external_id(call: Call) -> web.Response:
    _, lead = await _one_by_external_id(call)
    return ok(lead_json(lead))


@routes.route(
    "PATCH",
    EXTERNAL,
    roles=MANAGERS,
    tag="lead-api",
    summary="Update a lead by its external id (names, priority, custom fields; a null field removes it)",
    body=ExternalLeadEdit,
    errors=(409,),
)
async def patch_lead_by_external_id(call: Call) -> web.Response:
    _, lead = await _one_by_external_id(call)
    body = call.body_as(ExternalLeadEdit)
    fields = body.fields
    if fields is not None and "external_id" in fields:
        raise Problem(422, M_("fields.external_id: the external id cannot be changed here"), kind="validation-error")
    updated = await update_lead_fields(
        call.db,
        lead.id,
        call.now(),
        first_name=body.first_name,
        last_name=body.last_name,
        fields=fields,
        priority=body.priority,
    )
    assert updated is not None
    return ok(lead_json(updated))


@routes.route(
    "DELETE",
    EXTERNAL,
    roles=MANAGERS,
    tag="lead-api",
    summary="Erase a lead for a data-subject request: personal data removed; its numbers kept on the DNC list "
    "(unless dnc=false) and its call records kept anonymised for compliance",
    query=ErasureQuery,
    errors=(409,),
)
async def delete_lead_by_external_id(call: Call) -> web.Response:
    record = await campaign_or_404(call, call.path("name"))
    external_id = call.path("external_id")
    q = call.query_as(ErasureQuery)
    try:
        erased = await erase_leads(call.db, record.id, external_id, add_dnc=q.dnc, now=call.now())
    except LeadInCall as exc:
        raise Problem(409, M_("{exc}: erase it once the call has ended", exc=exc)) from None
    if not erased:
        raise Problem(
            404,
            M_(
                "no lead with external id {external_id} in campaign {name}",
                external_id=repr(external_id),
                name=repr(record.name),
            ),
        )
    return ok(
        {
            "erased": [
                {"lead_id": e.lead_id, "numbers_on_dnc": e.numbers_on_dnc, "attempts_anonymised": e.attempts_anonymised}
                for e in erased
            ]
        }
    )
