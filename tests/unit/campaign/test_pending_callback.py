"""A callback promised and not yet kept outlives the call that ended (with_pending_callback): over every outcome and
disposition the rules give, a transition that would requeue the lead (or move it to its next phone) or close it only
because its budget is spent (exhausted) makes it a callback due at the promised time, for the promised agent; one that
closes it by someone's decision (done, DNC, archived) stands; one that schedules its own callback keeps both, the lead
waiting for the sooner; without a pending callback nothing changes. A callback kept past the budget is dialled once
for its promise, then exhausted. Of several pending callbacks the lead waits for the soonest, whatever the order they
were booked in (held_callback), or, without consent where the regime requires it, for the one its caller asked for."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from harness.rules import lead_snapshots, rules_campaign
from hypothesis import given
from hypothesis import strategies as st

from dialer.calls.outcome import Outcome
from dialer.campaign.rules import (
    TERMINAL_STATUSES,
    LeadSnapshot,
    LeadStatus,
    LeadTransition,
    NotDialableReason,
    PendingCallback,
    TransitionKind,
    apply_disposition,
    apply_outcome,
    claimed,
    dialability,
    held_callback,
    with_pending_callback,
)

CAMPAIGN = rules_campaign("rules", max_attempts=3)
NOW = datetime(2026, 7, 1, 16, 0, tzinfo=UTC)
INSTANTS = st.sampled_from([NOW + timedelta(minutes=m) for m in (-90, -1, 0, 30, 24 * 60)])
PENDING = st.one_of(st.none(), st.builds(PendingCallback, due_at=INSTANTS, agent=st.sampled_from([None, "alice"])))
CODES = [d.code for d in CAMPAIGN.dispositions]


def transitions() -> st.SearchStrategy[LeadTransition]:
    leads = lead_snapshots(
        INSTANTS, ["America/New_York"], max_zones=1, alt_phones=st.sampled_from([(), ("+12125550199",)])
    )
    by_outcome = st.builds(
        lambda lead, outcome: apply_outcome(lead, outcome, CAMPAIGN, NOW), leads, st.sampled_from(list(Outcome))
    )
    by_disposition = st.builds(
        lambda lead, code: apply_disposition(
            lead, code, CAMPAIGN, NOW, agent="bob", callback_at=NOW + timedelta(hours=2)
        ),
        leads,
        st.sampled_from([c for c in CODES if c != "callback"]),
    )
    return st.one_of(by_outcome, by_disposition)


# Closings that are someone's decision (the person's opt-out or answer, an agent's final disposition, a "close" rule,
# a bad number): a pending callback never outlives them. Only a spent budget (exhausted) gives way to the promise.
DECIDED = frozenset({LeadStatus.DONE, LeadStatus.DNC, LeadStatus.ARCHIVED})


@given(transitions(), PENDING)
def test_a_pending_callback_replaces_a_requeue_or_a_spent_budget_and_nothing_else(
    transition: LeadTransition, pending: PendingCallback | None
) -> None:
    after = with_pending_callback(transition, pending)
    kept_for_it = transition.kind in (TransitionKind.REQUEUED, TransitionKind.SWITCHED_PHONE, TransitionKind.EXHAUSTED)
    # (a callback lead the call did not move -- dialled by hand, or its callback given before the hangup -- waits
    # for the pending callback, not for the one the call kept)
    kept_for_it |= transition.kind is TransitionKind.RECORDED and transition.lead.status is LeadStatus.CALLBACK
    if pending is None or not kept_for_it:
        assert after == transition
        closes = transition.kind is not TransitionKind.RECORDED  # (recorded: closed before this call already)
        if pending is not None and closes and transition.lead.status in TERMINAL_STATUSES:
            assert transition.lead.status in DECIDED  # (no lead closes over a promise for its spent budget)
        return
    assert after.lead.status is LeadStatus.CALLBACK
    assert after.lead.status not in TERMINAL_STATUSES
    assert (after.lead.callback_at, after.lead.next_dialable_at, after.lead.callback_agent) == (
        pending.due_at,
        pending.due_at,
        pending.agent,
    )
    # everything else the call did to the lead stands: its counters, its phone, what it learnt
    unchanged = ("phone", "alt_phones", "attempts", "dials", "last_outcome", "last_disposition", "last_abandon_at")
    assert all(getattr(after.lead, f) == getattr(transition.lead, f) for f in unchanged)
    # an exhausted lead kept for its callback goes back to the queue: counted as requeued, not as closed
    kind = TransitionKind.REQUEUED if transition.kind is TransitionKind.EXHAUSTED else transition.kind
    assert (after.kind, after.counted, after.add_to_dnc) == (kind, transition.counted, transition.add_to_dnc)
    assert after.detail.startswith(transition.detail)


@given(
    st.sampled_from([o for o in Outcome if not o.is_bad_number]),
    st.sampled_from([None, "alice"]),
    st.integers(0, 3),
    st.sampled_from([-90, -1, 0, 30]),
)
def test_the_last_attempt_ending_unanswered_leaves_a_callback_dialled_once_more_for_its_promise(
    outcome: Outcome, agent: str | None, extra_dials: int, due_in: int
) -> None:
    """The lead is on its last attempt when a callback is promised; the call ends without the person (no answer,
    busy, a machine, ...): the lead is a callback at the promised time, dialled for it past the budget -- and the
    outcome of that dial, the promise kept, exhausts it."""
    budget = CAMPAIGN.max_attempts
    on_last = _lead(attempts=budget - 1, dials=budget - 1 + extra_dials)
    ended = apply_outcome(on_last, outcome, CAMPAIGN, NOW)
    due = NOW + timedelta(minutes=due_in)
    pending = PendingCallback(due, agent)
    after = with_pending_callback(ended, pending)
    if ended.kind is not TransitionKind.EXHAUSTED:
        return  # (a call that did not spend the budget: the requeue case above)
    assert (after.lead.status, after.lead.callback_at, after.lead.callback_agent) == (LeadStatus.CALLBACK, due, agent)
    assert after.lead.attempts >= budget or after.lead.dials >= CAMPAIGN.dial_limit
    at = max(NOW, due) + timedelta(minutes=1)
    assert dialability(after.lead, CAMPAIGN, at, on_dnc=False, agent=agent).dialable or _window_shut(after.lead, at)
    if agent is not None:
        other = dialability(after.lead, CAMPAIGN, at, on_dnc=False, agent="bob")
        grace = CAMPAIGN.personal_callback_grace
        if grace is None or at < due + grace:  # (overdue by the grace, the team keeps the promise: anyone's)
            assert other.reason is NotDialableReason.CALLBACK_OWNED
        else:
            assert other.dialable or _window_shut(after.lead, at)
    assert dialability(after.lead, CAMPAIGN, at, on_dnc=True, agent=agent).reason is NotDialableReason.DNC
    # the callback's dial keeps the promise (the store marks it done): its outcome, with nothing pending, exhausts it
    again = apply_outcome(claimed(after.lead, "r", at, timedelta(minutes=2)), Outcome.NO_ANSWER, CAMPAIGN, at)
    assert with_pending_callback(again, None).lead.status is LeadStatus.EXHAUSTED


def _window_shut(lead: LeadSnapshot, at: datetime) -> bool:
    reason = dialability(lead, CAMPAIGN, at, on_dnc=False, agent=lead.callback_agent).reason
    return reason in (NotDialableReason.WINDOW_CLOSED, NotDialableReason.RECALL_AFTER_ABANDON)


def test_a_lead_closed_for_good_keeps_its_status_and_the_next_phone_keeps_the_promise() -> None:
    pending = PendingCallback(NOW + timedelta(minutes=5), None)
    base = rules_campaign("rules")
    for code in ("sale", "not_interested", "dnc"):
        closed = apply_disposition(_lead(), code, base, NOW)
        assert closed.lead.status in TERMINAL_STATUSES
        assert with_pending_callback(closed, pending) == closed
    bad_number = apply_outcome(_lead(), Outcome.UNALLOCATED, base, NOW)
    assert with_pending_callback(bad_number, pending) == bad_number
    assert bad_number.lead.status is LeadStatus.ARCHIVED
    switched = apply_outcome(_lead(alt_phones=("+12125550199",)), Outcome.UNALLOCATED, base, NOW)
    assert switched.kind is TransitionKind.SWITCHED_PHONE
    kept = with_pending_callback(switched, pending)
    assert (kept.lead.phone, kept.lead.status, kept.lead.callback_at) == (
        "+12125550199",
        LeadStatus.CALLBACK,
        pending.due_at,
    )
    assert "the callback due" in kept.detail


def _lead(**changes: Any) -> LeadSnapshot:
    base = LeadSnapshot(
        id=7, campaign="rules", phone="+12125550123", status=LeadStatus.IN_CALL, tz_candidates=("America/New_York",)
    )
    return replace(base, **changes)


# -- several callbacks pending on one lead ------------------------------------------------------------------------
BOOKINGS = st.lists(
    st.builds(
        PendingCallback,
        due_at=INSTANTS,
        agent=st.sampled_from([None, "alice", "bob"]),
        sole_dialable=st.booleans(),
    ),
    max_size=5,
)


@given(BOOKINGS, st.randoms(use_true_random=False))
def test_a_lead_waits_for_its_soonest_callback_whatever_the_order_they_were_booked_in(
    booked: list[PendingCallback], rnd: Any
) -> None:
    held = held_callback(booked)
    if not booked:
        assert held is None
        return
    assert held is not None
    first_choice = [b for b in booked if b.sole_dialable] or booked
    # the soonest (of those the lead may be dialled for alone, when one is the caller's request on a lead the regime
    # may dial for that call only), of two due at once the first booked
    assert held is next(b for b in first_choice if b.due_at == min(c.due_at for c in first_choice))
    # booked in any other order, the lead waits for a callback due at the same time
    shuffled = list(booked)
    rnd.shuffle(shuffled)
    again = held_callback(shuffled)
    assert again is not None
    assert (again.due_at, again.sole_dialable) == (held.due_at, held.sole_dialable)


@given(INSTANTS, INSTANTS, st.sampled_from([None, "alice"]), st.booleans())
def test_a_disposition_booking_a_callback_leaves_the_lead_waiting_for_the_sooner_of_it_and_the_pending_one(
    asked: datetime, due: datetime, agent: str | None, sole: bool
) -> None:
    lead = claimed(_lead(), "r", NOW, timedelta(minutes=2))
    scheduled = apply_disposition(lead, "callback", CAMPAIGN, NOW, agent="bob", callback_at=NOW + timedelta(days=1))
    scheduled = replace(scheduled, lead=replace(scheduled.lead, callback_at=asked, next_dialable_at=asked))
    pending = PendingCallback(due, agent, sole)
    after = with_pending_callback(scheduled, pending)
    assert after.kind is TransitionKind.CALLBACK_SCHEDULED
    assert after.lead.status is LeadStatus.CALLBACK
    waits = (after.lead.callback_at, after.lead.callback_agent, after.lead.next_dialable_at)
    if sole or due <= asked:
        assert waits == (due, agent, due)
    else:
        assert after == scheduled
