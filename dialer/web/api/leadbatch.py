"""The lead API (issue 18 §2): add one lead or a batch through the CSV importer's own code path, with per-lead
results and ``Idempotency-Key``; look up, update and erase (data-subject request) a lead by its external id."""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from pydantic import Field, ValidationError

from dialer.appkeys import DIALER
from dialer.campaign.leadimport import LeadFileError, RowError, RowErrorReason
from dialer.campaign.leadimport.prepared import PreparedLeads, prepare
from dialer.campaign.leadjson import JsonCell, json_leads_reader
from dialer.i18n import DEFAULT_LOCALE, M_, Message, current_locale, message_of, use_locale
from dialer.i18n.library import csv_error_text
from dialer.store.campaigns import CampaignRecord
from dialer.store.idempotency import KeyState, claim_key, release_key, store_answer
from dialer.store.imports import LeadVerdict, import_prepared
from dialer.store.leadapi import LeadInCall, erase_leads, leads_by_external_id
from dialer.web.api.common import (
    Strict,
    campaign_or_404,
    configured_campaign_or_404,
    dumps,
    import_summary_json,
    lead_json,
    ok,
)
from dialer.web.api.leads import LeadEdit, corrected
from dialer.web.cpu import CPU_WORKER
from dialer.web.problems import Problem, validation_problem
from dialer.web.routing import MANAGERS, Call, RouteTable, read_body

routes = RouteTable(tag="lead-api")
MAX_BATCH = 10_000
MAX_BODY = 32 * 1024 * 1024
IDEMPOTENCY_HEADER = "Idempotency-Key"
# The Retry-After of a retry that comes while the first request with its key still runs (a batch takes seconds).
IDEMPOTENCY_RETRY_SECONDS = 5

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


# The same correction as PATCH /api/leads/{id}, of the lead found by its external id (a docstring here would be
# the schema's description in the OpenAPI document).
class ExternalLeadEdit(LeadEdit):
    pass


class ErasureQuery(Strict):
    dnc: bool = Field(default=True, description="put the numbers on the campaign's DNC list (recommended)")


def _no_such_lead(campaign: str, external_id: str) -> Problem:
    return Problem(
        404,
        M_(
            "no lead with external id {external_id} in campaign {name}",
            external_id=repr(external_id),
            name=repr(campaign),
        ),
    )


def _result_of_error(error: RowError) -> dict[str, Any]:
    status = "duplicate" if error.reason is RowErrorReason.DUPLICATE else "invalid"
    return {"row": error.row, "status": status, "lead_id": None, "phone": None, "reason": error.reason.value,
            "detail": error.detail}  # fmt: skip


# status and reason per verdict, as plain strings (an enum's .value is a slow descriptor, read per lead here)
_VERDICT_RESULT: dict[LeadVerdict, tuple[str, str | None]] = {
    LeadVerdict.IMPORTED: (LeadVerdict.IMPORTED.value, None),
    LeadVerdict.DNC: (LeadVerdict.DNC.value, RowErrorReason.DNC.value),
    LeadVerdict.DUPLICATE: (LeadVerdict.DUPLICATE.value, RowErrorReason.ALREADY_IN_CAMPAIGN.value),
}


@dataclass(frozen=True, slots=True)
class ParsedBatch:
    """A request body read, validated and parsed (plain data: it crosses from the worker process)."""

    digest: str  # of the validated body, for the Idempotency-Key
    list_name: str | None
    leads: PreparedLeads


@dataclass(frozen=True, slots=True)
class Refused:
    """Why a body was refused (a Message is rendered in the requester's language)."""

    detail: str | Message
    kind: str
    errors: list[dict[str, Any]] | None = None


def _batch_message(exc: LeadFileError) -> str | Message:
    """A lead-file refusal of the batch, said of the request body (the reader names its source "request")."""
    said = message_of(exc)
    if isinstance(said, Message) and "request" in said.params.values():
        return Message(said.msgid, {k: M_("the request body") if v == "request" else v for k, v in said.params.items()})
    return said


def parse_batch(raw: bytes, default_region: str | None, locale: str = DEFAULT_LOCALE) -> ParsedBatch | Refused:
    """``POST /api/campaigns/{name}/leads``'s body validated and every lead parsed by the CSV importer's reader
    (validation, normalisation, in-batch dedupe). Runs in the CPU worker (dialer.web.cpu): JSON decoding, pydantic
    and phone-number parsing of thousands of leads would otherwise hold the event loop that paces calls. The
    leads' row errors are written in ``locale`` (the request's language does not cross to the worker by itself)."""
    with use_locale(locale):
        return _parse_batch(raw, default_region)


def batch_digest(body: LeadBatch) -> str:
    """What an Idempotency-Key is held with: the validated body's hash (the same leads sent again match)."""
    return hashlib.sha256(json.dumps(body.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()


def _parse_batch(raw: bytes, default_region: str | None) -> ParsedBatch | Refused:
    try:
        body = LeadBatch.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        problem = validation_problem(exc, "body")
        return Refused(problem.detail, "validation-error", problem.extra.get("errors"))
    digest = batch_digest(body)
    try:
        reader = json_leads_reader(body.leads, default_region=default_region, mapping=body.mapping)
    except LeadFileError as exc:
        return Refused(_batch_message(exc), "bad-lead-batch")
    except csv.Error as exc:
        return Refused(M_("unreadable leads: {exc}", exc=csv_error_text(exc)), "bad-lead-batch")
    try:
        with reader:
            leads = prepare(reader, seal=True)
    except LeadFileError as exc:
        return Refused(_batch_message(exc), "bad-lead-batch")
    except csv.Error as exc:
        return Refused(M_("unreadable leads: {exc}", exc=csv_error_text(exc)), "bad-lead-batch")
    return ParsedBatch(digest, body.list_name, leads)


async def _import_batch(call: Call, record: CampaignRecord, batch: ParsedBatch) -> str:
    """Import the parsed batch (one transaction on PostgreSQL); the answer as JSON text."""
    results: list[dict[str, Any] | None] = [None] * batch.leads.read

    def on_lead(row: int, phone: str, verdict: LeadVerdict, lead_id: int | None) -> None:
        status, reason = _VERDICT_RESULT[verdict]
        results[row - 1] = {"row": row, "status": status, "lead_id": lead_id, "phone": phone, "reason": reason,
                            "detail": None}  # fmt: skip

    def on_error(error: RowError) -> None:
        results[error.row - 1] = _result_of_error(error)

    summary = await import_prepared(
        call.db,
        campaign_id=record.id,
        chunks=[batch.leads],
        list_name=batch.list_name or f"api {call.now():%Y-%m-%d %H:%M:%S}",
        source_file=f"api:{call.user.name}",
        now=call.now(),
        on_error=on_error,
        on_lead=on_lead,
        one_transaction=True,
    )
    if summary.imported and DIALER in call.app:  # (no daemon: the web tier alone, as in `dialer bench hooks`)
        call.daemon.leads_added(record.name)
    return dumps(
        {
            **import_summary_json(summary, record.name),
            "results": results,
        }
    )


IDEMPOTENCY_PARAMETER: dict[str, Any] = {
    "name": IDEMPOTENCY_HEADER,
    "in": "header",
    "required": False,
    "description": "Any unique string (e.g. a UUID) naming this request: a retry with the same key and body gets "
    "the first answer back (header Idempotent-Replayed: true) and adds nothing twice; the same key with another "
    "body is refused (422); while the first request runs, 409 with Retry-After",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[\\x20-\\x7e]+$"},
}
BATCH_BODY: dict[str, Any] = {"application/json": {"schema": LeadBatch.model_json_schema()}}


@routes.route(
    "POST",
    "/api/campaigns/{name}/leads",
    roles=MANAGERS,
    body_content=BATCH_BODY,
    header_params=(IDEMPOTENCY_PARAMETER,),
    response=BATCH_RESPONSE,
    errors=(409, 413, 415, 422),
)
async def post_leads(call: Call) -> web.Response:
    """Add leads (one or a batch of up to 10 000) exactly as a CSV import would; per-lead results. Send an
    Idempotency-Key header to make a retry add nothing twice"""
    name = call.path("name")
    if call.request.content_type != "application/json":
        raise Problem(
            415,
            M_(
                "send a JSON body (Content-Type: application/json), not {content_type}",
                content_type=repr(call.request.content_type),
            ),
        )
    raw = await read_body(call.request, MAX_BODY)
    key = call.request.headers.get(IDEMPOTENCY_HEADER)
    if key is not None and (not 1 <= len(key) <= 200 or not key.isprintable()):
        raise Problem(
            422,
            M_("{header} must be 1 to 200 printable characters", header=IDEMPOTENCY_HEADER),
            kind="validation-error",
        )
    record, config = await configured_campaign_or_404(call, name)
    parsed = await call.app[CPU_WORKER].run(len(raw), parse_batch, raw, config.default_region, current_locale())
    if isinstance(parsed, Refused):
        if parsed.errors is not None:
            raise Problem(422, parsed.detail, kind=parsed.kind, errors=parsed.errors)
        raise Problem(422, parsed.detail, kind=parsed.kind)
    if key is None:
        return web.Response(text=await _import_batch(call, record, parsed), content_type="application/json")
    scope = f"{call.user.id}:POST /api/campaigns/{name}/leads"
    claim = await claim_key(call.db, scope, key, parsed.digest, call.now())
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
            headers={"Retry-After": str(IDEMPOTENCY_RETRY_SECONDS)},
        )
    try:
        text = await _import_batch(call, record, parsed)
    except BaseException:
        await release_key(call.db, scope, key)
        raise
    await store_answer(call.db, scope, key, 200, text)
    return web.Response(text=text, status=200, content_type="application/json")


async def _one_by_external_id(call: Call) -> tuple[int, Any]:
    record = await campaign_or_404(call, call.path("name"))
    external_id = call.path("external_id")
    found = await leads_by_external_id(call.db, record.id, external_id)
    if not found:
        raise _no_such_lead(record.name, external_id)
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


@routes.route("GET", EXTERNAL, roles=MANAGERS, errors=(409,))
async def get_lead_by_external_id(call: Call) -> web.Response:
    """A lead by its external id"""
    _, lead = await _one_by_external_id(call)
    return ok(lead_json(lead))


@routes.route("PATCH", EXTERNAL, roles=MANAGERS, body=ExternalLeadEdit, errors=(409,))
async def patch_lead_by_external_id(call: Call) -> web.Response:
    """Update a lead by its external id (names, priority, custom fields; a null field removes it)"""
    _, lead = await _one_by_external_id(call)
    body = call.body_as(ExternalLeadEdit)
    if body.fields is not None and "external_id" in body.fields:
        raise Problem(422, M_("fields.external_id: the external id cannot be changed here"), kind="validation-error")
    return await corrected(call, lead.id, body)


@routes.route("DELETE", EXTERNAL, roles=MANAGERS, query=ErasureQuery, errors=(409,))
async def delete_lead_by_external_id(call: Call) -> web.Response:
    """Erase a lead for a data-subject request: personal data removed; its numbers kept on the DNC list (unless
    dnc=false) and its call records kept anonymised for compliance"""
    record = await campaign_or_404(call, call.path("name"))
    external_id = call.path("external_id")
    q = call.query_as(ErasureQuery)
    try:
        erased = await erase_leads(call.db, record.id, external_id, add_dnc=q.dnc, now=call.now())
    except LeadInCall as exc:
        raise Problem(409, M_("{exc}: erase it once the call has ended", exc=exc)) from None
    if not erased:
        raise _no_such_lead(record.name, external_id)
    return ok(
        {
            "erased": [
                {"lead_id": e.lead_id, "numbers_on_dnc": e.numbers_on_dnc, "attempts_anonymised": e.attempts_anonymised}
                for e in erased
            ]
        }
    )
