"""The score of an evaluation: a call's answers to its campaign's scorecard (pure).

An answer is ``true``/``false`` for a yes/no criterion, 0..``max`` points for a scale, or ``null`` (N/A) for a
criterion that did not apply to the call -- allowed on non-critical criteria only. Every criterion is answered
(:func:`checked_answers`).

The **score** is the weighted share of the points reached over the criteria answered (N/A ones are left out of the
weights): ``100 × Σ weight × points / max  ÷  Σ weight``, rounded to one decimal. A critical criterion answered
"no" (0 points) fails the evaluation: score 0, ``critical_failed``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from dialer.i18n import M_
from dialer.quality.scorecard import Criterion, Scorecard

Answer = bool | int | None


class AnswerError(ValueError):
    """Answers that do not fit the scorecard; the message names the criterion."""


@dataclass(frozen=True, slots=True)
class Score:
    score: float  # 0..100, one decimal
    critical_failed: bool
    failed: tuple[str, ...]  # the critical criteria answered no / 0


def _points(criterion: Criterion, answer: object) -> int | None:
    """The points of one answer (None: N/A), or an AnswerError saying what is wrong with it."""
    if answer is None:
        if criterion.critical:
            raise AnswerError(M_("criterion {id} is critical: it cannot be N/A", id=repr(criterion.id)))
        return None
    if criterion.kind == "yes_no":
        if not isinstance(answer, bool):
            raise AnswerError(M_("criterion {id}: answer yes (true), no (false) or N/A (null)", id=repr(criterion.id)))
        return int(answer)
    if isinstance(answer, bool) or not isinstance(answer, int) or not 0 <= answer <= criterion.points:
        raise AnswerError(
            M_("criterion {id}: answer 0 to {max} points or N/A (null)", id=repr(criterion.id), max=criterion.points)
        )
    return answer


def checked_answers(card: Scorecard, answers: Mapping[str, object]) -> dict[str, Answer]:
    """``answers`` as stored: every criterion of ``card`` answered, in range, N/A only on non-critical ones; an
    :class:`AnswerError` naming the first criterion that is not."""
    known = {c.id for c in card.criteria}
    unknown = sorted(set(answers) - known)
    if unknown:
        raise AnswerError(M_("no criterion {ids} on the scorecard", ids=", ".join(map(repr, unknown))))
    checked: dict[str, Answer] = {}
    for criterion in card.criteria:
        if criterion.id not in answers:
            raise AnswerError(M_("criterion {id} is not answered", id=repr(criterion.id)))
        points = _points(criterion, answers[criterion.id])
        checked[criterion.id] = None if points is None else bool(points) if criterion.kind == "yes_no" else points
    if all(value is None for value in checked.values()):
        raise AnswerError(M_("every criterion is N/A: there is nothing to score"))
    return checked


def score(card: Scorecard, answers: Mapping[str, object]) -> Score:
    """The score of ``answers`` (checked first: :func:`checked_answers`)."""
    checked = checked_answers(card, answers)
    reached = Fraction(0)
    weights = Fraction(0)
    failed: list[str] = []
    for criterion in card.criteria:
        points = _points(criterion, checked[criterion.id])
        if points is None:
            continue
        if criterion.critical and points == 0:
            failed.append(criterion.id)
        weight = Fraction(criterion.weight)
        weights += weight
        reached += weight * Fraction(points, criterion.points)
    if failed:
        return Score(0.0, True, tuple(failed))
    return Score(round(float(100 * reached / weights), 1), False, ())
