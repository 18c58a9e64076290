"""Quality evaluations (QA scorecards): a campaign's scorecard, scoring a call against it, and the evaluations.

Supervisors score the calls of their teams' agents, managers and admins any call, agents none; an agent reads
their own evaluations, a supervisor those of their teams' agents, managers everyone's. An evaluator scoring a call
again replaces their evaluation (:mod:`dialer.store.evaluations`). The score: :mod:`dialer.quality.scoring`.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from dialer.campaign.config import CampaignConfig
from dialer.i18n import M_
from dialer.quality.scorecard import Scorecard
from dialer.quality.scoring import AnswerError, score
from dialer.reports.common import ReportError, parse_report_range
from dialer.store.attempts import AttemptRecord, get_attempt
from dialer.store.evaluations import (
    AgentQuality,
    EvaluationFilter,
    EvaluationRecord,
    agent_quality,
    campaign_config,
    list_evaluations,
    save_evaluation,
)
from dialer.web.api.common import (
    Paging,
    Strict,
    campaign_id_of,
    configured_campaign_or_404,
    invalid,
    ok,
    out_of_scope,
    page_from,
)
from dialer.web.problems import Problem
from dialer.web.routing import ANY_USER, SUPERVISORS, Call, RouteTable

routes = RouteTable(tag="quality")

EVALUATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "attempt_id", "agent", "evaluator", "score", "critical_failed", "answers"],
    "properties": {
        "id": {"type": "integer"},
        "attempt_id": {"type": "integer"},
        "campaign": {"type": "string"},
        "agent": {"type": "string"},
        "evaluator": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "answers": {"type": "object", "description": "criterion id: true/false, points, or null (N/A)"},
        "comment": {"type": ["string", "null"]},
        "score": {"type": "number", "description": "0-100, one decimal; 0 when a critical criterion failed"},
        "critical_failed": {"type": "boolean"},
        "scorecard": {"type": "object", "description": "the scorecard it was scored against"},
    },
}


class EvaluationBody(Strict):
    answers: dict[str, bool | int | None] = Field(
        max_length=100, description="every criterion of the scorecard: true/false, points, or null (N/A)"
    )
    comment: str | None = Field(default=None, max_length=4000, description="the evaluator's comment to the agent")


class EvaluationPeriod(BaseModel):
    """Which evaluations a query is about: an agent's, a campaign's, saved in a period (any of them left out: all)."""

    agent: str | None = Field(default=None, max_length=100)
    campaign: str | None = Field(default=None, max_length=100)
    from_: str | None = Field(default=None, alias="from", max_length=40, description="saved from (ISO), inclusive")
    to: str | None = Field(default=None, max_length=40, description="saved until (ISO); a date includes its day")


class EvaluationQuery(Paging, EvaluationPeriod):
    """The listing's query: the period's filters, paged (unknown parameters ignored, as every listing's)."""


class QualityQuery(Strict, EvaluationPeriod):
    """The per-agent figures' query: the period's filters only."""


def evaluation_json(e: EvaluationRecord) -> dict[str, Any]:
    return {
        "id": e.id,
        "attempt_id": e.attempt_id,
        "campaign_id": e.campaign_id,
        "campaign": e.campaign,
        "agent": e.agent,
        "evaluator": e.evaluator,
        "created_at": e.created_at,
        "answers": e.answers,
        "comment": e.comment,
        "score": e.score,
        "critical_failed": e.critical_failed,
        "scorecard": e.scorecard,
    }


def _quality_json(q: AgentQuality) -> dict[str, Any]:
    return {
        "agent": q.agent,
        "calls": q.calls,
        "evaluations": q.evaluations,
        "mean_score": q.mean_score,
        "critical_failures": q.critical_failures,
    }


async def _call_or_404(call: Call) -> AttemptRecord:
    attempt = await get_attempt(call.db, call.path_id("attempt_id"))
    if attempt is None:
        raise Problem(404, M_("no call {attempt_id}", attempt_id=call.path("attempt_id")))
    return attempt


async def _filter(call: Call, period: EvaluationPeriod) -> EvaluationFilter:
    """The evaluations a listing may show: the reader's scope (an agent their own, a supervisor their teams')."""
    agent, campaign, start, end = period.agent, period.campaign, period.from_, period.to
    scope = call.scope
    if agent is not None and scope is not None and agent not in scope:
        raise out_of_scope(
            call,
            supervisor=M_("{agent} is not in a team you supervise", agent=agent),
            agent=M_("an agent may only read their own evaluations"),
        )
    with invalid(ReportError, said=lambda exc: M_("from/to: {exc}", exc=exc)):
        span = parse_report_range(start, end)
    return EvaluationFilter(
        agent=agent,
        campaign_id=await campaign_id_of(call, campaign),
        since=span.start,
        until=span.end,
        agents=scope,
    )


@routes.route("GET", "/api/campaigns/{name}/scorecard", roles=ANY_USER, errors=(404,))
async def get_scorecard(call: Call) -> web.Response:
    """The campaign's QA scorecard (its [quality] table, or the default one)"""
    _, config = await configured_campaign_or_404(call, call.path("name"))
    return ok({"campaign": config.name, **config.scorecard.model_dump(mode="json")})


@routes.route(
    "PUT",
    r"/api/calls/{attempt_id:\d{1,15}}/evaluation",
    roles=SUPERVISORS,
    body=EvaluationBody,
    response=EVALUATION_SCHEMA,
    errors=(403, 404, 409),
)
async def put_evaluation(call: Call) -> web.Response:
    """Score a call against its campaign's scorecard (supervisors: their teams' agents' calls); scoring it again
    replaces my evaluation"""
    attempt = await _call_or_404(call)
    if attempt.agent is None:
        raise Problem(409, M_("call {attempt_id} reached no agent: there is nobody to evaluate", attempt_id=attempt.id))
    if attempt.agent == call.user.name:
        raise Problem(403, M_("nobody evaluates their own calls"))
    if not call.may_see_agent(attempt.agent):
        raise Problem(
            403, M_("a supervisor may only evaluate the calls of their teams' agents ({agent})", agent=attempt.agent)
        )
    body = call.body_as(EvaluationBody)
    card: Scorecard = CampaignConfig.model_validate(await campaign_config(call.db, attempt.campaign_id)).scorecard
    with invalid(AnswerError, said=lambda exc: M_("answers: {exc}", exc=exc)):
        scored = score(card, body.answers)
    answers = {c.id: body.answers[c.id] for c in card.criteria}
    saved, replaced = await save_evaluation(
        call.db,
        attempt_id=attempt.id,
        campaign_id=attempt.campaign_id,
        agent=attempt.agent,
        evaluator=call.user.name,
        answers=answers,
        comment=(body.comment or "").strip() or None,
        scored=scored,
        scorecard=card.model_dump(mode="json"),
        now=call.now(),
    )
    return ok({**evaluation_json(saved), "replaced": replaced, "failed": list(scored.failed)})


@routes.route("GET", r"/api/calls/{attempt_id:\d{1,15}}/evaluations", roles=ANY_USER, query=Paging, errors=(403, 404))
async def get_call_evaluations(call: Call) -> web.Response:
    """The evaluations of one call (agents: of their own calls; supervisors: of their teams' agents')"""
    attempt = await _call_or_404(call)
    if attempt.agent is None or not call.may_see_agent(attempt.agent):
        raise out_of_scope(
            call,
            supervisor=M_("a supervisor may only read the evaluations of their teams' agents"),
            agent=M_("an agent may only read their own evaluations"),
        )
    q = call.query_as(Paging)
    found = await list_evaluations(call.db, EvaluationFilter(attempt_id=attempt.id), limit=q.limit, offset=q.offset)
    return page_from(q, found, evaluation_json)


@routes.listing("/api/evaluations", roles=ANY_USER, query=EvaluationQuery, item=EVALUATION_SCHEMA)
async def get_evaluations(call: Call) -> web.Response:
    """Evaluations by agent, campaign and period, latest first (agents: their own; supervisors: their teams')"""
    q = call.query_as(EvaluationQuery)
    where = await _filter(call, q)
    return page_from(q, await list_evaluations(call.db, where, limit=q.limit, offset=q.offset), evaluation_json)


@routes.route("GET", "/api/evaluations/agents", roles=SUPERVISORS, query=QualityQuery)
async def get_agent_quality(call: Call) -> web.Response:
    """Per agent, the evaluations of a period: how many, the mean score, the critical failures (supervisors: their
    teams' agents) -- the figures for coaching"""
    q = call.query_as(QualityQuery)
    where = await _filter(call, q)
    figures = await agent_quality(call.db, where)
    return ok(
        {
            "from": where.since,
            "to": where.until,
            "campaign": q.campaign,
            "agents": [_quality_json(f) for f in figures],
        }
    )
