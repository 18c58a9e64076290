"""The dialer core, without HTTP: database, Asterisk servers, event pumps, agents, campaign runners.

:mod:`dialer.app` wraps it in the aiohttp lifecycle; tests and the demo can drive it directly. Every long-lived
task is started by :meth:`Dialer.start` and stopped by :meth:`Dialer.stop`, in reverse order.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from dialer.agents.history import AgentHistoryWriter
from dialer.agents.registry import Agent, AgentRegistry
from dialer.agents.service import AgentService
from dialer.agents.sessions import AgentSessionKeeper, CampaignQueues
from dialer.ami.client import AmiClient
from dialer.ami.events import AmiEvent, CoreShowChannel
from dialer.calls.adoption import plan_adoption
from dialer.calls.queue_load import QueueLoad
from dialer.calls.tracker import CallTracker
from dialer.calls.witness import CallEvidence, CallWitness, WitnessedCall
from dialer.campaign.config import CampaignConfig, RecordingMode
from dialer.campaign.state import CampaignState
from dialer.clock import Clock, RealTimeClock
from dialer.logging import get_logger
from dialer.ops.health import ComponentState, HealthRegistry
from dialer.ops.metrics import DialerMetrics
from dialer.pacing import InboundLoad
from dialer.recording.service import RecordingService
from dialer.runner.bus import EventBus
from dialer.runner.inbound import InboundWatcher
from dialer.runner.pool import Server, ServerPool
from dialer.runner.pump import EventPump, UpdateSink
from dialer.runner.runner import CampaignRunner, RunnerState
from dialer.runner.samples import dialer_sample
from dialer.runner.trunks import TrunkGate
from dialer.settings import Settings, node_identity, server_of_interface
from dialer.store.campaigns import CampaignRecord, list_campaigns, set_campaign_state
from dialer.store.claim import extend_lease, release_expired_leases
from dialer.store.engine import Database
from dialer.store.imports import recover_interrupted_imports
from dialer.store.leads import find_leads_by_phone
from dialer.store.ownership import OWNERSHIP_TTL, RENEW_SECONDS, acquire_campaigns, release_campaigns
from dialer.store.runtime import answer_history, open_attempts
from dialer.supervision.service import SupervisionService

log = get_logger(__name__)

# A channel listing older than this is not trusted to say a call is over (call adoption).
LISTING_MAX_AGE_SECONDS = 90.0
# How old an open attempt must be before "its channel is listed nowhere" means the call is over: its Originate
# may still be creating the channel for a moment (added to the campaign's ring timeout).
ADOPTION_SETTLE_MARGIN_SECONDS = 30.0


class UnknownCampaign(LookupError):
    pass


@dataclass
class ServerConnection:
    client: AmiClient
    server: Server
    pump: EventPump


class Dialer:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        clock: Clock | None = None,
        clients: Sequence[AmiClient] | None = None,
        owner: str | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.clock: Clock = clock or RealTimeClock()
        self.owner = owner or node_identity(settings)
        # Attempts of this owner started before this moment are a previous process's (same node, restarted).
        self._started_at = self.clock.now()
        self.bus = EventBus()
        self.metrics = DialerMetrics()
        self.metrics.watch(lambda: dialer_sample(self))
        self.health = HealthRegistry(lambda: datetime.now(UTC))
        self.inbound_queues = frozenset(settings.inbound_queues)
        self.runners: dict[str, CampaignRunner] = {}
        # Campaigns this daemon holds the lease of (dialer.store.ownership): only those dial.
        self.owned: set[int] = set()
        self._owned_until = 0.0
        self._draining = False
        # Call adoption: each server's latest channel listing, campaigns taken over whose calls are not yet
        # matched against every server's (their expired lead leases are not swept before), a pass at a time.
        self._listings: dict[str, tuple[float, list[CoreShowChannel]]] = {}
        self._unadopted: set[int] = set()
        self._stopped_campaigns: set[int] = set()
        self._adoption_lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self._clients = list(clients) if clients is not None else [AmiClient(s) for s in settings.ami]
        servers = [
            Server(
                c.name,
                c,
                TrunkGate(c.name, c.settings.max_channels, c.settings.max_calls_per_second),
                CallTracker(),
            )
            for c in self._clients
        ]
        self.pool = ServerPool(servers)
        # Callers waiting in the inbound queues of each server (blending: an agent takes the callers of its own).
        self.queue_loads = {c.name: QueueLoad(self.inbound_queues) for c in self._clients}
        self.queue_load = self.queue_loads[self._clients[0].name]  # (the first server's)
        # Each agent's phone is a queue member on its own server ([[ami]] agent_interfaces; README "Several
        # Asterisk servers"): queue actions go there, and its campaign's calls are placed there.
        server_settings = [c.settings for c in self._clients]
        registry = AgentRegistry(
            inbound_queues=self.inbound_queues, locate=lambda interface: server_of_interface(server_settings, interface)
        )
        controls = {c.name: c for c in self._clients}
        self.agents = AgentService(registry, self._clients[0], self.clock.now, controls)
        self.history = AgentHistoryWriter(db, self.clock)
        self.agents.add_listener(self.history.on_change)
        # Logged-in agents' sessions in the database: they survive this daemon and follow its campaigns.
        self.sessions = AgentSessionKeeper(
            db, self.agents, self._clients[0], self.clock, self.owner, self._campaigns, servers=controls
        )
        self.inbound = InboundWatcher(
            self.inbound_queues, bus=self.bus, registry=self.agents.registry, find_leads=self._find_leads
        )
        # Recording (the PBX's MixMonitor events -> rows) and supervisor monitoring (ChanSpy sessions, audited).
        self.recordings = RecordingService(db, self.clock, settings.recording, self._recording_mode)
        self.supervision = SupervisionService(db, self.clock, self.client_of_agent, self._attempt_of_agent)
        self.connections = [
            ServerConnection(
                client,
                server,
                EventPump(
                    server,
                    client.events,
                    agents=self.agents,
                    queue_load=self.queue_loads[server.name],
                    route=self._route,
                    all_sinks=self._sinks,
                    resync_source=client,
                    clock=self.clock.now,
                    inbound_queues=self.inbound_queues,
                    observers=[
                        self._inbound_observer(server.name),
                        self.recordings.observer(client),
                        self.supervision.observe,
                    ],
                    on_channels=self._on_channels,
                ),
            )
            for client, server in zip(self._clients, servers, strict=True)
        ]
        for conn in self.connections:
            conn.client.add_state_listener(self._ami_state_listener(conn.server.name))

    # ------------------------------------------------------------------ wiring
    def _recording_mode(self, campaign: str) -> RecordingMode | None:
        runner = self.runners.get(campaign)
        return runner.config.recording if runner is not None else None

    def _attempt_of_agent(self, agent_id: str) -> int | None:
        for runner in self.runners.values():
            attempt = runner.attempt_of_agent(agent_id)
            if attempt is not None:
                return attempt
        return None

    def client_of_agent(self, agent: Agent) -> AmiClient:
        """The AMI connection of the server the agent's phone is on (the first server when there is one)."""
        for conn in self.connections:
            if conn.server.name == agent.server:
                return conn.client
        return self.connections[0].client

    def _route(self, attempt_id: str) -> UpdateSink | None:
        """The runner that placed the call (a handful of campaigns: a scan beats keeping a second index)."""
        if not attempt_id.isdigit():
            return None
        key = int(attempt_id)
        for runner in self.runners.values():
            if runner.in_flight.get(key) is not None:
                return runner
        return None

    def _inbound_observer(self, server: str) -> Callable[[AmiEvent, float], None]:
        def observe(event: AmiEvent, now: float) -> None:
            self.inbound.observe(event, now, server)

        return observe

    def _sinks(self) -> list[UpdateSink]:
        return list(self.runners.values())

    def _campaigns(self) -> CampaignQueues:
        queues = {runner.campaign_id: runner.config.queue for runner in self.runners.values()}
        return CampaignQueues(queues, frozenset(self.owned), adopting=not self._draining)

    def _ami_state_listener(self, name: str) -> Callable[[Any], None]:
        def listener(state: Any) -> None:
            self.health.report(f"ami:{name}", ComponentState.UP if state.up else ComponentState.DOWN, state.reason)
            for runner in self.runners.values():
                runner.wake()  # stop (or resume) dialling without waiting for the next tick

        return listener

    def inbound_waiting(self, queue: str, server: str | None = None) -> int:
        """Callers waiting in inbound ``queue`` on ``server`` (None: on every server)."""
        loads = self.queue_loads.values() if server is None else [self.queue_loads[server]]
        return sum(load.waiting(queue) for load in loads)

    def inbound_load(self, queue: str, server: str | None = None) -> InboundLoad:
        """The inbound traffic that may take the agents of campaign ``queue`` (on ``server``), for the pacer's
        blending reserve: callers waiting in the inbound queues any of those agents also serves (on their server),
        and the recent arrival rate. Agents who serve no inbound queue owe inbound callers nothing: their campaign
        sees no inbound load at all."""
        agents = self.agents.registry.in_queue(queue, server)
        served = frozenset().union(*(a.queues for a in agents)) & self.inbound_queues
        if not served:
            return InboundLoad()
        return InboundLoad(
            callers_waiting=sum(self.inbound_waiting(q, server) for q in served),
            arrivals_per_second=self.inbound.arrivals_per_second(self.clock.now(), server),
        )

    async def _find_leads(self, e164: str) -> list[tuple[str, int]]:
        """Every campaign's leads with this number (an inbound caller's screen pop)."""
        found: list[tuple[str, int]] = []
        for runner in self.runners.values():
            found += [(runner.name, lead.id) for lead in await find_leads_by_phone(self.db, runner.campaign_id, e164)]
        return found

    # --------------------------------------------------------------- lifecycle
    async def start_connections(self) -> None:
        for conn in self.connections:
            self.health.report(f"ami:{conn.server.name}", ComponentState.STARTING, "connecting")
            conn.client.start()
        self.agents.start()
        for conn in self.connections:
            self._tasks.append(asyncio.create_task(conn.pump.run(), name=f"pump-{conn.server.name}"))
        self._tasks.append(asyncio.create_task(self._maintenance(), name="maintenance"))
        self._tasks.append(asyncio.create_task(self.history.run(), name="agent-history"))
        self._tasks.append(asyncio.create_task(self.sessions.run(), name="agent-sessions"))
        self.recordings.start()

    async def load_campaigns(self) -> None:
        """A runner per stored campaign; those stored as running start dialling (if this daemon owns them)."""
        records = await list_campaigns(self.db)
        created: list[CampaignRunner] = []
        for record in records:
            if record.name in self.runners:
                continue
            config = CampaignConfig.model_validate(record.config)
            runner = await self.load_runner(config, record.id)
            created.append(runner)
        await self.sync_ownership(records)
        for record in records:
            runner = self.runners[record.name]
            if record.id in self.owned and runner.state is RunnerState.PAUSED and not runner.running:
                self._apply_stored_state(runner, record.state)
        # Calls of a previous run (or of a daemon that died) may still be up: match them before dialling -- right
        # away when a server is connected, else as soon as one is (its first listing).
        held = [runner for runner in created if runner.campaign_id in self.owned]
        for runner in held:
            self._hold_for_adoption(runner)
        if held:
            await self._resync_connected()

    async def _resync_connected(self) -> None:
        for conn in self.connections:
            if conn.client.is_up:
                await conn.pump.resync()

    @staticmethod
    def _apply_stored_state(runner: CampaignRunner, state: str) -> None:
        if state == CampaignState.RUNNING:
            runner.start()
        elif state == CampaignState.PAUSED:
            runner.start()
            runner.set_state(RunnerState.PAUSED)
        else:
            runner.set_state(RunnerState.STOPPED)

    def owns(self, campaign_id: int) -> bool:
        return campaign_id in self.owned

    async def sync_ownership(self, records: Sequence[CampaignRecord] | None = None) -> set[int]:
        """Renew this daemon's campaign leases, take free or expired ones, and start or idle runners to match.

        Several daemons may share one database: a campaign runs on the one holding its lease. Stopped campaigns
        need no owner; a draining daemon takes nothing (its leases were released when the drain began).
        """
        if self._draining:
            await self.sessions.sync(self.clock.now())  # (renewed only: a draining daemon adopts nobody)
            return self.owned
        if records is None:
            records = await list_campaigns(self.db)
        now = self.clock.now()
        wall = datetime.fromtimestamp(now, UTC)
        wanted = {r.id for r in records if r.state != CampaignState.STOPPED}
        self._stopped_campaigns = {r.id for r in records} - wanted
        held = await acquire_campaigns(self.db, self.owner, wanted, wall, OWNERSHIP_TTL)
        if unwanted := self.owned - wanted:
            await release_campaigns(self.db, self.owner, unwanted)
        self._owned_until = now + OWNERSHIP_TTL.total_seconds()
        await self._seed_taken_over(held, records)
        self._apply_ownership(held, records)
        # The agents' leases at the same instant: a dead daemon's agents are free when its campaigns are.
        await self.sessions.sync(now)
        return held

    def _apply_ownership(self, held: set[int], records: Sequence[CampaignRecord]) -> None:
        for record in records:
            runner = self.runners.get(record.name)
            if runner is None:
                continue
            if record.id in held and runner.state is RunnerState.STANDBY:
                log.info("campaign_lease_acquired", campaign=record.name, owner=self.owner)
                self._apply_stored_state(runner, record.state)
                # Its previous owner may have left calls up: adopt them before dialling or sweeping their leads.
                self._hold_for_adoption(runner)
            elif (
                record.id not in held
                and record.state != CampaignState.STOPPED
                and runner.state is not RunnerState.DRAINING
            ):
                if record.id in self.owned:
                    log.warning("campaign_lease_lost", campaign=record.name, owner=self.owner)
                runner.set_state(RunnerState.STANDBY)  # (a no-op when already standing by)
        self.owned = held

    async def _renew_ownership(self, now: float) -> None:
        """Every few seconds; leases this daemon could not renew in time are treated as lost (stop dialling)."""
        try:
            await self.sync_ownership()
        except Exception:
            if self.owned and now > self._owned_until:
                log.error("campaign_leases_expired", campaigns=sorted(self.owned))
                self.owned = set()
                for runner in self.runners.values():
                    if runner.state in (RunnerState.RUNNING, RunnerState.PAUSED):
                        runner.set_state(RunnerState.STANDBY)
            raise

    async def load_runner(self, config: CampaignConfig, campaign_id: int) -> CampaignRunner:
        """The one way to load a campaign's runner (start, state sync, takeover, scheduler): build it and seed its
        legal window with every answer of the campaign in the regime window, whichever daemon made them."""
        runner = self._make_runner(config, campaign_id)
        await self._seed_history(runner)
        return runner

    def _make_runner(self, config: CampaignConfig, campaign_id: int) -> CampaignRunner:
        runner = CampaignRunner(
            config=config,
            campaign_id=campaign_id,
            db=self.db,
            pool=self.pool,
            agents=self.agents,
            clock=self.clock,
            owner=self.owner,
            bus=self.bus,
            inbound=self.inbound_load,
            tick_seconds=self.settings.pacing_tick_seconds,
        )
        runner.on_originate_latency = self.metrics.originate_latency.observe
        runner.recording_settings = self.settings.recording
        self.runners[config.name] = runner
        self.agents.registry.wrapup_seconds_by_queue[config.queue] = float(config.wrap_up_seconds)
        return runner

    async def _seed_taken_over(self, held: set[int], records: Sequence[CampaignRecord]) -> None:
        """A campaign this daemon takes over (it stood by while another daemon dialled it): re-seed its legal window
        from the store before it dials, so the calls the previous owner made count in it."""
        for record in records:
            runner = self.runners.get(record.name)
            if runner is not None and record.id in held and runner.state is RunnerState.STANDBY:
                await self._seed_history(runner)

    async def _seed_history(self, runner: CampaignRunner) -> None:
        since = datetime.fromtimestamp(self.clock.now(), UTC) - timedelta(hours=runner.settings.window_hours)
        history = await answer_history(self.db, runner.campaign_id, since, runner.config.abandon_rules)
        runner.load_history([(at.timestamp(), count) for at, count in history])

    async def stop(self) -> None:
        for runner in self.runners.values():
            await runner.stop()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        for conn in self.connections:
            await conn.pump.stop()
        await self.agents.stop()
        await self.inbound.stop()
        with contextlib.suppress(Exception):
            await self.recordings.stop()
        with contextlib.suppress(Exception):
            await self.supervision.flush()
        with contextlib.suppress(Exception):
            await self.history.flush()
        with contextlib.suppress(Exception):
            await self.sessions.flush()
        for conn in self.connections:
            await conn.client.close()

    async def drain(self, deadline_seconds: float) -> bool:
        """Stop dialling everywhere and wait for calls in progress to end; True if they all did.

        The campaign leases go at once, so another daemon takes the campaigns over without waiting for them to
        expire (the leads of calls still up stay claimed by this daemon until their outcome is written); the agents'
        sessions go once the calls are over, or at the deadline."""
        self._draining = True
        for runner in self.runners.values():
            runner.drain()
        if self.owned:
            try:
                await release_campaigns(self.db, self.owner)
                self.owned = set()
            except Exception:
                log.exception("campaign_leases_release_failed")
        waits = [runner.drained.wait() for runner in self.runners.values()]
        drained = True
        try:
            async with asyncio.timeout(deadline_seconds):
                await asyncio.gather(*waits)
        except TimeoutError:
            drained = False
        # Its calls are over: its agents may go to the next daemon at once (they stay in their queues).
        await self.sessions.release()
        return drained

    async def _maintenance(self) -> None:
        """Once a second: wrap-up timers, overdue calls. Every few seconds: campaign leases. Every 30 s: lead
        leases (ours extended while their calls are up, expired ones released). Periodically: reconcile."""
        last_leases = last_reconcile = last_ownership = self.clock.now()
        imports_checked = False  # at start-up, then with the lead leases
        while True:
            await self.clock.sleep(1.0)
            now = self.clock.now()
            try:
                self.agents.tick()
                for conn in self.connections:
                    conn.pump.sweep()
                if now - last_ownership >= RENEW_SECONDS:
                    last_ownership = now
                    await self._renew_ownership(now)
                # Calls, agents, queues from the PBX; each listing also adopts calls a dead daemon left up. A
                # campaign held for adoption asks for one every second until a listing came through.
                if self._adoption_due or now - last_reconcile >= self.settings.agent_reconcile_seconds:
                    last_reconcile = now
                    await self._resync_connected()
                if not imports_checked or now - last_leases >= 30:
                    # Imports killed mid-file: their staged leads go, their lists say "interrupted". Import leases
                    # are on the wall clock of the importing process (a CLI), not on the daemon's clock.
                    imports_checked = True
                    await recover_interrupted_imports(self.db, datetime.now(UTC))
                if now - last_leases >= 30:
                    last_leases = now
                    await self._extend_call_leases(now)
                    await self._sweep_expired_leases(now)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("maintenance_failed")

    def _hold_for_adoption(self, runner: CampaignRunner) -> None:
        runner.awaiting_adoption = True
        self._unadopted.add(runner.campaign_id)

    @property
    def _adoption_due(self) -> bool:
        return any(runner.awaiting_adoption for runner in self.runners.values())

    async def _sweep_expired_leases(self, now: float) -> None:
        """Give back leads whose claimer stopped renewing their lease -- only of campaigns this daemon runs and
        has matched against the PBX's channels (a dead daemon's lead may still be on a live call: handing it back
        first could dial it twice), and of stopped campaigns, which nobody runs."""
        campaigns = (self.owned - self._unadopted) | self._stopped_campaigns
        await release_expired_leases(self.db, datetime.fromtimestamp(now, UTC), campaign_ids=campaigns)  # (logs)

    async def _on_channels(self, server: str, channels: list[CoreShowChannel]) -> None:
        """A fresh channel listing of one server (the pump's resync): adopt what it shows of a dead daemon."""
        self._listings[server] = (self.clock.now(), channels)
        await self.adopt_orphans()

    async def adopt_orphans(self) -> int:
        """Match the open attempts of the campaigns this daemon runs against the servers' channel listings:
        adopt the calls still up, close those that ended unseen (dialer.calls.adoption). Returns how many."""
        if self._draining:
            return 0
        async with self._adoption_lock:
            now = self.clock.now()
            listings = {
                c.server.name: self._listings[c.server.name][1]
                for c in self.connections
                if c.client.is_up
                and c.server.name in self._listings
                and now - self._listings[c.server.name][0] <= LISTING_MAX_AGE_SECONDS
            }
            complete = len(listings) == len(self.connections)
            wall = datetime.fromtimestamp(now, UTC)
            handled = 0
            for runner in list(self.runners.values()):
                if runner.campaign_id not in self.owned or not runner.running:
                    continue
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
                    process_started=self._started_at,
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
                    self._unadopted.discard(runner.campaign_id)
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

    async def _extend_call_leases(self, now: float) -> None:
        """A lead's claim lease (campaign lease_seconds) covers ring and setup, not a long conversation: while its
        call is up, keep holding it, or the expiry sweep would hand the lead back and it could be dialled again."""
        for runner in self.runners.values():
            lead_ids = {call.lead_id for call in runner.in_flight.calls.values()}
            if lead_ids:
                until = datetime.fromtimestamp(now + runner.config.lease_seconds, UTC)
                await extend_lease(self.db, self.owner, lead_ids, until)

    # ------------------------------------------------------------------ control
    def runner(self, name: str) -> CampaignRunner:
        runner = self.runners.get(name)
        if runner is None:
            raise UnknownCampaign(name)
        return runner

    async def set_campaign(self, name: str, state: str) -> CampaignRunner:
        """start | pause | stop a campaign (persisted, so a restart resumes it as it was)."""
        runner = self.runner(name)
        stored = CampaignState.for_command(state)
        await set_campaign_state(self.db, name, stored, datetime.fromtimestamp(self.clock.now(), UTC))
        if not self.owns(runner.campaign_id):
            await self.sync_ownership()  # takes the campaign if no other daemon holds it
            if not self.owns(runner.campaign_id):
                return runner  # its owner applies the stored state at its next sync
        if state == "start":
            runner.start()
        elif state == "pause":
            runner.set_state(RunnerState.PAUSED)
        else:
            runner.set_state(RunnerState.STOPPED)
        return runner

    def server_view(self) -> dict[str, dict[str, Any]]:
        """Per Asterisk server: connected or not, its agents by state, the calls placed there, inbound callers."""
        view: dict[str, dict[str, Any]] = {}
        for conn in self.connections:
            name = conn.server.name
            agents = [a for a in self.agents.registry.agents() if a.logged_in and a.on_server(name)]
            by_status: dict[str, int] = {}
            for agent in agents:
                by_status[agent.status.value] = by_status.get(agent.status.value, 0) + 1
            view[name] = {
                "up": conn.client.is_up,
                "agents": sorted(a.agent_id for a in agents),
                "agents_by_status": dict(sorted(by_status.items())),
                "calls_in_flight": sum(
                    1 for r in self.runners.values() for c in r.in_flight.calls.values() if c.server == name
                ),
                "channels_in_use": conn.server.gate.channels_in_use,
                "inbound_waiting": {q: self.inbound_waiting(q, name) for q in sorted(self.inbound_queues)},
            }
        return view

    def status(self) -> dict[str, Any]:
        return {
            "owner": self.owner,
            "owned_campaigns": sorted(r.name for r in self.runners.values() if r.campaign_id in self.owned),
            "ami": {
                c.server.name: {
                    "up": c.client.is_up,
                    "reason": c.client.state.reason,
                    "channels_in_use": c.server.gate.channels_in_use,
                    "tracked_calls": c.server.tracker.active_calls,
                    # Calls of other daemons (or not yet adopted) followed on the wire (dialer.calls.witness).
                    "witnessed_calls": len(c.pump.witness),
                    "events": c.pump.events_seen,
                }
                for c in self.connections
            },
            "agents": [
                {
                    "agent": a.agent_id,
                    "status": a.status.value,
                    "queues": sorted(a.queues),
                    "server": a.server,
                    "since": a.since,
                    "pause_reason": a.pause_reason,
                    "calls_taken": a.calls_taken,
                }
                for a in self.agents.registry.agents()
            ],
            "inbound_waiting": {q: self.inbound_waiting(q) for q in sorted(self.inbound_queues)},
            "servers": self.server_view(),
            "inbound_arrivals_per_hour": round(self.inbound.arrivals_per_second(self.clock.now()) * 3600, 1),
            "campaigns": [runner.status() for runner in self.runners.values()],
            "health": self.health.snapshot(),
        }
