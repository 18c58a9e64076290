"""Sentences made where no reader is known (dialer.i18n.Message): the daemon's "why not dialling" and the web's
problem details are rendered in the reader's language; the machine-readable codes do not change."""

from __future__ import annotations

import pytest

from dialer.i18n import M_, Message, render, use_locale
from dialer.pacing import PacingDecision, PacingExplanation, PacingMode
from dialer.pacing.pacer import Guard
from dialer.runner.state import WhyNotDialing
from dialer.runner.why_not import STATE_MESSAGES, decision_reason, paced_reason, state_reason


def explanation(guard: Guard | None, **over: object) -> PacingExplanation:
    fields: dict[str, object] = {
        "mode": PacingMode.PREDICTIVE,
        "effective_mode": PacingMode.PROGRESSIVE,
        "guard": guard,
        "reason": "English technical detail",
        "agents_logged_in": 3,
        "agents_ready": 1,
        "agents_reserved": 0,
        "agents_talking": 2,
        "agents_wrapup": 0,
        "agents_paused": 0,
        "inbound_reserve": 0,
        "inbound_waiting": 0,
        "calls_dialling": 1,
        "calls_amd": 0,
        "calls_waiting": 0,
        "answer_rate": 0.3,
        "window_abandons": 2.0,
        "window_live_answers": 70.0,
        "window_abandon_rate": 2.0 / 70.0,
        **over,
    }
    return PacingExplanation(**fields)  # type: ignore[arg-type]


def test_a_message_is_rendered_in_the_readers_language() -> None:
    message = M_("no lead {lead_id}", lead_id=42)
    assert message.render("ja") == "リード 42 はありません"
    assert message.render("zh-CN") == "没有线索 42"
    assert message.render("en") == "no lead 42"
    assert message.english == "no lead 42"
    with use_locale("ja"):
        assert str(message) == "リード 42 はありません"
        assert render(message) == "リード 42 はありません"
        assert render("as it is") == "as it is"
    assert str(message) == "no lead 42"  # outside a request or a command: English


def test_nested_messages_and_unknown_ids() -> None:
    nested = M_("no call to place now: {free}", free=M_("campaign not started"))
    assert nested.render("ja") == "今は発信できる呼がありません: キャンペーンは開始されていません"
    assert Message("not in any catalogue {x}", {"x": 1}).render("ja") == "not in any catalogue 1"


@pytest.mark.parametrize("guard", [*Guard, None])
def test_every_pacing_guard_has_a_translated_reason(guard: Guard | None) -> None:
    reason = paced_reason(explanation(guard))
    english, japanese, chinese = reason.render("en"), reason.render("ja"), reason.render("zh-CN")
    assert english.isascii() or "−" in english
    assert japanese != english
    assert chinese != english
    assert "{" not in japanese + chinese  # every placeholder filled


def test_why_not_dialling_detail_follows_the_current_language() -> None:
    why = WhyNotDialing(str(Guard.NO_AGENTS), paced_reason(explanation(Guard.NO_AGENTS)))
    assert why.detail == "no agent logged in and unpaused"
    with use_locale("ja"):
        assert why.detail == "ログイン中で一時停止していないオペレーターがいません"
        assert why.code == "no_agents"
    with use_locale("zh-CN"):
        assert why.detail == "没有已登录且未暂停的坐席"
    budget = paced_reason(explanation(Guard.ABANDON_BUDGET))
    assert budget.render("ja").startswith("集計期間の有人応答 70.0 件中、放棄 2.0 件（2.86 %）")


def test_runner_states_have_sentences() -> None:
    for state in STATE_MESSAGES:
        assert state_reason(state).render("ja") != state_reason(state).render("en")
    assert state_reason("unheard-of").render("ja") == "キャンペーンの状態: unheard-of"


def test_the_dashboards_pacing_sentence_for_a_decision_that_dials() -> None:
    predictive = PacingDecision(
        2,
        explanation(
            None,
            effective_mode=PacingMode.PREDICTIVE,
            applied_level=0.05,
            expected_free_agents=2.5,
            expected_answers=2.0,
        ),
    )
    text = decision_reason(predictive)
    assert text.english.startswith("predictive: 2 calls, each keeping its abandon risk within 5.0 %")
    assert text.render("ja").startswith("プレディクティブ: 2 件を発信（各呼の放棄リスクは 5.0 % 以内）")
    progressive = PacingDecision(1, explanation(None, effective_mode=PacingMode.PROGRESSIVE))
    assert decision_reason(progressive).render("zh-CN") == "渐进式：就绪 1 人 − 为呼入保留 0 人 − 进行中 1 通"
    cut = PacingDecision(1, explanation(Guard.CALL_LIMIT))
    assert decision_reason(cut).english == ("1 calls, cut by the runner's call limit (trunk capacity, leads to dial)")
    nothing = PacingDecision(0, explanation(Guard.NO_AGENTS))
    assert decision_reason(nothing).render("ja") == "ログイン中で一時停止していないオペレーターがいません"


def test_the_dashboards_pacing_sentence_says_when_amd_is_paused() -> None:
    held = PacingDecision(3, explanation(Guard.ABANDON_BUDGET, effective_mode=PacingMode.PROGRESSIVE), amd=False)
    text = decision_reason(held)
    assert text.english.endswith(
        "; without AMD: machines reach the agents, who mark them (a person AMD took for a machine would be an abandon"
        " the window has no room for)"
    )
    assert "AMD" in text.render("ja")
    assert "{" not in text.render("ja") + text.render("zh-CN")
    assert "without AMD" not in decision_reason(PacingDecision(3, held.explanation)).english
    assert "without AMD" not in decision_reason(PacingDecision(0, held.explanation, amd=False)).english
