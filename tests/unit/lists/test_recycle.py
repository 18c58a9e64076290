"""Recycle rules and the list mix (pure): a recycled lead never violates a rule the claim checks."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from harness.rules import assert_no_claim_rule_against, lead_snapshots, rules_campaign
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.calls.outcome import Outcome
from dialer.campaign.config import CampaignConfig
from dialer.campaign.rules import CLAIMABLE_STATUSES, LeadSnapshot, LeadStatus, dialability
from dialer.lists.mix import ClaimStep, ListSetting, plan_claim
from dialer.lists.recycle import RecycleRule, matching_rule, recycled


def campaign(**changes: Any) -> CampaignConfig:
    return rules_campaign("recycle", **changes)


US = campaign()
UK = campaign(regime="UK", caller_id={"number": "+442079460000"})
CAMPAIGNS = [
    US,
    UK,
    campaign(max_attempts=2),
    campaign(calling_window={"weekdays": "09:00-20:00", "weekend": "closed"}),
]
NOW = datetime(2026, 7, 1, 16, 0, tzinfo=UTC)  # 12:00 in New York, a Wednesday
ZONES = ["America/New_York", "Europe/London", "Australia/Sydney"]
NO_ANSWER_3D = RecycleRule(Outcome.NO_ANSWER, timedelta(days=3))
BUSY_1H = RecycleRule(Outcome.BUSY, timedelta(hours=1))


def lead(**changes: Any) -> LeadSnapshot:
    base = LeadSnapshot(
        id=1,
        campaign="recycle",
        phone="+12125550123",
        tz_candidates=("America/New_York",),
        status=LeadStatus.RETRY,
        attempts=1,
        dials=1,
        last_outcome=Outcome.NO_ANSWER,
        last_attempt_at=NOW - timedelta(days=4),
        next_dialable_at=NOW + timedelta(days=2),
    )
    return replace(base, **changes)


@pytest.mark.parametrize(
    ("snapshot", "on_dnc", "expected"),
    [
        (lead(), False, NO_ANSWER_3D),
        (lead(last_attempt_at=NOW - timedelta(days=2)), False, None),  # too recent
        (lead(last_outcome=Outcome.BUSY, last_attempt_at=NOW - timedelta(minutes=61)), False, BUSY_1H),
        (lead(last_outcome=Outcome.BUSY, last_attempt_at=NOW - timedelta(minutes=59)), False, None),
        (lead(), True, None),  # on a DNC list
        (lead(status=LeadStatus.DNC), False, None),
        (lead(status=LeadStatus.ARCHIVED), False, None),
        (lead(status=LeadStatus.DONE), False, None),
        (lead(status=LeadStatus.CALLBACK), False, None),
        (lead(status=LeadStatus.IN_CALL), False, None),
        (lead(status=LeadStatus.NEW), False, None),
        (lead(attempts=5), False, None),  # over budget (max_attempts 5)
        (lead(dials=15), False, None),  # over the dial budget (3 x 5)
        (lead(status=LeadStatus.EXHAUSTED, attempts=3), False, NO_ANSWER_3D),  # exhausted under a smaller budget
        (lead(next_dialable_at=NOW - timedelta(hours=1)), False, None),  # already due
        (lead(last_outcome=Outcome.MACHINE), False, None),  # no rule for it
    ],
)
def test_which_leads_a_rule_recycles(snapshot: LeadSnapshot, on_dnc: bool, expected: RecycleRule | None) -> None:
    assert matching_rule(snapshot, [NO_ANSWER_3D, BUSY_1H], US, NOW, on_dnc=on_dnc) == expected


def test_an_expired_list_is_never_recycled() -> None:
    assert matching_rule(lead(), [NO_ANSWER_3D], US, NOW, on_dnc=False, list_expired=True) is None


def test_recycling_makes_the_lead_due_now_and_keeps_its_counters() -> None:
    before = lead(last_abandon_at=NOW - timedelta(days=5), attempts=2, dials=4)
    assert matching_rule(before, [NO_ANSWER_3D], US, NOW, on_dnc=False) is NO_ANSWER_3D
    after = recycled(before, NOW)
    assert (after.status, after.next_dialable_at) == (LeadStatus.RETRY, NOW)
    assert (after.attempts, after.dials, after.last_abandon_at) == (2, 4, before.last_abandon_at)
    assert dialability(after, US, NOW, on_dnc=False).dialable


def test_a_rule_age_is_bounded() -> None:
    with pytest.raises(ValueError, match="older_than"):
        RecycleRule(Outcome.BUSY, timedelta(seconds=-1))


instants = st.builds(lambda minutes: NOW + timedelta(minutes=minutes), st.integers(-10 * 24 * 60, 3 * 24 * 60))
snapshots = lead_snapshots(
    instants,
    ZONES,
    max_zones=2,
    last_outcome=st.one_of(st.none(), st.sampled_from(list(Outcome))),
    last_attempt_at=st.one_of(st.none(), instants),
)
rules = st.lists(
    st.builds(
        RecycleRule, st.sampled_from(list(Outcome)), st.integers(0, 7 * 24 * 3600).map(lambda s: timedelta(seconds=s))
    ),
    max_size=4,
)


@settings(max_examples=500, deadline=None)
@given(
    snapshot=snapshots,
    rule_set=rules,
    on_dnc=st.booleans(),
    c=st.sampled_from(CAMPAIGNS),
    later=st.lists(st.integers(0, 4 * 24 * 60), min_size=1, max_size=6),
)
def test_a_recycled_lead_never_violates_a_rule_the_claim_checks(
    snapshot: LeadSnapshot, rule_set: list[RecycleRule], on_dnc: bool, c: CampaignConfig, later: list[int]
) -> None:
    if matching_rule(snapshot, rule_set, c, NOW, on_dnc=on_dnc) is None:
        return
    after = recycled(snapshot, NOW)
    # What the claim and the last check before dialling refuse is never recycled ...
    assert not on_dnc
    assert snapshot.status not in (LeadStatus.DNC, LeadStatus.DONE, LeadStatus.ARCHIVED, LeadStatus.IN_CALL)
    assert snapshot.status is not LeadStatus.CALLBACK, "a pending callback keeps its time and agent"
    assert snapshot.attempts < c.max_attempts
    assert snapshot.dials < c.dial_limit
    # ... and recycling resets no counter and forgets no abandoned call.
    assert after.status in CLAIMABLE_STATUSES
    assert (after.attempts, after.dials, after.last_abandon_at) == (
        snapshot.attempts,
        snapshot.dials,
        snapshot.last_abandon_at,
    )
    # Whenever the recycled lead is dialable, every rule holds: window, no-recall gap, budget, DNC.
    moments = [NOW + timedelta(minutes=minutes) for minutes in later]
    assert_no_claim_rule_against(after, c, moments, on_dnc=on_dnc, agent=after.callback_agent)


# -- the mix ----------------------------------------------------------------------------------------------------


def test_without_settings_one_step_takes_everything() -> None:
    assert plan_claim([ListSetting(1), ListSetting(2)], 10, NOW) == [ClaimStep((1, 2), True, 10)]


def test_disabled_and_expired_lists_give_nothing() -> None:
    lists = [
        ListSetting(1, enabled=False),
        ListSetting(2, valid_until=NOW),
        ListSetting(3, valid_until=NOW + timedelta(1)),
    ]
    assert plan_claim(lists, 5, NOW) == [ClaimStep((3,), True, 5)]


def test_priority_mix_goes_down_the_groups() -> None:
    lists = [ListSetting(1, priority=5), ListSetting(2), ListSetting(3, priority=5), ListSetting(4, priority=-1)]
    assert plan_claim(lists, 8, NOW) == [
        ClaimStep((1, 3), False, 8),
        ClaimStep((2,), True, 8),
        ClaimStep((4,), False, 8),
    ]


def test_share_mix_splits_the_batch_then_fills() -> None:
    lists = [ListSetting(1, share=3), ListSetting(2, share=1), ListSetting(3)]
    assert plan_claim(lists, 10, NOW) == [
        ClaimStep((1,), False, 8),
        ClaimStep((2,), False, 2),
        ClaimStep((1, 2, 3), True, 10),
    ]


@given(shares=st.lists(st.floats(0.01, 100), min_size=1, max_size=6), limit=st.integers(1, 500))
def test_share_quotas_add_up_to_the_batch(shares: list[float], limit: int) -> None:
    steps = plan_claim([ListSetting(i, share=s) for i, s in enumerate(shares)], limit, NOW)
    assert sum(s.limit for s in steps[:-1]) == limit
    assert steps[-1].limit == limit
