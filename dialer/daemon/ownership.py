"""Which campaigns this daemon runs: the campaign leases (:mod:`dialer.store.ownership`), renewed, taken when free
or expired, released when stopped or when the daemon drains -- and each runner started or put on standby to match.

Several daemons may share one database: a campaign runs on the one holding its lease. Stopped campaigns need no
owner; a draining daemon takes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import KW_ONLY, dataclass, field
from datetime import UTC, datetime

from dialer.agents.sessions import AgentSessionKeeper
from dialer.campaign.config import CampaignConfig
from dialer.campaign.state import CampaignState
from dialer.clock import Clock
from dialer.logging import get_logger
from dialer.runner.runner import CampaignRunner
from dialer.runner.state import RunnerState
from dialer.store.campaigns import CampaignRecord, list_campaigns
from dialer.store.engine import Database
from dialer.store.ownership import OWNERSHIP_TTL, acquire_campaigns, release_campaigns

log = get_logger(__name__)


def follow_stored_state(runner: CampaignRunner, stored: CampaignState) -> None:
    """Run a campaign this daemon owns as it is stored (at start, and when its lease is acquired)."""
    state = RunnerState.following(stored)
    if state is not RunnerState.STOPPED:
        runner.start()
    runner.set_state(state)


@dataclass(eq=False)
class CampaignOwnership:
    """``load_runner``: the daemon's one loading path (re-seeds a campaign taken over); ``taken_over``: a campaign
    whose lease this daemon just acquired from standby (its previous owner may have left calls up)."""

    runners: dict[str, CampaignRunner]
    _: KW_ONLY
    db: Database
    owner: str
    clock: Clock
    sessions: AgentSessionKeeper
    load_runner: Callable[[CampaignConfig, int], Awaitable[CampaignRunner]]
    taken_over: Callable[[CampaignRunner], None]
    owned: set[int] = field(init=False, default_factory=set)  # campaigns whose lease this daemon holds: only those dial
    owned_until: float = field(init=False, default=0.0)
    stopped: set[int] = field(init=False, default_factory=set)  # stopped campaigns: nobody runs them
    draining: bool = field(init=False, default=False)

    def owns(self, campaign_id: int) -> bool:
        return campaign_id in self.owned

    async def sync(self, records: Sequence[CampaignRecord] | None = None) -> set[int]:
        """Renew this daemon's campaign leases, take free or expired ones, and start or idle runners to match."""
        if self.draining:
            await self.sessions.sync(self.clock.now())  # (renewed only: a draining daemon adopts nobody)
            return self.owned
        if records is None:
            records = await list_campaigns(self.db)
        now = self.clock.now()
        wall = datetime.fromtimestamp(now, UTC)
        wanted = {r.id for r in records if r.state != CampaignState.STOPPED}
        self.stopped = {r.id for r in records} - wanted
        held = await acquire_campaigns(self.db, self.owner, wanted, wall, OWNERSHIP_TTL)
        if unwanted := self.owned - wanted:
            await release_campaigns(self.db, self.owner, unwanted)
        self.owned_until = now + OWNERSHIP_TTL.total_seconds()
        await self._load_taken_over(held, records)
        self._apply(held, records)
        # The agents' leases at the same instant: a dead daemon's agents are free when its campaigns are.
        await self.sessions.sync(now)
        return held

    async def _load_taken_over(self, held: set[int], records: Sequence[CampaignRecord]) -> None:
        """A campaign this daemon takes over (it stood by while another daemon dialled it) is loaded again before
        it dials, so the calls the previous owner made count in its legal window."""
        for record in records:
            runner = self.runners.get(record.name)
            if runner is not None and record.id in held and runner.state is RunnerState.STANDBY:
                await self.load_runner(runner.config, record.id)

    def _apply(self, held: set[int], records: Sequence[CampaignRecord]) -> None:
        for record in records:
            runner = self.runners.get(record.name)
            if runner is None:
                continue
            if record.id in held and runner.state is RunnerState.STANDBY:
                log.info("campaign_lease_acquired", campaign=record.name, owner=self.owner)
                follow_stored_state(runner, record.state)
                # Its previous owner may have left calls up: adopt them before dialling or sweeping their leads.
                self.taken_over(runner)
            elif (
                record.id not in held
                and record.state != CampaignState.STOPPED
                and runner.state is not RunnerState.DRAINING
            ):
                if record.id in self.owned:
                    log.warning("campaign_lease_lost", campaign=record.name, owner=self.owner)
                runner.set_state(RunnerState.STANDBY)  # (a no-op when already standing by)
        self.owned = held

    async def renew(self, now: float) -> None:
        """Every few seconds; leases this daemon could not renew in time are treated as lost (stop dialling)."""
        try:
            await self.sync()
        except Exception:
            if self.owned and now > self.owned_until:
                log.error("campaign_leases_expired", campaigns=sorted(self.owned))
                self.owned = set()
                for runner in self.runners.values():
                    if runner.state in (RunnerState.RUNNING, RunnerState.PAUSED):
                        runner.set_state(RunnerState.STANDBY)
            raise

    async def release_all(self) -> None:
        """The daemon drains: it takes nothing more, and its leases go at once so another daemon takes the
        campaigns over without waiting for them to expire."""
        self.draining = True
        if self.owned:
            try:
                await release_campaigns(self.db, self.owner)
                self.owned = set()
            except Exception:
                log.exception("campaign_leases_release_failed")


@dataclass(eq=False)
class CampaignKeeper:
    """Work on the campaigns this daemon runs (``runners``), in the database as ``owner``, only where ``ownership``
    says it holds the lease: what the lead-lease and pacer-memory keepers (dialer.daemon.maintenance,
    dialer.daemon.memory) and call adoption (dialer.daemon.adoption) are each given."""

    runners: dict[str, CampaignRunner]
    _: KW_ONLY
    db: Database
    owner: str
    ownership: CampaignOwnership
