"""REST API handlers. Each declares its roles in the route table; an agent only reaches their own calls and leads."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from aiohttp import BodyPartReader, web
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from dialer.agents.registry import Agent, AgentError
from dialer.appkeys import SCHEDULER, SETTINGS
from dialer.campaign.config import CampaignConfig, CampaignConfigError, load_campaign
from dialer.campaign.leadimport import LeadCsvReader, LeadFileError, RowError, write_error_report
from dialer.campaign.rules import DispositionError, LeadStatus
from dialer.parsing import DocumentError, load_json, load_toml
from dialer.store.attempts import AttemptRecord, get_attempt
from dialer.store.auth import Role, UserExistsError, UserRecord, add_api_token, create_user, list_users
from dialer.store.campaigns import UnknownCampaignError, apply_campaign, get_campaign, list_campaigns
from dialer.store.console import (
    CallbackRecord,
    LeadListRecord,
    LeadQuery,
    agent_may_see_lead,
    attempts_of_agent,
    cancel_callback,
    create_callback,
    get_callback,
    get_lead_list,
    lead_history,
    list_callbacks,
    list_lead_lists,
    search_leads,
    update_lead_fields,
)
from dialer.store.dnc import add_dnc
from dialer.store.imports import import_leads
from dialer.store.leads import LeadRecord, get_lead
from dialer.store.status import lead_status
from dialer.web.live import HUB
from dialer.web.problems import Problem
from dialer.web.routing import ADMINS, ANY_USER, MANAGERS, SESSION, Call, RouteTable, read_body
from dialer.web.security import hash_password, new_api_token

api = RouteTable()
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
# A campaign file is a few KiB; 2 MiB leaves room for very long disposition lists and bounds the parse.
CAMPAIGN_MAX_BYTES = 2 * 1024 * 1024
# Form fields next to the file in an upload (mapping, list name).
UPLOAD_FIELD_MAX_BYTES = 64 * 1024


def dumps(obj: Any) -> str:
    return json.dumps(obj, default=_default)


def _default(obj: Any) -> Any:
    if isinstance(obj, datetime):
        return obj.isoformat()
    if isinstance(obj, set | frozenset | tuple):
        return list(obj)
    return str(obj)


def ok(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=dumps)


def page_schema(item: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items", "total", "limit", "offset"],
        "properties": {
            "items": {"type": "array", "items": item or {"type": "object"}},
            "total": {"type": "integer"},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
        },
    }


def paged(items: list[Any], total: int, limit: int, offset: int) -> web.Response:
    return ok({"items": items, "total": total, "limit": limit, "offset": offset})


class Paging(BaseModel):
    model_config = ConfigDict(extra="ignore")
    limit: int = Field(default=50, ge=1, le=500, description="page size")
    offset: int = Field(default=0, ge=0, le=10_000_000, description="rows to skip")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ------------------------------------------------------------------------------------------------ JSON views
def lead_json(lead: LeadRecord) -> dict[str, Any]:
    return {
        "id": lead.id,
        "campaign_id": lead.campaign_id,
        "list_id": lead.list_id,
        "phone": lead.phone,
        "alt_phones": lead.alt_phones,
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "postal_code": lead.postal_code,
        "time_zones": lead.postal_zones or lead.tz_candidates,
        "fields": lead.fields,
        "status": lead.status,
        "attempts": lead.attempts,
        "dials": lead.dials,
        "priority": lead.priority,
        "next_dialable_at": lead.next_dialable_at,
        "last_outcome": lead.last_outcome,
        "last_disposition": lead.last_disposition,
        "last_attempt_at": lead.last_attempt_at,
        "archive_reason": lead.archive_reason,
        "callback_at": lead.callback_at,
        "callback_agent": lead.callback_agent,
    }


def attempt_json(a: AttemptRecord) -> dict[str, Any]:
    talk = (a.ended_at - a.connected_at).total_seconds() if a.ended_at and a.connected_at else None
    return {
        "id": a.id,
        "lead_id": a.lead_id,
        "campaign_id": a.campaign_id,
        "phone": a.phone,
        "started_at": a.started_at,
        "answered_at": a.answered_at,
        "connected_at": a.connected_at,
        "ended_at": a.ended_at,
        "outcome": a.outcome,
        "agent": a.agent,
        "disposition": a.disposition,
        "notes": a.notes,
        "ring_seconds": a.ring_seconds,
        "talk_seconds": talk,
        "amd_status": a.amd_status,
    }


def callback_json(c: CallbackRecord) -> dict[str, Any]:
    return {
        "id": c.id,
        "lead_id": c.lead_id,
        "campaign_id": c.campaign_id,
        "due_at": c.due_at,
        "agent": c.agent,
        "state": c.state,
        "notes": c.notes,
        "created_at": c.created_at,
    }


def lead_list_json(rec: LeadListRecord) -> dict[str, Any]:
    return {
        "id": rec.id,
        "campaign_id": rec.campaign_id,
        "name": rec.name,
        "rows_read": rec.rows_read,
        "imported": rec.imported,
        "duplicates": rec.duplicates,
        "invalid": rec.invalid,
        "dnc": rec.dnc,
        "imported_at": rec.imported_at,
        "errors_url": f"/api/lead-lists/{rec.id}/errors" if rec.errors_file else None,
    }


def agent_json(agent: Agent, now: float) -> dict[str, Any]:
    return {
        "agent_id": agent.agent_id,
        "interface": agent.interface,
        "status": agent.status.value,
        "since": agent.since,
        "seconds_in_state": max(0.0, now - agent.since) if agent.logged_in else None,
        "queues": sorted(agent.queues),
        "pause_reason": agent.pause_reason,
        "pending_pause": agent.pending_pause,
        "wrapup_until": agent.wrapup_until,
        "wrapup_seconds_left": max(0.0, agent.wrapup_until - now) if agent.wrapup_until else None,
        "calls_taken": agent.calls_taken,
        "call_queue": agent.call_queue,
    }


def campaign_json(record: Any, runner: Any) -> dict[str, Any]:
    config = record.config
    return {
        "id": record.id,
        "name": record.name,
        "state": runner.state.value if runner is not None else record.state,
        "stored_state": record.state,
        "description": config.get("description", ""),
        "dial_mode": config.get("dial_mode"),
        "queue": config.get("queue"),
        "dispositions": config.get("dispositions", []),
        "wrap_up_seconds": config.get("wrap_up_seconds"),
        "updated_at": record.updated_at,
    }


# ------------------------------------------------------------------------------------------------ helpers
async def campaign_or_404(call: Call, name: str) -> Any:
    try:
        return await get_campaign(call.db, name)
    except UnknownCampaignError:
        raise Problem(404, f"no campaign named {name!r}") from None


async def campaign_id_of(call: Call, name: str | None) -> int | None:
    """A ``campaign`` filter: an unknown name is a bad filter value (422), not a missing resource."""
    if name is None:
        return None
    try:
        return int((await get_campaign(call.db, name)).id)
    except UnknownCampaignError:
        raise Problem(422, f"campaign: no campaign named {name!r}", kind="validation-error") from None


def own_agent(call: Call, agent_id: str) -> str:
    """Agents act on themselves only; managers on anyone."""
    if not call.is_manager and call.user.name != agent_id:
        raise Problem(403, f"you are {call.user.name}: an agent may only act on their own session")
    return agent_id


async def lead_for(call: Call, lead_id: int) -> LeadRecord:
    lead = await get_lead(call.db, lead_id)
    if lead is None:
        raise Problem(404, f"no lead {lead_id}")
    if (
        not call.is_manager
        and not await agent_may_see_lead(call.db, lead_id, call.user.name)
        and not _on_inbound_call_with(call, lead_id)
    ):
        # Not "403": an agent must not learn which lead ids exist.
        raise Problem(404, f"no lead {lead_id} among your calls")
    return lead


def _on_inbound_call_with(call: Call, lead_id: int) -> bool:
    """An agent talking to an inbound caller may see (and edit) the lead that caller matched."""
    agent = call.dialer.agents.registry.get(call.user.name)
    pop = call.app[HUB].inbound_call(agent) if agent is not None else None
    return pop is not None and pop.get("lead_id") == lead_id


def runner_of_campaign_id(call: Call, campaign_id: int) -> Any:
    for runner in call.dialer.runners.values():
        if runner.campaign_id == campaign_id:
            return runner
    return None


# ------------------------------------------------------------------------------------------------ users
class UserCreate(Strict):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    role: Role
    password: str = Field(min_length=8, max_length=200)
    phone: str | None = Field(default=None, min_length=3, max_length=120, description="agent phone, e.g. PJSIP/1001")
    display_name: str | None = Field(default=None, max_length=120)


class TokenCreate(Strict):
    label: str = Field(default="", max_length=100)


@api.route("GET", "/api/me", roles=ANY_USER, summary="Who am I", tag="auth")
async def get_me(call: Call) -> web.Response:
    session = call.request.get(SESSION)
    return ok({"user": call.user.public(), "csrf_token": session.csrf_token if session else None})


@api.route(
    "POST",
    "/api/tokens",
    roles=ANY_USER,
    summary="Mint an API token for yourself",
    tag="auth",
    body=TokenCreate,
    status=201,
)
async def mint_token(call: Call) -> web.Response:
    token = new_api_token()
    await add_api_token(call.db, call.user.id, token, call.body.label, call.now())
    return ok({"token": token, "user": call.user.name, "note": "shown once: store it now"}, 201)


@api.route("GET", "/api/users", roles=ADMINS, summary="List users", tag="users", query=Paging, response=page_schema())
async def get_users(call: Call) -> web.Response:
    total, users = await list_users(call.db, limit=call.query.limit, offset=call.query.offset)
    return paged([u.public() for u in users], total, call.query.limit, call.query.offset)


@api.route(
    "POST", "/api/users", roles=ADMINS, summary="Create a user", tag="users", body=UserCreate, status=201, errors=(409,)
)
async def post_user(call: Call) -> web.Response:
    body: UserCreate = call.body
    try:
        user = await create_user(
            call.db,
            body.name,
            body.role,
            await asyncio.to_thread(hash_password, body.password),
            call.now(),
            phone=body.phone,
            display_name=body.display_name,
        )
    except UserExistsError as exc:
        raise Problem(409, str(exc)) from None
    return ok(user.public(), 201)


# ------------------------------------------------------------------------------------------------ campaigns
CAMPAIGN_BODY = {
    "application/json": {"schema": {"type": "object", "description": "a campaign table (see campaigns/example.toml)"}},
    "application/toml": {"schema": {"type": "string"}},
}


@api.route(
    "GET",
    "/api/campaigns",
    roles=ANY_USER,
    summary="List campaigns",
    tag="campaigns",
    query=Paging,
    response=page_schema(),
)
async def get_campaigns(call: Call) -> web.Response:
    records = await list_campaigns(call.db)
    items = [campaign_json(r, call.dialer.runners.get(r.name)) for r in records]
    q = call.query
    return paged(items[q.offset : q.offset + q.limit], len(items), q.limit, q.offset)


@api.route(
    "GET",
    "/api/campaigns/{name}",
    roles=ANY_USER,
    summary="One campaign with its effective configuration",
    tag="campaigns",
)
async def get_campaign_view(call: Call) -> web.Response:
    record = await campaign_or_404(call, call.path("name"))
    body = campaign_json(record, call.dialer.runners.get(record.name))
    body["config"] = record.config
    return ok(body)


@api.route(
    "PUT",
    "/api/campaigns/{name}",
    roles=MANAGERS,
    summary="Create or update a campaign (JSON or TOML)",
    tag="campaigns",
    body_content=CAMPAIGN_BODY,
    errors=(400, 415, 422),
)
async def put_campaign(call: Call) -> web.Response:
    name = call.path("name")
    raw = await read_body(call.request, CAMPAIGN_MAX_BYTES)
    ctype = call.request.content_type
    if ctype not in ("application/json", "application/toml", "text/toml", "text/plain"):
        raise Problem(415, f"send the campaign as application/json or application/toml, not {ctype!r}")
    # Parsing and validating a large campaign is CPU work: off the event loop, so calls keep being paced.
    config = await asyncio.to_thread(_parse_campaign, raw, ctype, name)
    applied = await apply_campaign(call.db, name, config.model_dump(mode="json"), call.now())
    dialer = call.dialer
    runner = dialer.runners.get(name)
    if runner is not None:
        runner.reconfigure(config)
    else:
        await dialer.load_campaigns()
        runner = dialer.runners.get(name)
        if runner is not None and SCHEDULER in call.app:
            call.app[SCHEDULER].schedule_campaign(runner.config)
    body = campaign_json(applied.campaign, runner)
    body.update(created=applied.created, changed=list(applied.changed))
    return ok(body, 201 if applied.created else 200)


def _parse_campaign(raw: bytes, ctype: str, name: str) -> CampaignConfig:
    try:
        if ctype == "application/json":
            data = load_json(raw or b"null", "the campaign")
        else:
            data = load_toml(raw, "the campaign")
    except DocumentError as exc:
        raise Problem(400, f"cannot parse the campaign: {exc}") from None
    if not isinstance(data, dict):
        raise Problem(422, "the campaign must be a table/object", kind="validation-error")
    data.setdefault("name", name)
    if data["name"] != name:
        raise Problem(
            422, f"name in the body ({data['name']!r}) differs from the URL ({name!r})", kind="validation-error"
        )
    try:
        return load_campaign(data, f"PUT /api/campaigns/{name}")
    except CampaignConfigError as exc:
        raise Problem(422, str(exc), kind="validation-error") from None


def _campaign_action(state: Literal["start", "pause", "stop"]) -> Any:
    async def handler(call: Call) -> web.Response:
        name = call.path("name")
        await campaign_or_404(call, name)
        try:
            runner = await call.dialer.set_campaign(name, state)
        except LookupError:
            raise Problem(409, f"campaign {name!r} is stored but not loaded by this daemon") from None
        return ok({"campaign": name, "state": runner.state.value})

    handler.__name__ = f"{state}_campaign"
    return handler


for _action in ("start", "pause", "stop"):
    api.route(
        "POST",
        f"/api/campaigns/{{name}}/{_action}",
        roles=MANAGERS,
        summary=f"{_action.capitalize()} dialling",
        tag="campaigns",
        errors=(409,),
    )(_campaign_action(_action))


async def campaign_stats(call: Call, name: str) -> dict[str, Any]:
    record = await campaign_or_404(call, name)
    runner = call.dialer.runners.get(name)
    config = runner.config if runner is not None else CampaignConfig.model_validate(record.config)
    report = await lead_status(call.db, config, record.id, call.now(), sample=200)
    live = runner.status() if runner is not None else {"campaign": name, "state": record.state}
    return {**live, "leads": report.as_json()}


@api.route(
    "GET",
    "/api/campaigns/{name}/stats",
    roles=MANAGERS,
    summary="Live statistics, pacing and why not dialling",
    tag="campaigns",
)
async def get_campaign_stats(call: Call) -> web.Response:
    return ok(await campaign_stats(call, call.path("name")))


# ------------------------------------------------------------------------------------------------ lead lists
UPLOAD_BODY = {
    "multipart/form-data": {
        "schema": {
            "type": "object",
            "required": ["file"],
            "properties": {
                "file": {"type": "string", "format": "binary", "description": "CSV (any common encoding/delimiter)"},
                "mapping": {"type": "string", "description": 'JSON object column → field, e.g. {"Tel": "phone"}'},
                "list_name": {"type": "string"},
            },
        }
    }
}


@dataclass
class UploadForm:
    """An uploaded CSV, streamed to a temporary file (never held in memory), and the form fields next to it."""

    path: Path
    filename: str = "upload.csv"
    mapping: dict[str, str] = field(default_factory=dict)
    list_name: str | None = None


@asynccontextmanager
async def upload_form(call: Call) -> AsyncIterator[UploadForm]:
    """Read the multipart upload: the file goes to disk in chunks (at most MAX_UPLOAD_BYTES), then is removed."""
    if not call.request.content_type.startswith("multipart/"):
        raise Problem(415, "upload the CSV as multipart/form-data (field 'file')")
    directory = call.app[SETTINGS].var_dir / "imports"
    await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
    handle, name = await asyncio.to_thread(tempfile.mkstemp, ".csv", "upload-", directory)
    os.close(handle)
    form = UploadForm(Path(name))
    try:
        got_file = await _read_form(call, form)
        if not got_file:
            raise Problem(422, "no file: send the CSV in the form field 'file'", kind="validation-error")
        yield form
    finally:
        await asyncio.to_thread(form.path.unlink, True)


async def _read_form(call: Call, form: UploadForm) -> bool:
    got_file = False
    try:
        reader = await call.request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                raise Problem(400, "cannot read the upload: nested multipart parts are not accepted")
            if part.name == "file":
                form.filename = Path(part.filename or form.filename).name
                await _stream_to(part, form.path)
                got_file = True
            elif part.name == "mapping":
                form.mapping = _mapping(await _field_text(part))
            elif part.name == "list_name":
                form.list_name = (await _field_text(part)).strip()[:200] or None
    except (ValueError, LookupError, AssertionError, RuntimeError) as exc:  # a malformed multipart body
        raise Problem(400, f"cannot read the upload: {str(exc) or type(exc).__name__}") from None
    return got_file


async def _stream_to(part: BodyPartReader, path: Path) -> None:
    size = 0
    with path.open("wb") as out:
        while chunk := await part.read_chunk(256 * 1024):
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                raise Problem(413, "the file is larger than 200 MB: import it with `dialer leads import`")
            out.write(chunk)


async def _field_text(part: BodyPartReader) -> str:
    size = 0
    chunks: list[bytes] = []
    while chunk := await part.read_chunk(8192):
        size += len(chunk)
        if size > UPLOAD_FIELD_MAX_BYTES:
            raise Problem(413, f"the form field {part.name!r} is larger than {UPLOAD_FIELD_MAX_BYTES} bytes")
        chunks.append(chunk)
    try:
        return b"".join(chunks).decode(part.get_charset(default="utf-8"))
    except (UnicodeDecodeError, LookupError):
        raise Problem(400, f"the form field {part.name!r} is not UTF-8 text") from None


def _mapping(text: str) -> dict[str, str]:
    if not text.strip():
        return {}
    try:
        parsed = load_json(text, "mapping")
    except DocumentError as exc:
        raise Problem(400, f"cannot read the upload: {exc}") from None
    if not isinstance(parsed, dict) or not all(isinstance(v, str) for v in parsed.values()):
        raise Problem(422, "mapping must be a JSON object of column → field", kind="validation-error")
    return {str(k): v for k, v in parsed.items()}


@api.route(
    "POST",
    "/api/campaigns/{name}/lead-lists/preview",
    roles=MANAGERS,
    tag="leads",
    summary="Preview a CSV: detected encoding, delimiter, column mapping and the first rows",
    body_content=UPLOAD_BODY,
)
async def preview_lead_list(call: Call) -> web.Response:
    record = await campaign_or_404(call, call.path("name"))
    config = CampaignConfig.model_validate(record.config)
    async with upload_form(call) as form:
        return await asyncio.to_thread(_preview, form, config.default_region)


def _preview(form: UploadForm, region: str | None) -> web.Response:
    try:
        with LeadCsvReader(form.path, default_region=region, mapping=form.mapping) as reader:
            rows: list[dict[str, Any]] = []
            errors: list[dict[str, Any]] = []
            for item in reader:
                if isinstance(item, RowError):
                    errors.append({"row": item.row, "reason": item.reason.value, "detail": item.detail})
                else:
                    rows.append(
                        {
                            "row": item.row,
                            "phone": item.phone,
                            "first_name": item.first_name,
                            "last_name": item.last_name,
                            "fields": item.fields,
                        }
                    )
                if len(rows) + len(errors) >= 10:
                    break
            columns = [{"column": h, "field": reader.field_map.get(i, "skip")} for i, h in enumerate(reader.header)]
            return ok(
                {
                    "file": form.filename,
                    "encoding": reader.encoding,
                    "delimiter": reader.delimiter,
                    "columns": columns,
                    "sample": rows,
                    "sample_errors": errors,
                }
            )
    except LeadFileError as exc:
        raise Problem(422, str(exc), kind="bad-lead-file") from None
    except csv.Error as exc:  # the reader could not make sense of the bytes (binary data, broken quoting)
        raise Problem(422, f"not a readable CSV file: {exc}", kind="bad-lead-file") from None


async def _import_upload(
    call: Call, record: Any, config: CampaignConfig, form: UploadForm, errors: list[RowError]
) -> tuple[Any, list[str], Path]:
    try:
        with LeadCsvReader(form.path, default_region=config.default_region, mapping=form.mapping) as reader:
            directory = call.app[SETTINGS].var_dir / "imports"
            stamp = call.now().strftime("%Y%m%dT%H%M%S%f")
            errors_path = directory / f"{record.name}-{stamp}-errors.csv"
            summary = await import_leads(
                call.db,
                campaign_id=record.id,
                rows=reader,
                list_name=form.list_name or form.filename,
                source_file=f"upload:{form.filename}",
                now=call.now(),
                errors_file=str(errors_path),
                on_error=errors.append,
            )
            return summary, list(reader.header), errors_path
    except LeadFileError as exc:
        raise Problem(422, str(exc), kind="bad-lead-file") from None
    except csv.Error as exc:  # the reader could not make sense of the bytes (binary data, broken quoting)
        raise Problem(422, f"not a readable CSV file: {exc}", kind="bad-lead-file") from None


@api.route(
    "POST",
    "/api/campaigns/{name}/lead-lists",
    roles=MANAGERS,
    tag="leads",
    status=201,
    errors=(413,),
    summary="Import a CSV into the campaign (one transaction); returns the report",
    body_content=UPLOAD_BODY,
)
async def upload_lead_list(call: Call) -> web.Response:
    record = await campaign_or_404(call, call.path("name"))
    config = CampaignConfig.model_validate(record.config)
    errors: list[RowError] = []
    async with upload_form(call) as form:
        summary, header, errors_path = await _import_upload(call, record, config, form, errors)
    report_text = io.StringIO()
    write_error_report(report_text, errors, header)
    await asyncio.to_thread(errors_path.write_text, report_text.getvalue(), "utf-8")
    report = {
        "list_id": summary.list_id,
        "campaign": record.name,
        "rows": summary.rows,
        "imported": summary.imported,
        "duplicates": summary.duplicates,
        "invalid": summary.invalid,
        "dnc": summary.dnc,
        "errors": [{"row": e.row, "line": e.line, "reason": e.reason.value, "detail": e.detail} for e in errors[:100]],
        "errors_url": f"/api/lead-lists/{summary.list_id}/errors",
    }
    runner = call.dialer.runners.get(record.name)
    if runner is not None:
        runner.wake()
    return ok(report, 201)


class LeadListQuery(Paging):
    campaign: str | None = Field(default=None, max_length=100)


@api.route(
    "GET",
    "/api/lead-lists",
    roles=MANAGERS,
    summary="Imported lead lists with their counts",
    tag="leads",
    query=LeadListQuery,
    response=page_schema(),
)
async def get_lead_lists(call: Call) -> web.Response:
    q: LeadListQuery = call.query
    total, lists = await list_lead_lists(call.db, await campaign_id_of(call, q.campaign), q.limit, q.offset)
    return paged([lead_list_json(r) for r in lists], total, q.limit, q.offset)


@api.route(
    "GET",
    r"/api/lead-lists/{list_id:\d{1,15}}/errors",
    roles=MANAGERS,
    tag="leads",
    summary="The rejected rows of an import, as CSV",
    response={"type": "string"},
    response_content_type="text/csv",
)
async def get_lead_list_errors(call: Call) -> web.StreamResponse:
    rec = await get_lead_list(call.db, call.path_id("list_id"))
    if rec is None or not rec.errors_file or not await asyncio.to_thread(Path(rec.errors_file).is_file):
        raise Problem(404, "no error report for this list")
    return web.FileResponse(
        rec.errors_file,
        headers={
            "Content-Type": "text/csv",
            "Content-Disposition": f'attachment; filename="list-{rec.id}-errors.csv"',
        },
    )


# ------------------------------------------------------------------------------------------------ leads
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


@api.route(
    "GET",
    "/api/leads",
    roles=ANY_USER,
    summary="Search leads (agents: only their own)",
    tag="leads",
    query=LeadSearch,
    response=page_schema(),
)
async def get_leads(call: Call) -> web.Response:
    q: LeadSearch = call.query
    query = LeadQuery(
        campaign_id=await campaign_id_of(call, q.campaign),
        text=q.q,
        status=q.status.value if q.status else None,
        agent=None if call.is_manager else call.user.name,
        limit=q.limit,
        offset=q.offset,
    )
    total, leads = await search_leads(call.db, query)
    return paged([lead_json(lead) for lead in leads], total, q.limit, q.offset)


@api.route(
    "GET", r"/api/leads/{lead_id:\d{1,15}}", roles=ANY_USER, summary="One lead with its attempt history", tag="leads"
)
async def get_lead_view(call: Call) -> web.Response:
    lead = await lead_for(call, call.path_id("lead_id"))
    history = await lead_history(call.db, lead.id)
    return ok({**lead_json(lead), "history": [attempt_json(a) for a in history]})


@api.route(
    "PATCH",
    r"/api/leads/{lead_id:\d{1,15}}",
    roles=ANY_USER,
    summary="Correct a lead's name, priority or fields",
    tag="leads",
    body=LeadEdit,
)
async def patch_lead(call: Call) -> web.Response:
    lead = await lead_for(call, call.path_id("lead_id"))
    body: LeadEdit = call.body
    if body.priority is not None and not call.is_manager:
        raise Problem(403, "only a manager may change a lead's priority")
    updated = await update_lead_fields(
        call.db,
        lead.id,
        call.now(),
        first_name=body.first_name,
        last_name=body.last_name,
        fields=body.fields,
        priority=body.priority,
    )
    assert updated is not None
    return ok(lead_json(updated))


@api.route(
    "POST",
    r"/api/leads/{lead_id:\d{1,15}}/dnc",
    roles=ANY_USER,
    summary="Put the lead's numbers on the do-not-call list",
    tag="leads",
    body=DncRequest,
)
async def post_lead_dnc(call: Call) -> web.Response:
    lead = await lead_for(call, call.path_id("lead_id"))
    body: DncRequest = call.body
    if body.scope == "global" and not call.is_manager:
        raise Problem(403, "only a manager may add to the global do-not-call list")
    campaign_id = lead.campaign_id if body.scope == "campaign" else None
    added = []
    for number in [lead.phone, *lead.alt_phones]:
        if await add_dnc(
            call.db,
            number,
            campaign_id=campaign_id,
            source=f"agent:{call.user.name}",
            reason=body.reason,
            now=call.now(),
        ):
            added.append(number)
    return ok({"lead_id": lead.id, "scope": body.scope, "numbers_added": len(added)})


# ------------------------------------------------------------------------------------------------ agents
class AgentCreate(Strict):
    agent_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    interface: str = Field(min_length=3, max_length=120, pattern=r"^[A-Za-z]+/\S+$", description="e.g. PJSIP/1001")
    member_name: str | None = Field(default=None, max_length=100)
    server: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="the Asterisk server the phone is on ([[ami]] name); default: chosen by agent_interfaces",
    )


class AgentLogin(Strict):
    queues: list[str] = Field(min_length=1, max_length=50, description="campaign queues and inbound queues")
    server: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="the Asterisk server the agent's phone is on ([[ami]] name); default: as registered",
    )


class AgentPause(Strict):
    reason: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_ -]+$")


class DispositionBody(Strict):
    code: str = Field(min_length=1, max_length=40)
    notes: str | None = Field(default=None, max_length=4000)
    callback_at: AwareDatetime | None = None
    callback_personal: bool = True
    campaign: str | None = Field(default=None, max_length=100)


def _agent_problem(exc: AgentError) -> Problem:
    status = 404 if exc.code == "unknown_agent" else 409
    return Problem(status, str(exc), kind=f"agent-{exc.code.replace('_', '-')}")


def _agent(call: Call, agent_id: str) -> Agent:
    agent = call.dialer.agents.registry.get(agent_id)
    if agent is None:
        raise Problem(404, f"no agent {agent_id!r} (an agent appears after their first console login)")
    return agent


@api.route(
    "GET",
    "/api/agents",
    roles=ANY_USER,
    summary="Agents and their live state (agents: themselves)",
    tag="agents",
    query=Paging,
    response=page_schema(),
)
async def get_agents(call: Call) -> web.Response:
    now = call.dialer.clock.now()
    agents = [a for a in call.dialer.agents.registry.agents() if call.is_manager or a.agent_id == call.user.name]
    q = call.query
    return paged([agent_json(a, now) for a in agents[q.offset : q.offset + q.limit]], len(agents), q.limit, q.offset)


@api.route(
    "POST",
    "/api/agents",
    roles=MANAGERS,
    summary="Register an agent and their phone",
    tag="agents",
    body=AgentCreate,
    status=201,
    errors=(409,),
)
async def post_agent(call: Call) -> web.Response:
    body: AgentCreate = call.body
    try:
        agent = call.dialer.agents.register(body.agent_id, body.interface, body.member_name, body.server)
    except AgentError as exc:
        raise _agent_problem(exc) from None
    return ok(agent_json(agent, call.dialer.clock.now()), 201)


@api.route(
    "GET", "/api/queues", roles=ANY_USER, summary="Queues an agent may join: campaigns and inbound", tag="agents"
)
async def get_queues(call: Call) -> web.Response:
    queues: list[dict[str, str | None]] = [
        {
            "queue": r.config.queue,
            "label": f"{r.name} ({r.config.dial_mode.value})",
            "kind": "campaign",
            "campaign": r.name,
            "dial_mode": r.config.dial_mode.value,
        }
        for r in call.dialer.runners.values()
    ]
    seen = {q["queue"] for q in queues}
    queues = [q for i, q in enumerate(queues) if q["queue"] not in {x["queue"] for x in queues[:i]}]
    queues += [
        {"queue": q, "label": q, "kind": "inbound", "campaign": None, "dial_mode": None}
        for q in sorted(call.dialer.inbound_queues)
        if q not in seen
    ]
    return ok({"queues": queues})


@api.route("GET", "/api/agents/{agent_id}", roles=ANY_USER, summary="One agent's live state", tag="agents")
async def get_agent(call: Call) -> web.Response:
    agent = _agent(call, own_agent(call, call.path("agent_id")))
    return ok(agent_json(agent, call.dialer.clock.now()))


async def ensure_registered(call: Call, agent_id: str, server: str | None = None) -> None:
    """A user with a phone becomes an agent of this daemon on first use (on ``server``, when given: a registered
    agent who names another server moves there, if logged out)."""
    known = call.dialer.agents.registry.get(agent_id)
    if known is not None:
        if server is not None and server != known.server:
            try:
                call.dialer.agents.register(agent_id, known.interface, known.member_name, server)
            except AgentError as exc:
                raise _agent_problem(exc) from None
        return
    from dialer.store.auth import get_user

    user = await get_user(call.db, agent_id)
    if user is None or not user.phone:
        raise Problem(409, f"{agent_id} has no phone: set one with `dialer user add {agent_id} --phone PJSIP/...`")
    try:
        call.dialer.agents.register(agent_id, user.phone, user.display_name or agent_id, server)
    except AgentError as exc:
        raise _agent_problem(exc) from None


@api.route(
    "POST",
    "/api/agents/{agent_id}/login",
    roles=ANY_USER,
    summary="Join campaign and inbound queues (paused)",
    tag="agents",
    body=AgentLogin,
    errors=(409,),
)
async def agent_login(call: Call) -> web.Response:
    agent_id = own_agent(call, call.path("agent_id"))
    await ensure_registered(call, agent_id, call.body.server)
    known = {r.config.queue for r in call.dialer.runners.values()} | set(call.dialer.inbound_queues)
    unknown = [q for q in call.body.queues if q not in known]
    if unknown:
        raise Problem(
            422,
            f"unknown queue(s) {', '.join(unknown)}; choose from {', '.join(sorted(known))}",
            kind="validation-error",
        )
    try:
        agent = await call.dialer.agents.login(agent_id, call.body.queues)
    except AgentError as exc:
        raise _agent_problem(exc) from None
    return ok(agent_json(agent, call.dialer.clock.now()))


def _agent_command(command: str) -> Any:
    async def handler(call: Call) -> web.Response:
        agent_id = own_agent(call, call.path("agent_id"))
        _agent(call, agent_id)
        service = call.dialer.agents
        try:
            if command == "pause":
                agent = await service.pause(agent_id, call.body.reason)
            else:
                agent = await getattr(service, command)(agent_id)
        except AgentError as exc:
            raise _agent_problem(exc) from None
        return ok(agent_json(agent, call.dialer.clock.now()))

    handler.__name__ = f"agent_{command}"
    return handler


api.route(
    "POST", "/api/agents/{agent_id}/ready", roles=ANY_USER, summary="Ready for calls", tag="agents", errors=(409,)
)(_agent_command("ready"))
api.route(
    "POST",
    "/api/agents/{agent_id}/pause",
    roles=ANY_USER,
    summary="Pause with a reason code",
    tag="agents",
    body=AgentPause,
    errors=(409,),
)(_agent_command("pause"))
api.route(
    "POST", "/api/agents/{agent_id}/logout", roles=ANY_USER, summary="Leave every queue", tag="agents", errors=(409,)
)(_agent_command("logout"))


def _runner_for_agent(call: Call, agent_id: str, campaign: str | None) -> tuple[Any, int | None]:
    runners = [call.dialer.runners[campaign]] if campaign in call.dialer.runners else list(call.dialer.runners.values())
    if campaign is not None and campaign not in call.dialer.runners:
        raise Problem(404, f"no running campaign {campaign!r}")
    for runner in runners:
        attempt = runner.attempt_of_agent(agent_id)
        if attempt is not None:
            return runner, attempt
    return None, None


@api.route(
    "GET",
    "/api/agents/{agent_id}/call",
    roles=ANY_USER,
    summary="The agent's current call: lead, history, dispositions",
    tag="agents",
)
async def get_agent_call(call: Call) -> web.Response:
    agent_id = own_agent(call, call.path("agent_id"))
    agent = _agent(call, agent_id)
    runner, attempt_id = _runner_for_agent(call, agent_id, None)
    body: dict[str, Any] = {"agent": agent_json(agent, call.dialer.clock.now()), "call": None}
    if runner is not None and attempt_id is not None:
        attempt = await get_attempt(call.db, attempt_id)
        lead = await get_lead(call.db, attempt.lead_id) if attempt is not None else None
        history = await lead_history(call.db, lead.id) if lead is not None else []
        body["call"] = {
            "campaign": runner.name,
            "attempt": attempt_json(attempt) if attempt is not None else None,
            "lead": lead_json(lead) if lead is not None else None,
            "history": [attempt_json(a) for a in history],
            "dispositions": [d.model_dump(mode="json") for d in runner.config.dispositions],
            "wrap_up_seconds": runner.config.wrap_up_seconds,
        }
    elif agent.call_queue and agent.call_queue in call.dialer.inbound_queues:
        pop = call.app[HUB].inbound_call(agent) or {}
        inbound: dict[str, Any] = {"inbound": True, "queue": agent.call_queue, "caller": pop.get("caller")}
        lead = await get_lead(call.db, int(pop["lead_id"])) if pop.get("lead_id") else None
        if lead is not None:
            inbound["campaign"] = pop.get("campaign")
            inbound["lead"] = lead_json(lead)
            inbound["history"] = [attempt_json(a) for a in await lead_history(call.db, lead.id)]
        inbound["other_matches"] = max(0, len(pop.get("matches", [])) - 1)
        body["call"] = inbound
    return ok(body)


@api.route(
    "POST",
    "/api/agents/{agent_id}/disposition",
    roles=ANY_USER,
    summary="Disposition the current or last call",
    tag="agents",
    body=DispositionBody,
    errors=(409,),
)
async def post_disposition(call: Call) -> web.Response:
    agent_id = own_agent(call, call.path("agent_id"))
    body: DispositionBody = call.body
    runner, attempt_id = _runner_for_agent(call, agent_id, body.campaign)
    if runner is None:
        raise Problem(409, f"{agent_id} has no call to disposition")
    try:
        kind = await runner.disposition(
            agent_id,
            body.code,
            notes=body.notes,
            callback_at=body.callback_at,
            callback_personal=body.callback_personal,
            attempt_id=attempt_id,
        )
    except DispositionError as exc:
        raise Problem(422, str(exc), kind="validation-error") from None
    except LookupError as exc:
        raise Problem(409, str(exc)) from None
    return ok({"attempt_id": attempt_id, "code": body.code, "lead": str(getattr(kind, "value", kind))})


@api.route(
    "GET",
    "/api/agents/{agent_id}/calls",
    roles=ANY_USER,
    summary="The agent's call records, newest first",
    tag="agents",
    query=Paging,
    response=page_schema(),
)
async def get_agent_calls(call: Call) -> web.Response:
    agent_id = own_agent(call, call.path("agent_id"))
    q = call.query
    total, attempts = await attempts_of_agent(call.db, agent_id, q.limit, q.offset)
    return paged([attempt_json(a) for a in attempts], total, q.limit, q.offset)


# ------------------------------------------------------------------------------------------------ preview
class PreviewBody(Strict):
    campaign: str | None = Field(default=None, max_length=100, description="a preview campaign the agent is in")


def _preview_runner(call: Call, agent_id: str, campaign: str | None) -> Any:
    agent = _agent(call, agent_id)
    candidates = [
        r
        for r in call.dialer.runners.values()
        if r.config.dial_mode.value == "preview" and r.config.queue in agent.queues and campaign in (None, r.name)
    ]
    if not candidates:
        raise Problem(
            409, f"{agent_id} is not signed in to a preview campaign" + (f" {campaign!r}" if campaign else "")
        )
    return candidates[0]


def _preview_action(action: Literal["claim", "dial", "skip"]) -> Any:
    async def handler(call: Call) -> web.Response:
        agent_id = own_agent(call, call.path("agent_id"))
        runner = _preview_runner(call, agent_id, call.body.campaign)
        try:
            if action == "claim":
                lead = await runner.preview_claim(agent_id)
                if lead is None:
                    why = runner.why_not
                    return ok(
                        {
                            "campaign": runner.name,
                            "lead": None,
                            "why": why.detail if why else None,
                            "breakdown": why.breakdown if why else {},
                        }
                    )
                history = await lead_history(call.db, lead.id)
                return ok(
                    {"campaign": runner.name, "lead": lead_json(lead), "history": [attempt_json(a) for a in history]}
                )
            if action == "dial":
                attempt_id = await runner.preview_dial(agent_id)
                return ok({"campaign": runner.name, "attempt_id": attempt_id})
            await runner.preview_skip(agent_id)
            return ok({"campaign": runner.name, "skipped": True})
        except (LookupError, RuntimeError, AgentError) as exc:
            raise Problem(409, str(exc)) from None

    handler.__name__ = f"preview_{action}"
    return handler


for _verb, _summary in (
    ("claim", "Preview mode: hold the next lead for me to read"),
    ("dial", "Preview mode: dial the lead I hold"),
    ("skip", "Preview mode: give the held lead back"),
):
    api.route(
        "POST",
        f"/api/agents/{{agent_id}}/preview/{_verb}",
        roles=ANY_USER,
        summary=_summary,
        tag="agents",
        body=PreviewBody,
        errors=(409,),
    )(_preview_action(_verb))  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------------ callbacks
class CallbackQuery(Paging):
    campaign: str | None = Field(default=None, max_length=100)
    state: Literal["pending", "done", "cancelled", "missed"] | None = None


class CallbackCreate(Strict):
    lead_id: int = Field(ge=1, le=999_999_999_999_999)
    due_at: AwareDatetime
    personal: bool = True
    notes: str | None = Field(default=None, max_length=4000)


@api.route(
    "GET",
    "/api/callbacks",
    roles=ANY_USER,
    summary="Scheduled callbacks (agents: their own)",
    tag="callbacks",
    query=CallbackQuery,
    response=page_schema(),
)
async def get_callbacks(call: Call) -> web.Response:
    q: CallbackQuery = call.query
    total, items = await list_callbacks(
        call.db,
        campaign_id=await campaign_id_of(call, q.campaign),
        agent=None if call.is_manager else call.user.name,
        state=q.state,
        limit=q.limit,
        offset=q.offset,
    )
    return paged([callback_json(c) for c in items], total, q.limit, q.offset)


@api.route(
    "POST",
    "/api/callbacks",
    roles=ANY_USER,
    summary="Schedule a callback",
    tag="callbacks",
    body=CallbackCreate,
    status=201,
    errors=(404,),
)
async def post_callback(call: Call) -> web.Response:
    body: CallbackCreate = call.body
    lead = await lead_for(call, body.lead_id)
    if body.due_at <= call.now():
        raise Problem(422, "due_at must be in the future", kind="validation-error")
    if body.due_at > call.now() + timedelta(days=366):
        raise Problem(422, "due_at must be within a year", kind="validation-error")
    agent = call.user.name if body.personal and call.user.role is Role.AGENT else None
    created = await create_callback(call.db, lead.id, body.due_at.astimezone(UTC), agent, body.notes, call.now())
    if created is None:
        raise Problem(404, f"no lead {lead.id}")
    return ok(callback_json(created), 201)


@api.route(
    "POST",
    r"/api/callbacks/{callback_id:\d{1,15}}/cancel",
    roles=ANY_USER,
    summary="Cancel a pending callback",
    tag="callbacks",
    errors=(409,),
)
async def post_cancel_callback(call: Call) -> web.Response:
    callback_id = call.path_id("callback_id")
    existing = await get_callback(call.db, callback_id)
    if existing is None or (not call.is_manager and existing.agent != call.user.name):
        raise Problem(404, f"no callback {callback_id}")
    if existing.state != "pending":
        raise Problem(409, f"callback {callback_id} is {existing.state}, not pending")
    cancelled = await cancel_callback(call.db, callback_id, call.now())
    assert cancelled is not None
    return ok(callback_json(cancelled))


# ------------------------------------------------------------------------------------------------ dashboard
async def dashboard_snapshot(call_or_app: Any, *, with_leads: bool = True) -> dict[str, Any]:
    """Everything the manager dashboard draws, in one document (also pushed over the WebSocket)."""
    from dialer.web.live import dashboard_document

    return await dashboard_document(call_or_app, with_leads=with_leads)


@api.route(
    "GET",
    "/api/dashboard",
    roles=MANAGERS,
    summary="Every campaign live, agents, pacing, why not dialling",
    tag="reports",
)
async def get_dashboard(call: Call) -> web.Response:
    return ok(await dashboard_snapshot(call.app))


def export_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return out.getvalue()


__all__ = ["UserRecord", "api", "dumps", "ok"]
