"""The alert history (``alerts``): each alert raised (``dialer.alerts``), when its condition began, when it was
raised and cleared, its figure and limit, and who acknowledged it.

:func:`record_raised` and :func:`record_cleared` write a row and announce it (``alert.raised`` /
``alert.cleared`` through the webhook outbox) in one transaction; :func:`acknowledge` records who saw it
(audit-logged in the same transaction); :func:`list_alerts` reads the history (active or over, a supervisor's
scope); cleared alerts are purged after ``alert_retention_days`` (:func:`delete_alerts_before`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Float, Index, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import Field, SQLModel

from dialer.alerts.evaluator import Alert
from dialer.alerts.rules import AlertKind, Severity
from dialer.store.audit import audit_in
from dialer.store.engine import Database
from dialer.store.records import RecordReader, paged
from dialer.store.tables import BigId, metadata
from dialer.store.types import UTCDateTime
from dialer.store.webhooks import enqueue_in
from dialer.webhooks.events import alert_cleared, alert_raised

assert metadata is SQLModel.metadata


class AlertRow(SQLModel, table=True):
    """An alert raised by a daemon (``node``) and, once its condition is gone, cleared."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_node_cleared", "node", "cleared_at"),)

    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    rule: str = Field(max_length=64)
    kind: str = Field(max_length=32)  # dialer.alerts.rules.AlertKind
    severity: str = Field(max_length=16)
    subject: str = Field(max_length=200)  # campaign:<name>, queue:<name>, agent:<name>, server:<name>
    campaign: str | None = Field(default=None, max_length=100)
    campaign_id: int | None = Field(default=None)
    agent: str | None = Field(default=None, max_length=64)
    detail: str | None = Field(default=None, max_length=200)
    value: float | None = Field(default=None, sa_type=Float)  # the figure when raised, then when cleared
    threshold: float = Field(sa_type=Float)  # the limit it was judged against
    node: str = Field(max_length=200)
    started_at: datetime = Field(sa_type=UTCDateTime)  # the condition began
    raised_at: datetime = Field(sa_type=UTCDateTime, index=True)
    cleared_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acked_by: str | None = Field(default=None, max_length=64)
    acked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


alerts_t = metadata.tables["alerts"]


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


@dataclass(frozen=True, slots=True)
class AlertRecord:
    id: int
    rule: str
    kind: AlertKind
    severity: Severity
    subject: str
    campaign: str | None
    campaign_id: int | None
    agent: str | None
    detail: str | None
    value: float | None
    threshold: float
    node: str
    started_at: datetime
    raised_at: datetime
    cleared_at: datetime | None
    acked_by: str | None
    acked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.cleared_at is None

    def as_json(self) -> dict[str, Any]:
        """As ``GET /api/alerts`` and the webhook events show it."""
        return {
            "id": self.id,
            "rule": self.rule,
            "kind": self.kind.value,
            "severity": self.severity.value,
            "subject": self.subject,
            "campaign": self.campaign,
            "campaign_id": self.campaign_id,
            "agent": self.agent,
            "detail": self.detail,
            "value": self.value,
            "limit": self.threshold,
            "active": self.active,
            "started_at": self.started_at.isoformat(),
            "raised_at": self.raised_at.isoformat(),
            "cleared_at": _iso(self.cleared_at),
            "acked_by": self.acked_by,
            "acked_at": _iso(self.acked_at),
        }

    def as_alert(self) -> Alert:
        """The active alert to resume (the daemon's clock is the epoch's seconds)."""
        return Alert(
            rule=self.rule,
            kind=self.kind,
            severity=self.severity,
            subject=self.subject,
            value=self.value,
            limit=self.threshold,
            started_at=self.started_at.timestamp(),
            raised_at=self.raised_at.timestamp(),
            campaign=self.campaign,
            campaign_id=self.campaign_id,
            agent=self.agent,
            detail=self.detail,
            id=self.id,
        )


_record = RecordReader(AlertRecord, kind=AlertKind, severity=Severity)


@dataclass(frozen=True, slots=True)
class AlertFilter:
    """Which alerts a listing shows: ``active`` (True: not cleared; False: cleared; None: both); ``agents``: a
    supervisor's scope (the alerts about other agents are left out; those about no agent are shown)."""

    active: bool | None = None
    agents: Collection[str] | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        a = alerts_t.c
        where: list[ColumnElement[bool]] = []
        if self.active is True:
            where.append(a.cleared_at.is_(None))
        elif self.active is False:
            where.append(a.cleared_at.is_not(None))
        if self.agents is not None:
            where.append(or_(a.agent.is_(None), a.agent.in_(sorted(self.agents))))
        return where


async def _get_in(conn: AsyncConnection, alert_id: int) -> AlertRecord | None:
    return await _record.first_in(conn, select(alerts_t).where(alerts_t.c.id == alert_id))


async def record_raised(db: Database, alert: Alert, *, node: str, now: datetime) -> AlertRecord:
    """Write a raised alert and announce it (``alert.raised``) in one transaction."""
    async with db.write() as conn:
        inserted = await conn.execute(
            alerts_t.insert()
            .values(
                rule=alert.rule,
                kind=alert.kind.value,
                severity=alert.severity.value,
                subject=alert.subject[:200],
                campaign=alert.campaign,
                campaign_id=alert.campaign_id,
                agent=alert.agent,
                detail=(alert.detail or None) and alert.detail[:200],
                value=alert.value,
                threshold=alert.limit,
                node=node[:200],
                started_at=datetime.fromtimestamp(alert.started_at, UTC),
                raised_at=datetime.fromtimestamp(alert.raised_at, UTC),
            )
            .returning(alerts_t.c.id)
        )
        record = await _get_in(conn, int(inserted.scalar_one()))
        assert record is not None
        await enqueue_in(conn, [alert_raised(record.as_json(), at=record.raised_at)], now)
        return record


async def record_cleared(
    db: Database, alert_id: int, *, value: float | None, cleared_at: datetime
) -> AlertRecord | None:
    """The alert's condition is gone: cleared (its last figure kept) and announced (``alert.cleared``) in one
    transaction. None when there is no such alert or it was already cleared."""
    a = alerts_t.c
    async with db.write() as conn:
        done = await conn.execute(
            alerts_t.update().where(a.id == alert_id, a.cleared_at.is_(None)).values(cleared_at=cleared_at, value=value)
        )
        if done.rowcount != 1:
            return None
        record = await _get_in(conn, alert_id)
        assert record is not None
        await enqueue_in(conn, [alert_cleared(record.as_json(), at=cleared_at)], cleared_at)
        return record


async def active_alerts(db: Database, node: str) -> list[AlertRecord]:
    """The alerts ``node`` raised and has not cleared (to resume after a restart)."""
    a = alerts_t.c
    async with db.read() as conn:
        query = select(alerts_t).where(a.node == node, a.cleared_at.is_(None)).order_by(a.id)
        return await _record.all_in(conn, query)


async def get_alert(db: Database, alert_id: int) -> AlertRecord | None:
    async with db.read() as conn:
        return await _get_in(conn, alert_id)


async def acknowledge(db: Database, alert_id: int, actor: str, now: datetime) -> AlertRecord | None:
    """``actor`` saw the alert (the first acknowledgement is kept), audit-logged (``alert.ack``) in the same
    transaction. None when there is no such alert."""
    a = alerts_t.c
    async with db.write() as conn:
        found = await _get_in(conn, alert_id)
        if found is None:
            return None
        if found.acked_at is None:
            await conn.execute(alerts_t.update().where(a.id == alert_id).values(acked_by=actor, acked_at=now))
            await audit_in(conn, actor, "alert.ack", f"alert:{alert_id}", now, rule=found.rule, subject=found.subject)
        return await _get_in(conn, alert_id)


async def list_alerts(
    db: Database, where: AlertFilter, *, limit: int = 50, offset: int = 0
) -> tuple[int, list[AlertRecord]]:
    """One page of the alerts ``where`` selects, newest first, and how many there are."""
    a = alerts_t.c
    query = select(alerts_t).order_by(a.raised_at.desc(), a.id.desc())
    return await paged(db, alerts_t, query, where.conditions(), _record, limit=limit, offset=offset)


async def delete_alerts_before(db: Database, cutoff: datetime) -> int:
    """Delete the alerts cleared before ``cutoff`` (retention; active ones stay). How many."""
    a = alerts_t.c
    async with db.write() as conn:
        done = await conn.execute(delete(alerts_t).where(a.cleared_at.is_not(None), a.cleared_at < cutoff))
        return int(done.rowcount or 0)
