"""Scheduled recycling (issue 18 §4) on a manual clock: a list's rules run every interval, only on that list,
once per due time even with two daemons asking, audited as the scheduler; every recycled lead is one the pure
rules allow and no rule the claim checks is against it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from harness.lists import NOW, make_campaign, make_list, scramble
from harness.rules import assert_no_claim_rule_against
from sqlalchemy import select

from dialer.calls.outcome import Outcome
from dialer.lists.recycle import RecycleRule, matching_rule
from dialer.lists.schedule import RecycleSchedule, ScheduleError
from dialer.store import Database
from dialer.store.audit import audit_entries
from dialer.store.leads import lead_record, snapshot
from dialer.store.lists import (
    UnknownListError,
    list_views,
    run_due_recycles,
    schedule_preview,
    set_recycle_schedule,
)
from dialer.store.tables import dnc_t, leads_t

RULES = (RecycleRule(Outcome.NO_ANSWER, timedelta(hours=4)), RecycleRule(Outcome.BUSY, timedelta(minutes=30)))
HOURLY = RecycleSchedule(RULES, timedelta(hours=1))


def test_a_schedule_needs_rules_one_per_outcome_and_a_sane_interval() -> None:
    with pytest.raises(ScheduleError):
        RecycleSchedule((), timedelta(hours=1))
    with pytest.raises(ScheduleError):
        RecycleSchedule((RULES[0], RecycleRule(Outcome.NO_ANSWER, timedelta(hours=1))), timedelta(hours=1))
    with pytest.raises(ScheduleError):
        RecycleSchedule(RULES, timedelta(minutes=1))
    with pytest.raises(ScheduleError):
        RecycleSchedule(RULES, timedelta(days=31))
    assert HOURLY.next_run(NOW) == NOW + timedelta(hours=1)
    assert RecycleSchedule.from_document(HOURLY.rules_document(), HOURLY.every_minutes) == HOURLY


async def scramble_recently_called(db: Database, seed: int) -> set[str]:
    """Leads in New York called in the last 10 hours, most due again within 3 days; the numbers on the DNC list."""
    await scramble(
        db,
        seed,
        statuses=["retry", "retry", "retry", "exhausted", "done", "archived", "dnc", "callback"],
        attempted_within=timedelta(hours=10),
        due_within=timedelta(days=3),
        time_zones=["America/New_York"],
    )
    async with db.read() as conn:
        return set((await conn.execute(select(dnc_t.c.number))).scalars())


def two_days_from(at: datetime) -> list[datetime]:
    return [at + timedelta(hours=hours) for hours in range(0, 48, 3)]


async def leads_now(db: Database) -> dict[int, dict[str, object]]:
    async with db.read() as conn:
        return {r["id"]: dict(r) for r in (await conn.execute(select(leads_t))).mappings().all()}


async def test_a_list_is_recycled_on_its_schedule_once_per_due_time_and_only_as_the_rules_allow(db: Database) -> None:
    cid, config = await make_campaign(db)
    scheduled = await make_list(db, cid, "scheduled", range(0, 200))
    other = await make_list(db, cid, "other", range(500, 600))
    dnc = await scramble_recently_called(db, 18)

    view = await set_recycle_schedule(db, scheduled, HOURLY, NOW, actor="boss")
    assert view is not None
    assert view.next_run_at == NOW + timedelta(hours=1)
    with pytest.raises(UnknownListError):
        await set_recycle_schedule(db, 999_999, HOURLY, NOW, actor="boss")
    lists = {v.id: v.public(NOW) for v in await list_views(db, cid)}
    assert lists[scheduled]["recycle_schedule"]["every_minutes"] == 60  # type: ignore[index]
    assert lists[other]["recycle_schedule"] is None

    # The manual clock: nothing is due before the hour.
    assert await run_due_recycles(db, NOW + timedelta(minutes=59)) == []
    at = NOW + timedelta(minutes=61)
    before = await leads_now(db)
    expected = {
        i
        for i, r in before.items()
        if r["list_id"] == scheduled
        and matching_rule(snapshot(lead_record(r), "c1"), RULES, config, at, on_dnc=r["phone"] in dnc) is not None
    }
    assert expected, "the scrambled leads should give the rules something to recycle"
    _, would = await schedule_preview(db, scheduled, at)
    assert would == len(expected)  # the counts before the run: what the run does

    # Two daemons ask at once: one run.
    first, second = await asyncio.gather(run_due_recycles(db, at), run_due_recycles(db, at))
    runs = first + second
    assert len(runs) == 1
    (run,) = runs
    assert (run.list_id, run.campaign, run.result.recycled) == (scheduled, "c1", len(expected))
    assert run.next_run_at == at + timedelta(hours=1)
    assert await run_due_recycles(db, at + timedelta(minutes=30)) == []

    after = await leads_now(db)
    changed = {i for i in after if after[i] != before[i]}
    assert changed == expected
    for lead_id in expected:
        lead = snapshot(lead_record(after[lead_id]), "c1")
        assert (lead.status.value, lead.next_dialable_at) == ("retry", at)
        assert (lead.attempts, lead.dials, lead.last_abandon_at) == (
            before[lead_id]["attempts"],
            before[lead_id]["dials"],
            before[lead_id]["last_abandon_at"],
        )
        # No rule the claim checks is against a recycled lead: whenever it is dialable the window is open.
        assert_no_claim_rule_against(lead, config, two_days_from(at), on_dnc=lead.phone in dnc)

    _, entries = await audit_entries(db, target="campaign:c1")
    assert (entries[0].actor, entries[0].action) == ("scheduler", "lists.recycle")
    assert entries[0].detail["scheduled"] is True
    assert entries[0].detail["lists"] == [scheduled]
    assert entries[0].detail["recycled"] == len(expected)
    lists = {v.id: v.public(at) for v in await list_views(db, cid)}
    shown = lists[scheduled]["recycle_schedule"]
    assert shown["last_recycled"] == len(expected)  # type: ignore[index]
    assert shown["last_run_at"] == at.isoformat()  # type: ignore[index]

    # The next run, an hour later, finds what has aged into the rules since; a removed schedule runs no more.
    later = at + timedelta(hours=1, minutes=1)
    assert [r.list_id for r in await run_due_recycles(db, later)] == [scheduled]
    assert await set_recycle_schedule(db, scheduled, None, later, actor="boss") is None
    assert await run_due_recycles(db, later + timedelta(days=1)) == []
    _, entries = await audit_entries(db, target=f"list:{scheduled}")
    assert [e.action for e in entries] == ["list.recycle_schedule", "list.recycle_schedule"]


WEEKDAY_MORNINGS = RecycleSchedule(RULES, None, "0 9 * * mon-fri", "America/New_York")


def test_a_schedule_at_times_of_day_runs_at_those_local_times_and_bad_lines_are_refused_clearly() -> None:
    monday_9 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # 09:00 in New York (EST)
    # the next run after Monday's is Tuesday's 09:00 there ...
    assert WEEKDAY_MORNINGS.next_run(monday_9) == monday_9 + timedelta(days=1)
    assert WEEKDAY_MORNINGS.next_run(monday_9 - timedelta(minutes=1)) == monday_9
    # ... Friday's is followed by Monday's, and across the change to summer time (8 March) 09:00 stays 09:00
    assert WEEKDAY_MORNINGS.next_run(monday_9 + timedelta(days=4)) == monday_9 + timedelta(days=7, hours=-1)
    assert WEEKDAY_MORNINGS.next_run(monday_9).tzinfo == UTC
    document = (WEEKDAY_MORNINGS.rules_document(), None, WEEKDAY_MORNINGS.at, WEEKDAY_MORNINGS.zone)
    assert RecycleSchedule.from_document(*document) == WEEKDAY_MORNINGS
    refused = {
        (timedelta(hours=1), "0 9 * * *", "UTC"): "either every",
        (None, None, "UTC"): "either every",
        (None, "0 25 * * *", "UTC"): "is not a crontab line",
        (None, "0 9 * *", "UTC"): "is not a crontab line",
        (None, "*/2 * * * *", "UTC"): "more often than every 5 minutes",
        (None, "0 9 30 2 *", "UTC"): "never runs",
        (None, "0 9 * * *", "Mars/Olympus"): "unknown time zone",
    }
    for (every, at, zone), message in refused.items():
        with pytest.raises(ScheduleError, match=message):
            RecycleSchedule(RULES, every, at, zone)


async def test_a_list_recycled_at_a_time_of_day_runs_then_and_never_against_a_claim_rule(db: Database) -> None:
    cid, config = await make_campaign(db)
    scheduled = await make_list(db, cid, "mornings", range(0, 200))
    dnc = await scramble_recently_called(db, 7)
    view = await set_recycle_schedule(db, scheduled, WEEKDAY_MORNINGS, NOW, actor="boss")
    assert view is not None
    tuesday_9 = NOW + timedelta(hours=23)  # (NOW: Monday 10:00 in New York)
    assert view.next_run_at == tuesday_9
    shown = {v.id: v.public(NOW) for v in await list_views(db, cid)}[scheduled]["recycle_schedule"]
    assert (shown["at"], shown["zone"], shown["every_minutes"]) == ("0 9 * * mon-fri", "America/New_York", None)  # type: ignore[index]
    assert await run_due_recycles(db, tuesday_9 - timedelta(minutes=1)) == []
    at = tuesday_9 + timedelta(minutes=1)
    before = await leads_now(db)
    (run,) = await run_due_recycles(db, at)
    assert run.next_run_at == tuesday_9 + timedelta(days=1)  # Wednesday 09:00 in New York
    after = await leads_now(db)
    changed = {i for i in after if after[i] != before[i]}
    assert len(changed) == run.result.recycled > 0
    for lead_id in changed:
        lead = snapshot(lead_record(after[lead_id]), "c1")
        assert_no_claim_rule_against(lead, config, two_days_from(at), on_dnc=lead.phone in dnc)
