"""Report schedules in the store (:mod:`dialer.reports.schedule`): each schedule's definition, when it runs next and
for which slot, and its last run (``report_schedules``); every run's outcome (``report_deliveries``).

Runs follow scheduled list recycling (:mod:`dialer.store.lists`): :func:`claim_due_runs` (the daemon's scheduler job,
with its clock's ``now``) takes each due schedule with a compare-and-set of ``next_run_at`` -- moved ``lease`` ahead,
so two daemons on one database send it once, and a daemon that died while sending leaves it to another after the
lease -- and :func:`finish_run` records the outcome (a delivery row, the schedule's last run, its next run) and
audits it as ``scheduler``. Adding and removing a schedule is audited as its user.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Index, Text, delete, select, update
from sqlmodel import Field, SQLModel

from dialer.i18n import M_
from dialer.reports.schedule import NextRun, ReportSchedule
from dialer.store.audit import audit_in
from dialer.store.engine import Database
from dialer.store.records import public_fields
from dialer.store.tables import metadata
from dialer.store.types import UTCDateTime, json_document

assert metadata is SQLModel.metadata
SCHEDULER_ACTOR = "scheduler"
LAST_DELIVERIES = 20


class ReportScheduleRow(SQLModel, table=True):
    """A report mailed on a schedule: its definition (``ReportSchedule.document``), its next run and last run."""

    __tablename__ = "report_schedules"

    id: int | None = Field(default=None, primary_key=True)
    definition: dict[str, Any] = Field(sa_type=json_document())
    next_run_at: datetime = Field(sa_type=UTCDateTime, index=True)
    slot_at: datetime = Field(sa_type=UTCDateTime)  # the slot the next run reports on (a retry keeps its slot)
    failures: int = 0  # failed sends of that slot so far
    last_run_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_status: str | None = Field(default=None, max_length=16)  # ok, partial, retrying, failed
    last_error: str | None = Field(default=None, sa_type=Text)
    last_recipients: int | None = None
    slot_sent: list[str] | None = Field(default=None, sa_type=json_document(), nullable=True)  # retried slot's haves
    created_by: str = Field(max_length=100)
    created_at: datetime = Field(sa_type=UTCDateTime)


class ReportDeliveryRow(SQLModel, table=True):
    """One run of a report schedule: when, for which slot, its outcome and how many recipients it went to."""

    __tablename__ = "report_deliveries"
    __table_args__ = (Index("ix_report_deliveries_schedule_at", "schedule_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    schedule_id: int = Field(foreign_key="report_schedules.id", ondelete="CASCADE")
    at: datetime = Field(sa_type=UTCDateTime)
    slot_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # None: a run asked for (run-now)
    status: str = Field(max_length=16)
    error: str | None = Field(default=None, sa_type=Text)  # the SMTP server's answer or the connection's failure
    recipients: int = 0  # recipients the server accepted
    answers: list[dict[str, Any]] | None = Field(default=None, sa_type=json_document(), nullable=True)  # per recipient


report_schedules_t = metadata.tables["report_schedules"]
report_deliveries_t = metadata.tables["report_deliveries"]


class UnknownReportScheduleError(LookupError):
    def __init__(self, schedule_id: int) -> None:
        super().__init__(M_("no report schedule {id}", id=schedule_id))


@dataclass(frozen=True, slots=True)
class DeliveryView:
    at: datetime
    slot_at: datetime | None
    status: str
    error: str | None
    recipients: int
    answers: tuple[dict[str, Any], ...] = ()  # per recipient: {to, accepted, reply} (what the SMTP server said)

    def public(self) -> dict[str, object]:
        return {**public_fields(self, "at slot_at status error recipients"), "answers": list(self.answers)}


@dataclass(frozen=True, slots=True)
class ReportScheduleView:
    id: int
    schedule: ReportSchedule
    next_run_at: datetime
    slot_at: datetime
    failures: int
    last_run_at: datetime | None
    last_status: str | None
    last_error: str | None
    last_recipients: int | None
    created_by: str
    slot_sent: tuple[str, ...] = ()  # the recipients who already have the mail of the slot being retried

    def public(self) -> dict[str, object]:
        return {
            "id": self.id,
            **self.schedule.document(),
            **public_fields(self, "next_run_at failures last_run_at last_status last_error last_recipients created_by"),
        }


def _view(row: Any) -> ReportScheduleView:
    return ReportScheduleView(
        row.id,
        ReportSchedule.from_document(row.definition),
        row.next_run_at,
        row.slot_at,
        row.failures,
        row.last_run_at,
        row.last_status,
        row.last_error,
        row.last_recipients,
        row.created_by,
        tuple(row.slot_sent or ()),
    )


async def add_report_schedule(db: Database, schedule: ReportSchedule, now: datetime, *, actor: str) -> int:
    """Store a schedule (audited); its first run is its first slot after ``now``. Its id."""
    first = schedule.next_run(now)
    async with db.write() as conn:
        result = await conn.execute(
            report_schedules_t.insert().values(
                definition=schedule.document(),
                next_run_at=first,
                slot_at=first,
                failures=0,
                created_by=actor[:100],
                created_at=now,
            )
        )
        new_id = result.inserted_primary_key[0] if result.inserted_primary_key else None
        assert new_id is not None
        await audit_in(
            conn, actor, "report_schedule.add", f"report_schedule:{new_id}", now, schedule=_audited(schedule)
        )
    return int(new_id)


async def replace_report_schedule(
    db: Database, schedule_id: int, schedule: ReportSchedule, now: datetime, *, actor: str
) -> None:
    """Change a schedule (audited): its next run is its first slot after ``now``; a retry under way is dropped (the
    runs so far stay recorded). Raises UnknownReportScheduleError."""
    first = schedule.next_run(now)
    s = report_schedules_t.c
    async with db.write() as conn:
        changed = await conn.execute(
            update(report_schedules_t)
            .where(s.id == schedule_id)
            .values(definition=schedule.document(), next_run_at=first, slot_at=first, failures=0)
        )
        if changed.rowcount != 1:
            raise UnknownReportScheduleError(schedule_id)
        await audit_in(
            conn, actor, "report_schedule.change", f"report_schedule:{schedule_id}", now, schedule=_audited(schedule)
        )


def _audited(schedule: ReportSchedule) -> dict[str, object]:
    """What the audit log keeps of a schedule: its definition with the recipients counted, not listed."""
    doc = schedule.document()
    doc["recipients"] = len(schedule.recipients)
    return doc


async def remove_report_schedule(db: Database, schedule_id: int, now: datetime, *, actor: str) -> None:
    """Delete a schedule and its runs (audited). Raises UnknownReportScheduleError."""
    async with db.write() as conn:
        row = (await conn.execute(select(report_schedules_t).where(report_schedules_t.c.id == schedule_id))).first()
        if row is None:
            raise UnknownReportScheduleError(schedule_id)
        await conn.execute(delete(report_deliveries_t).where(report_deliveries_t.c.schedule_id == schedule_id))
        await conn.execute(delete(report_schedules_t).where(report_schedules_t.c.id == schedule_id))
        await audit_in(
            conn,
            actor,
            "report_schedule.remove",
            f"report_schedule:{schedule_id}",
            now,
            schedule=_audited(_view(row).schedule),
        )


async def report_schedules(db: Database) -> list[ReportScheduleView]:
    async with db.read() as conn:
        rows = (await conn.execute(select(report_schedules_t).order_by(report_schedules_t.c.id))).all()
    return [_view(r) for r in rows]


async def report_schedule(db: Database, schedule_id: int) -> ReportScheduleView:
    """Raises UnknownReportScheduleError."""
    async with db.read() as conn:
        row = (await conn.execute(select(report_schedules_t).where(report_schedules_t.c.id == schedule_id))).first()
    if row is None:
        raise UnknownReportScheduleError(schedule_id)
    return _view(row)


async def report_deliveries(db: Database, schedule_id: int, limit: int = LAST_DELIVERIES) -> list[DeliveryView]:
    """The schedule's last runs, newest first."""
    d = report_deliveries_t.c
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(d.at, d.slot_at, d.status, d.error, d.recipients, d.answers)
                .where(d.schedule_id == schedule_id)
                .order_by(d.at.desc(), d.id.desc())
                .limit(limit)
            )
        ).all()
    return [DeliveryView(r.at, r.slot_at, r.status, r.error, r.recipients, tuple(r.answers or ())) for r in rows]


# ------------------------------------------------------------------------------------------------ runs


@dataclass(frozen=True, slots=True)
class ClaimedRun:
    """A due run this process took: the schedule as it was, the slot it reports on and its claim's mark."""

    view: ReportScheduleView
    slot_at: datetime
    held_until: datetime


async def claim_due_runs(db: Database, now: datetime, lease: timedelta) -> list[ClaimedRun]:
    """Take every schedule due at ``now`` (compare-and-set of ``next_run_at``, moved ``lease`` ahead); the runs this
    process took (one another process took first is skipped)."""
    s = report_schedules_t.c
    async with db.read() as conn:
        due = (
            await conn.execute(select(report_schedules_t).where(s.next_run_at <= now).order_by(s.next_run_at, s.id))
        ).all()
    claimed: list[ClaimedRun] = []
    held_until = now + lease
    for row in due:
        async with db.write() as conn:
            taken = await conn.execute(
                update(report_schedules_t)
                .where(s.id == row.id, s.next_run_at == row.next_run_at)
                .values(next_run_at=held_until)
            )
        if taken.rowcount == 1:
            claimed.append(ClaimedRun(_view(row), row.slot_at, held_until))
    return claimed


async def finish_run(
    db: Database,
    run: ClaimedRun,
    outcome: NextRun,
    *,
    now: datetime,
    error: str | None,
    recipients: int,
    answers: Sequence[Mapping[str, object]] = (),
    slot_sent: Sequence[str] = (),
) -> bool:
    """Record a claimed run's outcome (a delivery row with the server's ``answers`` per recipient, the schedule's
    last and next run, and ``slot_sent``: who has the mail of the slot it retries), audited as ``scheduler``. False
    when the schedule was removed meanwhile (nothing is recorded then)."""
    s = report_schedules_t.c
    async with db.write() as conn:
        exists = (await conn.execute(select(s.id).where(s.id == run.view.id))).first()
        if exists is None:
            return False
        await conn.execute(
            report_deliveries_t.insert().values(
                schedule_id=run.view.id,
                at=now,
                slot_at=run.slot_at,
                status=outcome.status,
                error=error,
                recipients=recipients,
                answers=[dict(a) for a in answers],
            )
        )
        await conn.execute(
            update(report_schedules_t)
            .where(s.id == run.view.id, s.next_run_at == run.held_until)
            .values(
                slot_sent=list(slot_sent) if outcome.slot_at == run.slot_at else None,
                next_run_at=outcome.next_run_at,
                slot_at=outcome.slot_at,
                failures=outcome.failures,
                last_run_at=now,
                last_status=outcome.status,
                last_error=error,
                last_recipients=recipients,
            )
        )
        await audit_in(
            conn,
            SCHEDULER_ACTOR,
            "report_schedule.run",
            f"report_schedule:{run.view.id}",
            now,
            status=outcome.status,
            slot_at=run.slot_at.isoformat(),
            recipients=recipients,
            error=error,
        )
    return True


async def record_run_now(
    db: Database,
    schedule_id: int,
    *,
    now: datetime,
    status: str,
    error: str | None,
    recipients: int,
    actor: str,
    answers: Sequence[Mapping[str, object]] = (),
) -> None:
    """Record a run asked for by a user (``run-now``): a delivery row and the schedule's last run, audited; its
    next scheduled run is left as it is."""
    s = report_schedules_t.c
    async with db.write() as conn:
        await conn.execute(
            report_deliveries_t.insert().values(
                schedule_id=schedule_id,
                at=now,
                slot_at=None,
                status=status,
                error=error,
                recipients=recipients,
                answers=[dict(a) for a in answers],
            )
        )
        await conn.execute(
            update(report_schedules_t)
            .where(s.id == schedule_id)
            .values(last_run_at=now, last_status=status, last_error=error, last_recipients=recipients)
        )
        await audit_in(
            conn,
            actor,
            "report_schedule.run_now",
            f"report_schedule:{schedule_id}",
            now,
            status=status,
            recipients=recipients,
            error=error,
        )
