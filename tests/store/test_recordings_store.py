"""Recordings and the supervision audit in the database (SQLite and PostgreSQL): rows follow the PBX's events,
search filters, the call record's agent, and the purge that removes the files with their call records."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from harness.campaign import minimal_campaign, stored_campaign
from sqlalchemy import select

from dialer.ami.events import Hangup, MixMonitorMute, MixMonitorStart
from dialer.campaign.config import RecordingMode
from dialer.clock import ManualClock
from dialer.recording.service import RecordingService
from dialer.settings import RecordingSettings
from dialer.store import Database
from dialer.store.attempts import AttemptStart, start_attempt
from dialer.store.leads import NewLead, insert_new_leads
from dialer.store.monitoring import (
    RecordingFilter,
    get_recording,
    list_supervisions,
    recorded_attempts,
    search_recordings,
    supervision_ended,
    supervision_started,
)
from dialer.store.tables import attempts_t, leads_t

NOW = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)


async def _attempt(db: Database, phone: str, started: datetime, agent: str) -> int:
    cid = await stored_campaign(db, minimal_campaign("rec"), NOW)
    async with db.write() as conn:
        await insert_new_leads(
            conn, cid, None, [NewLead(phone=phone, status="new", next_dialable_at=NOW, tz_candidates=[])], NOW
        )
        lead_id = (await conn.execute(select(leads_t.c.id).where(leads_t.c.phone == phone))).scalar_one()
    attempt = await start_attempt(db, AttemptStart(lead_id=lead_id, campaign_id=cid, phone=phone, started_at=started))
    async with db.write() as conn:
        await conn.execute(attempts_t.update().where(attempts_t.c.id == attempt).values(agent=agent))
    return attempt


def _snapshot(uniqueid: str, attempt: int) -> dict[str, object]:
    return {
        "channel": "Local/1@lab-pstn-00000001;1",
        "uniqueid": uniqueid,
        "linkedid": uniqueid,
        "channel_state": 6,
        "caller_id_num": "",
        "context": "dialer-record",
        "exten": "s",
        "variables": (("DIALER_ATTEMPT", str(attempt)), ("DIALER_CAMPAIGN", "rec")),
    }


async def test_rows_follow_the_pbx_and_the_purge_removes_files_and_rows(db: Database, tmp_path: Path) -> None:
    long_ago = NOW - timedelta(days=3000)
    old = await _attempt(db, "+14155550123", long_ago, "alice")
    settings = RecordingSettings(directory=tmp_path)
    clock = ManualClock(start_epoch=NOW.timestamp())
    service = RecordingService(db, clock, settings, lambda campaign: RecordingMode.ALL)
    service.start()
    at = long_ago.timestamp()
    service.observe(MixMonitorStart(**_snapshot("ch-1", old)), at)  # type: ignore[arg-type]
    service.observe(MixMonitorMute(**_snapshot("ch-1", old), direction="both", muted=True), at + 1)  # type: ignore[arg-type]
    await service.flush()
    rec = await get_recording(db, old)
    assert rec is not None
    assert (rec.state, rec.file, rec.mode) == ("paused", f"{old}.wav", "all")
    service.observe(
        Hangup("Local/1@lab-pstn-00000001;1", "ch-1", "ch-1", 6, "", "dialer-outbound", "s", 16, "Normal Clearing"),
        at + 60,
    )
    await service.flush()
    rec = await get_recording(db, old)
    assert rec is not None
    assert (rec.state, rec.agent) == ("done", "alice")  # the call record's agent
    assert rec.ended_at == long_ago + timedelta(seconds=60)
    assert await recorded_attempts(db, [old, old + 1000]) == frozenset({old})
    total, found = await search_recordings(db, RecordingFilter(agent="alice", phone="5550123"), 10, 0)
    assert (total, [f.recording.attempt_id for f in found]) == (1, [old])
    total, _ = await search_recordings(db, RecordingFilter(day_from=date(2099, 1, 1)), 10, 0)
    assert total == 0
    day = long_ago.date()
    total, _ = await search_recordings(db, RecordingFilter(day_from=day, day_to=day), 10, 0)
    assert total == 1
    await asyncio.to_thread((tmp_path / f"{old}.wav").write_bytes, b"RIFF")
    assert await service.purge(NOW - timedelta(days=1826)) == 1
    assert await get_recording(db, old) is None
    assert not await asyncio.to_thread((tmp_path / f"{old}.wav").exists)
    await service.stop()


async def test_the_supervision_audit(db: Database) -> None:
    first = await supervision_started(
        db,
        supervisor="boss",
        agent="alice",
        mode="whisper",
        attempt_id=None,
        phone="PJSIP/2001",
        server="pbx1",
        channel_id="spy-1",
        at=NOW,
    )
    assert await supervision_ended(db, "spy-1", at=NOW + timedelta(seconds=5), reason="hangup")
    assert not await supervision_ended(db, "spy-1", at=NOW + timedelta(seconds=9), reason="leg_gone")  # ended once
    total, items = await list_supervisions(db, supervisor="boss", agent=None, limit=10, offset=0)
    assert total == 1
    assert (items[0].id, items[0].state, items[0].ended_at, items[0].end_reason) == (
        first,
        "ended",
        NOW + timedelta(seconds=5),
        "hangup",
    )
