"""Erlang C and Erlang A: the agents a queue needs to answer a share of its callers within a time (pure; the one
implementation). Erlang A, for callers who give up, is further down; first Erlang C.

``traffic`` is the offered load in Erlangs: calls per second × mean handle time (talk + wrap-up). With ``n`` agents
(M/M/n, callers wait without giving up):

* Erlang B by its recursion ``B(0) = 1``, ``B(k) = A·B(k−1) / (k + A·B(k−1))`` -- every term stays in [0, 1], so
  it never overflows (no factorial, no power of ``A``: 200 agents or 5 000 alike);
* Erlang C, the probability a caller waits: ``C = n·B / (n − A·(1 − B))`` for ``n > A``, and 1 when ``n ≤ A`` (the
  queue grows without bound);
* the service level, the share answered within ``t`` seconds: ``1 − C·exp(−(n − A)·t / AHT)``;
* the agents required: the fewest ``n`` whose service level reaches the target **and** whose occupancy ``A / n``
  stays at or under the cap (agents kept busier than that burn out, whatever the queue's figures say).

docs/reports.md "Inbound staffing forecast" says how the forecast feeding it is made."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass


def _erlang_b_terms(traffic: float) -> Iterator[float]:
    """``B(0), B(1), B(2), ...`` for ``traffic`` Erlangs (the stable recursion)."""
    b = 1.0
    k = 0
    while True:
        yield b
        k += 1
        b = traffic * b / (k + traffic * b)


def erlang_b(traffic: float, agents: int) -> float:
    """The blocking probability of ``agents`` servers offered ``traffic`` Erlangs (no waiting room)."""
    _check(traffic, agents)
    for k, b in enumerate(_erlang_b_terms(traffic)):
        if k == agents:
            return b
    raise AssertionError("unreachable")  # pragma: no cover


def _c_from_b(traffic: float, agents: int, b: float) -> float:
    if agents <= traffic:
        return 1.0
    return min(1.0, agents * b / (agents - traffic * (1.0 - b)))


def erlang_c(traffic: float, agents: int) -> float:
    """The probability a caller waits, with ``agents`` agents and ``traffic`` Erlangs (1 when ``agents ≤ traffic``)."""
    return _c_from_b(traffic, agents, erlang_b(traffic, agents))


def _service_level(traffic: float, agents: int, c: float, handle_seconds: float, within_seconds: float) -> float:
    if agents <= traffic:
        return 0.0
    return max(0.0, 1.0 - c * math.exp(-(agents - traffic) * within_seconds / handle_seconds))


def service_level(traffic: float, agents: int, handle_seconds: float, within_seconds: float) -> float:
    """The share of callers answered within ``within_seconds`` (0 when ``agents ≤ traffic``)."""
    if handle_seconds <= 0 or within_seconds < 0:
        raise ValueError("handle time must be > 0 and the answer time ≥ 0")
    return _service_level(traffic, agents, erlang_c(traffic, agents), handle_seconds, within_seconds)


def agents_required(
    traffic: float, handle_seconds: float, within_seconds: float, target: float, max_occupancy: float = 1.0
) -> int:
    """The fewest agents answering ``target`` of the callers within ``within_seconds`` with occupancy at most
    ``max_occupancy`` (0 for no traffic)."""
    _check(traffic, 0)
    if handle_seconds <= 0 or within_seconds < 0 or not 0 < target < 1 or not 0 < max_occupancy <= 1:
        raise ValueError("handle time > 0, answer time ≥ 0, 0 < target < 1 and 0 < max occupancy ≤ 1 needed")
    if traffic == 0:
        return 0
    floor = max(1, math.floor(traffic / max_occupancy))
    for n, b in enumerate(_erlang_b_terms(traffic)):
        if n < floor or n <= traffic:
            continue
        if traffic / n > max_occupancy:
            continue
        c = _c_from_b(traffic, n, b)
        if _service_level(traffic, n, c, handle_seconds, within_seconds) >= target:
            return n
    raise AssertionError("unreachable")  # pragma: no cover: the service level tends to 1 as n grows


# -- Erlang A (Palm's M/M/n+M: callers who give up) ----------------------------------------------------------------
#
# Callers arrive at rate λ, agents serve at rate μ (the handle time is 1/μ), a waiting caller gives up at rate θ
# (the mean patience is 1/θ). Time is counted in handle times (μ = 1): the load is A = λ/μ, a caller's patience rate
# r = θ/μ. With n agents the number of callers in the system is a birth-and-death process; its stationary
# probabilities are Erlang B's below n (their sum over the n-th is 1/B) and, above, π(n + j) = π(n)·t(j) with
# t(j) = Π_{i=1..j} A / (n + i·r). The sums over j of t(j) and of what a caller finding j ahead of them goes through
# are one-dimensional integrals (sum the series under the integral sign):
#
#     S       = Σ_j t(j)                         = n ∫_0^∞ e^{h(s)} ds,         h(s) = −n·s + (A/r)·(1 − e^{−r·s})
#     served within t after waiting (÷ π(n))     = n ∫_0^t e^{h(s) − r·s} ds   (the density of the answered waits)
#     abandoned (÷ π(n))                         = n ∫_0^∞ e^{h(s)}·(1 − e^{−r·s}) ds
#
# (a caller finding j ahead is answered after the sum of exponential stages of rates n + i·r, i = j .. 0, if their
# own patience lasts that long: that sum's density is a binomial in e^{−r·s}, which sums with t(j) to the exponential
# above). h is concave (h'' = −A·r·e^{−r·s} < 0): each integrand has one peak, found in closed form, and the
# integral is taken in panels around it by Gauss–Legendre, in logarithms (no overflow at any size). With r → 0
# (patience → ∞) h → −(n − A)·s and every figure tends to Erlang C's; the abandoned integral has no subtraction in
# it, so a small abandon rate keeps its precision.


def _gauss_legendre(points: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The nodes and weights of the ``points``-point Gauss–Legendre rule on [−1, 1] (Newton on P_points)."""
    nodes: list[float] = []
    weights: list[float] = []
    for i in range(1, points + 1):
        x = math.cos(math.pi * (i - 0.25) / (points + 0.5))
        for _step in range(100):
            p0, p1 = 1.0, x
            for k in range(2, points + 1):
                p0, p1 = p1, ((2 * k - 1) * x * p1 - (k - 1) * p0) / k
            dp = points * (x * p1 - p0) / (x * x - 1.0)
            dx = p1 / dp
            x -= dx
            if abs(dx) < 1e-16:
                break
        nodes.append(x)
        weights.append(2.0 / ((1.0 - x * x) * dp * dp))
    return tuple(nodes), tuple(weights)


_NODES, _WEIGHTS = _gauss_legendre(16)
_TAIL = 46.0  # stop where the integrand has fallen e^46 (1e-20) below its peak
_MAX_PANELS = 100_000


def _panel(f: Callable[[float], float], lo: float, hi: float) -> float:
    half, mid = (hi - lo) / 2.0, (hi + lo) / 2.0
    return half * math.fsum(w * f(mid + half * x) for x, w in zip(_NODES, _WEIGHTS, strict=True))


def _peak_integral(
    h: Callable[[float], float], weight: Callable[[float], float], peak: float, scale: float, upto: float
) -> float:
    """∫_0^upto weight(s)·e^{h(s) − h(peak)} ds for a concave ``h`` peaking at ``peak`` (in [0, upto]) over a width
    ``scale``: panels of ``scale`` from the peak outwards, each side until the integrand has fallen e^46 below the
    peak (a panel that falls less than one e-fold doubles the next one's width)."""
    top = h(peak)

    def f(s: float) -> float:
        return weight(s) * math.exp(h(s) - top)

    total = 0.0
    for direction in (1.0, -1.0):
        at, width = peak, scale
        for _panel_no in range(_MAX_PANELS):
            end = at + direction * width
            end = min(end, upto) if direction > 0 else max(end, 0.0)
            if end == at:
                break
            total += _panel(f, min(at, end), max(at, end))
            fall = h(at) - h(end)
            at = end
            if top - h(at) > _TAIL:
                break
            if fall < 1.0:
                width *= 2.0
        else:  # pragma: no cover: the e-folds grow with every panel of a concave exponent
            raise ArithmeticError("the Erlang A integral did not converge")
    return total


@dataclass(frozen=True, slots=True)
class ErlangA:
    """What ``agents`` agents give a queue of impatient callers (Erlang A), as shares of the offered callers and
    seconds."""

    waiting: float  # P(wait > 0): all agents busy when the caller calls
    service_level: float  # P(answered within the time): answered at once, or after waiting at most the time
    abandoned: float  # P(gives up waiting)
    average_speed_of_answer: float  # the mean wait of the answered callers (seconds)
    occupancy: float  # the share of the agents' time on calls: the load carried (A·(1 − abandoned)) ÷ agents


def erlang_a(
    traffic: float, agents: int, handle_seconds: float, patience_seconds: float, within_seconds: float
) -> ErlangA:
    """Erlang A's figures for ``traffic`` Erlangs, ``agents`` agents, callers whose mean patience is
    ``patience_seconds`` (``math.inf``: they never give up, Erlang C), answered ``within_seconds``."""
    return _erlang_a(traffic, agents, handle_seconds, patience_seconds, within_seconds, with_asa=True)


def _erlang_a(
    traffic: float,
    agents: int,
    handle_seconds: float,
    patience_seconds: float,
    within_seconds: float,
    *,
    with_asa: bool,
) -> ErlangA:
    """:func:`erlang_a`; without ``with_asa`` the ASA (one integral more) is left at 0."""
    _check(traffic, agents)
    if handle_seconds <= 0 or within_seconds < 0 or not patience_seconds > 0 or math.isnan(patience_seconds):
        raise ValueError("handle time and patience must be > 0 and the answer time ≥ 0")
    if traffic == 0:
        return ErlangA(0.0, 1.0, 0.0, 0.0, 0.0)
    if agents == 0:
        return ErlangA(1.0, 0.0, 1.0, 0.0, 0.0)
    if math.isinf(patience_seconds):
        return _erlang_c_figures(traffic, agents, handle_seconds, within_seconds)
    a, n, r, t = traffic, float(agents), handle_seconds / patience_seconds, within_seconds / handle_seconds
    b = erlang_b(a, agents)
    if b == 0.0:  # so few callers for so many agents that nobody ever waits (B underflows)
        return ErlangA(0.0, 1.0, 0.0, 0.0, a / n)

    def gain(s: float) -> float:  # (A/r)·(1 − e^{−r·s}), stable as r → 0
        return -a * math.expm1(-r * s) / r

    def h0(s: float) -> float:
        return -n * s + gain(s)

    def h1(s: float) -> float:
        return -(n + r) * s + gain(s)

    def one(_s: float) -> float:
        return 1.0

    def gave_up(s: float) -> float:
        return -math.expm1(-r * s)

    def waited(s: float) -> float:
        return s

    peak0, scale0 = _peak_and_scale(a, n, r)
    peak1, scale1 = _peak_and_scale(a, n + r, r)
    log_s = math.log(n) + h0(peak0) + math.log(_peak_integral(h0, one, peak0, scale0, math.inf))
    waiting = _expit(log_s - (math.log1p(-b) - math.log(b)))  # π(n)·S, π(n) = 1 / (1/B − 1 + S)
    log_pi = (math.log(waiting) if waiting > 0 else -math.inf) - log_s
    if waiting == 0.0:
        return ErlangA(0.0, 1.0, 0.0, 0.0, a / n)
    at0 = math.exp(log_pi + math.log(n) + h0(peak0))
    at1 = math.exp(log_pi + math.log(n) + h1(peak1))
    abandoned = min(1.0, at0 * _peak_integral(h0, gave_up, peak0, scale0, math.inf))
    within = 0.0
    if t > 0:  # the integrand up to t peaks at t when its peak lies beyond
        within_peak = min(peak1, t)
        at_within = math.exp(log_pi + math.log(n) + h1(within_peak))
        within = at_within * _peak_integral(h1, one, within_peak, scale1, t)
    level = min(1.0, max(0.0, 1.0 - waiting + within))
    served = 1.0 - abandoned
    asa = 0.0
    if with_asa and served > 0:
        asa = at1 * _peak_integral(h1, waited, peak1, scale1, math.inf) / served * handle_seconds
    return ErlangA(waiting, level, abandoned, asa, min(1.0, a * served / n))


def _peak_and_scale(a: float, c: float, r: float) -> tuple[float, float]:
    """Where −c·s + (a/r)(1 − e^{−r·s}) peaks (0 when a ≤ c) and its width there: 1 / √curvature, or 1 / slope
    when the peak is at 0 and the slope steeper."""
    peak = math.log(a / c) / r if a > c else 0.0
    curvature = a * r * math.exp(-r * peak)
    slope = max(0.0, c - a)
    return peak, 1.0 / max(math.sqrt(curvature), slope, 1e-300)


def _expit(z: float) -> float:
    """1 / (1 + e^{−z}) without overflow."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _erlang_c_figures(traffic: float, agents: int, handle_seconds: float, within_seconds: float) -> ErlangA:
    """Erlang C in Erlang A's terms (nobody gives up); the ASA is C·AHT / (n − A), infinite when n ≤ A."""
    c = erlang_c(traffic, agents)
    level = _service_level(traffic, agents, c, handle_seconds, within_seconds)
    asa = c * handle_seconds / (agents - traffic) if agents > traffic else math.inf
    return ErlangA(c, level, 0.0, asa, min(1.0, traffic / agents))


def agents_required_a(
    traffic: float,
    handle_seconds: float,
    patience_seconds: float,
    within_seconds: float,
    target: float,
    max_occupancy: float = 1.0,
) -> int:
    """The fewest agents whose Erlang A service level reaches ``target`` and whose occupancy (the load they carry
    ÷ agents) stays at most ``max_occupancy`` (0 for no traffic). Both improve with every agent added, so the
    fewest is found by doubling and halving."""
    _check(traffic, 0)
    if handle_seconds <= 0 or within_seconds < 0 or not 0 < target < 1 or not 0 < max_occupancy <= 1:
        raise ValueError("handle time > 0, answer time ≥ 0, 0 < target < 1 and 0 < max occupancy ≤ 1 needed")
    if traffic == 0:
        return 0

    def enough(n: int) -> bool:
        f = _erlang_a(traffic, n, handle_seconds, patience_seconds, within_seconds, with_asa=False)
        return f.service_level >= target and f.occupancy <= max_occupancy

    low, high = 0, max(1, math.ceil(traffic))  # ``low`` is not enough (0 agents never is)
    while not enough(high):
        low, high = high, high * 2
    while high - low > 1:
        mid = (low + high) // 2
        if enough(mid):
            high = mid
        else:
            low = mid
    return high


def with_shrinkage(agents: int, shrinkage: float) -> int:
    """The agents to schedule so that ``agents`` are on the phones when ``shrinkage`` of the paid time is lost to
    breaks, training and absence."""
    if not 0 <= shrinkage < 1:
        raise ValueError("shrinkage must be in [0, 1)")
    return math.ceil(agents / (1.0 - shrinkage) - 1e-9)


def _check(traffic: float, agents: int) -> None:
    if not math.isfinite(traffic) or traffic < 0 or agents < 0:
        raise ValueError("traffic must be a finite number ≥ 0 and agents ≥ 0")
