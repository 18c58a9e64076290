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
    PendingCallback,
    apply_disposition,
    apply_outcome,
    claimed,
    dialability,
    next_dialable_at,
    with_pending_callback,
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


# -- a callback the caller asked for (MIIT: 同意或者请求, consent or request) ---------------------------------------

DUE = T0 + timedelta(minutes=5)  # 10:05 in Shanghai


def _requested(**kw: Any) -> LeadSnapshot:
    """A CN lead without consent, waiting for the callback its caller asked for in the IVR (due at DUE)."""
    base: dict[str, Any] = {
        "id": 1,
        "campaign": "cn",
        "phone": "+8613800138000",
        "tz_candidates": ("Asia/Shanghai",),
        "status": LeadStatus.CALLBACK,
        "callback_at": DUE,
        "next_dialable_at": DUE,
        "requested_callback_source": "ivr flow support",
        "requested_callback_at": T0,
        "requested_callback_due": DUE,
    }
    return LeadSnapshot(**{**base, **kw})


def test_cn_requested_callback_is_dialable_when_due_and_is_not_consent() -> None:
    lead = _requested()
    assert not lead.has_consent
    assert lead.has_requested_callback
    assert dialability(lead, CN, DUE, on_dnc=False)
    assert next_dialable_at(lead, CN, T0) == DUE
    assert dialability(lead, CN, T0, on_dnc=False).reason is NotDialableReason.CALLBACK_WAIT
    # The other rules still hold: the window (21:00 in Shanghai), the DNC list.
    late = DUE + timedelta(hours=11)
    assert dialability(lead, CN, late, on_dnc=False).reason is NotDialableReason.WINDOW_CLOSED
    assert dialability(lead, CN, DUE, on_dnc=True).reason is NotDialableReason.DNC


@pytest.mark.parametrize(
    "change",
    [
        {"callback_at": DUE + timedelta(hours=2), "next_dialable_at": DUE + timedelta(hours=2)},  # another callback
        {"status": LeadStatus.RETRY},  # the callback was dialled (or cancelled): the lead went back to the queue
        {"status": LeadStatus.NEW},
        {"requested_callback_source": " "},  # no source: no evidence
        {"requested_callback_at": None},
        {"requested_callback_due": None},
    ],
)
def test_cn_only_the_requested_callback_itself_is_dialable(change: dict[str, Any]) -> None:
    lead = _requested(**change)
    at = max(DUE, lead.callback_at or DUE)
    verdict = dialability(lead, CN, at, on_dnc=False)
    assert verdict.reason is NotDialableReason.NO_CONSENT
    assert "asked for" in verdict.detail
    assert next_dialable_at(lead, CN, at) is None


def test_cn_requested_callback_after_its_dial() -> None:
    on_call = claimed(_requested(), "runner", DUE, timedelta(minutes=1))
    # No answer: the dial kept the promise (the campaign's callback rules); a retry would be a call nobody asked for.
    after = apply_outcome(on_call, Outcome.NO_ANSWER, CN, DUE + timedelta(seconds=30)).lead
    assert after.status is LeadStatus.RETRY
    assert dialability(after, CN, DUE + timedelta(days=1), on_dnc=False).reason is NotDialableReason.NO_CONSENT
    # A dead number passes the promise on to the lead's next phone, as for any callback: still the request's call.
    two = claimed(_requested(alt_phones=("+8613900139000",)), "runner", DUE, timedelta(minutes=1))
    dead = apply_outcome(two, Outcome.UNALLOCATED, CN, DUE + timedelta(seconds=5))
    carried = with_pending_callback(dead, PendingCallback(DUE, None)).lead
    assert carried.phone == "+8613900139000"
    assert dialability(carried, CN, DUE + timedelta(seconds=5), on_dnc=False)


@settings(max_examples=300, deadline=None)
@given(
    first=outcomes,
    steps=steps,
    probe=st.integers(min_value=0, max_value=60 * 24 * 800),
    attempts=st.integers(0, 5),
)
def test_cn_requested_callback_never_allows_another_dial(
    first: Outcome, steps: list[tuple[Any, int]], probe: int, attempts: int
) -> None:
    """Once the callback the caller asked for has been dialled, whatever its outcome and whatever follows (late
    outcomes, dispositions, an agent's callback), no dial of the lead is allowed without recorded consent."""
    lead = claimed(_requested(attempts=attempts), "runner", DUE, timedelta(minutes=1))
    now = DUE + timedelta(seconds=30)
    lead = apply_outcome(lead, first, CN, now).lead
    for step, minutes in steps:
        now += timedelta(minutes=minutes)
        lead, _ = _after(lead, step, CN, now)
    at = now + timedelta(minutes=probe)
    assert not lead.has_consent
    assert not dialability(lead, CN, at, on_dnc=False)
    assert next_dialable_at(lead, CN, at) is None
