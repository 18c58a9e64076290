"""List management: each campaign's lead lists (enabled, priority, share, expiry, lead counts) and recycling
leads by rules, with a dry run that shows the counts before anything is applied."""

from __future__ import annotations

from datetime import datetime, timedelta

from aiohttp import web
from pydantic import AwareDatetime, Field, model_validator

from dialer.calls.outcome import Outcome
from dialer.i18n import M_
from dialer.lists.recycle import MAX_RULE_AGE, RecycleRule
from dialer.lists.schedule import MAX_EVERY, MIN_EVERY, RecycleSchedule, ScheduleError
from dialer.store.changes import UNSET
from dialer.store.lists import (
    UnknownListError,
    list_campaign_zone,
    list_views,
    recycle_leads,
    schedule_preview,
    set_recycle_schedule,
    update_list,
)
from dialer.web.api.common import Strict, campaign_or_404, configured_campaign_or_404, invalid, ok, refused
from dialer.web.problems import Problem
from dialer.web.routing import MANAGERS, Call, RouteTable

routes = RouteTable(tag="lists")
MAX_RULE_MINUTES = int(MAX_RULE_AGE.total_seconds() // 60)


class ListEdit(Strict):
    enabled: bool | None = None
    priority: int | None = Field(default=None, ge=-1000, le=1000, description="higher first (priority mix)")
    share: float | None = Field(default=None, ge=0, le=1000, description="weight in the share mix; 0 clears it")
    valid_until: AwareDatetime | None = Field(default=None, description="the list expires then")
    clear_valid_until: bool = Field(default=False, description="the list never expires")


class RuleBody(Strict):
    outcome: Outcome
    older_than_minutes: int = Field(ge=0, le=MAX_RULE_MINUTES, description="the last attempt at least this old")


class RecycleBody(Strict):
    rules: list[RuleBody] = Field(min_length=1, max_length=20)
    lists: list[int] | None = Field(default=None, max_length=500, description="only these lists (default: all)")
    dry_run: bool = Field(default=True, description="count only (the default); false applies")

    @model_validator(mode="after")
    def _distinct(self) -> RecycleBody:
        if len({r.outcome for r in self.rules}) != len(self.rules):
            raise ValueError(M_("one rule per outcome"))
        return self


LIST_ITEM = {
    "type": "object",
    "required": ["id", "name", "enabled", "priority", "share", "valid_until", "expired", "leads"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "enabled": {"type": "boolean"},
        "priority": {"type": "integer"},
        "share": {"type": ["number", "null"]},
        "valid_until": {"type": ["string", "null"], "format": "date-time"},
        "expired": {"type": "boolean"},
        "leads": {"type": "object", "additionalProperties": {"type": "integer"}},
        "recycle_schedule": {"type": ["object", "null"]},
    },
}
RECYCLE_RESULT = {
    "type": "object",
    "required": ["dry_run", "recycled", "by_rule", "by_list"],
    "properties": {
        "dry_run": {"type": "boolean"},
        "recycled": {"type": "integer"},
        "by_rule": {"type": "object", "additionalProperties": {"type": "integer"}},
        "by_list": {"type": "object", "additionalProperties": {"type": "integer"}},
    },
}


@routes.route(
    "GET",
    "/api/campaigns/{name}/lists",
    roles=MANAGERS,
    response={"type": "object", "properties": {"items": {"type": "array", "items": LIST_ITEM}}},
)
async def get_lists(call: Call) -> web.Response:
    """The campaign's lead lists: settings and leads per status"""
    record = await campaign_or_404(call, call.path("name"))
    now = call.now()
    return ok({"campaign": record.name, "items": [v.public(now) for v in await list_views(call.db, record.id)]})


@routes.route("PATCH", r"/api/lead-lists/{list_id:\d{1,15}}", roles=MANAGERS, body=ListEdit)
async def patch_list(call: Call) -> web.Response:
    """Enable or disable a list, set its priority, share or expiry (audited)"""
    body = call.body_as(ListEdit)
    if body.clear_valid_until and body.valid_until is not None:
        raise Problem(422, M_("valid_until and clear_valid_until: give one"), kind="validation-error")
    share = (body.share or None) if "share" in body.model_fields_set else UNSET
    valid_until = body.valid_until if body.valid_until is not None or body.clear_valid_until else UNSET
    list_id = call.path_id("list_id")
    with refused(UnknownListError, status=404):
        campaign_id = await update_list(
            call.db,
            list_id,
            call.now(),
            actor=call.user.name,
            enabled=body.enabled,
            priority=body.priority,
            share=share,
            valid_until=valid_until,
        )
    views = {v.id: v for v in await list_views(call.db, campaign_id)}
    return ok(views[list_id].public(call.now()))


def rules_of(rules: list[RuleBody]) -> list[RecycleRule]:
    return [RecycleRule(r.outcome, timedelta(minutes=r.older_than_minutes)) for r in rules]


@routes.route("POST", "/api/campaigns/{name}/recycle", roles=MANAGERS, body=RecycleBody, response=RECYCLE_RESULT)
async def post_recycle(call: Call) -> web.Response:
    """Recycle leads by rules (dry_run: counts only); never archived, DNC, closed or over-budget leads"""
    record, config = await configured_campaign_or_404(call, call.path("name"))
    body = call.body_as(RecycleBody)
    now: datetime = call.now()
    result = await recycle_leads(
        call.db,
        campaign_id=record.id,
        campaign_name=record.name,
        config=config,
        rules=rules_of(body.rules),
        now=now,
        list_ids=body.lists,
        dry_run=body.dry_run,
        actor=call.user.name,
    )
    if not body.dry_run and result.recycled:
        call.daemon.leads_added(record.name)
    return ok(result.public())


class ScheduleBody(Strict):
    rules: list[RuleBody] = Field(min_length=1, max_length=20)
    every_minutes: int | None = Field(
        default=None,
        ge=int(MIN_EVERY.total_seconds() // 60),
        le=int(MAX_EVERY.total_seconds() // 60),
        description="apply the rules to this list every this many minutes (or give `at`)",
    )
    at: str | None = Field(
        default=None,
        max_length=100,
        description="apply the rules at these times instead: a crontab line (minute hour day-of-month month "
        "day-of-week), e.g. '0 9 * * mon-fri', read in `zone`; at most every 5 minutes",
    )
    zone: str | None = Field(
        default=None,
        max_length=64,
        description="the IANA zone `at` is read in, e.g. Europe/Paris (default: the list's campaign's timezone)",
    )


SCHEDULE_RESULT = {
    "type": "object",
    "required": ["list_id", "schedule", "would_recycle"],
    "properties": {
        "list_id": {"type": "integer"},
        "schedule": {"type": ["object", "null"]},
        "would_recycle": {"type": ["integer", "null"], "description": "what a run now would recycle (dry run)"},
    },
}


SCHEDULE = r"/api/lead-lists/{list_id:\d{1,15}}/recycle-schedule"


async def _schedule_document(call: Call, list_id: int) -> dict[str, object]:
    """The list's schedule with the count a run now would recycle (the same dry run as a manual recycle)."""
    with refused(UnknownListError, status=404):
        view, would = await schedule_preview(call.db, list_id, call.now())
    return {"list_id": list_id, "schedule": view.public() if view else None, "would_recycle": would}


@routes.route("GET", SCHEDULE, roles=MANAGERS, response=SCHEDULE_RESULT)
async def get_recycle_schedule(call: Call) -> web.Response:
    """The list's scheduled recycling and what a run now would recycle"""
    return ok(await _schedule_document(call, call.path_id("list_id")))


@routes.route("PUT", SCHEDULE, roles=MANAGERS, body=ScheduleBody, response=SCHEDULE_RESULT)
async def put_recycle_schedule(call: Call) -> web.Response:
    """Recycle this list by rules on a schedule (audited; the first run one interval from now)"""
    body = call.body_as(ScheduleBody)
    list_id = call.path_id("list_id")
    with invalid(ScheduleError), refused(UnknownListError, status=404):
        zone = body.zone if body.zone is not None else await list_campaign_zone(call.db, list_id)
        schedule = RecycleSchedule(
            tuple(rules_of(body.rules)),
            None if body.every_minutes is None else timedelta(minutes=body.every_minutes),
            body.at,
            zone,
        )
        await set_recycle_schedule(call.db, list_id, schedule, call.now(), actor=call.user.name)
    return ok(await _schedule_document(call, list_id))


@routes.route("DELETE", SCHEDULE, roles=MANAGERS, response=SCHEDULE_RESULT)
async def delete_recycle_schedule(call: Call) -> web.Response:
    """Stop recycling this list on a schedule (audited)"""
    list_id = call.path_id("list_id")
    with refused(UnknownListError, status=404):
        await set_recycle_schedule(call.db, list_id, None, call.now(), actor=call.user.name)
    return ok(await _schedule_document(call, list_id))
