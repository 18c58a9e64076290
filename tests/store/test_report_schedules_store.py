"""Report schedules in the store (dialer.store.report_schedules), on SQLite and PostgreSQL: added and removed with an
audit entry (recipients counted, not listed), claimed once when two daemons ask at the same time, each run recorded
with its outcome and the schedule's next run, a retry kept on its slot."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta

import pytest

from dialer.reports.schedule import ReportSchedule, after_send
from dialer.store import Database
from dialer.store.audit import audit_entries
from dialer.store.report_schedules import (
    UnknownReportScheduleError,
    add_report_schedule,
    claim_due_runs,
    finish_run,
    record_run_now,
    remove_report_schedule,
    report_deliveries,
    report_schedule,
    report_schedules,
)

NOW = datetime(2026, 5, 4, 6, 0, tzinfo=UTC)
LEASE = timedelta(minutes=15)
DAILY = ReportSchedule(
    report="performance",
    target="c1",
    formats=("csv", "json"),
    period="yesterday",
    cadence="daily",
    at=time(7, 0),
    recipients=("a@example.com", "b@example.com"),
    zone="UTC",
    language="ja",
)


async def test_a_schedule_is_added_listed_and_removed_with_audit_entries(db: Database) -> None:
    schedule_id = await add_report_schedule(db, DAILY, NOW, actor="manager1")
    view = await report_schedule(db, schedule_id)
    assert view.schedule == DAILY
    assert view.next_run_at == datetime(2026, 5, 4, 7, 0, tzinfo=UTC)
    assert (view.last_run_at, view.last_status, view.created_by) == (None, None, "manager1")
    assert [v.id for v in await report_schedules(db)] == [schedule_id]
    public = view.public()
    assert public["report"] == "performance"
    assert public["recipients"] == ["a@example.com", "b@example.com"]

    await remove_report_schedule(db, schedule_id, NOW, actor="manager1")
    assert await report_schedules(db) == []
    with pytest.raises(UnknownReportScheduleError):
        await report_schedule(db, schedule_id)
    with pytest.raises(UnknownReportScheduleError):
        await remove_report_schedule(db, schedule_id, NOW, actor="manager1")
    _total, entries = await audit_entries(db, target=f"report_schedule:{schedule_id}")
    assert [(e.action, e.actor) for e in entries] == [
        ("report_schedule.remove", "manager1"),
        ("report_schedule.add", "manager1"),
    ]
    assert entries[1].detail["schedule"]["recipients"] == 2  # counted, never the addresses


async def test_a_due_run_is_claimed_once_by_two_daemons_and_recorded(db: Database) -> None:
    schedule_id = await add_report_schedule(db, DAILY, NOW, actor="manager1")
    due = datetime(2026, 5, 4, 7, 0, 30, 123456, tzinfo=UTC)  # (microseconds: the claim compares instants)
    assert await claim_due_runs(db, NOW, LEASE) == []  # not due yet
    first, second = await asyncio.gather(claim_due_runs(db, due, LEASE), claim_due_runs(db, due, LEASE))
    runs = first + second
    assert len(runs) == 1
    run = runs[0]
    assert run.slot_at == datetime(2026, 5, 4, 7, 0, tzinfo=UTC)
    assert await claim_due_runs(db, due + timedelta(minutes=1), LEASE) == []  # held while it is being sent

    outcome = after_send(DAILY, run.slot_at, 0, sent=False, now=due)
    assert await finish_run(db, run, outcome, now=due, error="421 try later", recipients=0)
    view = await report_schedule(db, schedule_id)
    assert (view.last_status, view.last_error, view.failures, view.slot_at) == (
        "retrying",
        "421 try later",
        1,
        run.slot_at,
    )
    assert view.next_run_at == due + timedelta(minutes=1)

    retry_at = due + timedelta(minutes=1)
    (retry,) = await claim_due_runs(db, retry_at, LEASE)
    assert retry.slot_at == run.slot_at
    assert retry.view.failures == 1
    done = after_send(DAILY, retry.slot_at, retry.view.failures, sent=True, now=retry_at)
    assert await finish_run(db, retry, done, now=retry_at, error=None, recipients=2)
    view = await report_schedule(db, schedule_id)
    assert (view.last_status, view.last_error, view.last_recipients, view.failures) == ("ok", None, 2, 0)
    assert view.next_run_at == view.slot_at == datetime(2026, 5, 5, 7, 0, tzinfo=UTC)
    deliveries = await report_deliveries(db, schedule_id)
    assert [(d.status, d.recipients, d.error) for d in deliveries] == [
        ("ok", 2, None),
        ("retrying", 0, "421 try later"),
    ]
    _total, entries = await audit_entries(db, target=f"report_schedule:{schedule_id}")
    assert [(e.action, e.actor) for e in entries][:2] == [
        ("report_schedule.run", "scheduler"),
        ("report_schedule.run", "scheduler"),
    ]


async def test_a_run_of_a_schedule_removed_while_sending_is_not_recorded(db: Database) -> None:
    schedule_id = await add_report_schedule(db, DAILY, NOW, actor="manager1")
    (run,) = await claim_due_runs(db, datetime(2026, 5, 4, 7, 1, tzinfo=UTC), LEASE)
    await remove_report_schedule(db, schedule_id, NOW, actor="manager1")
    outcome = after_send(DAILY, run.slot_at, 0, sent=True, now=NOW)
    assert not await finish_run(db, run, outcome, now=NOW, error=None, recipients=2)


async def test_a_run_asked_for_is_recorded_and_leaves_the_next_run(db: Database) -> None:
    schedule_id = await add_report_schedule(db, DAILY, NOW, actor="manager1")
    before = await report_schedule(db, schedule_id)
    await record_run_now(db, schedule_id, now=NOW, status="failed", error="could not reach", recipients=0, actor="m")
    after = await report_schedule(db, schedule_id)
    assert after.next_run_at == before.next_run_at
    assert (after.last_status, after.last_error, after.last_run_at) == ("failed", "could not reach", NOW)
    assert [(d.status, d.slot_at) for d in await report_deliveries(db, schedule_id)] == [("failed", None)]
