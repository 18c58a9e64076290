"""The JP (特定商取引法 §16/§17) and CN (MIIT) presets: identification, the refusal disposition, consent, caller ID,
the 09:00-20:00 window; and the rules' promises as properties (a refused JP lead and a CN lead without consent are
never dialable again, whatever happens next)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from harness.campaign import cn_campaign_data as cn
from harness.campaign import jp_campaign_data as jp
from harness.campaign import refused_campaign as refused
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.calls.outcome import Outcome
from dialer.campaign.config import CampaignConfigError, RegimeName, load_campaign
from dialer.campaign.rules import (
    LeadSnapshot,
    LeadStatus,
    NotDialableReason,
    apply_disposition,
    apply_outcome,
    dialability,
    next_dialable_at,
)

DAILY_9_20 = {d: "09:00-20:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def test_jp_defaults_window_cap_refusal_and_japanese_safe_harbour() -> None:
    c = load_campaign(jp())
    assert c.regime is RegimeName.JP
    assert c.window.to_mapping() == DAILY_9_20
    assert c.abandon_cap == 0.03
    assert c.default_region == "JP"
    assert c.caller_id.number == "+81312345678"
    r = c.disposition("refused")
    assert r is not None
    assert r.is_dnc
    assert r.final
    assert "山田商事" in c.safe_harbour_text
    assert "住宅保険" in c.safe_harbour_text
    assert "9" in c.safe_harbour_text


def test_jp_window_may_narrow_but_not_widen() -> None:
    assert load_campaign(jp(calling_window="10:00-19:00")).window.to_mapping()["mon"] == "10:00-19:00"
    assert "wider than the JP regime" in refused(jp(calling_window="08:00-21:00"))


def test_jp_requires_identification_in_script_and_recorded_message() -> None:
    assert "requires [identification]" in refused({k: v for k, v in jp().items() if k != "identification"})
    assert "script" in refused(jp(script=""))
    assert "missing product" in refused(jp(script="山田商事の{{ agent }}です。営業のお電話です。"))
    assert "{{ agent }}" in refused(jp(script="山田商事です。住宅保険の営業のお電話です。"))
    assert "recorded_message must state" in refused(jp(recorded_message="山田商事です。またおかけします。"))
    ok = load_campaign(jp(recorded_message="山田商事です。住宅保険について営業のお電話です。"))
    assert ok.safe_harbour_text.startswith("山田商事です")


def test_jp_refused_disposition_is_mandatory_and_must_be_dnc() -> None:
    sale = {"code": "sale", "label": "成約", "final": True, "is_sale": True}
    assert "requires a disposition 'refused'" in refused(jp(dispositions=[sale]))
    soft = {"code": "refused", "label": "お断り", "final": True}
    assert "must set is_dnc = true" in refused(jp(dispositions=[sale, soft]))
    hard = {**soft, "is_dnc": True}
    assert load_campaign(jp(dispositions=[sale, hard])).disposition("refused") is not None


@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("+1 202 555 0100", "is not a CN number"),  # foreign
        ("+81 3 1234 5678", "is not a CN number"),
        ("400 810 8888", "not a fixed-line or mobile number"),  # shared-cost / toll-free
        ("800 810 8888", "not a fixed-line or mobile number"),
        ("anonymous", "is not a phone number"),  # withheld
        ("12345", "not a valid diallable number"),
    ],
)
def test_cn_caller_id_must_be_an_assigned_chinese_line(number: str, why: str) -> None:
    assert why in refused(cn(caller_id={"number": number}))


def test_cn_accepts_fixed_line_and_mobile_and_adds_refusal() -> None:
    c = load_campaign(cn())
    assert c.caller_id.number == "+861065529988"
    assert load_campaign(cn(caller_id={"number": "138 0013 8000"})).caller_id.number == "+8613800138000"
    assert c.window.to_mapping() == DAILY_9_20
    assert c.disposition("refused") is not None
    assert "请按9" in c.safe_harbour_text


# -- properties ---------------------------------------------------------------------------------------------------

JP = load_campaign(jp())
CN = load_campaign(cn())
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 11:00 in Tokyo, 10:00 in Shanghai (windows open)
outcomes = st.sampled_from(list(Outcome))
steps = st.lists(
    st.tuples(
        st.one_of(outcomes, st.sampled_from([d.code for d in JP.dispositions])),
        st.integers(min_value=1, max_value=60 * 24 * 400),  # minutes later
    ),
    max_size=12,
)


def _after(lead: LeadSnapshot, step: Outcome | str, campaign: Any, now: datetime) -> tuple[LeadSnapshot, bool]:
    if isinstance(step, Outcome):
        return apply_outcome(lead, step, campaign, now).lead, False
    try:
        t = apply_disposition(lead, step, campaign, now, callback_at=now + timedelta(days=1))
    except ValueError:
        return lead, False
    return t.lead, bool(t.add_to_dnc)


@settings(max_examples=300, deadline=None)
@given(
    attempts=st.integers(0, 3),
    before=steps,
    after=steps,
    probe=st.integers(min_value=0, max_value=60 * 24 * 800),
)
def test_jp_refused_lead_is_never_dialable_again(
    attempts: int, before: list[tuple[Any, int]], after: list[tuple[Any, int]], probe: int
) -> None:
    lead = LeadSnapshot(id=1, campaign="jp", phone="+819012345678", tz_candidates=("Asia/Tokyo",), attempts=attempts)
    now = T0
    for step, minutes in before:
        now += timedelta(minutes=minutes)
        lead, _ = _after(lead, step, JP, now)
    refusal = apply_disposition(lead, "refused", JP, now)
    assert lead.phone in refusal.add_to_dnc  # the number goes on the campaign's DNC list
    lead = refusal.lead
    for step, minutes in after:
        now += timedelta(minutes=minutes)
        lead, _ = _after(lead, step, JP, now)
    at = now + timedelta(minutes=probe)
    # Whatever follows (late outcomes, other dispositions), the lead is neither dialable nor due ever again --
    # even if its DNC entry were looked up elsewhere (on_dnc=False): the lead's own status holds it.
    assert lead.status is LeadStatus.DNC
    assert not dialability(lead, JP, at, on_dnc=False)
    assert next_dialable_at(lead, JP, at) is None


@settings(max_examples=300, deadline=None)
@given(
    status=st.sampled_from([LeadStatus.NEW, LeadStatus.RETRY, LeadStatus.CALLBACK]),
    source=st.sampled_from([None, "", "  "]),
    consent_at=st.one_of(st.none(), st.just(T0 - timedelta(days=3))),
    steps=steps,
    probe=st.integers(min_value=0, max_value=60 * 24 * 800),
)
def test_cn_lead_without_consent_is_never_dialable(
    status: LeadStatus, source: str | None, consent_at: datetime | None, steps: list[tuple[Any, int]], probe: int
) -> None:
    if source is not None and source.strip() and consent_at is not None:
        return
    lead = LeadSnapshot(
        id=1,
        campaign="cn",
        phone="+8613800138000",
        tz_candidates=("Asia/Shanghai",),
        status=status,
        consent_source=source if source is not None else "web form" if consent_at is None else None,
        consent_at=consent_at,
    )
    now = T0
    for step, minutes in steps:
        now += timedelta(minutes=minutes)
        lead, _ = _after(lead, step, CN, now)
    at = now + timedelta(minutes=probe)
    verdict = dialability(lead, CN, at, on_dnc=False)
    assert not verdict
    assert next_dialable_at(lead, CN, at) is None


def test_cn_lead_with_consent_is_dialable_in_the_window_and_says_why_not_without() -> None:
    lead = LeadSnapshot(id=1, campaign="cn", phone="+8613800138000", tz_candidates=("Asia/Shanghai",))
    verdict = dialability(lead, CN, T0, on_dnc=False)
    assert verdict.reason is NotDialableReason.NO_CONSENT
    assert "consent" in verdict.detail
    ok = LeadSnapshot(
        id=1,
        campaign="cn",
        phone="+8613800138000",
        tz_candidates=("Asia/Shanghai",),
        consent_source="官网表单",
        consent_at=T0 - timedelta(days=1),
    )
    assert dialability(ok, CN, T0, on_dnc=False)
    late = T0 + timedelta(hours=11)  # 21:00 in Shanghai
    assert dialability(ok, CN, late, on_dnc=False).reason is NotDialableReason.WINDOW_CLOSED


_BAD_CLI = st.one_of(
    st.sampled_from(["+1 202 555 0100", "+44 20 7946 0000", "+81 3 1234 5678", "400 810 8888", "withheld", ""]),
    st.text(alphabet="0123456789", min_size=1, max_size=6),
    st.builds(lambda n: f"+1{n}", st.integers(2002000000, 9899999999)),
)


@settings(max_examples=200, deadline=None)
@given(number=_BAD_CLI)
def test_cn_bad_caller_ids_are_always_refused(number: str) -> None:
    with pytest.raises(CampaignConfigError):
        load_campaign(cn(caller_id={"number": number}))
