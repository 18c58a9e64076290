"""AmiClient + CallTracker against the simulated PBX (dialer/sim/pbx), whose ground truth says what really happened."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import replace

from dialer.ami.actions import OriginateRequest, OriginateResult, OriginateStatus
from dialer.ami.client import AmiClient
from dialer.calls.outcome import Outcome
from dialer.calls.tracker import CallEnded, CallLost, CallTracker, CallUpdate, OriginateRecord
from dialer.settings import AmiServerSettings
from dialer.sim.pbx import PbxConfig, RealTimeClock, SimulatedPbx

SPEED = 40.0  # simulated seconds per real second


def _settings(pbx: SimulatedPbx) -> AmiServerSettings:
    return AmiServerSettings(
        name="sim",
        host="127.0.0.1",
        port=pbx.port,
        # a bound, not a speed: a loaded machine answers a burst of 600 Originates late, and an action given up
        # on (UNKNOWN) is what the crash test counts as lost to the crash
        action_timeout_seconds=10.0,
        reconnect_max_backoff_seconds=0.2,
    )


def _request(n: int, number: str, context: str = "dialer-connect") -> OriginateRequest:
    return OriginateRequest(
        channel=f"Local/{number}@sim-pstn",
        attempt_id=f"att-{n}",
        context=context,
        caller_id='"Acme" <8005551000>',
        timeout_ms=8_000,
    )


async def test_tracker_outcomes_match_the_simulated_pbx_truth() -> None:
    clock = RealTimeClock(speed=SPEED)
    numbers = ["5550001", "5550002", "5550003", "5550004", "5550005", "5550006", "5550008"]
    tracker = CallTracker()
    ended: dict[str, CallEnded] = {}
    async with SimulatedPbx(PbxConfig.recorded(), clock=clock) as pbx, AmiClient(_settings(pbx)) as ami:
        await ami.wait_up(30)

        async def consume() -> None:
            async for event in ami.events():
                now = clock.now()
                updates: list[CallUpdate] = [*tracker.feed(event, now), *tracker.sweep(now)]
                for update in updates:
                    assert not isinstance(update, CallLost), update
                    if isinstance(update, CallEnded):
                        ended[update.attempt_id] = update
                if len(ended) == len(numbers):
                    return

        consumer = asyncio.create_task(consume())
        for n, number in enumerate(numbers):
            request = _request(n, number)
            action_id = f"sim-{n}"
            channel_id = f"sim-ch-{n}"
            tracker.register(
                OriginateRecord(action_id, request.attempt_id, request.channel, number, clock.now(), channel_id, 8.0)
            )
            result = await ami.originate(replace(request, action_id=action_id, channel_id=channel_id))
            assert result.status is OriginateStatus.QUEUED
        async with asyncio.timeout(20):
            await consumer
        truth = {r.attempt: r.outcome for r in pbx.truth.originates}
    got = {attempt: e.outcome for attempt, e in ended.items()}
    assert got == truth
    assert got["att-1"] is Outcome.BUSY
    assert got["att-4"] is Outcome.UNALLOCATED


async def test_no_double_dial_when_the_simulated_pbx_crashes_mid_burst() -> None:
    clock = RealTimeClock(speed=SPEED)
    async with SimulatedPbx(PbxConfig.recorded(), clock=clock) as pbx, AmiClient(_settings(pbx)) as ami:
        await ami.wait_up(30)

        async def crash_and_restart() -> None:
            # The ground truth offers nothing to await: poll it every loop turn.
            while len(pbx.truth.originates) < 30:  # noqa: ASYNC110
                await asyncio.sleep(0)
            await pbx.restart()

        crasher = asyncio.create_task(crash_and_restart())
        first = await asyncio.gather(*(ami.originate(_request(n, f"55{n:05d}2")) for n in range(600)))
        await crasher
        await ami.wait_up(30)
        second: list[OriginateResult] = await asyncio.gather(
            *(ami.originate(_request(n, f"55{n:05d}2")) for n in range(600, 630))
        )
        assert pbx.truth.duplicates() == {}
        by_action = Counter(r.action_id for r in pbx.truth.originates)
        assert max(by_action.values()) == 1
        statuses = Counter(r.status for r in first)
        assert statuses[OriginateStatus.UNKNOWN] + statuses[OriginateStatus.NOT_SENT] >= 1
        assert all(r.status is OriginateStatus.QUEUED for r in second)
        assert pbx.truth.logins >= 2
