"""Consent recorded on the call (dialer.campaign.rules): the record's exportable text, the leads it may be recorded
on, and the callback booking a consent regime would never dial -- refused, a disposition included, until the
called party's consent is recorded."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from harness.campaign import cn_campaign_data, minimal_campaign

from dialer.campaign.config import load_campaign
from dialer.campaign.rules import (
    TERMINAL_STATUSES,
    ConsentNotRecordable,
    ConsentRequired,
    DispositionError,
    LeadSnapshot,
    LeadStatus,
    TransitionKind,
    apply_disposition,
    check_callback_dialable,
    check_consent_recordable,
    claimed,
    consent_record,
    dialability,
)

CN = load_campaign(cn_campaign_data())
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai: the window is open
TOMORROW = T0 + timedelta(days=1)
LEAD = LeadSnapshot(id=7, campaign="cn", phone="+8613800138000", tz_candidates=("Asia/Shanghai",))


def with_consent(lead: LeadSnapshot) -> LeadSnapshot:
    return replace(lead, consent_source=consent_record("verbal on the call", "alice", 42), consent_at=T0)


def test_the_record_names_the_call_and_who_recorded_it() -> None:
    assert consent_record("  verbal on the call ", "alice", 123) == "call 123 by alice: verbal on the call"
    assert consent_record("signed form, scanned", "sue", None) == "by sue: signed form, scanned"


@pytest.mark.parametrize("status", sorted(TERMINAL_STATUSES))
def test_consent_is_not_recorded_on_a_lead_closed_for_good(status: LeadStatus) -> None:
    with pytest.raises(ConsentNotRecordable) as refused:
        check_consent_recordable(replace(LEAD, status=status), on_dnc=False)
    said = "do-not-call" if status is LeadStatus.DNC else "closed for good"
    assert said in str(refused.value)


@pytest.mark.parametrize("status", [LeadStatus.NEW, LeadStatus.RETRY, LeadStatus.CALLBACK, LeadStatus.IN_CALL])
def test_consent_is_recorded_on_a_lead_still_to_call_unless_a_number_is_on_a_dnc_list(status: LeadStatus) -> None:
    check_consent_recordable(replace(LEAD, status=status), on_dnc=False)
    with pytest.raises(ConsentNotRecordable, match="do-not-call"):
        check_consent_recordable(replace(LEAD, status=status), on_dnc=True)


def test_recorded_consent_makes_a_cn_lead_dialable() -> None:
    assert not dialability(LEAD, CN, T0, on_dnc=False)
    assert dialability(with_consent(LEAD), CN, T0, on_dnc=False)


def test_a_callback_a_consent_regime_never_dials_is_refused() -> None:
    with pytest.raises(ConsentRequired, match="record the called party's consent first"):
        check_callback_dialable(LEAD, requires_consent=True)
    check_callback_dialable(LEAD, requires_consent=False)  # other regimes: any lead
    check_callback_dialable(with_consent(LEAD), requires_consent=True)
    # An open request of the called party (the lead waits for the callback they asked for): allowed.
    asked = replace(
        LEAD,
        status=LeadStatus.CALLBACK,
        callback_at=TOMORROW,
        requested_callback_source="ivr flow support",
        requested_callback_at=T0,
        requested_callback_due=TOMORROW,
    )
    check_callback_dialable(asked, requires_consent=True)
    # On the request's own call the request is being kept: a new callback needs consent.
    with pytest.raises(ConsentRequired):
        check_callback_dialable(claimed(asked, "runner", TOMORROW, timedelta(minutes=1)), requires_consent=True)


def test_a_disposition_booking_a_callback_without_consent_is_refused_then_given_once_consent_is_recorded() -> None:
    on_call = claimed(LEAD, "runner", T0, timedelta(minutes=1))
    with pytest.raises(ConsentRequired) as refused:
        apply_disposition(on_call, "callback", CN, T0, agent="alice", callback_at=TOMORROW)
    assert isinstance(refused.value, DispositionError)  # refused before any change, as a bad callback time is
    given = apply_disposition(with_consent(on_call), "callback", CN, T0, agent="alice", callback_at=TOMORROW)
    assert given.kind is TransitionKind.CALLBACK_SCHEDULED
    assert dialability(given.lead, CN, TOMORROW, on_dnc=False, agent="alice")
    # Dispositions that book nothing are given as before; and a campaign without a consent regime books any lead.
    assert apply_disposition(on_call, "not_interested", CN, T0).kind is TransitionKind.CLOSED
    us = minimal_campaign()
    us_lead = replace(on_call, phone="+12025550199", tz_candidates=("America/New_York",))
    at = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)  # 10:00 in New York
    assert apply_disposition(us_lead, "callback", us, T0, callback_at=at).kind is TransitionKind.CALLBACK_SCHEDULED
