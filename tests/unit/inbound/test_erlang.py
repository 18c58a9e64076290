"""Erlang B and C, the service level and the agents required (dialer.inbound.erlang): published values, and the
properties any correct Erlang C has, at any size (no overflow at hundreds of agents)."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialer.inbound.erlang import agents_required, erlang_b, erlang_c, service_level, with_shrinkage

traffic = st.floats(min_value=0.01, max_value=400.0, allow_nan=False)


def exact_erlang_c(a: Fraction, n: int) -> Fraction:
    """Erlang C by its textbook definition, in exact fractions (factorials and powers: fine for small n)."""
    top = a**n / math.factorial(n) * n / (n - a)
    return top / (sum(a**k / math.factorial(k) for k in range(n)) + top)


# Published: Erlang B tables (10 Erl on 10 lines: 0.2146); the classic Erlang C worked example (100 calls in 30
# minutes, 180 s handle time: 10 Erlangs; P(wait) 0.6821, 0.4494, 0.2853, 0.1741 with 11..14 agents; 80/20 needs
# 14 agents, who answer 88.4 % within 20 s, 13 reaching only 79.6 %).
@pytest.mark.parametrize(
    ("a", "n", "p_wait", "level"),
    [(10.0, 11, 0.6821, 0.3896), (10.0, 12, 0.4494, 0.6402), (10.0, 13, 0.2853, 0.7956), (10.0, 14, 0.1741, 0.8884)],
)
def test_published_erlang_c_values(a: float, n: int, p_wait: float, level: float) -> None:
    assert erlang_c(a, n) == pytest.approx(p_wait, abs=5e-5)
    assert service_level(a, n, 180.0, 20.0) == pytest.approx(level, abs=5e-5)


def test_published_erlang_b_and_the_worked_example() -> None:
    assert erlang_b(10.0, 10) == pytest.approx(0.2146, abs=5e-5)
    assert erlang_b(1.0, 1) == 0.5
    assert agents_required(10.0, 180.0, 20.0, 0.80) == 14


@pytest.mark.parametrize(("a", "n"), [(Fraction(1, 2), 1), (Fraction(3), 5), (Fraction(37, 4), 12), (Fraction(20), 27)])
def test_the_recursion_is_the_textbook_formula(a: Fraction, n: int) -> None:
    assert erlang_c(float(a), n) == pytest.approx(float(exact_erlang_c(a, n)), rel=1e-12)


def test_hundreds_of_agents_do_not_overflow() -> None:
    # 200 agents: 200! and 180^200 overflow a float; the recursion never forms them.
    assert 0.0 < erlang_c(180.0, 200) < 0.2
    assert agents_required(180.0, 180.0, 20.0, 0.80) == 188
    assert 0.0 < erlang_c(4000.0, 4100) < 1.0


@given(traffic, st.integers(min_value=1, max_value=500))
def test_more_agents_wait_less(a: float, n: int) -> None:
    assert erlang_c(a, n + 1) <= erlang_c(a, n)
    assert service_level(a, n + 1, 300.0, 20.0) >= service_level(a, n, 300.0, 20.0)
    assert 0.0 <= erlang_c(a, n) <= 1.0


@given(traffic, st.floats(min_value=0.0, max_value=5.0), st.integers(min_value=1, max_value=500))
def test_more_traffic_waits_more(a: float, more: float, n: int) -> None:
    assert erlang_c(a + more, n) >= erlang_c(a, n) - 1e-12
    assert erlang_b(a + more, n) >= erlang_b(a, n) - 1e-12


@given(
    traffic,
    st.floats(min_value=30.0, max_value=900.0),
    st.floats(min_value=0.0, max_value=120.0),
    st.floats(min_value=0.5, max_value=0.95),
    st.floats(min_value=0.5, max_value=1.0),
)
def test_the_agents_required_are_the_fewest_that_meet_the_target_and_the_cap(
    a: float, handle: float, within: float, target: float, cap: float
) -> None:
    n = agents_required(a, handle, within, target, cap)
    assert service_level(a, n, handle, within) >= target
    assert a / n <= cap
    fewer = n - 1
    assert fewer <= a or a / fewer > cap or service_level(a, fewer, handle, within) < target
    assert agents_required(a * 1.5, handle, within, target, cap) >= n


def test_no_traffic_needs_nobody_and_shrinkage_grosses_up() -> None:
    assert agents_required(0.0, 180.0, 20.0, 0.8) == 0
    assert with_shrinkage(14, 0.30) == 20  # 14 / 0.7 = 20 exactly: not 21
    assert with_shrinkage(13, 0.30) == 19
    assert with_shrinkage(7, 0.0) == 7
    with pytest.raises(ValueError, match="shrinkage"):
        with_shrinkage(7, 1.0)
    with pytest.raises(ValueError, match="traffic"):
        erlang_c(-1.0, 3)
    with pytest.raises(ValueError, match="target"):
        agents_required(5.0, 180.0, 20.0, 1.0)
