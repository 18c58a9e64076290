"""The daemon's maintenance timer: a table of jobs run in order on the daemon's clock, each at its own period."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from dialer.clock import ManualClock
from dialer.daemon.maintenance import Maintenance, PeriodicJob


class Log:
    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.start = clock.now()
        self.runs: list[tuple[str, float]] = []

    def job(self, name: str, *, fail: bool = False) -> Callable[[float], Awaitable[None]]:
        async def run(now: float) -> None:
            self.runs.append((name, now - self.start))
            if fail:
                raise RuntimeError(name)

        return run

    def times(self, name: str) -> list[float]:
        return [at for n, at in self.runs if n == name]


async def _run_for(clock: ManualClock, maintenance: Maintenance, seconds: float) -> None:
    task = asyncio.create_task(maintenance.run())
    await clock.advance(0)
    for _ in range(int(seconds)):
        await clock.advance(1.0)
    task.cancel()


async def test_each_job_runs_at_its_period_and_at_start_when_asked() -> None:
    clock = ManualClock()
    log = Log(clock)
    jobs = [
        PeriodicJob("tick", log.job("tick")),
        PeriodicJob("five", log.job("five"), every=5.0),
        PeriodicJob("imports", log.job("imports"), every=5.0, at_start=True),
    ]
    await _run_for(clock, Maintenance(clock, jobs), 11)
    assert log.times("tick") == [float(s) for s in range(1, 12)]
    assert log.times("five") == [5.0, 10.0]
    # Once at the first tick, then at its period counted from the start (not from that first run).
    assert log.times("imports") == [1.0, 5.0, 10.0]


async def test_a_job_due_on_demand_runs_every_tick_while_asked_and_restarts_its_period() -> None:
    clock = ManualClock()
    log = Log(clock)
    wanted = {"now": True}
    jobs = [PeriodicJob("reconcile", log.job("reconcile"), every=4.0, also_when=lambda: wanted["now"])]
    maintenance = Maintenance(clock, jobs)
    task = asyncio.create_task(maintenance.run())
    await clock.advance(0)
    await clock.advance(1.0)
    await clock.advance(1.0)
    wanted["now"] = False
    for _ in range(7):
        await clock.advance(1.0)
    task.cancel()
    assert log.times("reconcile") == [1.0, 2.0, 6.0]


async def test_a_failing_job_ends_its_tick_and_waits_its_period() -> None:
    clock = ManualClock()
    log = Log(clock)
    jobs = [
        PeriodicJob("leases", log.job("leases", fail=True), every=2.0),
        PeriodicJob("after", log.job("after")),
    ]
    await _run_for(clock, Maintenance(clock, jobs), 4)
    assert log.times("leases") == [2.0, 4.0]
    assert log.times("after") == [1.0, 3.0]
