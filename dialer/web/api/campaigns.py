"""Campaigns: list, read (JSON, or the campaign file as TOML), create or update (JSON or TOML; a dry run checks
without saving), start/pause/stop, live statistics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web
from pydantic import Field

from dialer.campaign.config import CampaignConfig, CampaignConfigError, load_campaign
from dialer.campaign.toml_file import campaign_toml
from dialer.i18n import DEFAULT_LOCALE, M_, Message, current_locale, use_locale
from dialer.parsing import DocumentError, load_json, load_toml
from dialer.store.campaigns import UnknownCampaignError, apply_campaign, changed_paths, get_campaign, list_campaigns
from dialer.store.status import lead_status
from dialer.web.api.common import Paging, Strict, campaign_json, campaign_or_404, ok, page_of
from dialer.web.cpu import CPU_WORKER
from dialer.web.facade import CampaignAction, CampaignNotLoaded
from dialer.web.problems import Problem
from dialer.web.routing import ANY_USER, MANAGERS, Call, RouteTable, read_body

routes = RouteTable(tag="campaigns")
# A campaign file is a few KiB; 2 MiB leaves room for very long disposition lists and bounds the parse.
CAMPAIGN_MAX_BYTES = 2 * 1024 * 1024
CAMPAIGN_BODY = {
    "application/json": {"schema": {"type": "object", "description": "a campaign table (see campaigns/example.toml)"}},
    "application/toml": {"schema": {"type": "string"}},
}


@routes.listing("/api/campaigns", roles=ANY_USER, query=Paging)
async def get_campaigns(call: Call) -> web.Response:
    """List campaigns"""
    records = await list_campaigns(call.db)
    daemon = call.daemon
    return page_of(records, call.query_as(Paging), lambda r: campaign_json(r, daemon.campaign_state(r.name)))


@routes.route("GET", "/api/campaigns/{name}", roles=ANY_USER)
async def get_campaign_view(call: Call) -> web.Response:
    """One campaign with its effective configuration"""
    record = await campaign_or_404(call, call.path("name"))
    body = campaign_json(record, call.daemon.campaign_state(record.name))
    body["config"] = record.config
    return ok(body)


@routes.route(
    "GET",
    "/api/campaigns/{name}/toml",
    roles=MANAGERS,
    response_content_type="application/toml",
    response={"type": "string"},
)
async def get_campaign_file(call: Call) -> web.Response:
    """The campaign's effective settings as a campaign file (TOML): what PUT takes back unchanged"""
    record = await campaign_or_404(call, call.path("name"))
    text = campaign_toml(load_campaign(record.config, f"campaign {record.name}"))
    return web.Response(text=text, content_type="application/toml", charset="utf-8")


class CampaignPutQuery(Strict):
    dry_run: bool = Field(default=False, description="check the campaign and say what would change; save nothing")


@routes.route(
    "PUT",
    "/api/campaigns/{name}",
    roles=MANAGERS,
    query=CampaignPutQuery,
    body_content=CAMPAIGN_BODY,
    errors=(400, 415, 422),
)
async def put_campaign(call: Call) -> web.Response:
    """Create or update a campaign (JSON or TOML); ``dry_run``: only check it"""
    name = call.path("name")
    raw = await read_body(call.request, CAMPAIGN_MAX_BYTES)
    ctype = call.request.content_type
    if ctype not in ("application/json", "application/toml", "text/toml", "text/plain"):
        raise Problem(
            415, M_("send the campaign as application/json or application/toml, not {ctype}", ctype=repr(ctype))
        )
    # Parsing and validating a large campaign is CPU work: off the event loop, so calls keep being paced.
    parsed = await call.app[CPU_WORKER].run(len(raw), read_campaign, raw, ctype, name, current_locale())
    if isinstance(parsed, Refusal):
        raise parsed.problem()
    config, document = parsed
    if call.query_as(CampaignPutQuery).dry_run:
        try:
            stored = (await get_campaign(call.db, name)).config
        except UnknownCampaignError:
            return ok({"name": name, "valid": True, "created": True, "changed": [], "dry_run": True})
        changed = changed_paths(stored, document)
        return ok({"name": name, "valid": True, "created": False, "changed": changed, "dry_run": True})
    applied = await apply_campaign(call.db, name, document, call.now(), actor=call.user.name)
    state = await call.daemon.campaign_applied(name, config)
    body = campaign_json(applied.campaign, state)
    body.update(created=applied.created, changed=list(applied.changed))
    return ok(body, 201 if applied.created else 200)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a campaign body was refused (plain data: it crosses from the worker process)."""

    status: int
    detail: str | Message
    kind: str | None = None
    detail_en: str = ""  # the parser's own English text (a broken body), for the problem's ``detail_en``

    def problem(self) -> Problem:
        extra: dict[str, Any] = {"detail_en": self.detail_en} if self.detail_en else {}
        return Problem(self.status, self.detail, kind=self.kind, **extra)


def read_campaign(
    raw: bytes, ctype: str, name: str, locale: str = DEFAULT_LOCALE
) -> tuple[CampaignConfig, dict[str, Any]] | Refusal:
    """The body of ``PUT /api/campaigns/{name}`` as a validated campaign and the document to store, or why not.
    Runs in the CPU worker (see :mod:`dialer.web.cpu`): the refusal's text is written in ``locale`` (the request's
    language does not cross to the worker by itself)."""
    with use_locale(locale):
        return _read_campaign(raw, ctype, name)


def _read_campaign(raw: bytes, ctype: str, name: str) -> tuple[CampaignConfig, dict[str, Any]] | Refusal:
    try:
        if ctype == "application/json":
            data = load_json(raw or b"null", M_("the request body"))
        else:
            data = load_toml(raw, M_("the request body"))
    except DocumentError as exc:
        said = M_("cannot parse the campaign: {exc}", exc=str(exc))  # str: in the locale set above
        return Refusal(400, said, detail_en=exc.technical)
    if not isinstance(data, dict):
        return Refusal(422, M_("the campaign must be a table/object"), "validation-error")
    data.setdefault("name", name)
    if data["name"] != name:
        return Refusal(
            422,
            M_(
                "name in the body ({body_name}) differs from the URL ({name})",
                body_name=repr(data["name"]),
                name=repr(name),
            ),
            "validation-error",
        )
    try:
        config = load_campaign(data, name)  # the refusal reads "<name>: invalid campaign", not a method and path
    except CampaignConfigError as exc:
        return Refusal(422, str(exc), "validation-error")  # rendered here, in the request's locale (see above)
    return config, config.model_dump(mode="json")


def parse_campaign(raw: bytes, ctype: str, name: str) -> CampaignConfig:
    """The body of ``PUT /api/campaigns/{name}`` as a validated campaign (a problem otherwise)."""
    parsed = read_campaign(raw, ctype, name, current_locale())
    if isinstance(parsed, Refusal):
        raise parsed.problem()
    return parsed[0]


async def _set_campaign(call: Call, action: CampaignAction) -> web.Response:
    name = call.path("name")
    await campaign_or_404(call, name)
    try:
        state = await call.daemon.set_campaign(name, action, actor=call.user.name)
    except CampaignNotLoaded:
        raise Problem(409, M_("campaign {name} is stored but not loaded by this daemon", name=repr(name))) from None
    return ok({"campaign": name, "state": state})


@routes.route("POST", "/api/campaigns/{name}/start", roles=MANAGERS, errors=(409,))
async def start_campaign(call: Call) -> web.Response:
    """Start dialling"""
    return await _set_campaign(call, "start")


@routes.route("POST", "/api/campaigns/{name}/pause", roles=MANAGERS, errors=(409,))
async def pause_campaign(call: Call) -> web.Response:
    """Pause dialling"""
    return await _set_campaign(call, "pause")


@routes.route("POST", "/api/campaigns/{name}/stop", roles=MANAGERS, errors=(409,))
async def stop_campaign(call: Call) -> web.Response:
    """Stop dialling"""
    return await _set_campaign(call, "stop")


async def campaign_stats(call: Call, name: str) -> dict[str, object]:
    record = await campaign_or_404(call, name)
    daemon = call.daemon
    config = daemon.campaign_config(name) or CampaignConfig.model_validate(record.config)
    report = await lead_status(call.db, config, record.id, call.now(), sample=200)
    live = daemon.campaign_status(name) or {"campaign": name, "state": record.state}
    return {**live, "leads": report.as_json()}


@routes.route("GET", "/api/campaigns/{name}/stats", roles=MANAGERS)
async def get_campaign_stats(call: Call) -> web.Response:
    """Live statistics, pacing and why not dialling"""
    return ok(await campaign_stats(call, call.path("name")))
