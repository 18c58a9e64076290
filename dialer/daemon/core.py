"""The Dialer: the daemon's wiring -- database, Asterisk servers, event pumps, agents, campaign runners -- and its
lifecycle and control. Each role is a collaborator of its own module in this package (see ``dialer.daemon``).

:mod:`dialer.app` wraps it in the aiohttp lifecycle; tests and the demo can drive it directly. Every long-lived
task is started by :meth:`Dialer.start_connections` and stopped by :meth:`Dialer.stop`, in reverse order.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from dialer.agents.history import AgentHistoryWriter
from dialer.agents.registry import Agent, AgentRegistry
from dialer.agents.service import AgentService
from dialer.agents.sessions import AgentSessionKeeper, CampaignQueues
from dialer.ami.client import AmiClient
from dialer.ami.events import AmiEvent, CoreShowChannel
from dialer.calls.queue_load import QueueLoad
from dialer.calls.tracker import CallTracker
from dialer.campaign.config import CampaignConfig, RecordingMode
from dialer.campaign.state import CampaignState
from dialer.clock import Clock, RealTimeClock
from dialer.daemon.adoption import CallAdoption
from dialer.daemon.alerts import AlertKeeper
from dialer.daemon.connection import ServerConnection
from dialer.daemon.loading import RunnerLoader
from dialer.daemon.maintenance import LEAD_LEASES_SECONDS, LeadLeaseKeeper, Maintenance, PeriodicJob
from dialer.daemon.memory import SAVE_SECONDS, PacerMemoryKeeper
from dialer.daemon.ownership import CampaignOwnership, follow_stored_state
from dialer.daemon.status import StatusView
from dialer.inbound.figures import InboundQueueNow, ServiceLevelRule
from dialer.inbound.writer import InboundCallWriter
from dialer.logging import get_logger
from dialer.ops.health import ComponentState, HealthRegistry
from dialer.ops.metrics import DialerMetrics
from dialer.pacing import InboundLoad
from dialer.recording.service import RecordingService
from dialer.runner.bus import EventBus
from dialer.runner.inbound import InboundWatcher
from dialer.runner.pool import Server, ServerPool
from dialer.runner.pump import EventPump, UpdateSink
from dialer.runner.runner import CampaignRunner
from dialer.runner.samples import dialer_sample
from dialer.runner.state import RunnerServices, RunnerState
from dialer.runner.trunks import TrunkGate
from dialer.settings import Settings, node_identity, server_of_interface
from dialer.store.campaigns import CampaignRecord, list_campaigns, set_campaign_state
from dialer.store.engine import Database
from dialer.store.imports import recover_interrupted_imports
from dialer.store.leads import find_leads_by_phone
from dialer.store.ownership import RENEW_SECONDS
from dialer.supervision.service import SupervisionService
from dialer.tasks import cancel_and_wait

__all__ = ["Dialer", "ServerConnection", "UnknownCampaign"]

log = get_logger(__name__)


class UnknownCampaign(LookupError):
    pass


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
        started_at = self.clock.now()
        self.bus = EventBus()
        self.metrics = DialerMetrics()
        self.metrics.watch(lambda: dialer_sample(self))
        self.health = HealthRegistry(lambda: datetime.now(UTC))
        self.inbound_queues = frozenset(settings.inbound_queues)
        self.runners: dict[str, CampaignRunner] = {}
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
        self.agents.add_queues_listener(self.history.on_queues)  # changes of queues alone, recorded too
        # Logged-in agents' sessions in the database: they survive this daemon and follow its campaigns.
        self.sessions = AgentSessionKeeper(
            db, self.agents, self._clients[0], self.clock, self.owner, self._campaigns, servers=controls
        )
        # Every inbound caller's visit (answered, abandoned, timed out, refused), stored for the inbound report and
        # kept for the last hour's live figures.
        self.inbound_calls = InboundCallWriter(
            db, self.clock, self._agent_of_interface, settings.inbound_service_level.rule()
        )
        self.inbound = InboundWatcher(
            self.inbound_queues,
            bus=self.bus,
            registry=self.agents.registry,
            find_leads=self._find_leads,
            on_finished=self.inbound_calls.on_finished,
        )
        # Recording (the PBX's MixMonitor events -> rows) and supervisor monitoring (ChanSpy sessions, audited).
        self.recordings = RecordingService(db, self.clock, settings.recording, self._recording_mode)
        self.supervision = SupervisionService(db, self.clock, self.client_of_agent, self._attempt_of_agent, controls)
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
        # The roles (dialer.daemon's modules), each over the runners dict above.
        self.loader = RunnerLoader(
            self.runners,
            RunnerServices(
                db=db,
                pool=self.pool,
                agents=self.agents,
                clock=self.clock,
                owner=self.owner,
                bus=self.bus,
                inbound=self.inbound_load,
                tick_seconds=settings.pacing_tick_seconds,
            ),
            on_originate_latency=self.metrics.originate_latency.observe,
            recording=settings.recording,
        )
        self.ownership = CampaignOwnership(
            self.runners,
            db=db,
            owner=self.owner,
            clock=self.clock,
            sessions=self.sessions,
            load_runner=self.load_runner,
            taken_over=self._hold_for_adoption,
        )
        self.adoption = CallAdoption(
            self.runners,
            self.connections,
            db=db,
            owner=self.owner,
            clock=self.clock,
            ownership=self.ownership,
            process_started=started_at,
        )
        self.lead_leases = LeadLeaseKeeper(
            self.runners, db=db, owner=self.owner, ownership=self.ownership, adoption=self.adoption
        )
        self.pacer_memory = PacerMemoryKeeper(self.runners, db=db, owner=self.owner, ownership=self.ownership)
        self.status_view = StatusView(
            self.runners,
            self.connections,
            owner=self.owner,
            clock=self.clock,
            registry=self.agents.registry,
            ownership=self.ownership,
            inbound=self.inbound,
            inbound_queues=self.inbound_queues,
            inbound_waiting=self.inbound_waiting,
            inbound_live=self.inbound_live,
            service_level=self.service_level_rule,
            health=self.health,
        )
        self.alerts = AlertKeeper(self.status_view, db=db, settings=settings)  # (what the status shows, judged)
        self.metrics.alerts = self.alerts.active_by_rule
        self.maintenance = Maintenance(self.clock, self.maintenance_jobs())

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

    def _agent_of_interface(self, interface: str) -> str | None:
        agent = self.agents.registry.by_interface(interface)
        return agent.agent_id if agent is not None else None

    @property
    def service_level_rule(self) -> ServiceLevelRule:
        return self.settings.inbound_service_level.rule()

    def inbound_live(self) -> list[InboundQueueNow]:
        """Each inbound queue now: callers waiting, the longest wait, the last hour's service level (the dashboard)."""
        waiting = self.inbound.calls.waiting(self.clock.now())
        return self.inbound_calls.live(self.inbound_queues, waiting, self.service_level_rule, self.inbound_waiting)

    def _inbound_observer(self, server: str) -> Callable[[AmiEvent, float], None]:
        def observe(event: AmiEvent, now: float) -> None:
            self.inbound.observe(event, now, server)

        return observe

    def _sinks(self) -> list[UpdateSink]:
        return list(self.runners.values())

    def _campaigns(self) -> CampaignQueues:
        queues = {runner.campaign_id: runner.config.queue for runner in self.runners.values()}
        return CampaignQueues(queues, frozenset(self.owned), adopting=not self.ownership.draining)

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
        self._tasks.append(asyncio.create_task(self.maintenance.run(), name="maintenance"))
        self._tasks.append(asyncio.create_task(self.history.run(), name="agent-history"))
        self._tasks.append(asyncio.create_task(self.inbound_calls.run(), name="inbound-calls"))
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
                follow_stored_state(runner, record.state)
        # Calls of a previous run (or of a daemon that died) may still be up: match them before dialling -- right
        # away when a server is connected, else as soon as one is (its first listing).
        held = [runner for runner in created if runner.campaign_id in self.owned]
        for runner in held:
            self._hold_for_adoption(runner)
        if held:
            await self._resync_connected()

    async def load_runner(self, config: CampaignConfig, campaign_id: int) -> CampaignRunner:
        """The one way to load a campaign's runner (start, state sync, takeover, scheduler): build it if this daemon
        has none, and seed its legal window with every answer of the campaign in the regime window, whichever daemon
        made them (dialer.daemon.loading)."""
        return await self.loader.load(config, campaign_id)

    async def _resync_connected(self) -> None:
        for conn in self.connections:
            if conn.client.is_up:
                await conn.pump.resync()

    async def stop(self) -> None:
        for runner in self.runners.values():
            await runner.stop()
        await cancel_and_wait(*self._tasks)
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
            await self.inbound_calls.flush()
        with contextlib.suppress(Exception):
            await self.sessions.flush()
        for conn in self.connections:
            await conn.client.close()

    async def drain(self, deadline_seconds: float) -> bool:
        """Stop dialling everywhere and wait for calls in progress to end; True if they all did.

        The campaign leases go at once, so another daemon takes the campaigns over without waiting for them to
        expire (the leads of calls still up stay claimed by this daemon until their outcome is written); the agents'
        sessions go once the calls are over, or at the deadline."""
        self.ownership.draining = True
        for runner in self.runners.values():
            runner.drain()
        await self.pacer_memory.save(self.clock.now())  # (while the leases hold: the next owners load it)
        await self.ownership.release_all()
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

    # ------------------------------------------------------------------ ownership (dialer.daemon.ownership)
    @property
    def owned(self) -> set[int]:
        """Campaigns this daemon holds the lease of (dialer.store.ownership): only those dial."""
        return self.ownership.owned

    def owns(self, campaign_id: int) -> bool:
        return self.ownership.owns(campaign_id)

    async def sync_ownership(self, records: Sequence[CampaignRecord] | None = None) -> set[int]:
        """Renew this daemon's campaign leases, take free or expired ones, and start or idle runners to match."""
        return await self.ownership.sync(records)

    # ------------------------------------------------------------------ adoption (dialer.daemon.adoption)
    def _hold_for_adoption(self, runner: CampaignRunner) -> None:
        self.adoption.hold(runner)

    async def _on_channels(self, server: str, channels: list[CoreShowChannel]) -> None:
        live = {c.uniqueid for c in channels}
        lost = self.inbound.calls.reconcile(server, live)  # inbound callers gone while AMI was down
        self.inbound.channels.reconcile(server, live, self.clock.now())
        self.supervision.reconcile(server, live, self.clock.now())  # supervisor legs whose Hangup was missed
        if lost:
            log.info("inbound_callers_lost", server=server, lost=lost)
        await self.adoption.on_channels(server, channels)

    async def adopt_orphans(self) -> int:
        """Match the open attempts of the campaigns this daemon runs against the servers' channel listings:
        adopt the calls still up, close those that ended unseen. Returns how many."""
        return await self.adoption.adopt_orphans()

    # ------------------------------------------------------------------ maintenance (dialer.daemon.maintenance)
    def maintenance_jobs(self) -> list[PeriodicJob]:
        """The periodic work, in the order it runs within a tick of the maintenance timer."""
        return [
            # Once a second: wrap-up timers, overdue calls.
            PeriodicJob("agent-timers", self._tick_agents),
            PeriodicJob("overdue-calls", self._sweep_pumps),
            # Every few seconds: the campaign leases.
            PeriodicJob("campaign-leases", self.ownership.renew, every=RENEW_SECONDS),
            # Calls, agents, queues from the PBX; each listing also adopts calls a dead daemon left up. A campaign
            # held for adoption asks for one every second until a listing came through.
            PeriodicJob(
                "reconcile",
                self._reconcile,
                every=self.settings.agent_reconcile_seconds,
                also_when=lambda: self.adoption.due,
            ),
            # Imports killed mid-file: their staged leads go, their lists say "interrupted" (at start-up, then with
            # the lead leases).
            PeriodicJob("interrupted-imports", self._recover_imports, every=LEAD_LEASES_SECONDS, at_start=True),
            # Lead leases: ours extended while their calls are up, expired ones released.
            PeriodicJob("lead-leases", self.lead_leases.run, every=LEAD_LEASES_SECONDS),
            # What the pacers learnt that no record holds, for the daemon that loads their campaigns next.
            PeriodicJob("pacer-memory", self.pacer_memory.save, every=SAVE_SECONDS),
            # The alerts raised and cleared (dialer.daemon.alerts), last: the agents' timers have run.
            PeriodicJob("alerts", self.alerts.run),
        ]

    async def _tick_agents(self, _now: float) -> None:
        self.agents.tick()

    async def _sweep_pumps(self, _now: float) -> None:
        for conn in self.connections:
            conn.pump.sweep()

    async def _reconcile(self, _now: float) -> None:
        await self._resync_connected()

    async def _recover_imports(self, _now: float) -> None:
        # Import leases are on the wall clock of the importing process (a CLI), not on the daemon's clock.
        await recover_interrupted_imports(self.db, datetime.now(UTC))

    # ------------------------------------------------------------------ control
    def runner(self, name: str) -> CampaignRunner:
        runner = self.runners.get(name)
        if runner is None:
            raise UnknownCampaign(name)
        return runner

    async def set_campaign(self, name: str, state: str, *, actor: str | None = None) -> CampaignRunner:
        """start | pause | stop a campaign (persisted, so a restart resumes it as it was); ``actor``: who asked
        (audited)."""
        runner = self.runner(name)
        stored = CampaignState.for_command(state)
        await set_campaign_state(self.db, name, stored, datetime.fromtimestamp(self.clock.now(), UTC), actor=actor)
        if not self.owns(runner.campaign_id):
            await self.sync_ownership()  # takes the campaign if no other daemon holds it
            if not self.owns(runner.campaign_id):
                return runner  # its owner applies the stored state at its next sync
        if stored is CampaignState.RUNNING:
            runner.start()
        else:
            runner.set_state(RunnerState.following(stored))
        return runner

    # ------------------------------------------------------------------ status (dialer.daemon.status)
    def server_view(self) -> dict[str, dict[str, Any]]:
        """Per Asterisk server: connected or not, its agents by state, the calls placed there, inbound callers."""
        return self.status_view.server_view()

    def status(self) -> dict[str, Any]:
        return self.status_view.status()
