"""A dial learnt as a live answer and later found to be an answering machine (an agent marked it after the call
ended) is taken back out of the answer rates: they are then what they would be had it been learnt as a dial nobody
answered, whatever came after it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.pacing.stats import LeadHistory, PacingStats

DIAL = st.tuples(
    st.booleans(),
    st.one_of(st.none(), st.integers(0, 23)),
    st.one_of(st.none(), st.builds(LeadHistory, st.integers(1, 6), st.sampled_from([None, "busy", "no_answer"]))),
)


@settings(max_examples=200, deadline=None)
@given(dials=st.lists(DIAL, min_size=1, max_size=400), pick=st.integers(0, 10_000))
def test_taking_a_live_answer_back_equals_never_learning_it(
    dials: list[tuple[bool, int | None, LeadHistory | None]], pick: int
) -> None:
    live = [i for i, (answered, _, _) in enumerate(dials) if answered]
    if not live:
        return
    j = live[pick % len(live)]
    taken_back, never = PacingStats(), PacingStats()
    for i, (answered, hour, history) in enumerate(dials):
        learnt = taken_back.record_attempt(8.0, answered, hour=hour, history=history)
        if i == j:
            mark = learnt
        never.record_attempt(8.0, answered and i != j, hour=hour, history=history)
    taken_back.retract_live_dial(mark)
    assert abs(taken_back.live_share.value - never.live_share.value) < 1e-9
    for hour in (None, 0, 9, 23):
        for history in (None, LeadHistory(), LeadHistory(3, "busy"), LeadHistory(5, "no_answer")):
            assert abs(taken_back.answer_rate(hour, history) - never.answer_rate(hour, history)) < 1e-9


def test_a_dial_learnt_as_unanswered_is_not_taken_back() -> None:
    stats = PacingStats()
    dial = stats.record_attempt(8.0, False, hour=9, history=LeadHistory())
    before = stats.answer_rate(9, LeadHistory())
    stats.retract_live_dial(dial)
    assert stats.answer_rate(9, LeadHistory()) == before
