"""Lead rules: dialability verdicts, outcomes, dispositions; properties over DST and multi-zone leads."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from harness.rules import lead_snapshots, open_everywhere, rules_campaign
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.calls.outcome import Outcome
from dialer.campaign.config import CampaignConfig
from dialer.campaign.rules import (
    CLAIMABLE_STATUSES,
    TERMINAL_STATUSES,
    DispositionError,
    LeadSnapshot,
    LeadStatus,
    NotDialableReason,
    TransitionKind,
    apply_disposition,
    apply_outcome,
    claimed,
    dialability,
    effective_zones,
    next_dialable_at,
)


def campaign(**changes: Any) -> CampaignConfig:
    return rules_campaign("rules", **changes)


US = campaign()
UK = campaign(regime="UK", caller_id={"number": "+442079460000"})
NOON_NY = datetime(2026, 7, 1, 16, 0, tzinfo=UTC)  # 12:00 EDT
NIGHT_NY = datetime(2026, 7, 2, 3, 0, tzinfo=UTC)  # 23:00 EDT


def lead(**changes: Any) -> LeadSnapshot:
    base = LeadSnapshot(id=7, campaign="rules", phone="+12125550123", tz_candidates=("America/New_York",))
    return replace(base, **changes)


# -- dialability table ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("snapshot", "on_dnc", "now", "reason"),
    [
        (lead(), False, NOON_NY, None),
        (lead(), True, NOON_NY, NotDialableReason.DNC),
        (lead(status=LeadStatus.DNC), False, NOON_NY, NotDialableReason.DNC),
        (lead(status=LeadStatus.DONE), False, NOON_NY, NotDialableReason.DONE),
        (lead(status=LeadStatus.ARCHIVED, archive_reason="unallocated"), False, NOON_NY, NotDialableReason.ARCHIVED),
        (lead(attempts=5, status=LeadStatus.RETRY), False, NOON_NY, NotDialableReason.MAX_ATTEMPTS),
        (lead(dials=15, status=LeadStatus.RETRY), False, NOON_NY, NotDialableReason.MAX_DIALS),
        (lead(status=LeadStatus.IN_CALL, claimed_by="runner-1"), False, NOON_NY, NotDialableReason.IN_CALL),
        (
            lead(status=LeadStatus.RETRY, next_dialable_at=NOON_NY + timedelta(minutes=5)),
            False,
            NOON_NY,
            NotDialableReason.RETRY_WAIT,
        ),
        (lead(), False, NIGHT_NY, NotDialableReason.WINDOW_CLOSED),
        (lead(tz_candidates=()), False, NOON_NY, NotDialableReason.NO_TIMEZONE),
        (
            lead(status=LeadStatus.CALLBACK, callback_at=NOON_NY + timedelta(hours=1)),
            False,
            NOON_NY,
            NotDialableReason.CALLBACK_WAIT,
        ),
        (
            lead(status=LeadStatus.CALLBACK, callback_at=NOON_NY, callback_agent="1001"),
            False,
            NOON_NY,
            NotDialableReason.CALLBACK_OWNED,
        ),
        (lead(status=LeadStatus.CALLBACK, callback_at=NOON_NY - timedelta(minutes=1)), False, NOON_NY, None),
    ],
)
def test_dialability_table(snapshot: LeadSnapshot, on_dnc: bool, now: datetime, reason: NotDialableReason) -> None:
    verdict = dialability(snapshot, US, now, on_dnc=on_dnc)
    assert verdict.reason is reason
    assert verdict.dialable is (reason is None)
    assert verdict.detail


def test_an_agents_callback_waits_for_them_until_overdue_by_the_grace_then_anyone_takes_it() -> None:
    mine = lead(status=LeadStatus.CALLBACK, callback_at=NOON_NY, callback_agent="1001")
    assert US.personal_callback_grace == timedelta(minutes=30)  # the default
    waiting = dialability(mine, US, NOON_NY + timedelta(minutes=29), on_dnc=False)
    assert waiting.reason is NotDialableReason.CALLBACK_OWNED
    assert "anyone's from" in waiting.detail
    assert waiting.next_dialable_at == NOON_NY + timedelta(minutes=30)
    assert dialability(mine, US, NOON_NY + timedelta(minutes=29), on_dnc=False, agent="1001").dialable
    assert dialability(mine, US, NOON_NY + timedelta(minutes=30), on_dnc=False).dialable  # the team keeps it
    # The grace running out at night: anyone's when the window opens where the person lives.
    late = replace(mine, callback_at=datetime(2026, 7, 2, 0, 45, tzinfo=UTC))  # 20:45 EDT
    verdict = dialability(late, US, datetime(2026, 7, 2, 0, 50, tzinfo=UTC), on_dnc=False)
    assert verdict.reason is NotDialableReason.CALLBACK_OWNED
    assert verdict.next_dialable_at == datetime(2026, 7, 2, 12, 0, tzinfo=UTC)  # 08:00 EDT
    # "never": the callback waits for its agent whatever happens.
    loyal = campaign(personal_callback_grace="never")
    assert loyal.personal_callback_grace is None
    assert (
        dialability(mine, loyal, NOON_NY + timedelta(days=3), on_dnc=False).reason is NotDialableReason.CALLBACK_OWNED
    )
    assert campaign(personal_callback_grace="2h").personal_callback_grace == timedelta(hours=2)


def test_window_closed_says_where_and_when() -> None:
    verdict = dialability(lead(), US, NIGHT_NY, on_dnc=False)
    assert "America/New_York" in verdict.detail
    assert verdict.next_dialable_at == datetime(2026, 7, 2, 12, 0, tzinfo=UTC)  # 08:00 EDT


def test_multi_zone_lead_waits_for_the_last_zone() -> None:
    both = lead(tz_candidates=("America/Los_Angeles", "America/New_York"))
    at = datetime(2026, 7, 1, 13, 0, tzinfo=UTC)  # 09:00 NY, 06:00 LA
    verdict = dialability(both, US, at, on_dnc=False)
    assert verdict.reason is NotDialableReason.WINDOW_CLOSED
    assert "America/Los_Angeles" in verdict.detail
    assert verdict.next_dialable_at == datetime(2026, 7, 1, 15, 0, tzinfo=UTC)


def test_postal_code_zone_wins_when_preferred() -> None:
    both = lead(tz_candidates=("America/Los_Angeles", "America/New_York"), postal_zones=("America/New_York",))
    assert effective_zones(both, US) == ("America/New_York",)
    assert dialability(both, US, datetime(2026, 7, 1, 13, 0, tzinfo=UTC), on_dnc=False).dialable
    strict = campaign(timezones={"prefer_postal_code": False})
    assert effective_zones(both, strict) == ("America/Los_Angeles", "America/New_York")


def test_fallback_zone_for_unknown_numbers() -> None:
    fallback = campaign(timezones={"fallback": "America/Chicago"})
    unknown = lead(tz_candidates=())
    assert effective_zones(unknown, fallback) == ("America/Chicago",)
    assert dialability(unknown, fallback, NOON_NY, on_dnc=False).dialable


def test_callback_owner_may_dial_it() -> None:
    owned = lead(status=LeadStatus.CALLBACK, callback_at=NOON_NY, callback_agent="1001")
    assert dialability(owned, US, NOON_NY, on_dnc=False, agent="1001").dialable
    assert not dialability(owned, US, NOON_NY, on_dnc=False, agent="1002").dialable


def test_uk_no_recall_within_72_hours_of_an_abandon() -> None:
    london = lead(phone="+442079460000", tz_candidates=("Europe/London",))
    at = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    after = apply_outcome(claimed(london, "r", at, timedelta(minutes=2)), Outcome.ABANDONED, UK, at).lead
    assert after.last_abandon_at == at
    assert after.next_dialable_at is not None
    assert after.next_dialable_at >= at + timedelta(hours=72)
    # Even if an operator pulls the retry forward, the recall rule holds.
    pulled = replace(after, next_dialable_at=at)
    verdict = dialability(pulled, UK, at + timedelta(hours=24), on_dnc=False)
    assert verdict.reason is NotDialableReason.RECALL_AFTER_ABANDON
    assert verdict.next_dialable_at is not None
    assert verdict.next_dialable_at >= at + timedelta(hours=72)


# -- outcomes ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "delay", "counted"),
    [
        (Outcome.BUSY, timedelta(minutes=10), True),
        (Outcome.NO_ANSWER, timedelta(hours=2), True),
        (Outcome.CONGESTION, timedelta(minutes=5), False),
        (Outcome.FAILED, timedelta(minutes=30), False),
        (Outcome.MACHINE, timedelta(hours=4), True),
        (Outcome.ABANDONED, timedelta(hours=1), False),
        (Outcome.CANCELLED, timedelta(0), False),
    ],
)
def test_outcomes_requeue_with_their_delay(outcome: Outcome, delay: timedelta, counted: bool) -> None:
    t = apply_outcome(claimed(lead(), "r", NOON_NY, timedelta(minutes=2)), outcome, US, NOON_NY)
    assert t.kind is TransitionKind.REQUEUED
    assert t.lead.status is LeadStatus.RETRY
    assert t.lead.next_dialable_at == NOON_NY + delay
    assert t.counted is counted
    assert t.lead.attempts == (1 if counted else 0)
    assert t.lead.dials == 1
    assert t.lead.last_outcome is outcome
    assert t.lead.claimed_by is None
    assert t.lead.claim_expires_at is None


@pytest.mark.parametrize("outcome", [Outcome.UNALLOCATED, Outcome.INVALID_NUMBER])
def test_bad_numbers_are_archived_with_the_reason(outcome: Outcome) -> None:
    t = apply_outcome(lead(status=LeadStatus.IN_CALL), outcome, US, NOON_NY)
    assert t.kind is TransitionKind.ARCHIVED
    assert t.lead.status is LeadStatus.ARCHIVED
    assert t.lead.archive_reason == outcome.value
    assert not dialability(t.lead, US, NOON_NY, on_dnc=False).dialable


def test_bad_number_switches_to_the_alternative_phone() -> None:
    t = apply_outcome(lead(status=LeadStatus.IN_CALL, alt_phones=("+14155550123",)), Outcome.UNALLOCATED, US, NOON_NY)
    assert t.kind is TransitionKind.SWITCHED_PHONE
    assert t.lead.phone == "+14155550123"
    assert t.lead.alt_phones == ()
    assert t.lead.tz_candidates == ("America/Los_Angeles",)
    assert t.lead.status is LeadStatus.RETRY


def test_attempt_budget_exhausts_the_lead() -> None:
    snapshot = lead(status=LeadStatus.IN_CALL, attempts=4, dials=4)
    t = apply_outcome(snapshot, Outcome.NO_ANSWER, US, NOON_NY)
    assert t.kind is TransitionKind.EXHAUSTED
    assert t.lead.status is LeadStatus.EXHAUSTED
    assert t.lead.attempts == 5


def test_uncounted_outcomes_are_bounded_by_max_dials() -> None:
    snapshot = lead(status=LeadStatus.IN_CALL, attempts=0, dials=US.dial_limit - 1)
    t = apply_outcome(snapshot, Outcome.CONGESTION, US, NOON_NY)
    assert t.lead.status is LeadStatus.EXHAUSTED
    assert not t.counted


def test_machine_close_rule_closes_the_lead() -> None:
    closing = campaign(amd={"enabled": True, "machine_action": "close"})
    t = apply_outcome(lead(status=LeadStatus.IN_CALL), Outcome.MACHINE, closing, NOON_NY)
    assert t.kind is TransitionKind.CLOSED
    assert t.lead.status is LeadStatus.DONE


def test_disposition_before_hangup_is_not_undone_by_the_outcome() -> None:
    on_call = lead(status=LeadStatus.IN_CALL, claimed_by="r")
    sold = apply_disposition(on_call, "sale", US, NOON_NY, agent="1001")
    assert sold.lead.status is LeadStatus.DONE
    assert sold.is_sale
    after = apply_outcome(sold.lead, Outcome.CONNECTED, US, NOON_NY + timedelta(seconds=30))
    assert after.kind is TransitionKind.RECORDED
    assert after.lead.status is LeadStatus.DONE
    assert after.lead.attempts == 1
    assert after.lead.dials == 1


def test_disposition_after_hangup_replaces_the_safety_requeue() -> None:
    ended = apply_outcome(lead(status=LeadStatus.IN_CALL), Outcome.CONNECTED, US, NOON_NY)
    assert ended.lead.status is LeadStatus.RETRY  # safety net if no disposition ever comes
    closed = apply_disposition(ended.lead, "not_interested", US, NOON_NY + timedelta(seconds=20))
    assert closed.lead.status is LeadStatus.DONE
    assert closed.lead.attempts == 1


# -- dispositions -----------------------------------------------------------------------------------------------


def test_dnc_disposition_lists_every_number() -> None:
    t = apply_disposition(lead(alt_phones=("+14155550123",)), "dnc", US, NOON_NY)
    assert t.lead.status is LeadStatus.DNC
    assert t.add_to_dnc == ("+12125550123", "+14155550123")
    # A later disposition never takes a lead off DNC.
    again = apply_disposition(t.lead, "callback", US, NOON_NY, callback_at=NOON_NY + timedelta(hours=1))
    assert again.lead.status is LeadStatus.DNC


def test_callback_is_scheduled_for_the_agent() -> None:
    at = NOON_NY + timedelta(hours=2)
    t = apply_disposition(lead(), "callback", US, NOON_NY, agent="1001", callback_at=at)
    assert t.kind is TransitionKind.CALLBACK_SCHEDULED
    assert t.lead.status is LeadStatus.CALLBACK
    assert t.lead.callback_agent == "1001"
    assert t.lead.callback_at == at
    assert dialability(t.lead, US, at, on_dnc=False, agent="1001").dialable
    shared = apply_disposition(lead(), "callback", US, NOON_NY, agent="1001", callback_at=at, callback_personal=False)
    assert shared.lead.callback_agent is None


@pytest.mark.parametrize(
    ("callback_at", "message"),
    [
        (None, "give the callback time"),
        (NOON_NY - timedelta(minutes=1), "in the past"),
        (NIGHT_NY, "outside the calling window"),
    ],
)
def test_callback_time_must_be_usable(callback_at: datetime | None, message: str) -> None:
    with pytest.raises(DispositionError, match=message):
        apply_disposition(lead(), "callback", US, NOON_NY, callback_at=callback_at)


def test_unknown_disposition_is_refused() -> None:
    with pytest.raises(DispositionError, match="unknown disposition"):
        apply_disposition(lead(), "teleport", US, NOON_NY)


def test_non_final_disposition_requeues_after_its_delay() -> None:
    t = apply_disposition(lead(attempts=1, dials=1), "no_decision", US, NOON_NY)
    assert t.lead.status is LeadStatus.RETRY
    assert t.lead.next_dialable_at == NOON_NY + timedelta(days=2)


# -- properties -------------------------------------------------------------------------------------------------

TRANSITIONS = [
    datetime(2026, 3, 8, 7, 0, tzinfo=UTC),
    datetime(2026, 11, 1, 6, 0, tzinfo=UTC),
    datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
    datetime(2026, 10, 25, 1, 0, tzinfo=UTC),
    datetime(2026, 4, 4, 16, 0, tzinfo=UTC),
    datetime(2026, 10, 3, 16, 0, tzinfo=UTC),
]
ZONES = ["America/New_York", "Europe/London", "Australia/Sydney", "America/Chicago", "Pacific/Auckland"]
CAMPAIGNS = [US, UK, campaign(regime="CA"), campaign(calling_window={"weekdays": "09:00-20:00", "weekend": "closed"})]

instants = st.builds(
    lambda base, minutes: base + timedelta(minutes=minutes),
    st.sampled_from(TRANSITIONS),
    st.integers(-72 * 60, 72 * 60),
)
snapshots = lead_snapshots(
    instants, ZONES, max_zones=3, postal_zones=st.one_of(st.just(()), st.sampled_from(ZONES).map(lambda z: (z,)))
)


@settings(max_examples=400, deadline=None)
@given(
    snapshot=snapshots,
    now=instants,
    on_dnc=st.booleans(),
    c=st.sampled_from(CAMPAIGNS),
    agent=st.sampled_from([None, "1001"]),
)
def test_never_dialable_outside_the_rules(
    snapshot: LeadSnapshot, now: datetime, on_dnc: bool, c: CampaignConfig, agent: str | None
) -> None:
    verdict = dialability(snapshot, c, now, on_dnc=on_dnc, agent=agent)
    if not verdict.dialable:
        assert verdict.reason is not None
        return
    zones = effective_zones(snapshot, c)
    assert zones, "dialable without a known zone"
    assert open_everywhere(c, now, zones), "dialable while some candidate zone is outside the window"
    assert not on_dnc
    assert snapshot.status is not LeadStatus.DNC
    if snapshot.status is not LeadStatus.CALLBACK:  # (a promised callback is dialled past the budget)
        assert snapshot.attempts < c.max_attempts
        assert snapshot.dials < c.dial_limit
    assert snapshot.status in CLAIMABLE_STATUSES
    assert snapshot.next_dialable_at is None or snapshot.next_dialable_at <= now
    if c.no_recall_after_abandon is not None and snapshot.last_abandon_at is not None:
        assert now >= snapshot.last_abandon_at + c.no_recall_after_abandon


@settings(max_examples=200, deadline=None)
@given(snapshot=snapshots, now=instants, c=st.sampled_from(CAMPAIGNS))
def test_next_dialable_at_is_dialable(snapshot: LeadSnapshot, now: datetime, c: CampaignConfig) -> None:
    if snapshot.status not in CLAIMABLE_STATUSES:
        return
    agent = snapshot.callback_agent
    due = next_dialable_at(snapshot, c, now)
    if due is None:
        assert not dialability(snapshot, c, now, on_dnc=False, agent=agent).dialable
        return
    assert due >= now
    assert dialability(snapshot, c, due, on_dnc=False, agent=agent).dialable


@settings(max_examples=300, deadline=None)
@given(
    snapshot=snapshots,
    outcomes=st.lists(st.sampled_from(list(Outcome)), min_size=1, max_size=30),
    now=instants,
    c=st.sampled_from(CAMPAIGNS),
)
def test_outcome_sequences_never_exceed_the_budget(
    snapshot: LeadSnapshot, outcomes: list[Outcome], now: datetime, c: CampaignConfig
) -> None:
    current = replace(snapshot, status=LeadStatus.NEW, attempts=0, dials=0)
    for outcome in outcomes:
        if not dialability(current, c, now, on_dnc=False, agent=current.callback_agent).dialable:
            due = next_dialable_at(current, c, now)
            if due is None:
                break
            now = due
        assert dialability(current, c, now, on_dnc=False, agent=current.callback_agent).dialable
        assert current.attempts < c.max_attempts
        assert current.dials < c.dial_limit
        current = apply_outcome(claimed(current, "r", now, timedelta(minutes=2)), outcome, c, now).lead
        assert current.attempts <= c.max_attempts
        assert current.dials <= c.dial_limit
        if current.status in TERMINAL_STATUSES:
            assert next_dialable_at(current, c, now) is None


def test_a_machine_the_agent_marked_follows_the_machine_rule() -> None:
    """An agent who reached an answering machine (AMD off or paused): the lead is requeued as after AMD's machine
    verdict, or closed by ``amd.machine_action = "close"``."""
    ended = apply_outcome(lead(status=LeadStatus.IN_CALL), Outcome.CONNECTED, US, NOON_NY)
    marked = apply_disposition(ended.lead, "answering_machine", US, NOON_NY + timedelta(seconds=20), agent="1001")
    assert marked.machine
    assert marked.kind is TransitionKind.REQUEUED
    assert marked.lead.last_outcome is Outcome.MACHINE
    assert marked.lead.next_dialable_at == NOON_NY + timedelta(seconds=20) + US.retry_rule(Outcome.MACHINE).delay
    closing = campaign(amd={"enabled": True, "machine_action": "close"})
    closed = apply_disposition(lead(status=LeadStatus.IN_CALL), "answering_machine", closing, NOON_NY)
    assert (closed.kind, closed.lead.status, closed.machine) == (TransitionKind.CLOSED, LeadStatus.DONE, True)
    spent = apply_disposition(
        lead(status=LeadStatus.IN_CALL, attempts=US.max_attempts), "answering_machine", US, NOON_NY
    )
    assert spent.kind is TransitionKind.EXHAUSTED
    assert not apply_disposition(lead(status=LeadStatus.IN_CALL), "sale", US, NOON_NY).machine
