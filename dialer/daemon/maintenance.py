"""The daemon's periodic work: one timer on the daemon's clock running a table of jobs, in order, once a second.

Why not APScheduler jobs (``dialer.scheduler`` uses APScheduler for the wall-clock work: crontab schedules,
state sync, callbacks, the nightly purge): this work runs on the *daemon's* clock, which tests, the demo and the
benchmarks drive in simulated time (``dialer.clock``); APScheduler only knows the wall clock. So it is one timer
here, the jobs a table (:func:`Dialer.maintenance_jobs <dialer.daemon.core.Dialer.maintenance_jobs>`) in the order
they run within a tick. A job's failure is logged and ends that tick (the jobs after it wait for the next one).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from dialer.clock import Clock
from dialer.daemon.adoption import CallAdoption
from dialer.daemon.ownership import CampaignKeeper
from dialer.logging import get_logger
from dialer.store.claim import extend_lease, release_expired_leases

log = get_logger(__name__)

TICK_SECONDS = 1.0
LEAD_LEASES_SECONDS = 30.0  # lead claims: ours extended while their calls are up, expired ones released


@dataclass
class PeriodicJob:
    name: str
    run: Callable[[float], Awaitable[None]]  # called with the clock's now
    every: float = 0.0  # seconds between runs on the daemon's clock (0: every tick)
    at_start: bool = False  # also at the first tick, its period still counted from the start
    also_when: Callable[[], bool] | None = None  # due at once whenever this says so (its period restarts)
    last: float = 0.0
    started: bool = False

    def due(self, now: float) -> bool:
        """Whether the job runs at this tick; marks it run (before it runs, so a failing job waits its period)."""
        by_start = self.at_start and not self.started
        by_time = now - self.last >= self.every or (self.also_when is not None and self.also_when())
        if by_time:
            self.last = now
        if by_start or by_time:
            self.started = True
            return True
        return False


class Maintenance:
    def __init__(self, clock: Clock, jobs: Sequence[PeriodicJob]) -> None:
        self.clock = clock
        self.jobs = list(jobs)

    async def run(self) -> None:
        start = self.clock.now()
        for job in self.jobs:
            job.last = start
        while True:
            await self.clock.sleep(TICK_SECONDS)
            now = self.clock.now()
            try:
                for job in self.jobs:
                    if job.due(now):
                        await job.run(now)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("maintenance_failed")


@dataclass(eq=False, kw_only=True)
class LeadLeaseKeeper(CampaignKeeper):
    """The lead claims of the campaigns this daemon runs (:mod:`dialer.store.claim`)."""

    adoption: CallAdoption

    async def run(self, now: float) -> None:
        await self.extend_call_leases(now)
        await self.sweep_expired_leases(now)

    async def extend_call_leases(self, now: float) -> None:
        """A lead's claim lease (campaign lease_seconds) covers ring and setup, not a long conversation: while its
        call is up, keep holding it, or the expiry sweep would hand the lead back and it could be dialled again."""
        for runner in self.runners.values():
            lead_ids = {call.lead_id for call in runner.in_flight.calls.values()}
            if lead_ids:
                until = datetime.fromtimestamp(now + runner.config.lease_seconds, UTC)
                await extend_lease(self.db, self.owner, lead_ids, until)

    async def sweep_expired_leases(self, now: float) -> None:
        """Give back leads whose claimer stopped renewing their lease -- only of campaigns this daemon runs and
        has matched against the PBX's channels (a dead daemon's lead may still be on a live call: handing it back
        first could dial it twice), and of stopped campaigns, which nobody runs."""
        campaigns = (self.ownership.owned - self.adoption.unadopted) | self.ownership.stopped
        await release_expired_leases(self.db, datetime.fromtimestamp(now, UTC), campaign_ids=campaigns)  # (logs)
