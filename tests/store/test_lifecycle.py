"""The lead lifecycle in the database, driven by the campaign's rules: claim with calling windows and DNC,
outcomes and dispositions written with their attempt in one transaction, and the status report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from harness.lifecycle import LA, LA_OPENS, NOW, NY, lead, setup
from sqlalchemy import select

from dialer.calls.outcome import Outcome
from dialer.campaign.config import CampaignConfig
from dialer.campaign.rules import DispositionError
from dialer.store import Database
from dialer.store.attempts import AttemptEnd, AttemptStart, attempts_of_lead, get_attempt, start_attempt
from dialer.store.dnc import add_dnc, check_dnc
from dialer.store.leads import LeadRecord, NewLead, get_lead
from dialer.store.lifecycle import (
    AttemptAlreadyClosed,
    adopt_lead_claim,
    claim_and_start_attempts,
    claim_dialable,
    close_orphaned_attempt,
    record_disposition,
    record_outcome,
)
from dialer.store.runtime import open_attempts
from dialer.store.status import lead_status
from dialer.store.tables import callbacks_t, dnc_t


async def test_claim_keeps_open_window_leads_and_sets_aside_the_rest(db: Database) -> None:
    cfg, cid = await setup(
        db,
        [
            lead("+12125550101", [NY]),
            lead("+13105550102", [LA]),
            lead("+13105550103", [NY, LA]),  # ambiguous: must be open in EVERY zone
            lead("+12125550104", [NY]),
        ],
    )
    # Listed after import (e.g. by another process) without touching the lead rows: the claim must still refuse it.
    async with db.write() as conn:
        await conn.execute(dnc_t.insert().values(number="+12125550104", source="test", added_at=NOW))

    batch = await claim_dialable(db, cfg, campaign_id=cid, owner="runner-1", limit=10, now=NOW)

    assert [lead.phone for lead in batch.leads] == ["+12125550101"]
    assert batch.set_aside == {"window_closed": 2, "dnc": 1}
    la = await get_lead(db, 2)
    assert la is not None
    assert (la.status, la.next_dialable_at, la.claim_owner) == ("new", LA_OPENS, None)
    dnc_lead = await get_lead(db, 4)
    assert dnc_lead is not None
    assert dnc_lead.status == "dnc"
    # The set-aside leads stay out of the way until their window opens, then come back.
    again = await claim_dialable(db, cfg, campaign_id=cid, owner="runner-1", limit=10, now=NOW)
    assert again.leads == []
    assert again.set_aside == {}
    later = await claim_dialable(db, cfg, campaign_id=cid, owner="runner-1", limit=10, now=LA_OPENS)
    assert sorted(lead.phone for lead in later.leads) == ["+13105550102", "+13105550103"]


async def claim_one_and_start(db: Database, cfg: CampaignConfig, cid: int) -> tuple[LeadRecord, int]:
    """The one lead the claim gives now, and the attempt started on it."""
    (claimed,) = (await claim_dialable(db, cfg, campaign_id=cid, owner="r", limit=1, now=NOW)).leads
    attempt_id = await start_attempt(
        db, AttemptStart(lead_id=claimed.id, campaign_id=cid, phone=claimed.phone, started_at=NOW)
    )
    return claimed, attempt_id


def start_for(cid: int) -> Callable[[LeadRecord], AttemptStart]:
    def start(lead: LeadRecord) -> AttemptStart:
        return AttemptStart(
            lead_id=lead.id, campaign_id=cid, phone=lead.phone, started_at=NOW, action_id=f"a-{lead.id}"
        )

    return start


async def test_claim_and_start_attempts_writes_one_attempt_per_kept_lead(db: Database) -> None:
    phones = [f"+121255501{i:02d}" for i in range(12)]
    cfg, cid = await setup(db, [lead(p, [NY]) for p in phones] + [lead("+13105550199", [LA])])

    batch, attempts = await claim_and_start_attempts(
        db, cfg, campaign_id=cid, owner="runner-1", limit=20, now=NOW, start=start_for(cid)
    )

    assert sorted(lead.phone for lead in batch.leads) == sorted(phones)
    assert batch.set_aside == {"window_closed": 1}
    assert [start.lead_id for _, start in attempts] == [lead.id for lead in batch.leads]
    assert len({attempt_id for attempt_id, _ in attempts}) == len(phones)
    for attempt_id, start in attempts:
        record = await get_attempt(db, attempt_id)
        assert record is not None
        assert (record.lead_id, record.phone, record.action_id, record.abandoned) == (
            start.lead_id,
            start.phone,
            f"a-{start.lead_id}",
            False,
        )
        claimed = await get_lead(db, start.lead_id)
        assert claimed is not None
        assert (claimed.status, claimed.claim_owner) == ("in_call", "runner-1")
    nothing, none = await claim_and_start_attempts(
        db, cfg, campaign_id=cid, owner="runner-1", limit=5, now=NOW, start=start_for(cid)
    )
    assert (nothing.leads, none) == ([], [])


async def test_claim_and_start_attempts_commits_neither_without_the_other(db: Database) -> None:
    cfg, cid = await setup(db, [lead("+12125550101", [NY])])

    def broken(lead: LeadRecord) -> AttemptStart:
        raise RuntimeError("no attempt for this one")

    with pytest.raises(RuntimeError):
        await claim_and_start_attempts(db, cfg, campaign_id=cid, owner="r", limit=1, now=NOW, start=broken)
    untouched = await get_lead(db, 1)
    assert untouched is not None
    assert (untouched.status, untouched.claim_owner) == ("new", None)
    assert await attempts_of_lead(db, 1) == []


async def test_outcome_requeues_and_writes_the_attempt_in_one_go(db: Database) -> None:
    cfg, cid = await setup(db, [lead("+12125550101", [NY])])
    (claimed,) = (await claim_dialable(db, cfg, campaign_id=cid, owner="r", limit=1, now=NOW)).leads
    attempt_id = await start_attempt(
        db,
        AttemptStart(
            lead_id=claimed.id,
            campaign_id=cid,
            phone=claimed.phone,
            started_at=NOW,
            caller_id="+14155550100",
            action_id="a-1",
            channel_id="dialer-1",
        ),
    )
    ended = NOW + timedelta(seconds=20)
    transition = await record_outcome(
        db, cfg, attempt_id, Outcome.BUSY, AttemptEnd(ended_at=ended, hangup_cause=17, ring_seconds=3.5)
    )
    assert transition.kind.value == "requeued"
    stored = await get_lead(db, claimed.id)
    assert stored is not None
    assert (stored.status, stored.dials, stored.attempts, stored.last_outcome) == ("retry", 1, 1, "busy")
    assert stored.next_dialable_at == ended + timedelta(minutes=10)
    assert (stored.claim_owner, stored.lease_expires_at, stored.claimed_from) == (None, None, None)
    attempt = await get_attempt(db, attempt_id)
    assert attempt is not None
    assert (attempt.outcome, attempt.ended_at, attempt.hangup_cause, attempt.ring_seconds) == ("busy", ended, 17, 3.5)
    assert attempt.abandoned is False


async def test_bad_number_moves_to_the_alternative_phone(db: Database) -> None:
    cfg, cid = await setup(db, [lead("+12125550101", [NY], alt_phones=["+12125550199"])])
    claimed, attempt_id = await claim_one_and_start(db, cfg, cid)
    await record_outcome(db, cfg, attempt_id, Outcome.UNALLOCATED, AttemptEnd(ended_at=NOW, hangup_cause=1))
    stored = await get_lead(db, claimed.id)
    assert stored is not None
    assert (stored.phone, stored.alt_phones, stored.status) == ("+12125550199", [], "retry")
    reported = await get_attempt(db, attempt_id)
    assert reported is not None
    assert not reported.outcome_inferred  # what the PBX reported at the call's end is not inferred


async def test_dnc_disposition_closes_the_lead_and_lists_its_numbers(db: Database) -> None:
    cfg, cid = await setup(db, [lead("+12125550101", [NY], alt_phones=["+12125550199"])])
    claimed, attempt_id = await claim_one_and_start(db, cfg, cid)
    await record_disposition(db, cfg, attempt_id, "dnc", NOW, agent="alice", notes="asked twice")
    stored = await get_lead(db, claimed.id)
    assert stored is not None
    assert stored.status == "dnc"
    assert [e.campaign for e in await check_dnc(db, "+12125550199")] == ["spring"]
    attempt = await get_attempt(db, attempt_id)
    assert attempt is not None
    assert (attempt.disposition, attempt.agent, attempt.notes) == ("dnc", "alice", "asked twice")


async def test_callback_disposition_schedules_a_callback_and_bad_times_change_nothing(db: Database) -> None:
    cfg, cid = await setup(db, [lead("+12125550101", [NY])])
    claimed, attempt_id = await claim_one_and_start(db, cfg, cid)
    with pytest.raises(DispositionError):
        await record_disposition(db, cfg, attempt_id, "callback", NOW, agent="alice", callback_at=NOW - timedelta(1))
    untouched = await get_lead(db, claimed.id)
    assert untouched is not None
    assert untouched.status == "in_call"
    at = NOW + timedelta(days=1)
    await record_disposition(db, cfg, attempt_id, "callback", NOW, agent="alice", callback_at=at)
    stored = await get_lead(db, claimed.id)
    assert stored is not None
    assert (stored.status, stored.callback_at, stored.callback_agent, stored.next_dialable_at) == (
        "callback",
        at,
        "alice",
        at,
    )
    async with db.read() as conn:
        rows = (await conn.execute(select(callbacks_t.c.agent, callbacks_t.c.due_at, callbacks_t.c.state))).all()
    assert [tuple(r) for r in rows] == [("alice", at, "pending")]
    # Only alice's runner may take it when due.
    assert (await claim_dialable(db, cfg, campaign_id=cid, owner="r", limit=1, now=at)).leads == []
    got = await claim_dialable(db, cfg, campaign_id=cid, owner="r", limit=1, now=at, agents=["alice"])
    assert [g.id for g in got.leads] == [claimed.id]


async def test_an_agents_callback_overdue_by_the_grace_is_the_teams(db: Database) -> None:
    cfg, cid = await setup(db, [lead("+12125550101", [NY])])
    claimed, attempt_id = await claim_one_and_start(db, cfg, cid)
    at = NOW + timedelta(hours=2)
    await record_disposition(db, cfg, attempt_id, "callback", NOW, agent="alice", callback_at=at)
    # alice is away: her callback waits for her for the campaign's grace (30 min), then anyone takes it.
    grace = cfg.personal_callback_grace
    assert grace == timedelta(minutes=30)
    before = await claim_dialable(db, cfg, campaign_id=cid, owner="r", limit=1, now=at + grace / 2, agents=["bob"])
    assert before.leads == []
    after = await claim_dialable(db, cfg, campaign_id=cid, owner="r", limit=1, now=at + grace, agents=["bob"])
    assert [g.id for g in after.leads] == [claimed.id]


async def test_status_report_counts_and_explains(db: Database) -> None:
    cfg, cid = await setup(
        db,
        [
            lead("+12125550101", [NY]),
            lead("+13105550102", [LA]),
            lead("+12125550103", [NY]),
            NewLead(phone="+12125550104", status="retry", next_dialable_at=NOW + timedelta(hours=1)),
        ],
    )
    await add_dnc(db, "+12125550103", now=NOW)
    report = await lead_status(db, cfg, cid, NOW)
    assert report.total == 4
    assert report.by_status == {"dnc": 1, "new": 2, "retry": 1}
    assert (report.due_now, report.waiting, report.next_due_at) == (2, 1, NOW + timedelta(hours=1))
    assert report.not_dialable == {"dnc": 1, "retry_wait": 1}
    assert (report.sample_size, report.sample_dialable, report.sample_reasons) == (2, 1, {"window_closed": 1})


async def test_alternative_phone_already_used_by_another_lead_is_skipped(db: Database) -> None:
    cfg, cid = await setup(
        db,
        [
            lead("+12125550101", [NY], alt_phones=["+12125550102", "+12125550103"], priority=5),
            lead("+12125550102", [NY]),  # the first alternative belongs to this lead
        ],
    )
    claimed, attempt_id = await claim_one_and_start(db, cfg, cid)
    assert claimed.phone == "+12125550101"
    await record_outcome(db, cfg, attempt_id, Outcome.UNALLOCATED, AttemptEnd(ended_at=NOW, hangup_cause=1))
    stored = await get_lead(db, claimed.id)
    assert stored is not None
    assert (stored.phone, stored.alt_phones, stored.status) == ("+12125550103", [], "retry")


async def test_an_attempt_is_closed_once_and_orphans_move_their_lead_only_if_it_is_theirs(db: Database) -> None:
    cfg, cid = await setup(db, [lead("+12125550101", [NY]), lead("+12125550102", [NY])])
    first, second = (await claim_dialable(db, cfg, campaign_id=cid, owner="dead", limit=2, now=NOW)).leads
    a1 = await start_attempt(db, AttemptStart(lead_id=first.id, campaign_id=cid, phone=first.phone, started_at=NOW))
    a2 = await start_attempt(db, AttemptStart(lead_id=second.id, campaign_id=cid, phone=second.phone, started_at=NOW))
    later = NOW + timedelta(minutes=5)  # the dead claimer's leases ran out

    # The survivor adopts a live call: it holds the lead from now on (nobody dials it while the call is up).
    assert await adopt_lead_claim(db, a1, owner="alive", now=later, until=later + timedelta(minutes=2))
    held = await get_lead(db, first.id)
    assert held is not None
    assert (held.status, held.claim_owner) == ("in_call", "alive")
    assert [(o.attempt_id, o.claim_owner, o.claim_live) for o in await open_attempts(db, cid, later)] == [
        (a1, "alive", True),
        (a2, "dead", False),
    ]
    assert [o.attempt_id for o in await open_attempts(db, cid, later, exclude={a1})] == [a2]

    # A call that ended unseen: closed conservatively, its lead moves on.
    end = AttemptEnd(ended_at=later)
    transition = await close_orphaned_attempt(db, cfg, a2, Outcome.FAILED, end, owner="alive", now=later)
    assert transition is not None
    assert transition.kind.value == "requeued"
    moved = await get_lead(db, second.id)
    assert moved is not None
    assert (moved.status, moved.claim_owner, moved.dials) == ("retry", None, 1)
    # Never closed twice: a second writer (another daemon that followed the same call) changes nothing.
    with pytest.raises(AttemptAlreadyClosed):
        await record_outcome(db, cfg, a2, Outcome.BUSY, end)
    with pytest.raises(AttemptAlreadyClosed):
        await adopt_lead_claim(db, a2, owner="alive", now=later, until=later)
    again = await get_lead(db, second.id)
    assert again is not None
    assert again.dials == 1
    attempt = await get_attempt(db, a2)
    assert attempt is not None
    assert attempt.outcome == "failed"
    # Closed from inferred evidence, and the call record says so (record_outcome's PBX-reported ones do not).
    assert attempt.outcome_inferred

    # An open attempt that is no longer its lead's latest (the lead was dialled again since) leaves the lead alone.
    newer = await start_attempt(
        db, AttemptStart(lead_id=first.id, campaign_id=cid, phone=first.phone, started_at=later)
    )
    assert not await adopt_lead_claim(db, a1, owner="alive", now=later, until=later)
    assert await close_orphaned_attempt(db, cfg, a1, Outcome.FAILED, end, owner="alive", now=later) is None
    untouched = await get_lead(db, first.id)
    assert untouched is not None
    assert (untouched.status, untouched.claim_owner, untouched.dials) == (
        "in_call",
        "alive",
        0,
    )
    assert [o.attempt_id for o in await open_attempts(db, cid, later)] == [newer]


async def test_a_machine_the_agent_marks_makes_the_attempt_a_machine_before_or_after_the_hangup(db: Database) -> None:
    """Marked after the hangup: the connected attempt becomes a machine and the write says when it ended (its live
    answer leaves the pacer's window). Marked while the call is up: the outcome written at the hangup is a
    machine."""
    cfg, cid = await setup(db, [lead("+12125550101", [NY]), lead("+12125550102", [NY])])
    after_id = (await claim_one_and_start(db, cfg, cid))[1]
    ended = NOW + timedelta(seconds=40)
    connected = await record_outcome(db, cfg, after_id, Outcome.CONNECTED, AttemptEnd(ended_at=ended, agent="alice"))
    assert connected.lead.last_outcome is Outcome.CONNECTED
    written = await record_disposition(db, cfg, after_id, "answering_machine", ended + timedelta(seconds=3))
    assert written.transition.machine
    assert written.machine_ended_at == ended
    after = await get_attempt(db, after_id)
    assert after is not None
    assert (after.outcome, after.disposition) == ("machine", "answering_machine")

    before_lead, before_id = await claim_one_and_start(db, cfg, cid)
    early = await record_disposition(db, cfg, before_id, "answering_machine", NOW + timedelta(seconds=9))
    assert early.machine_ended_at is None  # nothing was counted yet
    hangup = await record_outcome(
        db, cfg, before_id, Outcome.CONNECTED, AttemptEnd(ended_at=NOW + timedelta(seconds=10))
    )
    assert hangup.lead.last_outcome is Outcome.MACHINE
    before = await get_attempt(db, before_id)
    assert before is not None
    assert before.outcome == "machine"
    stored = await get_lead(db, before_lead.id)
    assert stored is not None
    assert stored.status == "retry"
    # A sale is no machine: the connected outcome stands.
    assert not (await record_disposition(db, cfg, after_id, "sale", ended + timedelta(seconds=5))).transition.machine
