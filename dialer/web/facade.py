"""What the web tier may ask of the running daemon: one typed class between the handlers and the Dialer.

Handlers never reach into ``Dialer.runners`` or the agent service themselves; they call :class:`Daemon`, which
names each question the web tier asks (a campaign's live state, the queues an agent may join, the agent's current
call, preview actions ...) and answers it with plain values. When the daemon's insides change, this file changes;
the handlers do not.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from aiohttp import web

from dialer.agents.pausecodes import PauseCode
from dialer.agents.registry import Agent, AgentError, AgentStatus
from dialer.agents.service import ChangeListener
from dialer.appkeys import DIALER, SCHEDULER
from dialer.callcontrol.service import CallControlService
from dialer.campaign.config import CampaignConfig, DialMode, Disposition
from dialer.campaign.rules import TransitionKind
from dialer.daemon import Dialer
from dialer.i18n import M_
from dialer.inbound.figures import InboundQueueNow, ServiceLevelRule
from dialer.recording.service import RecordingRefused
from dialer.runner.agentless import AgentlessRunner
from dialer.runner.bus import Notification
from dialer.runner.runner import CampaignRunner
from dialer.settings import RecordingSettings
from dialer.store.leads import LeadRecord
from dialer.store.monitoring import SupervisionRecord
from dialer.supervision.service import SupervisionRefused

CampaignAction = Literal["start", "pause", "stop"]


class CampaignNotLoaded(LookupError):
    """The campaign is stored but this daemon has no runner for it."""


class NoRunningCampaign(LookupError):
    """A campaign named in a request is not running on this daemon."""

    def __init__(self, campaign: str | None) -> None:
        super().__init__(M_("no running campaign {campaign}", campaign=repr(campaign)))


class UnknownQueues(ValueError):
    """An agent asked to join queues this daemon does not serve."""


class NotInPreviewCampaign(LookupError):
    """The agent is not signed in to a preview campaign (or not to the one named)."""


@dataclass(frozen=True, slots=True)
class QueueChoice:
    """A queue an agent may join: a campaign's, or an inbound queue."""

    queue: str
    label: str
    kind: Literal["campaign", "inbound"]
    campaign: str | None = None
    dial_mode: str | None = None

    def as_json(self) -> dict[str, str | None]:
        return {
            "queue": self.queue,
            "label": self.label,
            "kind": self.kind,
            "campaign": self.campaign,
            "dial_mode": self.dial_mode,
        }


@dataclass(frozen=True, slots=True)
class AgentCall:
    """The campaign call an agent is on (or last wrapped up), with what the console needs to disposition it."""

    campaign: str
    attempt_id: int
    dispositions: tuple[Disposition, ...]
    wrap_up_seconds: int


@dataclass(frozen=True, slots=True)
class PreviewClaim:
    """A preview claim: the held lead, or why there is none."""

    campaign: str
    lead: LeadRecord | None
    why: str | None = None
    breakdown: dict[str, int] | None = None


@dataclass(frozen=True, slots=True)
class LiveCampaign:
    """A campaign loaded by this daemon, as the dashboard draws it."""

    name: str
    campaign_id: int
    config: CampaignConfig
    status: dict[str, object]  # the runner's status document (state, counters, pacing, why not dialling)
    attempts: int
    connected: int


# One call-control service per running daemon (its calls' legs live between requests).
_CALL_CONTROL: weakref.WeakKeyDictionary[Dialer, CallControlService] = weakref.WeakKeyDictionary()


class Daemon:
    """The daemon as the web tier sees it. ``schedule`` registers a newly loaded campaign with the scheduler."""

    def __init__(self, dialer: Dialer, schedule: Callable[[CampaignConfig], None] | None = None) -> None:
        self._dialer = dialer
        self._schedule = schedule

    def now(self) -> float:
        return self._dialer.clock.now()

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of the daemon's clock."""
        await self._dialer.clock.sleep(seconds)

    @property
    def node(self) -> str:
        """This daemon's identity among those sharing the database (its leases' owner)."""
        return self._dialer.owner

    # ------------------------------------------------------------------ live view (dashboard, WebSocket)
    def subscribe(self, *topics: str) -> AbstractContextManager[asyncio.Queue[Notification]]:
        """Notifications of these topics (``agent:<id>``, ``campaign:<name>``, ``*``) while the block runs."""
        return self._dialer.bus.subscribe(*topics)

    def publish(self, topic: str, kind: str, **data: object) -> None:
        self._dialer.bus.publish(topic, kind, **data)

    def add_agent_listener(self, listener: ChangeListener) -> None:
        self._dialer.agents.add_listener(listener)

    def campaign_names(self) -> list[str]:
        return list(self._dialer.runners)

    def attempts_by_campaign(self) -> dict[str, int]:
        return {name: runner.counters.attempts for name, runner in self._dialer.runners.items()}

    def live_campaigns(self) -> list[LiveCampaign]:
        return [
            LiveCampaign(
                name,
                runner.campaign_id,
                runner.config,
                runner.status(),
                runner.counters.attempts,
                runner.counters.connected,
            )
            for name, runner in self._dialer.runners.items()
        ]

    def agents_in_queue(self, queue: str) -> list[Agent]:
        return self._dialer.agents.registry.in_queue(queue)

    def inbound_waiting(self, queue: str) -> int:
        """Callers waiting in inbound ``queue`` on every server."""
        return self._dialer.inbound_waiting(queue)

    def inbound_live(self) -> list[InboundQueueNow]:
        """Each inbound queue now: callers waiting, the longest wait, the last hour's service level."""
        return self._dialer.inbound_live()

    def service_level_rule(self) -> ServiceLevelRule:
        return self._dialer.service_level_rule

    def server_view(self) -> dict[str, dict[str, object]]:
        return dict(self._dialer.server_view())

    def connected_servers(self) -> list[str]:
        """The Asterisk servers this daemon is connected to now (their AMI connection up)."""
        return sorted(c.server.name for c in self._dialer.connections if c.client.is_up)

    def health(self) -> dict[str, object]:
        return dict(self._dialer.health.snapshot())

    # ------------------------------------------------------------------ campaigns
    def _runner(self, name: str) -> CampaignRunner | None:
        return self._dialer.runners.get(name)

    def _running(self, name: str) -> CampaignRunner:
        """The campaign's runner; :class:`NoRunningCampaign` when it is not running here."""
        runner = self._runner(name)
        if runner is None:
            raise NoRunningCampaign(name)
        return runner

    def campaign_state(self, name: str) -> str | None:
        """The live state of the campaign's runner (None: not loaded here; the stored state is all there is)."""
        runner = self._runner(name)
        return runner.state.value if runner is not None else None

    def campaign_config(self, name: str) -> CampaignConfig | None:
        """The configuration the runner dials with (None: not loaded here)."""
        runner = self._runner(name)
        return runner.config if runner is not None else None

    def campaign_status(self, name: str) -> dict[str, object] | None:
        """Live statistics, pacing and why not dialling (None: not loaded here)."""
        runner = self._runner(name)
        return runner.status() if runner is not None else None

    async def campaign_applied(self, name: str, config: CampaignConfig) -> str | None:
        """A campaign was stored: the running runner takes the new configuration, or a new one is loaded (and
        scheduled). Returns the live state (None: not loaded here)."""
        runner = self._runner(name)
        if runner is not None:
            runner.reconfigure(config)
        else:
            await self._dialer.load_campaigns()
            runner = self._runner(name)
            if runner is not None and self._schedule is not None:
                self._schedule(runner.config)
        return runner.state.value if runner is not None else None

    async def set_campaign(self, name: str, action: CampaignAction, *, actor: str) -> str:
        """start | pause | stop (persisted, audited as ``actor``); returns the live state. Raises
        :class:`CampaignNotLoaded`."""
        try:
            runner = await self._dialer.set_campaign(name, action, actor=actor)
        except LookupError:
            raise CampaignNotLoaded(name) from None
        return runner.state.value

    def leads_added(self, name: str) -> None:
        """New leads were imported: the campaign's runner looks for them now, not at its next tick."""
        runner = self._runner(name)
        if runner is not None:
            runner.wake()

    # ------------------------------------------------------------------ agents
    @property
    def inbound_queues(self) -> frozenset[str]:
        return self._dialer.inbound_queues

    def agent(self, agent_id: str) -> Agent | None:
        return self._dialer.agents.registry.get(agent_id)

    def agents(self) -> list[Agent]:
        return self._dialer.agents.registry.agents()

    def register_agent(
        self, agent_id: str, interface: str, member_name: str | None, server: str | None = None
    ) -> Agent:
        """On ``server`` (an ``[[ami]]`` name) when given, else the one ``agent_interfaces`` chooses. Raises
        :class:`AgentError`."""
        return self._dialer.agents.register(agent_id, interface, member_name, server)

    def queues(self) -> list[QueueChoice]:
        """The queues an agent may join: each campaign's (once, the first campaign naming it), then the inbound
        queues no campaign uses."""
        choices: list[QueueChoice] = []
        for runner in self._dialer.runners.values():
            if any(c.queue == runner.config.queue for c in choices):
                continue
            mode = runner.config.dial_mode.value
            choices.append(QueueChoice(runner.config.queue, f"{runner.name} ({mode})", "campaign", runner.name, mode))
        seen = {c.queue for c in choices}
        choices += [QueueChoice(q, q, "inbound") for q in sorted(self._dialer.inbound_queues) if q not in seen]
        return choices

    async def login(self, agent_id: str, queues: list[str]) -> Agent:
        """Join queues (paused). Raises :class:`UnknownQueues` for a queue no campaign or inbound queue here uses,
        :class:`AgentError` when the agent may not."""
        known = {r.config.queue for r in self._dialer.runners.values()} | set(self._dialer.inbound_queues)
        unknown = [q for q in queues if q not in known]
        if unknown:
            raise UnknownQueues(
                M_(
                    "unknown queue(s) {unknown}; choose from {known}",
                    unknown=", ".join(unknown),
                    known=", ".join(sorted(known)),
                )
            )
        return await self._dialer.agents.login(agent_id, queues)

    async def ready(self, agent_id: str) -> Agent:
        return await self._dialer.agents.ready(agent_id)

    async def pause(self, agent_id: str, reason: str) -> Agent:
        return await self._dialer.agents.pause(agent_id, reason)

    async def logout(self, agent_id: str) -> Agent:
        return await self._dialer.agents.logout(agent_id)

    async def announce_ready(self, agent_id: str, seconds: float) -> Agent:
        return await self._dialer.agents.announce_ready(agent_id, seconds)

    # ------------------------------------------------------------------ calls
    def _runners_for(self, campaign: str | None) -> list[CampaignRunner]:
        if campaign is None:
            return list(self._dialer.runners.values())
        return [self._running(campaign)]

    def agent_call(self, agent_id: str, campaign: str | None = None) -> AgentCall | None:
        """The campaign call the agent is on or last wrapped up (in ``campaign`` when named; raises
        :class:`NoRunningCampaign` for a campaign not running here)."""
        for runner in self._runners_for(campaign):
            attempt = runner.attempt_of_agent(agent_id)
            if attempt is not None:
                config = runner.config
                return AgentCall(runner.name, attempt, config.dispositions, config.wrap_up_seconds)
        return None

    def ivr_context(self, campaign: str, attempt_id: int) -> dict[str, str] | None:
        """What the caller did in the agentless campaign's IVR flow before it handed the call to the agent."""
        runner = self._runner(campaign)
        return runner.ivr_context(attempt_id) if isinstance(runner, AgentlessRunner) else None

    async def disposition(
        self,
        campaign: str,
        attempt_id: int,
        agent_id: str,
        code: str,
        *,
        notes: str | None,
        callback_at: datetime | None,
        callback_personal: bool,
        late_by: str | None = None,
    ) -> TransitionKind:
        """Disposition the agent's call ``attempt_id`` of ``campaign`` (raises DispositionError for a bad code or
        time, LookupError when it is gone or while another disposition of the call is being written). ``late_by``:
        the agent's late disposition of an earlier call, asked by that user, through the same path (raises
        LateDispositionRefused where the rule refuses it)."""
        return await self._running(campaign).disposition(
            agent_id,
            code,
            notes=notes,
            callback_at=callback_at,
            callback_personal=callback_personal,
            attempt_id=attempt_id,
            late_by=late_by,
        )

    def campaign_of_call(self, campaign_id: int) -> tuple[str, CampaignConfig] | None:
        """The name and configuration of the campaign (by its id) a call record belongs to (None: not loaded
        here)."""
        for runner in self._dialer.runners.values():
            if runner.campaign_id == campaign_id:
                return runner.name, runner.config
        return None

    # ------------------------------------------------------------------ call control, manual dial
    @property
    def call_control(self) -> CallControlService:
        service = _CALL_CONTROL.get(self._dialer)
        if service is None:
            service = _CALL_CONTROL[self._dialer] = CallControlService(self._dialer.runners)
        return service

    def manual_campaign(self, agent_id: str, campaign: str | None) -> str:
        """The campaign the agent dials by hand in: the one named, else the first of theirs that allows it."""
        agent = self.agent(agent_id)
        queues = agent.queues if agent is not None else frozenset[str]()
        for runner in self._dialer.runners.values():
            config = runner.config
            if config.queue in queues and campaign in (None, runner.name) and config.call_control.manual_dial:
                return runner.name
        if campaign:
            raise NotInPreviewCampaign(
                M_(
                    "{agent} is not signed in to a campaign that allows manual dial ({campaign} does not, or is not "
                    "theirs)",
                    agent=agent_id,
                    campaign=repr(campaign),
                )
            )
        raise NotInPreviewCampaign(M_("{agent} is not signed in to a campaign that allows manual dial", agent=agent_id))

    async def manual_dial(self, campaign: str, agent_id: str, *, number: str | None, lead_id: int | None) -> int:
        """Raises ``NumberRefused`` (with the rule's reason), LookupError/RuntimeError/AgentError when not ready."""
        return await self._running(campaign).manual_dial(agent_id, number=number, lead_id=lead_id)

    # ------------------------------------------------------------------ preview
    def preview_campaign(self, agent_id: str, campaign: str | None) -> str:
        """The preview campaign the agent works in (the one named, else the first). Raises
        :class:`NotInPreviewCampaign`."""
        agent = self.agent(agent_id)
        queues = agent.queues if agent is not None else frozenset[str]()
        for runner in self._dialer.runners.values():
            config = runner.config
            if config.dial_mode is DialMode.PREVIEW and config.queue in queues and campaign in (None, runner.name):
                return runner.name
        if campaign:
            raise NotInPreviewCampaign(
                M_(
                    "{agent} is not signed in to the preview campaign {campaign}",
                    agent=agent_id,
                    campaign=repr(campaign),
                )
            )
        raise NotInPreviewCampaign(M_("{agent} is not signed in to a preview campaign", agent=agent_id))

    async def preview_claim(self, campaign: str, agent_id: str) -> PreviewClaim:
        """Hold the next lead for the agent to read (raises LookupError/RuntimeError/AgentError when not ready)."""
        runner = self._running(campaign)
        lead = await runner.preview_claim(agent_id)
        if lead is not None:
            return PreviewClaim(campaign, lead)
        why = runner.why_not
        return PreviewClaim(campaign, None, why.detail if why else None, why.breakdown if why else {})

    async def preview_dial(self, campaign: str, agent_id: str) -> int:
        return await self._running(campaign).preview_dial(agent_id)

    async def preview_skip(self, campaign: str, agent_id: str) -> None:
        await self._running(campaign).preview_skip(agent_id)

    # ------------------------------------------------------------------ recording, supervision
    @property
    def recording_settings(self) -> RecordingSettings:
        return self._dialer.settings.recording

    @property
    def pause_codes(self) -> list[PauseCode]:
        """The reasons agents may pause for (the daemon's ``[[pause_codes]]``)."""
        return self._dialer.settings.pause_codes

    async def recording_control(self, agent_id: str, action: str) -> AgentCall:
        """The agent starts / stops / pauses / resumes the recording of their current call. Raises
        :class:`RecordingRefused` (no call, campaign not recording, PBX refused)."""
        agent = self.agent(agent_id)
        current = self.agent_call(agent_id)
        if agent is None or current is None or agent.call_uniqueid is None or agent.status is not AgentStatus.TALKING:
            raise RecordingRefused(M_("{agent} is not on a call", agent=agent_id))
        config = self.campaign_config(current.campaign)
        if config is None:
            raise RecordingRefused(M_("campaign {campaign} is not running here", campaign=repr(current.campaign)))
        dialer = self._dialer
        await dialer.recordings.control(
            dialer.client_of_agent(agent), agent.call_uniqueid, current.attempt_id, config.recording, action
        )
        return current

    async def supervise(
        self, supervisor: str, phone: str | None, agent_id: str, mode: str, *, elsewhere: Agent | None = None
    ) -> SupervisionRecord:
        """Listen / whisper / barge on the agent's live call from the supervisor's phone (raises
        :class:`SupervisionRefused`, LookupError for an unknown agent). ``elsewhere``: the agent as the other daemon
        serving them published them (dialer.store.floor) -- the spy goes through this daemon's own connection to
        the agent's Asterisk server, which needs nothing of that daemon."""
        agent = self.agent(agent_id)
        if agent is None or (not agent.logged_in and elsewhere is not None):
            agent = elsewhere
        if agent is None:
            raise LookupError(agent_id)
        return await self._dialer.supervision.start(supervisor=supervisor, phone=phone, agent=agent, mode=mode)

    async def end_supervision(self, record: SupervisionRecord) -> str:
        """Hang up the supervisor's leg; the session's state then ("ended", or "ending" until the PBX confirms)."""
        return await self._dialer.supervision.stop(record)


def daemon_of(app: web.Application) -> Daemon:
    """The running daemon of the application (set up by :func:`dialer.app.dialer_ctx`)."""
    scheduler = app.get(SCHEDULER)
    return Daemon(app[DIALER], scheduler.schedule_campaign if scheduler is not None else None)


__all__ = [
    "AgentCall",
    "AgentError",
    "CampaignNotLoaded",
    "Daemon",
    "LiveCampaign",
    "NoRunningCampaign",
    "NotInPreviewCampaign",
    "PreviewClaim",
    "QueueChoice",
    "RecordingRefused",
    "SupervisionRefused",
    "UnknownQueues",
    "daemon_of",
]
