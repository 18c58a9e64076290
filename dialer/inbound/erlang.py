"""Erlang C: the agents a queue needs to answer a share of its callers within a time (pure; the one implementation).

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
from collections.abc import Iterator


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


def with_shrinkage(agents: int, shrinkage: float) -> int:
    """The agents to schedule so that ``agents`` are on the phones when ``shrinkage`` of the paid time is lost to
    breaks, training and absence."""
    if not 0 <= shrinkage < 1:
        raise ValueError("shrinkage must be in [0, 1)")
    return math.ceil(agents / (1.0 - shrinkage) - 1e-9)


def _check(traffic: float, agents: int) -> None:
    if not math.isfinite(traffic) or traffic < 0 or agents < 0:
        raise ValueError("traffic must be a finite number ≥ 0 and agents ≥ 0")
