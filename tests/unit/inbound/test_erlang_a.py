"""Erlang A (dialer.inbound.erlang.erlang_a, agents_required_a): against an independent solution of the same
M/M/n+M queue, and the properties any correct one has (patience → ∞ is Erlang C; more agents never serve worse;
no overflow at thousands of agents).

The independent solution builds the birth-and-death chain itself (truncated far past any caller the queue holds),
reads the abandon rate off the rate balance (θ·E[queue] = λ·P(abandon)) and the service level off the backward
equations of a caller who finds j callers ahead, integrated by Runge-Kutta: none of the closed-form integrals the
module uses."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.inbound.erlang import agents_required, agents_required_a, erlang_a, erlang_c, service_level


def reference(a: float, n: int, r: float, t: float) -> tuple[float, float, float]:
    """P(wait), P(abandon), P(answered within t) for load ``a``, ``n`` agents, patience rate ``r`` (per handle
    time) and ``t`` handle times, the long way."""
    weights = [1.0]
    k = 1
    while True:
        weights.append(weights[-1] * a / (min(k, n) + max(0, k - n) * r))
        if k > n and weights[-1] < 1e-18 * max(weights):
            break
        k += 1
    total = math.fsum(weights)
    pi = [w / total for w in weights]
    waiting = math.fsum(pi[n:])
    queue = math.fsum((k - n) * p for k, p in enumerate(pi) if k > n)
    abandoned = r * queue / a
    ahead = len(pi) - n
    # u[j]: P(answered by time s | j callers ahead on arrival); du_j/ds = (n + j·r)(u_{j-1} − u_j) − r·u_j, u_{-1} = 1
    u = [0.0] * ahead

    def slope(v: list[float]) -> list[float]:
        return [(n + j * r) * ((1.0 if j == 0 else v[j - 1]) - v[j]) - r * v[j] for j in range(ahead)]

    steps = 2000
    h = t / steps
    for _ in range(steps):
        k1 = slope(u)
        k2 = slope([x + h / 2 * d for x, d in zip(u, k1, strict=True)])
        k3 = slope([x + h / 2 * d for x, d in zip(u, k2, strict=True)])
        k4 = slope([x + h * d for x, d in zip(u, k3, strict=True)])
        u = [x + h / 6 * (d1 + 2 * d2 + 2 * d3 + d4) for x, d1, d2, d3, d4 in zip(u, k1, k2, k3, k4, strict=True)]
    level = 1.0 - waiting + math.fsum(pi[n + j] * u[j] for j in range(ahead))
    return waiting, abandoned, level


@pytest.mark.parametrize(
    ("a", "n", "handle", "patience", "within"),
    [
        (10.0, 12, 180.0, 180.0, 20.0),  # patience = handle time
        (10.0, 10, 180.0, 60.0, 20.0),  # as many agents as Erlangs: only abandons keep Erlang C's queue finite
        (10.0, 8, 180.0, 120.0, 30.0),  # fewer: overloaded, stable only because callers give up
        (3.0, 5, 240.0, 600.0, 15.0),
        (0.5, 1, 300.0, 45.0, 60.0),  # one agent
        (20.0, 18, 120.0, 240.0, 10.0),
    ],
)
def test_erlang_a_is_the_m_m_n_m_queue(a: float, n: int, handle: float, patience: float, within: float) -> None:
    waiting, abandoned, level = reference(a, n, handle / patience, within / handle)
    got = erlang_a(a, n, handle, patience, within)
    assert got.waiting == pytest.approx(waiting, rel=1e-9)
    assert got.abandoned == pytest.approx(abandoned, rel=1e-9)
    assert got.service_level == pytest.approx(level, rel=1e-9)
    assert got.occupancy == pytest.approx(a * (1 - abandoned) / n, rel=1e-9)


def test_callers_who_give_up_need_fewer_agents_than_erlang_c_says() -> None:
    # The classic worked example (10 Erlangs, 180 s, 80/20: Erlang C's 14 agents) with callers patient 3 minutes
    # on average: 12 agents answer 80 % in time (11 do not), some 5 % of the callers hanging up first.
    assert agents_required(10.0, 180.0, 20.0, 0.80) == 14
    assert agents_required_a(10.0, 180.0, 180.0, 20.0, 0.80) == 12
    at_twelve = erlang_a(10.0, 12, 180.0, 180.0, 20.0)
    assert at_twelve.service_level >= 0.80 > erlang_a(10.0, 11, 180.0, 180.0, 20.0).service_level
    assert 0.0 < at_twelve.abandoned < 0.06
    assert at_twelve.average_speed_of_answer < 40.45  # Erlang C's ASA with 12 agents: C·AHT/(n − A) = 40.4 s


def test_thousands_of_agents_and_tiny_loads_do_not_overflow() -> None:
    big = erlang_a(4000.0, 3950, 180.0, 60.0, 20.0)
    assert 0.0 < big.abandoned < 0.05
    assert 0.0 < big.service_level < 1.0
    assert agents_required_a(4000.0, 180.0, 60.0, 20.0, 0.80) < agents_required(4000.0, 180.0, 20.0, 0.80)
    tiny = erlang_a(0.01, 300, 180.0, 60.0, 20.0)
    assert (tiny.waiting, tiny.service_level, tiny.abandoned) == (0.0, 1.0, 0.0)
    assert erlang_a(0.0, 3, 180.0, 60.0, 20.0).service_level == 1.0
    assert erlang_a(5.0, 0, 180.0, 60.0, 20.0).abandoned == 1.0
    assert agents_required_a(0.0, 180.0, 60.0, 20.0, 0.8) == 0
    with pytest.raises(ValueError, match="patience"):
        erlang_a(5.0, 3, 180.0, 0.0, 20.0)
    with pytest.raises(ValueError, match="target"):
        agents_required_a(5.0, 180.0, 60.0, 20.0, 1.0)


traffic = st.floats(min_value=0.05, max_value=300.0, allow_nan=False)
patience = st.floats(min_value=5.0, max_value=3600.0)


@settings(deadline=None)
@given(traffic, st.integers(min_value=1, max_value=400), st.floats(min_value=30.0, max_value=900.0))
def test_infinite_patience_is_erlang_c(a: float, n: int, handle: float) -> None:
    infinite = erlang_a(a, n, handle, math.inf, 20.0)
    assert infinite.waiting == erlang_c(a, n)
    assert infinite.abandoned == 0.0
    if n > a + 0.5:
        patient = erlang_a(a, n, handle, handle * 1e9, 20.0)
        assert patient.waiting == pytest.approx(erlang_c(a, n), abs=1e-6)
        assert patient.service_level == pytest.approx(service_level(a, n, handle, 20.0), abs=1e-6)
        assert patient.abandoned == pytest.approx(0.0, abs=1e-6)


@settings(deadline=None)
@given(traffic, st.integers(min_value=1, max_value=400), st.floats(min_value=30.0, max_value=900.0), patience)
def test_more_agents_never_serve_worse(a: float, n: int, handle: float, wait: float) -> None:
    now, more = erlang_a(a, n, handle, wait, 20.0), erlang_a(a, n + 1, handle, wait, 20.0)
    for f in (now, more):
        assert 0.0 <= f.abandoned <= f.waiting <= 1.0
        assert 0.0 <= f.service_level <= 1.0
        assert 0.0 <= f.occupancy <= 1.0
    assert more.service_level >= now.service_level - 1e-9
    assert more.abandoned <= now.abandoned + 1e-9
    assert more.waiting <= now.waiting + 1e-9
    assert more.occupancy <= now.occupancy + 1e-9


@settings(deadline=None)
@given(traffic, st.integers(min_value=1, max_value=200), st.floats(min_value=30.0, max_value=900.0), patience)
def test_less_patient_callers_give_up_more(a: float, n: int, handle: float, wait: float) -> None:
    assert erlang_a(a, n, handle, wait / 2, 20.0).abandoned >= erlang_a(a, n, handle, wait, 20.0).abandoned - 1e-9


@settings(deadline=None)
@given(
    traffic,
    st.floats(min_value=30.0, max_value=900.0),
    patience,
    st.floats(min_value=0.0, max_value=120.0),
    st.floats(min_value=0.5, max_value=0.95),
    st.floats(min_value=0.5, max_value=1.0),
)
def test_the_agents_required_are_the_fewest_that_meet_the_target_and_the_cap(
    a: float, handle: float, wait: float, within: float, target: float, cap: float
) -> None:
    n = agents_required_a(a, handle, wait, within, target, cap)
    f = erlang_a(a, n, handle, wait, within)
    assert f.service_level >= target
    assert f.occupancy <= cap
    if n > 1:
        fewer = erlang_a(a, n - 1, handle, wait, within)
        assert fewer.service_level < target or fewer.occupancy > cap
    assert agents_required_a(a * 1.5, handle, wait, within, target, cap) >= n
