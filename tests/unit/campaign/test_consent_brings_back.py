"""Recorded consent brings a lead back (dialer.campaign.rules.consented): the record's text on an inbound call, and
the property -- a CN lead set aside for want of consent is, once it is recorded, due at the earliest instant its
other rules allow: dialable then, not a minute before."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from harness.campaign import cn_campaign_data, minimal_campaign
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.calls.outcome import Outcome
from dialer.campaign.config import load_campaign
from dialer.campaign.rules import LeadSnapshot, LeadStatus, consent_record, consented, dialability

CN = load_campaign(
    cn_campaign_data(compliance={"no_recall_after_abandon": "72h"}, retry={"abandoned": {"delay": "72h"}})
)
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a Monday
PARKED = LeadSnapshot(
    id=7,
    campaign="cn",
    phone="+8613800138000",
    tz_candidates=("Asia/Shanghai",),
    status=LeadStatus.RETRY,
    next_dialable_at=T0 + timedelta(days=1),  # the claim's set-aside: a day later
)
SOURCE = "by sue: signed form"


def test_the_record_names_the_inbound_call() -> None:
    assert consent_record(" asked to be called ", "alice", None, "1733600000.42") == (
        "inbound 1733600000.42 by alice: asked to be called"
    )
    assert consent_record("verbal", "alice", 12, None) == "call 12 by alice: verbal"


@settings(max_examples=150, deadline=None)
@given(
    at_minutes=st.integers(0, 7 * 24 * 60),
    status=st.sampled_from([LeadStatus.NEW, LeadStatus.RETRY, LeadStatus.CALLBACK]),
    callback_minutes=st.integers(-600, 5 * 24 * 60),
    abandon_minutes=st.none() | st.integers(-5 * 24 * 60, 0),
)
def test_a_set_aside_lead_is_due_at_the_earliest_instant_its_other_rules_allow(
    at_minutes: int, status: LeadStatus, callback_minutes: int, abandon_minutes: int | None
) -> None:
    at = T0 + timedelta(minutes=at_minutes)
    lead = replace(
        PARKED,
        status=status,
        next_dialable_at=at + timedelta(days=1),
        callback_at=at + timedelta(minutes=callback_minutes) if status is LeadStatus.CALLBACK else None,
        last_abandon_at=None if abandon_minutes is None else at + timedelta(minutes=abandon_minutes),
    )
    assert not dialability(lead, CN, at, on_dnc=False)  # no consent: never
    back = consented(lead, CN, SOURCE, at)
    assert (back.consent_source, back.consent_at) == (SOURCE, at)
    due = back.next_dialable_at
    assert due is not None
    assert due >= at  # (never before the consent)
    assert dialability(back, CN, due, on_dnc=False).dialable
    if due > at:
        before = due - timedelta(minutes=1)
        assert not dialability(back, CN, max(before, at), on_dnc=False).dialable


def test_a_lead_due_already_over_budget_on_a_call_or_not_under_a_consent_regime_keeps_its_time() -> None:
    due_already = replace(PARKED, next_dialable_at=T0 - timedelta(minutes=5))
    assert consented(due_already, CN, SOURCE, T0).next_dialable_at == due_already.next_dialable_at
    spent = replace(PARKED, attempts=CN.max_attempts)
    assert consented(spent, CN, SOURCE, T0).next_dialable_at == PARKED.next_dialable_at
    on_call = replace(PARKED, status=LeadStatus.IN_CALL)
    assert consented(on_call, CN, SOURCE, T0).next_dialable_at == PARKED.next_dialable_at
    us = minimal_campaign()
    later = replace(PARKED, tz_candidates=("America/New_York",))
    assert consented(later, us, SOURCE, T0).next_dialable_at == later.next_dialable_at


def test_consent_given_on_an_inbound_call_brings_the_lead_back_after_the_campaigns_delay_after_a_conversation() -> None:
    """The person is on the phone with an agent now (an inbound call, not the lead's attempt): not dialled at once,
    but no sooner than the campaign's retry delay for a connected call (a day by default), then within its window."""
    new = replace(PARKED, status=LeadStatus.NEW)
    back = consented(new, CN, SOURCE, T0, in_conversation=True)
    gap = CN.retry_rule(Outcome.CONNECTED).delay
    assert gap == timedelta(days=1)
    assert back.next_dialable_at is not None
    assert back.next_dialable_at >= T0 + gap
    assert dialability(back, CN, back.next_dialable_at, on_dnc=False).dialable
    assert not dialability(back, CN, T0 + gap - timedelta(minutes=1), on_dnc=False).dialable
    # Out of a conversation (a manager recording a signed form), the same lead is due at once (10:00 in Shanghai).
    assert consented(new, CN, SOURCE, T0).next_dialable_at == T0
    # A callback already booked keeps its own time.
    booked = replace(PARKED, status=LeadStatus.CALLBACK, callback_at=T0 + timedelta(minutes=30))
    assert consented(booked, CN, SOURCE, T0, in_conversation=True).next_dialable_at == T0 + timedelta(minutes=30)
