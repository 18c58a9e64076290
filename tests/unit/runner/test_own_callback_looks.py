"""When the pacing loop reads the due personal callbacks again (:func:`dialer.runner.own_callbacks.look_needed`): at
every step where a look can dial one, otherwise at most every ``IDLE_LOOK_SECONDS``."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dialer.runner.own_callbacks import IDLE_LOOK_SECONDS, look_needed

AGENTS = st.frozensets(st.sampled_from(["a1", "a2", "a3", "a4"]))


def test_the_first_step_looks() -> None:
    assert look_needed(100.0, None, False, frozenset(), [])


def test_a_look_that_found_nothing_stands_until_it_is_old() -> None:
    assert not look_needed(100.0 + IDLE_LOOK_SECONDS - 0.1, 100.0, False, frozenset(), ["a1", "a2"])
    assert look_needed(100.0 + IDLE_LOOK_SECONDS, 100.0, False, frozenset(), ["a1", "a2"])


def test_an_owner_left_waiting_looks_again_as_soon_as_they_are_free() -> None:
    waiting = frozenset({"a2"})
    assert not look_needed(101.0, 100.0, False, waiting, ["a1"])  # a1 free, a2 still busy
    assert look_needed(101.0, 100.0, False, waiting, ["a1", "a2"])  # a2 free: their callback goes now


def test_after_a_placed_call_the_next_step_looks_again() -> None:
    assert look_needed(100.5, 100.0, True, frozenset(), [])


@given(looked=st.floats(0, 1_000), age=st.floats(0, 20), placed=st.booleans(), left=AGENTS, free=AGENTS)
def test_no_free_owner_is_kept_waiting_and_an_idle_look_is_at_most_every_idle_seconds(
    looked: float, age: float, placed: bool, left: frozenset[str], free: frozenset[str]
) -> None:
    needed = look_needed(looked + age, looked, placed, left, free)
    if left & free or placed or age >= IDLE_LOOK_SECONDS:
        assert needed
    else:
        assert not needed
