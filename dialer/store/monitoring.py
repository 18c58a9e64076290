"""Recordings (one per call, keyed by its attempt id) and the supervision audit (who listened to whom, when)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Boolean, bindparam, case, delete, func, insert, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.sql.elements import ColumnElement

from dialer.store.dialect import upsert_insert
from dialer.store.engine import Database
from dialer.store.leadscope import LeadScope
from dialer.store.records import RecordReader, by_id, paged, where_given
from dialer.store.tables import attempts_t, campaigns_t, recordings_t, supervision_t

RECORDING_ACTIVE_STATES = ("recording", "paused")


@dataclass(frozen=True, slots=True)
class RecordingRecord:
    attempt_id: int
    campaign_id: int
    agent: str | None
    file: str
    mode: str
    state: str
    started_at: datetime
    ended_at: datetime | None
    consent_at: datetime | None = None  # the consent announcement played then (None: the call had none)
    consent_status: str | None = None  # its Playback status: SUCCESS, FAILED


@dataclass(frozen=True, slots=True)
class RecordingListing:
    """A recording with what the search shows of its call record."""

    recording: RecordingRecord
    campaign: str
    phone: str
    disposition: str | None
    outcome: str | None


@dataclass(frozen=True, slots=True)
class SupervisionRecord:
    id: int
    supervisor: str
    agent: str
    mode: str
    attempt_id: int | None
    phone: str
    server: str
    channel_id: str
    state: str
    started_at: datetime
    ended_at: datetime | None
    end_reason: str | None = None  # why it ended (dialer.supervision.service.EndReason)


_recording = RecordReader(RecordingRecord)
_supervision = RecordReader(SupervisionRecord)


# ------------------------------------------------------------------------------------------------ recordings
@dataclass(frozen=True, slots=True)
class RecordingStart:
    """A recording began (MixMonitorStart), with what happened to it since in the same batch.

    ``file``, ``mode``, ``started_at`` and the consent are those of a new row (a row that exists keeps its own);
    ``state`` / ``ended_at`` are the row's state after the batch. ``consent_after``: a consent event came after
    the start (it replaces the row's consent; otherwise an existing row keeps its own)."""

    attempt_id: int
    file: str
    mode: str
    started_at: datetime
    state: str = "recording"
    ended_at: datetime | None = None
    consent: tuple[datetime, str] | None = None
    consent_after: bool = False
    agent: str | None = None  # the agent, when the caller knows it (else the call record's)


@dataclass(frozen=True, slots=True)
class RecordingChange:
    """What a batch does to a recording it did not start: ``state`` (paused / recording, or stopped / done with
    ``ended_at``) if the row is still active, and/or the consent announcement."""

    attempt_id: int
    state: str | None = None
    ended_at: datetime | None = None
    consent: tuple[datetime, str] | None = None


@dataclass(frozen=True, slots=True)
class RecordingBatch:
    """One transaction's worth of recording rows (``changes`` apply before ``starts``: at most one of each per
    attempt, the change being what came before the start)."""

    changes: Sequence[RecordingChange] = ()
    starts: Sequence[RecordingStart] = ()

    def __bool__(self) -> bool:
        return bool(self.changes or self.starts)


FINISHED_RECORDING_STATES = ("stopped", "done")


async def write_recordings(db: Database, batch: RecordingBatch) -> None:
    """Apply a batch in one write transaction, a few statements whatever its size (each an executemany)."""
    if not batch:
        return
    r = recordings_t.c
    active = or_(*(r.state == state for state in RECORDING_ACTIVE_STATES))  # (no IN list in an executemany)
    of_attempt = r.attempt_id == bindparam("a_id")
    # the agent who took the call (known once the call record has it)
    call_agent = select(attempts_t.c.agent).where(attempts_t.c.id == r.attempt_id).scalar_subquery()
    ends = [c for c in batch.changes if c.state in FINISHED_RECORDING_STATES]
    states = [c for c in batch.changes if c.state is not None and c.state not in FINISHED_RECORDING_STATES]
    consents = [c for c in batch.changes if c.consent is not None]
    async with db.write() as conn:
        if ends:
            await conn.execute(
                update(recordings_t)
                .where(of_attempt, active)
                .values(
                    state=bindparam("a_state"), ended_at=bindparam("a_ended"), agent=func.coalesce(r.agent, call_agent)
                ),
                [{"a_id": c.attempt_id, "a_state": c.state, "a_ended": c.ended_at} for c in ends],
            )
        if states:
            await conn.execute(
                update(recordings_t).where(of_attempt, active).values(state=bindparam("a_state")),
                [{"a_id": c.attempt_id, "a_state": c.state} for c in states],
            )
        if consents:
            await conn.execute(
                update(recordings_t)
                .where(of_attempt)
                .values(consent_at=bindparam("a_consent_at"), consent_status=bindparam("a_consent_status")),
                [
                    {"a_id": c.attempt_id, "a_consent_at": c.consent[0], "a_consent_status": c.consent[1][:16]}
                    for c in consents
                    if c.consent is not None
                ],
            )
        if batch.starts:
            a = attempts_t.c
            stmt = upsert_insert(conn, recordings_t).from_select(
                [
                    "attempt_id",
                    "campaign_id",
                    "agent",
                    "file",
                    "mode",
                    "state",
                    "started_at",
                    "ended_at",
                    "consent_at",
                    "consent_status",
                ],
                # (an attempt that is not ours selects nothing: no row)
                select(
                    a.id,
                    a.campaign_id,
                    func.coalesce(bindparam("s_agent", type_=r.agent.type), a.agent),
                    bindparam("s_file"),
                    bindparam("s_mode"),
                    bindparam("s_state"),
                    bindparam("s_started", type_=r.started_at.type),
                    bindparam("s_ended", type_=r.ended_at.type),
                    bindparam("s_consent_at", type_=r.consent_at.type),
                    bindparam("s_consent_status", type_=r.consent_status.type),
                ).where(a.id == bindparam("s_id")),
            )
            excluded = stmt.excluded
            replace_consent = bindparam("s_consent_after", type_=Boolean())
            stmt = stmt.on_conflict_do_update(
                index_elements=["attempt_id"],
                # a second start of the same call's recording resumes its row (file, mode and start kept)
                set_={
                    "state": excluded.state,
                    "ended_at": excluded.ended_at,
                    "agent": func.coalesce(excluded.agent, r.agent),
                    "consent_at": case((replace_consent, excluded.consent_at), else_=r.consent_at),
                    "consent_status": case((replace_consent, excluded.consent_status), else_=r.consent_status),
                },
            )
            await conn.execute(
                stmt,
                [
                    {
                        "s_id": s.attempt_id,
                        "s_file": s.file,
                        "s_mode": s.mode,
                        "s_state": s.state,
                        "s_started": s.started_at,
                        "s_ended": s.ended_at,
                        "s_consent_at": s.consent[0] if s.consent else None,
                        "s_consent_status": s.consent[1][:16] if s.consent else None,
                        "s_consent_after": s.consent_after,
                        "s_agent": s.agent,
                    }
                    for s in batch.starts
                ],
            )


async def recording_started(
    db: Database,
    attempt_id: int,
    *,
    file: str,
    mode: str,
    agent: str | None,
    at: datetime,
    consent: tuple[datetime, str] | None = None,
) -> bool:
    """Record that the call's recording began (MixMonitorStart); a second start (on demand, again) resumes the
    same file's row. ``consent``: when the consent announcement played before it, and its status. False when the
    attempt is unknown (not a call of ours)."""
    start = RecordingStart(attempt_id, file=file, mode=mode, started_at=at, consent=consent, agent=agent)
    await write_recordings(db, RecordingBatch(starts=[start]))
    return await get_recording(db, attempt_id) is not None


async def set_recording_agent(db: Database, attempt_id: int, agent: str) -> None:
    async with db.write() as conn:
        await conn.execute(
            update(recordings_t)
            .where(recordings_t.c.attempt_id == attempt_id, recordings_t.c.agent.is_(None))
            .values(agent=agent)
        )


async def recorded_attempts(db: Database, attempt_ids: Sequence[int]) -> frozenset[int]:
    """Which of these attempts have a recording (call records link to theirs)."""
    if not attempt_ids:
        return frozenset()
    r = recordings_t.c
    async with db.read() as conn:
        found = (await conn.execute(select(r.attempt_id).where(r.attempt_id.in_(list(attempt_ids))))).scalars()
        return frozenset(int(v) for v in found)


async def get_recording(db: Database, attempt_id: int) -> RecordingRecord | None:
    return await _recording.first(db, select(recordings_t).where(recordings_t.c.attempt_id == attempt_id))


@dataclass(frozen=True, slots=True)
class RecordingFilter:
    campaign_id: int | None = None
    agent: str | None = None
    day_from: date | None = None  # UTC days, inclusive
    day_to: date | None = None
    disposition: str | None = None
    phone: str | None = None  # digits contained in the number
    scope: LeadScope | None = None  # the recordings this user may see (None: all)


async def search_recordings(
    db: Database, where: RecordingFilter, limit: int, offset: int
) -> tuple[int, list[RecordingListing]]:
    r, a, c = recordings_t.c, attempts_t.c, campaigns_t.c
    conditions = where_given(
        (r.campaign_id, where.campaign_id), (r.agent, where.agent), (a.disposition, where.disposition)
    )
    if where.day_from is not None:
        conditions.append(r.started_at >= datetime.combine(where.day_from, time(0), tzinfo=UTC))
    if where.day_to is not None:
        conditions.append(r.started_at < datetime.combine(where.day_to + timedelta(days=1), time(0), tzinfo=UTC))
    if where.phone:
        conditions.append(a.phone.contains(where.phone, autoescape=True))
    visible = where.scope.calls_condition(recordings_t) if where.scope is not None else None
    if visible is not None:
        conditions.append(visible)
    joined = recordings_t.join(attempts_t, a.id == r.attempt_id).join(campaigns_t, c.id == r.campaign_id)
    query = select(recordings_t, c.name.label("campaign_name"), a.phone, a.disposition, a.outcome).select_from(joined)
    query = query.order_by(r.started_at.desc(), r.attempt_id.desc())
    return await paged(db, joined, query, conditions, _listing, limit=limit, offset=offset)


def _listing(row: RowMapping) -> RecordingListing:
    return RecordingListing(_recording(row), row["campaign_name"], row["phone"], row["disposition"], row["outcome"])


async def recordings_before(db: Database, cutoff: datetime, *, batch: int = 10_000) -> list[RecordingRecord]:
    r = recordings_t.c
    return await _recording.all(
        db, select(recordings_t).where(r.started_at < cutoff).order_by(r.started_at).limit(batch)
    )


async def delete_recordings(db: Database, attempt_ids: Sequence[int]) -> int:
    if not attempt_ids:
        return 0
    async with db.write() as conn:
        result = await conn.execute(delete(recordings_t).where(recordings_t.c.attempt_id.in_(list(attempt_ids))))
    return int(result.rowcount or 0)


# ------------------------------------------------------------------------------------------------ supervision
async def supervision_started(
    db: Database,
    *,
    supervisor: str,
    agent: str,
    mode: str,
    attempt_id: int | None,
    phone: str,
    server: str,
    channel_id: str,
    at: datetime,
) -> int:
    async with db.write() as conn:
        result = await conn.execute(
            insert(supervision_t)
            .values(
                supervisor=supervisor,
                agent=agent,
                mode=mode,
                attempt_id=attempt_id,
                phone=phone,
                server=server,
                channel_id=channel_id,
                state="started",
                started_at=at,
            )
            .returning(supervision_t.c.id)
        )
        return int(result.scalar_one())


async def supervision_ended(db: Database, channel_id: str, *, at: datetime, reason: str, state: str = "ended") -> bool:
    """The session of the supervisor leg ``channel_id`` ended at ``at`` (``state``: ended, failed), and why
    (``reason``). Once: False when its row had ended already."""
    async with db.write() as conn:
        result = await conn.execute(
            update(supervision_t)
            .where(supervision_t.c.channel_id == channel_id, supervision_t.c.state == "started")
            .values(state=state, ended_at=at, end_reason=reason)
        )
    return bool(result.rowcount)


async def get_supervision(db: Database, session_id: int) -> SupervisionRecord | None:
    return await _supervision.first(db, by_id(supervision_t, session_id))


async def open_supervisions(db: Database, supervisor: str) -> list[SupervisionRecord]:
    s = supervision_t.c
    return await _supervision.all(db, select(supervision_t).where(s.supervisor == supervisor, s.state == "started"))


async def list_supervisions(
    db: Database,
    *,
    supervisor: str | None,
    agent: str | None,
    limit: int,
    offset: int,
    agents: Collection[str] | None = None,
) -> tuple[int, list[SupervisionRecord]]:
    """The monitoring audit, newest first; ``agents``: only sessions on those agents (a supervisor's teams; None:
    every agent)."""
    s = supervision_t.c
    conditions: list[ColumnElement[bool]] = []
    if agents is not None:
        conditions.append(s.agent.in_(sorted(agents)))
    conditions += where_given((s.supervisor, supervisor), (s.agent, agent))
    query = select(supervision_t).order_by(s.started_at.desc(), s.id.desc())
    return await paged(db, supervision_t, query, conditions, _supervision, limit=limit, offset=offset)
