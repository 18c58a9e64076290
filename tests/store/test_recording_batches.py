"""Recording rows written in batches (SQLite and PostgreSQL): a run of recording events folded into one transaction
leaves the rows exactly as the events applied one by one would (the rules of ``fold_writes``, written out below as
a plain model), and ``flush`` writes the batch being gathered at once."""

from __future__ import annotations

import asyncio
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from harness.campaign import minimal_campaign, stored_campaign
from sqlalchemy import delete, select, update

from dialer.ami.events import Hangup, MixMonitorStart
from dialer.campaign.config import RecordingMode
from dialer.clock import ManualClock
from dialer.recording.service import RecordingService, RecordingWrite, file_name, fold_writes
from dialer.settings import RecordingSettings
from dialer.store import Database
from dialer.store.attempts import AttemptStart, start_attempt
from dialer.store.leads import NewLead, insert_new_leads
from dialer.store.monitoring import (
    RECORDING_ACTIVE_STATES,
    RecordingBatch,
    RecordingRecord,
    get_recording,
    write_recordings,
)
from dialer.store.records import RecordReader
from dialer.store.tables import attempts_t, leads_t, recordings_t

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
KINDS = ("started", "recording", "paused", "stopped", "done", "consent")
FINISHED = ("stopped", "done")


def model(
    rows: dict[int, RecordingRecord], agents: dict[int, str | None], write: RecordingWrite, mode: str, campaign_id: int
) -> None:
    """One event applied alone (the rules the rows follow)."""
    row = rows.get(write.attempt_id)
    if write.kind == "started":
        if write.attempt_id not in agents:
            return  # not a call of ours
        agent = agents[write.attempt_id]
        if row is None:
            consent = write.consent
            rows[write.attempt_id] = RecordingRecord(
                write.attempt_id,
                campaign_id,
                agent,
                file_name(write.attempt_id),
                mode,
                "recording",
                write.at,
                None,
                consent[0] if consent else None,
                consent[1] if consent else None,
            )
        else:
            rows[write.attempt_id] = replace(row, state="recording", ended_at=None, agent=agent or row.agent)
    elif row is None:
        return
    elif write.kind == "consent":
        assert write.consent is not None
        rows[write.attempt_id] = replace(row, consent_at=write.consent[0], consent_status=write.consent[1])
    elif row.state in RECORDING_ACTIVE_STATES:
        if write.kind in FINISHED:
            agent = row.agent or agents.get(write.attempt_id)
            rows[write.attempt_id] = replace(row, state=write.kind, ended_at=write.at, agent=agent)
        else:
            rows[write.attempt_id] = replace(row, state=write.kind)


async def _attempts(db: Database, n: int) -> tuple[int, list[int]]:
    """A campaign's id and ``n`` attempts of it."""
    cid = await stored_campaign(db, minimal_campaign("rec"), NOW)
    phones = [f"+1415555{i:04d}" for i in range(n)]
    async with db.write() as conn:
        await insert_new_leads(
            conn,
            cid,
            None,
            [NewLead(phone=p, status="new", next_dialable_at=NOW, tz_candidates=[]) for p in phones],
            NOW,
        )
        leads = (await conn.execute(select(leads_t.c.id).order_by(leads_t.c.id))).scalars().all()
    return cid, [
        await start_attempt(db, AttemptStart(lead, cid, phone, NOW)) for lead, phone in zip(leads, phones, strict=True)
    ]


async def _rows(db: Database) -> dict[int, RecordingRecord]:
    return {r.attempt_id: r for r in await RecordReader(RecordingRecord).all(db, select(recordings_t))}


def _random_writes(rng: random.Random, attempts: list[int], n: int) -> list[RecordingWrite]:
    writes = []
    for i in range(n):
        kind = rng.choice(KINDS) if rng.random() < 0.7 else rng.choice(("started", "done"))
        at = NOW + timedelta(seconds=i)
        consent = (at, rng.choice(("SUCCESS", "FAILED"))) if kind == "consent" or rng.random() < 0.2 else None
        writes.append(RecordingWrite(kind, rng.choice(attempts), at, campaign="rec", consent=consent))
    return writes


async def test_a_folded_batch_leaves_the_rows_the_events_one_by_one_leave(db: Database) -> None:
    cid, known = await _attempts(db, 4)
    unknown = max(known) + 1000
    # The call records' agents: two calls with their agent, one whose agent comes later, one without.
    agents: dict[int, str | None] = dict(zip(known, ("alice", "bob", None, None), strict=True))
    async with db.write() as conn:
        for attempt, agent in agents.items():
            await conn.execute(update(attempts_t).where(attempts_t.c.id == attempt).values(agent=agent))
    rng = random.Random(16)
    for example in range(60):
        async with db.write() as conn:
            await conn.execute(delete(recordings_t))
        # Rows that exist before the batch (active or finished), written by a batch of their own.
        before = _random_writes(rng, known, rng.randint(0, 6))
        await write_recordings(db, fold_writes(before, lambda _: RecordingMode.ALL))
        expected = await _rows(db)
        writes = _random_writes(rng, [*known, unknown], rng.randint(1, 14))
        for write in writes:
            model(expected, agents, write, "all", cid)
        await write_recordings(db, fold_writes(writes, lambda _: RecordingMode.ALL))
        assert await _rows(db) == expected, (example, before, writes)


def test_a_call_s_start_and_end_fold_into_one_row() -> None:
    at = NOW
    writes = [
        RecordingWrite("started", 7, at, "rec", (at - timedelta(seconds=2), "SUCCESS")),
        RecordingWrite("paused", 7, at + timedelta(seconds=5)),
        RecordingWrite("started", 8, at + timedelta(seconds=6), "rec"),
        RecordingWrite("recording", 7, at + timedelta(seconds=9)),
        RecordingWrite("done", 7, at + timedelta(seconds=30)),
        RecordingWrite("paused", 7, at + timedelta(seconds=31)),  # finished: stays done
    ]
    batch = fold_writes(writes, lambda _: RecordingMode.ON_DEMAND)
    assert batch.changes == []
    assert [(s.attempt_id, s.state, s.ended_at, s.mode, s.consent) for s in batch.starts] == [
        (7, "done", at + timedelta(seconds=30), "on_demand", (at - timedelta(seconds=2), "SUCCESS")),
        (8, "recording", None, "on_demand", None),
    ]
    assert not RecordingBatch()


def started_service(db: Database, attempt: int) -> RecordingService:
    """A recording service gathering its writes for an hour, told that ``attempt``'s recording started at NOW."""
    clock = ManualClock(start_epoch=NOW.timestamp())
    service = RecordingService(db, clock, RecordingSettings(), lambda _: RecordingMode.ALL, batch_seconds=3600.0)
    service.start()
    snapshot: dict[str, object] = {
        "channel": "Local/1@lab-pstn-00000001;1",
        "uniqueid": "ch-1",
        "linkedid": "ch-1",
        "channel_state": 6,
        "caller_id_num": "",
        "context": "dialer-record",
        "exten": "s",
        "variables": (("DIALER_ATTEMPT", str(attempt)), ("DIALER_CAMPAIGN", "rec")),
    }
    service.observe(MixMonitorStart(**snapshot), NOW.timestamp())  # type: ignore[arg-type]
    return service


async def test_flush_writes_the_batch_being_gathered_at_once(db: Database) -> None:
    _, (attempt,) = await _attempts(db, 1)
    service = started_service(db, attempt)
    service.observe(
        Hangup("Local/1@lab-pstn-00000001;1", "ch-1", "ch-1", 6, "", "dialer-outbound", "s", 16, "Normal Clearing"),
        NOW.timestamp() + 12,
    )
    async with asyncio.timeout(60):
        await service.flush()  # (not an hour later)
    rec = await get_recording(db, attempt)
    assert rec is not None
    assert (rec.state, rec.ended_at) == ("done", NOW + timedelta(seconds=12))
    await service.stop()


async def test_the_writer_stops_when_cancelled_in_the_turn_its_batch_is_hurried(db: Database) -> None:
    """A cancel in the same turn as the hurry (a flush) ends the batch writer. With ``asyncio.wait_for`` around the
    gathering wait, Python 3.11 returned the wait's result instead of the cancel: the writer went on to wait for the
    next write for ever, and so did whoever waited for it to stop (the daemon's shutdown, the event loop's close)."""
    _, (attempt,) = await _attempts(db, 1)
    service = started_service(db, attempt)
    for _ in range(5):
        await asyncio.sleep(0)  # the writer took the write and gathers the batch (an hour)
    writer = service._task
    assert writer is not None
    assert not writer.done()
    service._hurry.set()
    writer.cancel()
    with pytest.raises(asyncio.CancelledError):
        async with asyncio.timeout(5):
            await writer
