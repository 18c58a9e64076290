"""A callback dialled past the lead's budget whose number turns out dead carries over to the lead's next phone
(:func:`carries_callbacks_over`): the promise is to the person, not to the number. The carried callback is due at the
time promised, for the agent promised, and is dialled once past the budget like the one it continues, under every other
rule at dial time; with no other phone the lead is archived at that outcome, with its reason. Every other outcome of
that dial keeps what it did before: the promise is kept, and the lead is exhausted."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from harness.rules import rules_campaign

from dialer.calls.outcome import Outcome
from dialer.campaign.rules import (
    LeadSnapshot,
    LeadStatus,
    LeadTransition,
    NotDialableReason,
    PendingCallback,
    TransitionKind,
    apply_outcome,
    carries_callbacks_over,
    claimed,
    dialability,
    with_pending_callback,
)

CAMPAIGN = rules_campaign("rules", max_attempts=2)
NOW = datetime(2026, 7, 1, 16, 0, tzinfo=UTC)  # 12:00 in New York: the window is open
NEXT = "+12125550199"
LEASE = timedelta(minutes=2)


def _lead(**changes: Any) -> LeadSnapshot:
    base = LeadSnapshot(
        id=7, campaign="rules", phone="+12125550123", status=LeadStatus.IN_CALL, tz_candidates=("America/New_York",)
    )
    return replace(base, **changes)


def _after(transition: LeadTransition, kept: tuple[PendingCallback, ...]) -> LeadTransition:
    """What the store does at an outcome: the kept callbacks that carry over are pending again, and the soonest
    pending callback holds the lead (:func:`with_pending_callback`)."""
    waiting = kept if carries_callbacks_over(transition) else ()
    soonest = min(waiting, key=lambda p: p.due_at) if waiting else None
    return with_pending_callback(transition, soonest)


def _past_budget_callback(agent: str | None, alt_phones: tuple[str, ...]) -> LeadSnapshot:
    """A lead whose last attempt ended unanswered while a callback was promised: a callback due now, budget spent."""
    due = NOW - timedelta(minutes=1)
    last = apply_outcome(_lead(attempts=1, dials=1, alt_phones=alt_phones), Outcome.NO_ANSWER, CAMPAIGN, due)
    assert last.kind is TransitionKind.EXHAUSTED
    held = with_pending_callback(last, PendingCallback(due, agent))
    assert held.lead.status is LeadStatus.CALLBACK
    assert dialability(held.lead, CAMPAIGN, NOW, on_dnc=False, agent=agent).dialable
    return held.lead


@pytest.mark.parametrize("agent", [None, "alice"])
@pytest.mark.parametrize("dead", [Outcome.UNALLOCATED, Outcome.INVALID_NUMBER])
def test_a_callback_dialled_past_the_budget_on_a_dead_number_carries_over_to_the_next_phone(
    agent: str | None, dead: Outcome
) -> None:
    lead = _past_budget_callback(agent, (NEXT,))
    promise = PendingCallback(lead.callback_at or NOW, agent)
    ended = apply_outcome(claimed(lead, "r", NOW, LEASE), dead, CAMPAIGN, NOW + timedelta(seconds=5))
    assert ended.kind is TransitionKind.SWITCHED_PHONE
    assert carries_callbacks_over(ended)
    after = _after(ended, (promise,))
    # the callback, on the next phone, at the time promised, for the agent promised; the budget still spent
    assert (after.lead.phone, after.lead.alt_phones) == (NEXT, ())
    assert (after.lead.status, after.lead.callback_at, after.lead.callback_agent) == (
        LeadStatus.CALLBACK,
        promise.due_at,
        agent,
    )
    assert after.lead.attempts >= CAMPAIGN.max_attempts
    at = NOW + timedelta(seconds=10)
    assert dialability(after.lead, CAMPAIGN, at, on_dnc=False, agent=agent).dialable
    # still under every rule at claim time: the DNC list, the owning agent, the calling window
    assert dialability(after.lead, CAMPAIGN, at, on_dnc=True, agent=agent).reason is NotDialableReason.DNC
    if agent is not None:
        owned = dialability(after.lead, CAMPAIGN, at, on_dnc=False, agent="bob").reason
        assert owned is NotDialableReason.CALLBACK_OWNED
    night = datetime(2026, 7, 2, 4, 0, tzinfo=UTC)  # midnight in New York
    assert dialability(after.lead, CAMPAIGN, night, on_dnc=False, agent=agent).reason is NotDialableReason.WINDOW_CLOSED
    # its one dial keeps it (nothing pending then): an unanswered outcome exhausts the lead, with its reason
    again = apply_outcome(claimed(after.lead, "r", at, LEASE), Outcome.NO_ANSWER, CAMPAIGN, at)
    closed = _after(again, (PendingCallback(promise.due_at, agent),))
    assert (closed.kind, closed.lead.status) == (TransitionKind.EXHAUSTED, LeadStatus.EXHAUSTED)
    assert "budget spent" in closed.detail


def test_a_dead_number_with_no_other_phone_archives_the_lead_at_the_outcome() -> None:
    lead = _past_budget_callback(None, ())
    promise = PendingCallback(lead.callback_at or NOW, None)
    ended = apply_outcome(claimed(lead, "r", NOW, LEASE), Outcome.UNALLOCATED, CAMPAIGN, NOW)
    assert not carries_callbacks_over(ended)
    after = _after(ended, (promise,))
    assert (after.kind, after.lead.status, after.lead.archive_reason) == (
        TransitionKind.ARCHIVED,
        LeadStatus.ARCHIVED,
        "unallocated",
    )
    assert dialability(after.lead, CAMPAIGN, NOW, on_dnc=False).reason is NotDialableReason.ARCHIVED


def test_the_next_phone_dead_too_carries_on_and_the_last_dead_one_archives() -> None:
    third = "+12125550188"
    lead = _past_budget_callback("alice", (NEXT, third))
    promise = PendingCallback(lead.callback_at or NOW, "alice")
    first = _after(apply_outcome(claimed(lead, "r", NOW, LEASE), Outcome.UNALLOCATED, CAMPAIGN, NOW), (promise,))
    assert (first.lead.phone, first.lead.status) == (NEXT, LeadStatus.CALLBACK)
    second = _after(
        apply_outcome(claimed(first.lead, "r", NOW, LEASE), Outcome.INVALID_NUMBER, CAMPAIGN, NOW), (promise,)
    )
    assert (second.lead.phone, second.lead.status, second.lead.callback_agent) == (third, LeadStatus.CALLBACK, "alice")
    last = _after(apply_outcome(claimed(second.lead, "r", NOW, LEASE), Outcome.UNALLOCATED, CAMPAIGN, NOW), (promise,))
    assert (last.lead.status, last.lead.archive_reason) == (LeadStatus.ARCHIVED, "unallocated")


@pytest.mark.parametrize("outcome", [o for o in Outcome if not o.is_bad_number])
def test_every_other_outcome_of_that_dial_keeps_the_promise_and_exhausts_the_lead(outcome: Outcome) -> None:
    """No answer, busy, a machine, an answer...: the dial kept the callback; with nothing pending the lead is
    exhausted (or closed by its outcome's "close" rule), as before."""
    lead = _past_budget_callback(None, (NEXT,))
    promise = PendingCallback(lead.callback_at or NOW, None)
    ended = apply_outcome(claimed(lead, "r", NOW, LEASE), outcome, CAMPAIGN, NOW)
    assert not carries_callbacks_over(ended)
    after = _after(ended, (promise,))
    assert after == ended
    assert after.lead.phone == lead.phone
    assert after.lead.status in (LeadStatus.EXHAUSTED, LeadStatus.DONE)


def test_a_dead_number_on_a_dial_that_kept_no_callback_moves_on_as_before() -> None:
    """Nothing promised: the next phone is a plain retry (uncounted), within the budget as before."""
    ended = apply_outcome(_lead(attempts=1, dials=1, alt_phones=(NEXT,)), Outcome.UNALLOCATED, CAMPAIGN, NOW)
    assert carries_callbacks_over(ended)  # (nothing kept: nothing to carry)
    after = _after(ended, ())
    assert (after.lead.phone, after.lead.status, after.lead.next_dialable_at) == (NEXT, LeadStatus.RETRY, NOW)


def test_within_the_budget_the_callback_carries_over_too_for_its_agent() -> None:
    """A callback dialled within the budget whose number is dead is the same promise: it carries over (the lead is
    the promised agent's callback on the next phone, not anyone's retry)."""
    promise = PendingCallback(NOW - timedelta(minutes=1), "alice")
    lead = _lead(alt_phones=(NEXT,), attempts=0, dials=0)
    after = _after(apply_outcome(lead, Outcome.UNALLOCATED, CAMPAIGN, NOW), (promise,))
    assert (after.lead.phone, after.lead.status, after.lead.callback_agent) == (NEXT, LeadStatus.CALLBACK, "alice")


def test_an_early_dial_carries_over_to_the_time_promised() -> None:
    """A callback kept by a dial up to two minutes early: carried over, it waits for the time promised."""
    promise = PendingCallback(NOW + timedelta(minutes=2), None)
    lead = _lead(alt_phones=(NEXT,), attempts=2, dials=2)
    after = _after(apply_outcome(lead, Outcome.UNALLOCATED, CAMPAIGN, NOW), (promise,))
    assert dialability(after.lead, CAMPAIGN, NOW, on_dnc=False).reason is NotDialableReason.CALLBACK_WAIT
    assert dialability(after.lead, CAMPAIGN, promise.due_at, on_dnc=False).dialable
