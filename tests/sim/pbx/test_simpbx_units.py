"""Pure parts of the simulated PBX: clocks, caller-ID and Variable parsing, the recorded world, id formats."""

from __future__ import annotations

import asyncio

import pytest

from dialer.clock import ManualClock, RealTimeClock
from dialer.sim.pbx import Fate, PbxConfig
from dialer.sim.pbx.channels import format_duration, parse_caller_id
from dialer.sim.pbx.core import split_variables
from dialer.sim.pbx.world import NEVER, PbxWorld


async def test_manual_clock_fires_timers_in_time_order_and_only_when_advanced() -> None:
    clock = ManualClock(start_epoch=1000.0)
    fired: list[tuple[str, float]] = []
    clock.call_later(2.0, lambda: fired.append(("b", clock.now())))
    clock.call_later(1.0, lambda: fired.append(("a", clock.now())))
    cancelled = clock.call_later(1.5, lambda: fired.append(("x", clock.now())))
    cancelled.cancel()
    assert clock.pending == 2
    await asyncio.sleep(0)
    assert fired == []
    await clock.advance(1.0)
    assert fired == [("a", 1001.0)]
    await clock.advance(5.0)
    assert fired == [("a", 1001.0), ("b", 1002.0)]
    assert clock.now() == 1006.0


async def test_manual_clock_sleep_and_timers_scheduled_by_timers() -> None:
    clock = ManualClock(start_epoch=0.0)
    order: list[str] = []

    def first() -> None:
        order.append("first")
        clock.call_later(0.5, lambda: order.append("chained"))

    clock.call_later(1.0, first)

    async def sleeper() -> None:
        await clock.sleep(1.2)
        order.append("woke")

    task = asyncio.create_task(sleeper())
    await clock.advance(2.0)
    await task
    assert order == ["first", "woke", "chained"]


async def test_real_time_clock_scales_time() -> None:
    clock = RealTimeClock(speed=100.0, start_epoch=5000.0)
    assert clock.now() == pytest.approx(5000.0, abs=1.0)
    done = asyncio.Event()
    clock.call_later(10.0, done.set)  # 10 simulated seconds = 0.1 s
    async with asyncio.timeout(2.0):
        await done.wait()
    with pytest.raises(ValueError, match="positive"):
        RealTimeClock(speed=0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"Dialer" <8005551000>', ("8005551000", "Dialer")),
        ("Acme Sales <+442071234567>", ("+442071234567", "Acme Sales")),
        ("8005551000", ("8005551000", "")),
        ("Reception", ("", "Reception")),
        (None, ("", "")),
        ("", ("", "")),
    ],
)
def test_caller_id_parsing(text: str | None, expected: tuple[str, str]) -> None:
    assert parse_caller_id(text) == expected


def test_variable_headers_split_on_unescaped_commas() -> None:
    headers = ["DIALER_ATTEMPT=42", "A=1,B=2", r"NAME=Smith\, John", r"NOTE=a\\b", "broken", "=nothing"]
    assert split_variables(headers) == (
        ("DIALER_ATTEMPT", "42"),
        ("A", "1"),
        ("B", "2"),
        ("NAME", "Smith, John"),
        ("NOTE", "a\\b"),
    )


def test_duration_format() -> None:
    assert format_duration(0) == "00:00:00"
    assert format_duration(3725.9) == "01:02:05"


@pytest.mark.parametrize(
    ("digit", "fate", "ring"),
    [
        ("1", Fate.HUMAN, 3.0),
        ("2", Fate.BUSY, 0.002),
        ("3", Fate.NO_ANSWER, NEVER),
        ("4", Fate.CONGESTION, 0.002),
        ("5", Fate.UNALLOCATED, 0.002),
        ("6", Fate.INVALID_NUMBER, 0.002),
        ("7", Fate.MACHINE, 2.0),
        ("8", Fate.HUMAN, 2.0),
        ("9", Fate.HUMAN, 2.0),
        ("0", Fate.DEAD_AIR, 2.0),
    ],
)
def test_recorded_world_is_the_recorded_dialplan(digit: str, fate: Fate, ring: float) -> None:
    world = PbxWorld(PbxConfig.recorded(), started_at=0.0)
    plan = world.plan_callee(f"555000{digit}", world.call_rng(1), 0.0)
    assert (plan.fate, plan.ring_seconds) == (fate, ring)
    if digit == "8":
        assert plan.stay_seconds == 2.0
    if digit == "0":
        assert (plan.amd_status, plan.amd_cause) == ("NOTSURE", "TOOLONG-4900")
