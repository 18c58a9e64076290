"""Shared by the resource modules: JSON encoding and paging, the JSON views of stored records, and the lookups
that turn a path or filter into a record or a problem (404/403/422)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any, TypeVar

from aiohttp import web
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from dialer.agents.registry import Agent, AgentError
from dialer.campaign.config import CampaignConfig
from dialer.campaign.names import display_name
from dialer.campaign.rules import ConsentRequired
from dialer.i18n import LOCALES, M_, Message, message_of, normalize_locale
from dialer.store.attempts import AttemptRecord, get_attempt
from dialer.store.auth import Role
from dialer.store.campaigns import CampaignRecord, UnknownCampaignError, get_campaign
from dialer.store.console import CallbackListing, CallbackRecord, LeadListRecord
from dialer.store.imports import ImportSummary
from dialer.store.leads import LeadRecord, get_lead, snapshot
from dialer.store.leadscope import lead_in_scope, lead_scope
from dialer.web.floor import read_floor, serving_daemon
from dialer.web.live import HUB
from dialer.web.problems import Problem
from dialer.web.routing import Call

T = TypeVar("T")


def dumps(obj: object) -> str:
    return json.dumps(obj, default=_default)


def _default(obj: object) -> object:
    if isinstance(obj, datetime):
        return obj.isoformat()
    if isinstance(obj, set | frozenset | tuple):
        return list(obj)
    return str(obj)


def ok(body: object, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=dumps)


def page_of(items: Sequence[T], q: Paging, view: Callable[[T], object]) -> web.Response:
    """The asked page of a list held in memory, each of its items shown by ``view``."""
    return page_from(q, (len(items), items[q.offset : q.offset + q.limit]), view)


def page_from(q: Paging, found: tuple[int, Sequence[T]], view: Callable[[T], object]) -> web.Response:
    """The page the store cut for ``q`` (``found``: the count of all matches and the page's rows), each row shown
    by ``view``: the answer of a collection route (:meth:`dialer.web.routing.RouteTable.listing`)."""
    total, rows = found
    return ok({"items": [view(row) for row in rows], "total": total, "limit": q.limit, "offset": q.offset})


class Paging(BaseModel):
    model_config = ConfigDict(extra="ignore")
    limit: int = Field(default=50, ge=1, le=500, description="page size")
    offset: int = Field(default=0, ge=0, le=10_000_000, description="rows to skip")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def ui_language(value: str | None) -> str | None:
    """A UI language as a request names it: exactly one of LOCALES (en, ja, zh-CN, zh-Hant); None and '' (the
    browser's language) as they are."""
    if value and normalize_locale(value) != value:
        raise ValueError(M_("{value} is not one of {choices}", value=repr(value), choices=", ".join(LOCALES)))
    return value


UiLanguage = Annotated[str | None, AfterValidator(ui_language)]


def csv_headers(encoding: str, filename: str) -> dict[str, str]:
    """The headers of a CSV download in ``encoding`` (one of CSV_ENCODINGS; CP932 is named Shift_JIS), saved as
    ``filename``."""
    charset = "shift_jis" if encoding == "cp932" else "utf-8"
    return {
        "Content-Type": f"text/csv; charset={charset}",
        "Content-Disposition": f'attachment; filename="{filename}"',
    }


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
        "display_name": lead.display_name or display_name(lead.last_name, lead.first_name),
        "name_reading": lead.name_reading,
        "consent_source": lead.consent_source,
        "consent_at": lead.consent_at,
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
        "requested_callback": requested_callback_json(lead),
    }


def requested_callback_json(lead: LeadRecord) -> dict[str, Any] | None:
    """The callback the called party asked for (the IVR's "call me back"), while the lead waits for it or is on it
    (:attr:`dialer.campaign.rules.LeadSnapshot.has_requested_callback`): the agent's screen pop says the call is
    the caller's request, so the agent can ask for consent on it. None otherwise."""
    if not snapshot(lead, "", before_claim=True).has_requested_callback:
        return None
    return {
        "source": lead.requested_callback_source,
        "requested_at": lead.requested_callback_at,
        "due_at": lead.requested_callback_due,
    }


def attempt_json(a: AttemptRecord, recorded: frozenset[int] = frozenset()) -> dict[str, Any]:
    """``recorded``: the attempts known to have a recording (the call record then links to it)."""
    talk = (a.ended_at - a.connected_at).total_seconds() if a.ended_at and a.connected_at else None
    return {
        "recording_url": f"/api/recordings/{a.id}" if a.id in recorded else None,
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
        "timed_out_disposition": a.timed_out_disposition,
        "late_disposition_at": a.late_disposition_at,
        "late_disposition_by": a.late_disposition_by,
    }


def callback_listing_json(item: CallbackListing, now: datetime) -> dict[str, Any]:
    """A callback in a list: the callback and its lead's number and name, its campaign's name, and whether it is
    pending past its due time at ``now`` (the dialer's clock)."""
    callback = item.callback
    return {
        **callback_json(callback),
        "campaign": item.campaign,
        "phone": item.phone,
        "lead_name": item.display_name or display_name(item.last_name, item.first_name) or None,
        "overdue": callback.state == "pending" and callback.due_at < now,
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


def import_summary_json(summary: ImportSummary, campaign: str) -> dict[str, Any]:
    """What an import did (a file upload or a batch of leads), as both report it."""
    return {
        "list_id": summary.list_id,
        "campaign": campaign,
        "rows": summary.rows,
        "imported": summary.imported,
        "duplicates": summary.duplicates,
        "invalid": summary.invalid,
        "dnc": summary.dnc,
    }


def agent_json(agent: Agent, now: float, daemon: str) -> dict[str, Any]:
    """An agent's live state as ``daemon``, the daemon serving their console, knows it."""
    return {
        "agent_id": agent.agent_id,
        "daemon": daemon,
        "interface": agent.interface,
        "status": agent.status.value,
        "since": agent.since,
        "seconds_in_state": max(0.0, now - agent.since) if agent.logged_in else None,
        "queues": sorted(agent.queues),
        "pause_reason": agent.pause_reason,
        "pending_pause": agent.pending_pause,
        "wrapup_until": agent.wrapup_until,
        "wrapup_seconds_left": max(0.0, agent.wrapup_until - now) if agent.wrapup_until else None,
        "wrapup_needs_disposition": agent.wrapup_needs_disposition,  # only a disposition ends it (then overdue after)
        "ready_announced": agent.ready_announced,
        "calls_taken": agent.calls_taken,
        "call_queue": agent.call_queue,
    }


def campaign_json(record: CampaignRecord, live_state: str | None) -> dict[str, Any]:
    """A stored campaign; ``live_state`` is its runner's state (None: not loaded by this daemon)."""
    config = record.config
    return {
        "id": record.id,
        "name": record.name,
        "state": live_state if live_state is not None else record.state,
        "stored_state": record.state,
        "description": config.get("description", ""),
        "dial_mode": config.get("dial_mode"),
        "queue": config.get("queue"),
        "dispositions": config.get("dispositions", []),
        "wrap_up_seconds": config.get("wrap_up_seconds"),
        "updated_at": record.updated_at,
    }


# ------------------------------------------------------------------------------------------------ lookups
async def campaign_or_404(call: Call, name: str) -> CampaignRecord:
    try:
        return await get_campaign(call.db, name)
    except UnknownCampaignError:
        raise Problem(404, M_("no campaign named {name}", name=repr(name))) from None


async def configured_campaign_or_404(call: Call, name: str) -> tuple[CampaignRecord, CampaignConfig]:
    """The campaign named (404 when there is none) with its stored configuration."""
    record = await campaign_or_404(call, name)
    return record, CampaignConfig.model_validate(record.config)


async def campaign_id_of(call: Call, name: str | None) -> int | None:
    """A ``campaign`` filter: an unknown name is a bad filter value (422), not a missing resource."""
    if name is None:
        return None
    with invalid(UnknownCampaignError, said=lambda _: M_("campaign: no campaign named {name}", name=repr(name))):
        return int((await get_campaign(call.db, name)).id)


def out_of_scope(call: Call, *, supervisor: Message, agent: Message) -> Problem:
    """The 403 of a user reaching past what they may see, saying why to them: a supervisor beyond their teams
    (``supervisor``), an agent beyond their own calls (``agent``)."""
    return Problem(403, supervisor if call.user.role is Role.SUPERVISOR else agent)


def own_agent(call: Call, agent_id: str) -> str:
    """Agents act on themselves only; supervisors on their teams' agents; managers on anyone."""
    if not call.may_see_agent(agent_id):
        raise out_of_scope(
            call,
            supervisor=M_(
                "you are {user}: {agent} is not in a team you supervise", user=call.user.name, agent=agent_id
            ),
            agent=M_("you are {user}: an agent may only act on their own session", user=call.user.name),
        )
    return agent_id


def path_agent(call: Call) -> str:
    """The path's ``agent_id``, one the user may act on (:func:`own_agent`)."""
    return own_agent(call, call.path("agent_id"))


def agent_or_404(call: Call, agent_id: str) -> Agent:
    agent = call.daemon.agent(agent_id)
    if agent is None:
        raise Problem(404, M_("no agent {agent} (an agent appears once they sign in to queues)", agent=repr(agent_id)))
    return agent


def served_elsewhere(agent_id: str, daemon: str) -> Problem:
    """The 409 of an action this daemon cannot take on an agent another daemon serves (their console's state lives
    in that daemon's memory): which daemon, and where to go."""
    return Problem(
        409,
        M_(
            "{agent}'s console is served by daemon {daemon}: open that daemon's dashboard to do this",
            agent=agent_id,
            daemon=daemon,
        ),
        kind="agent-on-another-daemon",
    )


async def agent_here(call: Call, agent_id: str) -> Agent:
    """The agent, signed in on this daemon, to act on: :func:`served_elsewhere` when another daemon sharing the
    database serves their console now, else as :func:`agent_or_404`."""
    agent = call.daemon.agent(agent_id)
    if agent is None or not agent.logged_in:
        elsewhere = await serving_daemon(call.app, agent_id)
        if elsewhere is not None:
            raise served_elsewhere(agent_id, elsewhere[0])
    return agent_or_404(call, agent_id)


def agent_to_read(call: Call, agent_id: str) -> Agent:
    """The agent, for reading: the signed-in user's own agent reads as logged out before they first sign in to
    queues (their console polls it; that is not an error), anyone else's is a 404 until they do."""
    agent = call.daemon.agent(agent_id)
    if agent is None and agent_id == call.user.name:
        return Agent(agent_id=agent_id, interface="", member_name=agent_id)
    return agent_or_404(call, agent_id)


def daemon_not_reporting(agent_id: str, daemon: str) -> Problem:
    """The 404 of an agent whose console a daemon that stopped reporting served: their live state is unknown until a
    daemon takes their session over."""
    return Problem(
        404,
        M_(
            "{agent}'s console is served by daemon {daemon}, which is not reporting: their state is known again once a"
            " daemon takes their session over",
            agent=agent_id,
            daemon=daemon,
        ),
        kind="agent-daemon-not-reporting",
    )


async def agent_on_floor(call: Call, agent_id: str) -> tuple[str, Agent]:
    """The agent to read, whichever daemon sharing the database serves their console, with that daemon: this one's
    agent signed in here, else another daemon's as it published them (dialer.store.floor), else
    :func:`daemon_not_reporting` when the daemon that served them stopped reporting, else as :func:`agent_to_read`."""
    daemon = call.daemon
    local = daemon.agent(agent_id)
    if local is None or not local.logged_in:
        floor = await read_floor(call.app)
        served = next(((node, p.agent) for node, p in floor.agents if p.agent.agent_id == agent_id), None)
        if served is not None:
            return served
        for view in floor.silent:
            if any(p.agent.agent_id == agent_id for p in view.agents):
                raise daemon_not_reporting(agent_id, view.node)
    return daemon.node, agent_to_read(call, agent_id)


@contextmanager
def refused(
    *errors: type[Exception],
    status: int,
    kind: str | None = None,
    said: Callable[[Exception], str | Message] = message_of,
) -> Iterator[None]:
    """What the domain refuses in the block (one of ``errors``) as a ``status`` problem saying why (``said``: by
    default the error's own message)."""
    try:
        yield
    except errors as exc:
        raise Problem(status, said(exc), kind=kind) from None


@contextmanager
def invalid(*errors: type[Exception], said: Callable[[Exception], str | Message] = message_of) -> Iterator[None]:
    """What the domain finds wrong with the request's input in the block (one of ``errors``): a 422 validation
    problem saying why (``said``: by default the error's message; one naming the field, e.g.
    ``lambda exc: M_("team: {exc}", exc=exc)``)."""
    with refused(*errors, status=422, kind="validation-error", said=said):
        yield


@contextmanager
def consent_first() -> Iterator[None]:
    """A callback booked (from the console, or by a disposition) that its regime would never dial -- no recorded
    consent, no open request of the called party (:func:`dialer.campaign.rules.check_callback_dialable`): a 409
    saying to record the called party's consent first. Nothing was written: the agent records it and books (or
    dispositions) again."""
    with refused(ConsentRequired, status=409, kind="consent-required"):
        yield


@contextmanager
def agent_errors() -> Iterator[None]:
    """What the agent service refuses, as a problem (404 unknown agent, 409 otherwise)."""
    try:
        yield
    except AgentError as exc:
        status = 404 if exc.code == "unknown_agent" else 409
        raise Problem(status, message_of(exc), kind=f"agent-{exc.code.replace('_', '-')}") from None


async def attempt_and_lead(call: Call, attempt_id: int) -> tuple[AttemptRecord | None, LeadRecord | None]:
    """A call's attempt and the attempt's lead (None: gone), as the agent's current call shows them."""
    attempt = await get_attempt(call.db, attempt_id)
    lead = await get_lead(call.db, attempt.lead_id) if attempt is not None else None
    return attempt, lead


async def lead_for(call: Call, lead_id: int) -> LeadRecord:
    lead = await get_lead(call.db, lead_id)
    if lead is None:
        raise Problem(404, M_("no lead {lead_id}", lead_id=lead_id))
    if not await lead_in_scope(call.db, lead_id, await lead_scope(call.db, call.user)) and not inbound_call_with(
        call, lead_id
    ):
        # Not "403": a user must not learn which lead ids exist outside what they may see (dialer.store.leadscope).
        raise Problem(404, M_("no lead {lead_id} among the leads you may see", lead_id=lead_id))
    return lead


def inbound_call_with(call: Call, lead_id: int) -> dict[str, Any] | None:
    """The screen pop of the inbound call the user (an agent) is on, if its caller matched the lead ``lead_id``
    (None otherwise): that agent may see (and edit) the lead, and record its called party's consent."""
    agent = call.daemon.agent(call.user.name)
    pop = call.app[HUB].inbound_call(agent) if agent is not None else None
    return pop if pop is not None and pop.get("lead_id") == lead_id else None
