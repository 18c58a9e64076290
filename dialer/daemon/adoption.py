"""Calls a dead daemon (or this node's previous process) left up: each server's channel listing is matched against
the open attempts of the campaigns this daemon runs (:func:`dialer.calls.adoption.plan_adoption`); the calls still
up are adopted, those that ended unseen are closed (:mod:`dialer.runner.adopting` does both for its campaign).

A campaign taken over is *held for adoption* (its runner does not dial, its expired lead leases are not swept)
until one pass has matched it against every server's listing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass, field
from datetime import UTC, datetime

from dialer.ami.events import CoreShowChannel
from dialer.calls.adoption import plan_adoption
from dialer.calls.witness import CallEvidence, CallWitness, WitnessedCall
from dialer.clock import Clock
from dialer.daemon.connection import ServerConnection
from dialer.daemon.ownership import CampaignKeeper
from dialer.logging import get_logger
from dialer.runner.runner import CampaignRunner
from dialer.store.runtime import open_attempts

log = get_logger(__name__)

# A channel listing older than this is not trusted to say a call is over (call adoption).
LISTING_MAX_AGE_SECONDS = 90.0
# How old an open attempt must be before "its channel is listed nowhere" means the call is over: its Originate
# may still be creating the channel for a moment (added to the campaign's ring timeout).
ADOPTION_SETTLE_MARGIN_SECONDS = 30.0


@dataclass(eq=False)
class CallAdoption(CampaignKeeper):
    connections: Sequence[ServerConnection]
    _: KW_ONLY
    clock: Clock
    # Attempts of this owner started before this moment are a previous process's (same node, restarted).
    process_started: float
    # Each server's latest channel listing, campaigns taken over whose calls are not yet matched against every
    # server's (their expired lead leases are not swept before), a pass at a time.
    listings: dict[str, tuple[float, list[CoreShowChannel]]] = field(init=False, default_factory=dict)
    unadopted: set[int] = field(init=False, default_factory=set)
    _lock: asyncio.Lock = field(init=False, default_factory=asyncio.Lock)

    def hold(self, runner: CampaignRunner) -> None:
        """No dialling, no lead-lease sweep for this campaign until a pass has matched its calls."""
        runner.awaiting_adoption = True
        self.unadopted.add(runner.campaign_id)

    @property
    def due(self) -> bool:
        """A campaign is held for adoption: a channel listing is wanted now."""
        return any(runner.awaiting_adoption for runner in self.runners.values())

    async def on_channels(self, server: str, channels: list[CoreShowChannel]) -> None:
        """A fresh channel listing of one server (the pump's resync): adopt what it shows of a dead daemon."""
        self.listings[server] = (self.clock.now(), channels)
        await self.adopt_orphans()

    async def adopt_orphans(self) -> int:
        """Match the open attempts of the campaigns this daemon runs against the servers' channel listings:
        adopt the calls still up, close those that ended unseen (dialer.calls.adoption). Returns how many."""
        if self.ownership.draining:
            return 0
        async with self._lock:
            now = self.clock.now()
            listings = {
                c.server.name: self.listings[c.server.name][1]
                for c in self.connections
                if c.client.is_up
                and c.server.name in self.listings
                and now - self.listings[c.server.name][0] <= LISTING_MAX_AGE_SECONDS
            }
            complete = len(listings) == len(self.connections)
            handled = 0
            for runner in list(self.runners.values()):
                if not self.ownership.owns(runner.campaign_id) or not runner.running:
                    continue
                handled += await self._pass(runner, listings, complete, now)
            return handled

    async def _pass(
        self, runner: CampaignRunner, listings: dict[str, list[CoreShowChannel]], complete: bool, now: float
    ) -> int:
        wall = datetime.fromtimestamp(now, UTC)
        handled = 0
        found = await open_attempts(self.db, runner.campaign_id, wall, exclude=runner.in_flight.calls.keys())
        # What was seen on the wire of these calls while no tracker followed them (dialer.calls.witness).
        witnessed: dict[int, tuple[CallWitness, WitnessedCall]] = {}
        seen_ended: dict[int, CallEvidence] = {}
        for attempt in found:
            for conn in self.connections:
                witness = conn.pump.witness
                call = witness.find(str(attempt.attempt_id), attempt.channel_id, attempt.action_id)
                if call is not None:
                    witnessed[attempt.attempt_id] = (witness, call)
                    evidence = runner.read_witnessed(attempt, call)
                    if evidence.ended is not None:
                        seen_ended[attempt.attempt_id] = evidence
                    break
        plan = plan_adoption(
            found,
            listings,
            owner=self.owner,
            every_server_listed=complete,
            now=now,
            settle_seconds=runner.config.ring_timeout_seconds + ADOPTION_SETTLE_MARGIN_SECONDS,
            process_started=self.process_started,
            seen_ended=seen_ended,
        )
        for adoption in plan.adopt:
            handled += await runner.adopt(adoption, witnessed.get(adoption.attempt.attempt_id))
        for closure in plan.close:
            handled += await runner.close_orphan(closure)
            if (seen := witnessed.get(closure.attempt.attempt_id)) is not None:
                seen[0].forget(seen[1])
        if runner.awaiting_adoption:
            runner.awaiting_adoption = False
            runner.wake()
        if complete:
            self.unadopted.discard(runner.campaign_id)
        if plan or plan.waiting:
            log.info(
                "call_adoption_pass",
                campaign=runner.name,
                adopted=len(plan.adopt),
                closed=len(plan.close),
                waiting=len(plan.waiting),
                every_server_listed=complete,
            )
        return handled
