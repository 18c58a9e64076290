from __future__ import annotations

import pytest

from dialer.runner.trunks import TrunkGate, pick_trunk


def test_channel_cap_holds() -> None:
    gate = TrunkGate("pbx1", max_channels=2, max_calls_per_second=100)
    assert gate.acquire(0.0)
    assert gate.acquire(0.0)
    assert not gate.acquire(0.0)
    gate.release()
    assert gate.acquire(0.0)


def test_calls_per_second_is_a_token_bucket() -> None:
    gate = TrunkGate("pbx1", max_channels=1000, max_calls_per_second=5)
    started = sum(gate.acquire(0.0) for _ in range(20))
    assert started == 5
    assert gate.room(0.1) == 0
    assert gate.seconds_until_room(0.1) == pytest.approx(0.1)
    assert gate.room(0.2) == 1
    # Over 10 s no more than 5/s (+ the initial burst of one second's worth) get through.
    total = started
    t = 0.0
    while t < 10.0:
        t += 0.01
        total += gate.acquire(t)
    assert total <= 5 + 5 * 10 + 1


def test_fractional_rates_allow_one_call_at_a_time() -> None:
    gate = TrunkGate("slow", max_channels=10, max_calls_per_second=0.5)
    assert gate.acquire(0.0)
    assert not gate.acquire(1.0)
    assert gate.acquire(2.0)


def test_pick_trunk_prefers_room() -> None:
    a = TrunkGate("a", max_channels=2, max_calls_per_second=10)
    b = TrunkGate("b", max_channels=10, max_calls_per_second=10)
    a.acquire(0)
    assert pick_trunk([a, b], 0) is b
    for _ in range(10):
        b.acquire(0)
    assert pick_trunk([a, b], 0) is a
    a.acquire(0)
    assert pick_trunk([a, b], 0) is None


def test_bad_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one channel"):
        TrunkGate("x", max_channels=0, max_calls_per_second=1)
