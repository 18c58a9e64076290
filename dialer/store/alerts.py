"""The alert history (``alerts``): each alert raised (``dialer.alerts``), when its condition began, when it was
raised and cleared, its figure and limit, and who acknowledged it.

Several daemons may share the database, each evaluating what it sees. An alert is raised and cleared **once**
across them (docs/alerts.md, "Several daemons"):

- at most one alert is active per rule and subject (``open_key``, unique while active). :func:`record_raised`
  inserts it or, when another daemon raised it first, joins it; either way the daemon now **holds** it
  (``alert_holders``). Only the insert announces it (``alert.raised``, in the same transaction);
- :func:`record_cleared` lets the daemon's hold go; the alert is cleared (and ``alert.cleared`` announced, in the
  same transaction) only when no other daemon holds it -- one that still sees the condition keeps it active;
- a daemon refreshes its holds (:func:`touch_holds`); a hold not refreshed for :data:`HOLD_FRESH_SECONDS` (its
  daemon stopped and has not come back) no longer keeps an alert active, and :func:`clear_unheld` clears an alert
  nobody holds any more.

:func:`acknowledge` records who saw an alert (audit-logged in the same transaction); :func:`list_alerts` reads the
history (active or over, a supervisor's scope); cleared alerts are purged after ``alert_retention_days``
(:func:`delete_alerts_before`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Float, Index, delete, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import Field, SQLModel

from dialer.alerts.evaluator import Alert
from dialer.alerts.rules import AlertKind, Severity
from dialer.store.audit import audit_in
from dialer.store.dialect import upsert_insert
from dialer.store.engine import Database
from dialer.store.records import RecordReader, paged
from dialer.store.tables import BigId, metadata
from dialer.store.types import UTCDateTime
from dialer.store.webhooks import enqueue_in
from dialer.webhooks.events import alert_cleared, alert_raised

assert metadata is SQLModel.metadata


# A daemon's hold on an alert not refreshed for this long (its daemon stopped) no longer keeps the alert active.
HOLD_FRESH_SECONDS = 120.0


class AlertRow(SQLModel, table=True):
    """An alert raised by a daemon (``node``: the first to see it) and, once no daemon sees its condition any more,
    cleared. ``open_key`` (:func:`open_key`) while active, None once cleared: one active alert per rule and
    subject."""

    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_node_cleared", "node", "cleared_at"),
        Index("ux_alerts_open_key", "open_key", unique=True),
    )

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
    open_key: str | None = Field(default=None, max_length=270)


class AlertHolderRow(SQLModel, table=True):
    """A daemon (``node``) that sees an active alert's condition, and when it last said so."""

    __tablename__ = "alert_holders"

    alert_id: int = Field(sa_type=BigId, primary_key=True, foreign_key="alerts.id", ondelete="CASCADE")
    node: str = Field(max_length=200, primary_key=True, index=True)
    seen_at: datetime = Field(sa_type=UTCDateTime)


alerts_t = metadata.tables["alerts"]
holders_t = metadata.tables["alert_holders"]


def open_key(rule: str, subject: str) -> str:
    """What is unique among the active alerts: one per rule and subject."""
    return f"{rule} {subject}"[:270]


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
    """``node`` sees ``alert``'s condition: the active alert of its rule and subject, written and announced
    (``alert.raised``) in one transaction when no daemon had raised it, else the one another daemon raised; either
    way held by ``node``."""
    key = open_key(alert.rule, alert.subject)
    a = alerts_t.c
    async with db.write() as conn:
        while True:
            inserted = await conn.execute(
                upsert_insert(conn, alerts_t)
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
                    open_key=key,
                )
                .on_conflict_do_nothing(index_elements=["open_key"])
                .returning(a.id)
            )
            new_id = inserted.scalar_one_or_none()
            # Locked (PostgreSQL) so that a daemon clearing it concurrently either clears it before (then it is not
            # found: raised anew) or sees this hold.
            record = await _record.first_in(conn, select(alerts_t).where(a.open_key == key).with_for_update())
            if record is not None:
                break
        hold = upsert_insert(conn, holders_t).values(alert_id=record.id, node=node[:200], seen_at=now)
        await conn.execute(hold.on_conflict_do_update(index_elements=["alert_id", "node"], set_={"seen_at": now}))
        if new_id is not None:
            await enqueue_in(conn, [alert_raised(record.as_json(), at=record.raised_at)], now)
        return record


async def record_cleared(
    db: Database, alert_id: int, *, node: str, value: float | None, cleared_at: datetime
) -> AlertRecord | None:
    """``node`` no longer sees the alert's condition: its hold goes; when no other daemon holds it (recently:
    :data:`HOLD_FRESH_SECONDS`) the alert is cleared (its last figure kept) and announced (``alert.cleared``) in the
    same transaction. The alert cleared; None when it stays active (held by another daemon), is already cleared, or
    there is no such alert."""
    h = holders_t.c
    async with db.write() as conn:
        if await _open_in(conn, alert_id) is None:
            return None
        await conn.execute(delete(holders_t).where(h.alert_id == alert_id, h.node == node))
        if await _held_in(conn, alert_id, cleared_at):
            return None
        return await _clear_in(conn, alert_id, value, cleared_at)


async def clear_unheld(db: Database, now: datetime) -> list[AlertRecord]:
    """Clear (and announce) the active alerts no daemon holds any more (their daemons stopped long ago)."""
    a = alerts_t.c
    fresh = holders_t.c.seen_at >= now - timedelta(seconds=HOLD_FRESH_SECONDS)
    held = exists().where(holders_t.c.alert_id == a.id, fresh)
    async with db.read() as conn:
        found = (await conn.execute(select(a.id).where(a.cleared_at.is_(None), ~held))).scalars().all()
    cleared: list[AlertRecord] = []
    for alert_id in found:
        async with db.write() as conn:
            record = await _open_in(conn, alert_id)
            if record is not None and not await _held_in(conn, alert_id, now):
                done = await _clear_in(conn, alert_id, record.value, now)
                cleared.append(done)
    return cleared


async def touch_holds(db: Database, node: str, now: datetime) -> set[int]:
    """``node`` still sees the conditions of the alerts it holds: their ids (an alert cleared while ``node``'s hold
    had lapsed is not among them)."""
    h = holders_t.c
    async with db.write() as conn:
        done = await conn.execute(holders_t.update().where(h.node == node).values(seen_at=now).returning(h.alert_id))
        return {int(alert_id) for alert_id in done.scalars()}


async def _open_in(conn: AsyncConnection, alert_id: int) -> AlertRecord | None:
    """The alert if active, locked (PostgreSQL) until the transaction ends."""
    a = alerts_t.c
    return await _record.first_in(
        conn, select(alerts_t).where(a.id == alert_id, a.cleared_at.is_(None)).with_for_update()
    )


async def _held_in(conn: AsyncConnection, alert_id: int, now: datetime) -> bool:
    h = holders_t.c
    fresh = h.seen_at >= now - timedelta(seconds=HOLD_FRESH_SECONDS)
    return (await conn.execute(select(h.node).where(h.alert_id == alert_id, fresh).limit(1))).first() is not None


async def _clear_in(conn: AsyncConnection, alert_id: int, value: float | None, cleared_at: datetime) -> AlertRecord:
    """Clear the alert (its lapsed holds go with it) and announce it."""
    a = alerts_t.c
    await conn.execute(delete(holders_t).where(holders_t.c.alert_id == alert_id))
    await conn.execute(
        alerts_t.update().where(a.id == alert_id).values(cleared_at=cleared_at, value=value, open_key=None)
    )
    record = await _get_in(conn, alert_id)
    assert record is not None
    await enqueue_in(conn, [alert_cleared(record.as_json(), at=cleared_at)], cleared_at)
    return record


async def active_alerts(db: Database, node: str) -> list[AlertRecord]:
    """The active alerts ``node`` holds (to resume after a restart)."""
    a = alerts_t.c
    mine = exists().where(holders_t.c.alert_id == a.id, holders_t.c.node == node)
    async with db.read() as conn:
        return await _record.all_in(conn, select(alerts_t).where(a.cleared_at.is_(None), mine).order_by(a.id))


async def active_by_rule(db: Database) -> dict[str, int]:
    """How many alerts are active, by rule: every daemon's (the ``dialer_alerts_active`` gauge)."""
    a = alerts_t.c
    query = select(a.rule, func.count()).where(*AlertFilter(active=True).conditions()).group_by(a.rule)
    async with db.read() as conn:
        return {str(rule): int(n) for rule, n in (await conn.execute(query)).all()}


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
