"""Quality evaluations in the store: one per call and evaluator (``evaluations``), each with its answers, its score
and the copy of the scorecard it was scored against -- a later edit of the campaign's scorecard never changes an
old score.

:func:`save_evaluation` writes one (an evaluator scoring a call again replaces their evaluation), audit-logged and
announced (``evaluation.saved``) in the same transaction; the listings and the per-agent figures read them.
They are call records: the retention purge deletes them with their calls
(:func:`dialer.store.reports.delete_attempts_before`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Index, Text, case, func, select
from sqlmodel import Field, SQLModel

from dialer.quality.scoring import Answer, Score
from dialer.store.audit import audit_in
from dialer.store.engine import Database
from dialer.store.records import RecordReader, in_period, paged, where_given
from dialer.store.tables import BigId, campaigns_t, metadata
from dialer.store.types import UTCDateTime, json_document
from dialer.store.webhooks import enqueue_in
from dialer.webhooks import events

assert metadata is SQLModel.metadata


class EvaluationRow(SQLModel, table=True):
    """One evaluator's evaluation of one call."""

    __tablename__ = "evaluations"
    __table_args__ = (
        Index("uq_evaluations_attempt_evaluator", "attempt_id", "evaluator", unique=True),
        Index("ix_evaluations_agent_created", "agent", "created_at"),
        Index("ix_evaluations_campaign_created", "campaign_id", "created_at"),
    )

    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    attempt_id: int = Field(sa_type=BigInteger, foreign_key="attempts.id")
    campaign_id: int = Field(foreign_key="campaigns.id")
    agent: str = Field(max_length=100)  # who took the call
    evaluator: str = Field(max_length=64)  # the user who scored it
    created_at: datetime = Field(sa_type=UTCDateTime)  # when it was (last) saved
    answers: dict[str, Any] = Field(sa_type=json_document())  # criterion id -> true/false, points, null (N/A)
    comment: str | None = Field(default=None, sa_type=Text)
    score: float
    critical_failed: bool = False
    scorecard: dict[str, Any] = Field(sa_type=json_document())  # the scorecard it was scored against


evaluations_t = metadata.tables["evaluations"]


@dataclass(frozen=True, slots=True)
class EvaluationRecord:
    id: int
    attempt_id: int
    campaign_id: int
    campaign: str
    agent: str
    evaluator: str
    created_at: datetime
    answers: dict[str, Any]
    comment: str | None
    score: float
    critical_failed: bool
    scorecard: dict[str, Any]


@dataclass(frozen=True, slots=True)
class EvaluationFilter:
    """Which evaluations a listing shows: ``agents`` the scope of the reader (None: everyone's)."""

    agent: str | None = None
    campaign_id: int | None = None
    attempt_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    agents: Collection[str] | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        c = evaluations_t.c
        where = where_given((c.agent, self.agent), (c.campaign_id, self.campaign_id), (c.attempt_id, self.attempt_id))
        where += in_period(c.created_at, self.since, self.until)
        if self.agents is not None:
            where.append(c.agent.in_(sorted(self.agents)))
        return where


@dataclass(frozen=True, slots=True)
class AgentQuality:
    """An agent's evaluations in a period, counted per call: a call scored by several evaluators (a calibration)
    weighs once, with the mean of its scores, and fails a critical criterion when any of its evaluations does.

    ``calls``: the agent's calls evaluated; ``evaluations``: the evaluations of them; ``mean_score``: the mean over
    the calls of each call's mean score; ``critical_failures``: the calls failing a critical criterion."""

    agent: str
    calls: int
    evaluations: int
    mean_score: float
    critical_failures: int


_record = RecordReader(EvaluationRecord, answers=dict, scorecard=dict, critical_failed=bool, score=float)
_COLUMNS = (*evaluations_t.c, campaigns_t.c.name.label("campaign"))
_SOURCE = evaluations_t.join(campaigns_t, campaigns_t.c.id == evaluations_t.c.campaign_id)


async def save_evaluation(
    db: Database,
    *,
    attempt_id: int,
    campaign_id: int,
    agent: str,
    evaluator: str,
    answers: Mapping[str, Answer],
    comment: str | None,
    scored: Score,
    scorecard: dict[str, Any],
    now: datetime,
) -> tuple[EvaluationRecord, bool]:
    """Store ``evaluator``'s evaluation of the call, replacing theirs if they had scored it before; audit-logged
    (``evaluation.save`` / ``evaluation.replace``) and announced (``evaluation.saved``) in the same transaction.
    Returns it and whether it replaced one."""
    c = evaluations_t.c
    values: dict[str, Any] = {
        "campaign_id": campaign_id,
        "agent": agent,
        "created_at": now,
        "answers": dict(answers),
        "comment": comment,
        "score": scored.score,
        "critical_failed": scored.critical_failed,
        "scorecard": scorecard,
    }
    async with db.write() as conn:
        before = (
            await conn.execute(
                select(c.id, c.score).where(c.attempt_id == attempt_id, c.evaluator == evaluator).with_for_update()
            )
        ).first()
        if before is None:
            inserted = await conn.execute(
                evaluations_t.insert().values(attempt_id=attempt_id, evaluator=evaluator, **values).returning(c.id)
            )
            evaluation_id = int(inserted.scalar_one())
        else:
            evaluation_id = int(before.id)
            await conn.execute(evaluations_t.update().where(c.id == evaluation_id).values(**values))
        detail: dict[str, Any] = {"agent": agent, "score": scored.score, "critical_failed": scored.critical_failed}
        if before is not None:
            detail["previous_score"] = float(before.score)
        action = "evaluation.replace" if before is not None else "evaluation.save"
        await audit_in(conn, evaluator, action, f"call:{attempt_id}", now, **detail)
        saved = await _record.one_in(conn, select(*_COLUMNS).select_from(_SOURCE).where(c.id == evaluation_id))
        event = events.evaluation_saved(
            evaluation_id=evaluation_id,
            attempt_id=attempt_id,
            campaign_id=campaign_id,
            agent=agent,
            evaluator=evaluator,
            score=scored.score,
            critical_failed=scored.critical_failed,
            replaced=before is not None,
            at=now,
        )
        await enqueue_in(conn, [event], now)
    return saved, before is not None


async def list_evaluations(
    db: Database, where: EvaluationFilter, *, limit: int = 50, offset: int = 0
) -> tuple[int, list[EvaluationRecord]]:
    """One page of the evaluations ``where`` selects, latest first, and how many there are in all."""
    c = evaluations_t.c
    query = select(*_COLUMNS).select_from(_SOURCE).order_by(c.created_at.desc(), c.id.desc())
    return await paged(db, _SOURCE, query, where.conditions(), _record, limit=limit, offset=offset)


async def agent_quality(db: Database, where: EvaluationFilter) -> list[AgentQuality]:
    """Per agent, the evaluations ``where`` selects, counted per call (:class:`AgentQuality`): calls, evaluations,
    mean score (one decimal), calls failing a critical criterion."""
    c = evaluations_t.c
    per_call = select(
        c.agent.label("agent"),
        func.count().label("evaluations"),
        func.avg(c.score).label("score"),
        func.max(case((c.critical_failed, 1), else_=0)).label("failed"),
    ).group_by(c.agent, c.attempt_id)
    conditions = where.conditions()
    if conditions:
        per_call = per_call.where(*conditions)
    calls = per_call.subquery()
    query = (
        select(
            calls.c.agent,
            func.count(),
            func.sum(calls.c.evaluations),
            func.avg(calls.c.score),
            func.sum(calls.c.failed),
        )
        .group_by(calls.c.agent)
        .order_by(calls.c.agent)
    )
    async with db.read() as conn:
        rows = (await conn.execute(query)).all()
    return [
        AgentQuality(str(a), int(n), int(evaluations), round(float(mean), 1), int(failed or 0))
        for a, n, evaluations, mean, failed in rows
    ]


async def latest_evaluations(db: Database, attempt_ids: Collection[int]) -> dict[int, EvaluationRecord]:
    """The latest evaluation of each of ``attempt_ids`` that has one (the recordings list shows its score)."""
    if not attempt_ids:
        return {}
    c = evaluations_t.c
    query = select(*_COLUMNS).select_from(_SOURCE).where(c.attempt_id.in_(sorted(attempt_ids)))
    async with db.read() as conn:
        found = await _record.all_in(conn, query.order_by(c.created_at, c.id))
    return {e.attempt_id: e for e in found}


async def campaign_config(db: Database, campaign_id: int) -> dict[str, Any]:
    """The stored configuration document of a call's campaign."""
    async with db.read() as conn:
        config = (await conn.execute(select(campaigns_t.c.config).where(campaigns_t.c.id == campaign_id))).scalar_one()
    return dict(config)
