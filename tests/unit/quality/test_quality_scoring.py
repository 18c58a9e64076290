"""The QA scorecard and the score of an evaluation (dialer.quality): the rule, its refusals naming the criterion, and
its properties (within 0-100, monotone in each answer, a critical failure scores 0)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from dialer.campaign.config import CampaignConfig
from dialer.i18n import message_of
from dialer.quality.scorecard import Criterion, Scorecard, default_scorecard
from dialer.quality.scoring import AnswerError, checked_answers, score

CARD = Scorecard(
    criteria=(
        Criterion(id="greeting", label="Greeting", weight=1, critical=True),
        Criterion(id="discovery", label="Discovery", kind="scale", max=5, weight=2),
        Criterion(id="courtesy", label="Courtesy", kind="scale", max=4, weight=1),
        Criterion(id="disposition", label="Disposition", weight=1),
    )
)


def test_the_score_is_the_weighted_share_of_points_over_the_criteria_answered() -> None:
    full = {"greeting": True, "discovery": 5, "courtesy": 4, "disposition": True}
    assert score(CARD, full).score == 100.0
    # (1 + 2 × 3/5 + 1 × 1/4 + 0) / 5 = 0.49
    half = score(CARD, {"greeting": True, "discovery": 3, "courtesy": 1, "disposition": False})
    assert (half.score, half.critical_failed) == (49.0, False)
    # N/A leaves the criterion out of the weights: (1 + 2 × 3/5) / 3 = 0.7333...
    na = score(CARD, {"greeting": True, "discovery": 3, "courtesy": None, "disposition": None})
    assert na.score == 73.3


def test_a_critical_no_fails_the_whole_evaluation() -> None:
    failed = score(CARD, {"greeting": False, "discovery": 5, "courtesy": 4, "disposition": True})
    assert (failed.score, failed.critical_failed, failed.failed) == (0.0, True, ("greeting",))


@pytest.mark.parametrize(
    ("answers", "named"),
    [
        ({"discovery": 5, "courtesy": 4, "disposition": True}, "'greeting' is not answered"),
        ({"greeting": None, "discovery": 5, "courtesy": 4, "disposition": True}, "'greeting' is critical"),
        ({"greeting": True, "discovery": 6, "courtesy": 4, "disposition": True}, "'discovery': answer 0 to 5"),
        ({"greeting": True, "discovery": True, "courtesy": 4, "disposition": True}, "'discovery': answer 0 to 5"),
        ({"greeting": 1, "discovery": 5, "courtesy": 4, "disposition": True}, "'greeting': answer yes"),
        ({"greeting": True, "discovery": 5, "courtesy": 4, "disposition": True, "x": 1}, "no criterion 'x'"),
    ],
)
def test_answers_that_do_not_fit_the_scorecard_are_refused_naming_the_criterion(
    answers: dict[str, Any], named: str
) -> None:
    with pytest.raises(AnswerError) as caught:
        checked_answers(CARD, answers)
    assert named in str(message_of(caught.value))


def test_every_criterion_na_is_refused() -> None:
    card = Scorecard(criteria=(Criterion(id="a", label="A"),))
    with pytest.raises(AnswerError, match="nothing to score"):
        score(card, {"a": None})


@pytest.mark.parametrize(
    ("criteria", "said"),
    [
        ([], "at least 1"),
        ([{"id": "a", "label": "A"}, {"id": "a", "label": "B"}], "duplicate criterion id(s) ['a']"),
        ([{"id": "a", "label": "A", "weight": 0}], "greater than 0"),
        ([{"id": "a", "label": "A", "kind": "scale"}], "a scale needs max"),
        ([{"id": "a", "label": "A", "kind": "scale", "max": 11}], "less than or equal to 10"),
        ([{"id": "a", "label": "A", "max": 3}], "max is for kind = scale only"),
        ([{"id": "A b", "label": "A"}], "pattern"),
    ],
)
def test_a_bad_scorecard_is_refused(criteria: list[dict[str, Any]], said: str) -> None:
    with pytest.raises(ValidationError, match=said.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        Scorecard.model_validate({"criteria": criteria})


def _campaign(regime: str, **extra: Any) -> CampaignConfig:
    base: dict[str, Any] = {
        "name": "c",
        "queue": "q",
        "trunk": "PJSIP/{number}@carrier",
        "caller_id": {"number": "+14155550100"},
        "regime": regime,
    }
    return CampaignConfig.model_validate({**base, **extra})


def test_a_campaign_without_quality_gets_the_default_scorecard() -> None:
    card = _campaign("US").scorecard
    assert card == default_scorecard()
    ids = [c.id for c in card.criteria]
    assert ids == ["greeting", "compliance", "discovery", "resolution", "courtesy", "disposition"]
    assert [c.id for c in card.criteria if c.critical] == ["compliance"]
    assert default_scorecard(identification_required=True).criterion("greeting").critical  # type: ignore[union-attr]


def test_a_campaigns_quality_table_is_its_scorecard() -> None:
    c = _campaign("US", quality={"criteria": [{"id": "only", "label": "Only", "kind": "scale", "max": 3}]})
    assert [x.id for x in c.scorecard.criteria] == ["only"]
    with pytest.raises(ValidationError, match="duplicate criterion"):
        _campaign("US", quality={"criteria": [{"id": "a", "label": "A"}, {"id": "a", "label": "A"}]})


# -- properties ---------------------------------------------------------------------------------------------


@st.composite
def card_and_answers(draw: st.DrawFn) -> tuple[Scorecard, dict[str, bool | int | None]]:
    n = draw(st.integers(1, 8))
    criteria = []
    answers: dict[str, bool | int | None] = {}
    for i in range(n):
        scale = draw(st.booleans())
        critical = draw(st.booleans())
        top = draw(st.integers(1, 10)) if scale else None
        weight = draw(st.floats(0.01, 1000, allow_nan=False))
        criteria.append(
            Criterion(
                id=f"c{i}",
                label=f"C{i}",
                kind="scale" if scale else "yes_no",
                max=top,
                weight=weight,
                critical=critical,
            )
        )
        options: list[st.SearchStrategy[Any]] = [st.integers(0, top) if top else st.booleans()]
        if not critical:
            options.append(st.none())
        answers[f"c{i}"] = draw(st.one_of(*options))
    if all(a is None for a in answers.values()):
        first = criteria[0]
        answers[first.id] = draw(st.integers(0, first.points)) if first.max else draw(st.booleans())
    return Scorecard(criteria=tuple(criteria)), answers


@given(card_and_answers())
def test_the_score_is_within_0_and_100(drawn: tuple[Scorecard, dict[str, Any]]) -> None:
    card, answers = drawn
    assert 0.0 <= score(card, answers).score <= 100.0


@given(card_and_answers(), st.data())
def test_the_score_is_monotone_in_each_answer(drawn: tuple[Scorecard, dict[str, Any]], data: st.DataObject) -> None:
    card, answers = drawn
    answered = [c for c in card.criteria if answers[c.id] is not None]
    criterion = data.draw(st.sampled_from(answered))
    current = int(answers[criterion.id])
    if current == criterion.points:
        return
    better = data.draw(st.integers(current + 1, criterion.points))
    raised = {**answers, criterion.id: bool(better) if criterion.kind == "yes_no" else better}
    assert score(card, raised).score >= score(card, answers).score


@given(card_and_answers())
def test_a_critical_failure_scores_0(drawn: tuple[Scorecard, dict[str, Any]]) -> None:
    card, answers = drawn
    failed = [c.id for c in card.criteria if c.critical and answers[c.id] is not None and int(answers[c.id]) == 0]
    result = score(card, answers)
    assert result.critical_failed == bool(failed)
    assert result.failed == tuple(failed)
    if failed:
        assert result.score == 0.0
