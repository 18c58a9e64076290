"""A callback promised and not yet kept outlives the call that ended (with_pending_callback): over every outcome and
disposition the rules give, a transition that would requeue the lead (or move it to its next phone) makes it a
callback due at the promised time, for the promised agent; one that closes it for good, or schedules its own
callback, stands; without a pending callback nothing changes."""

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
    PendingCallback,
    TransitionKind,
    apply_disposition,
    apply_outcome,
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


@given(transitions(), PENDING)
def test_a_pending_callback_replaces_a_requeue_and_nothing_else(
    transition: LeadTransition, pending: PendingCallback | None
) -> None:
    after = with_pending_callback(transition, pending)
    requeues = transition.kind in (TransitionKind.REQUEUED, TransitionKind.SWITCHED_PHONE)
    if pending is None or not requeues:
        assert after == transition
        return
    assert after.lead.status is LeadStatus.CALLBACK
    assert (after.lead.callback_at, after.lead.next_dialable_at, after.lead.callback_agent) == (
        pending.due_at,
        pending.due_at,
        pending.agent,
    )
    # everything else the call did to the lead stands: its counters, its phone, what it learnt
    unchanged = ("phone", "alt_phones", "attempts", "dials", "last_outcome", "last_disposition", "last_abandon_at")
    assert all(getattr(after.lead, f) == getattr(transition.lead, f) for f in unchanged)
    assert (after.kind, after.counted, after.add_to_dnc) == (transition.kind, transition.counted, transition.add_to_dnc)


def test_a_lead_closed_for_good_keeps_its_status_and_the_next_phone_keeps_the_promise() -> None:
    pending = PendingCallback(NOW + timedelta(minutes=5), None)
    base = rules_campaign("rules")
    for code in ("sale", "not_interested", "dnc"):
        closed = apply_disposition(_lead(), code, base, NOW)
        assert closed.lead.status in TERMINAL_STATUSES
        assert with_pending_callback(closed, pending) == closed
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
