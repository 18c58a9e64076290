"""One campaign's runner state: its live state, why it is not dialling, its counters, and what its parts share.

:class:`CampaignContext` is the state the runner's collaborators (the pacing step, the Originates, the call updates,
the outcome writes, adoption, preview and dispositions) share for one campaign: its configuration (replaced by
:meth:`CampaignContext.reconfigure`), the pacer's settings and legal window, the calls in flight, the counters, the
live state and the reason it is not dialling. Each collaborator takes the context and, explicitly, the other
collaborators it calls; :class:`dialer.runner.runner.CampaignRunner` builds and wires them.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

from dialer.agents.service import AgentService
from dialer.calls.outcome import AnswerCount, Outcome
from dialer.campaign.config import CampaignConfig, WrapUpEnd
from dialer.campaign.pacing import pacing_settings
from dialer.campaign.rules import TransitionKind
from dialer.campaign.state import CampaignState
from dialer.clock import Clock
from dialer.i18n import M_, Message
from dialer.logging import get_logger
from dialer.pacing import InboundLoad, PacingSettings, PacingStats
from dialer.runner.bus import EventBus
from dialer.runner.inflight import InFlightCalls
from dialer.runner.pool import ServerPool
from dialer.runner.why_not import state_reason
from dialer.settings import RecordingSettings
from dialer.store.engine import Database

log = get_logger(__name__)

# The inbound load offered to a campaign's agents, by campaign queue and server (None: every server).
InboundSource = Callable[[str, str | None], InboundLoad]


class RunnerState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"  # no new calls; calls in progress finish
    DRAINING = "draining"  # shutting down: no new calls; stops when the last call has ended
    STANDBY = "standby"  # another daemon holds the campaign's lease (dialer.store.ownership): no new calls here
    STOPPED = "stopped"

    @classmethod
    def following(cls, stored: CampaignState) -> RunnerState:
        """The live state of a campaign stored in ``stored``, on the daemon that owns it (the one mapping from
        :class:`dialer.campaign.state.CampaignState`; draining and standby are the daemon's own)."""
        return _FOLLOWING[stored]


_FOLLOWING = {
    CampaignState.RUNNING: RunnerState.RUNNING,
    CampaignState.PAUSED: RunnerState.PAUSED,
    CampaignState.STOPPED: RunnerState.STOPPED,
}


@dataclass
class RunnerCounters:
    """What a runner has done since it was loaded: calls by outcome, leads by transition, Originates by server."""

    attempts: int = 0
    connected: int = 0
    abandoned: int = 0
    requeued: int = 0
    archived: int = 0
    closed: int = 0
    lost: int = 0
    not_sent: int = 0
    adopted: int = 0  # calls a dead daemon left up, followed to their end here
    witnessed: int = 0  # a dead daemon's calls seen ending on the wire before adoption, closed as the PBX said
    outcomes: Counter[str] = field(default_factory=Counter)
    dispositions: Counter[str] = field(default_factory=Counter)
    dials: Counter[str] = field(default_factory=Counter)  # Originates sent, by server
    amd_verdicts: Counter[str] = field(default_factory=Counter)  # HUMAN, MACHINE, NOTSURE, HANGUP
    # calls still up at the drain deadline, closed by the dialer, by the outcome recorded (counted in outcomes too)
    interrupted: Counter[str] = field(default_factory=Counter)

    def count(self, outcome: Outcome, kind: TransitionKind) -> None:
        """One call's outcome and the transition of its lead."""
        self.outcomes[outcome.value] += 1
        if outcome is Outcome.CONNECTED:
            self.connected += 1
        elif outcome is Outcome.ABANDONED:
            self.abandoned += 1
        # A connected call is "requeued" only until its disposition lands: not a retry worth counting.
        if kind is TransitionKind.REQUEUED and outcome is not Outcome.CONNECTED:
            self.requeued += 1
        elif kind in (TransitionKind.ARCHIVED, TransitionKind.SWITCHED_PHONE):
            self.archived += 1
        elif kind in (TransitionKind.CLOSED, TransitionKind.EXHAUSTED, TransitionKind.DNC):
            self.closed += 1

    def recount(self, was: Outcome, now: Outcome) -> None:
        """A call counted as ``was`` turned out to be ``now`` (an agent marked a machine)."""
        if self.outcomes[was.value] > 0:
            self.outcomes[was.value] -= 1
            self.outcomes[now.value] += 1
            if was is Outcome.CONNECTED:
                self.connected -= 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "attempts": self.attempts,
            "connected": self.connected,
            "abandoned": self.abandoned,
            "requeued": self.requeued,
            "archived": self.archived,
            "closed": self.closed,
            "lost": self.lost,
            "not_sent": self.not_sent,
            "adopted": self.adopted,
            "witnessed": self.witnessed,
            "outcomes": dict(self.outcomes),
            "interrupted": dict(self.interrupted),
            "dispositions": dict(self.dispositions),
        }


@dataclass(frozen=True, slots=True)
class WhyNotDialing:
    code: str  # paused, ami_down, no_agents, no_leads, window_closed, abandon_budget, inbound_waiting, ...
    message: Message  # the sentence, translated where it is shown (dialer.runner.why_not)
    breakdown: dict[str, int] = field(default_factory=dict)

    @property
    def detail(self) -> str:
        """The sentence in the current language (the request's, the command's)."""
        return self.message.render()

    @staticmethod
    def no_leads(set_aside: Mapping[str, int]) -> WhyNotDialing:
        """A claim found no lead to dial: ``window_closed`` if calling windows set some aside, else ``holiday`` if
        public holidays (or closed dates) in the called parties' local dates did, else ``no_leads``; ``set_aside``:
        the leads set aside, by reason."""
        breakdown = dict(set_aside)
        code = "no_leads"
        if breakdown.get("window_closed"):
            code = "window_closed"
        elif breakdown.get("holiday") or breakdown.get("closed_date"):
            code = "holiday"
        return WhyNotDialing(code, M_("no lead may be dialled now"), breakdown)


def record_answer(stats: PacingStats, at: float, count: AnswerCount, *, predictive: bool) -> None:
    """One call's weight in the abandon rate (``count_answer``, the definition the reports use) into the pacer's
    legal window: a seen live answer (abandoned or not), and the AMD false-positive estimate as estimated abandoned
    live answers (the live runner records AMD verdicts for their share only, so nothing is counted twice)."""
    if count.live - count.estimated >= 1.0:
        stats.record_live_answer(at, count.abandoned - count.estimated >= 1.0, placed_predictively=predictive)
    stats.record_estimated_abandon(at, count.estimated)


@dataclass(eq=False, kw_only=True)
class RunnerServices:
    """What the daemon gives every campaign runner: the store, the Asterisk servers, the agents, the clock, the
    daemon's owner id (campaign ownership), the notification bus, the inbound load and the pacing tick. Each
    runner's context starts with them."""

    db: Database
    pool: ServerPool
    agents: AgentService
    clock: Clock
    owner: str
    bus: EventBus
    inbound: InboundSource | None  # None without blending: no inbound load
    tick_seconds: float  # the pacing loop's longest sleep


@dataclass(eq=False, kw_only=True)
class CampaignContext(RunnerServices):
    """What the parts of one campaign's runner share (see the module docstring): the daemon's services (its own
    copy: a runner may wrap its bus) and the campaign's state."""

    config: CampaignConfig
    campaign_id: int
    settings: PacingSettings = field(init=False)
    # Where Asterisk writes this campaign's recordings (the daemon's [recording] settings).
    recording_settings: RecordingSettings = field(init=False, default_factory=RecordingSettings)
    stats: PacingStats = field(init=False)
    state: RunnerState = field(init=False, default=RunnerState.PAUSED)
    counters: RunnerCounters = field(init=False, default_factory=RunnerCounters)
    in_flight: InFlightCalls = field(init=False, default_factory=InFlightCalls)
    why_not: WhyNotDialing | None = field(
        init=False, default_factory=lambda: WhyNotDialing("paused", M_("campaign not started"))
    )
    drained: asyncio.Event = field(init=False, default_factory=asyncio.Event)
    # Set by the daemon when it takes the campaign over, cleared after its first call-adoption pass.
    awaiting_adoption: bool = field(init=False, default=False)
    # The pacing loop's wake-up (set: step now, not at the next tick).
    wakened: asyncio.Event = field(init=False, default_factory=asyncio.Event)
    # perf_counter() of the earliest wake-up since the last pacing step began (what the step answers; a metric).
    woken_at: float | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.settings = pacing_settings(self.config)
        self.stats = PacingStats(self.settings)

    @classmethod
    def of(cls, services: RunnerServices, config: CampaignConfig, campaign_id: int) -> CampaignContext:
        """The context of the campaign ``config`` (stored as ``campaign_id``) with the daemon's ``services``."""
        given = {f.name: getattr(services, f.name) for f in fields(RunnerServices)}
        return cls(config=config, campaign_id=campaign_id, **given)

    @property
    def name(self) -> str:
        return self.config.name

    def wake(self) -> None:
        if self.woken_at is None:
            self.woken_at = time.perf_counter()
        self.wakened.set()

    def held_back(self) -> WhyNotDialing | None:
        """Why the campaign places no call whatever its pacing says: not running, no Asterisk server connected, or
        calls its previous owner left up still to be matched (they count in the pacing: agents, calls in flight).
        None: it may dial."""
        if self.state is not RunnerState.RUNNING:
            return WhyNotDialing(self.state.value, state_reason(self.state.value))
        if not self.pool.any_up():
            return WhyNotDialing("ami_down", M_("no Asterisk server connected"))
        if self.awaiting_adoption:
            return WhyNotDialing("adopting", M_("looking for calls the campaign's previous owner left up"))
        return None

    def set_state(self, state: RunnerState) -> None:
        if state == self.state:
            return
        log.info("campaign_state", campaign=self.name, previous=self.state.value, state=state.value)
        self.state = state
        if state is RunnerState.DRAINING and not self.in_flight:
            self.drained.set()
        self.bus.publish(f"campaign:{self.name}", "campaign_state", state=state.value)
        self.wake()

    def reconfigure(self, config: CampaignConfig) -> None:
        """A new version of the campaign file: the next pacing decision and the next outcome use it."""
        if config.queue != self.config.queue and self.in_flight:
            log.warning("campaign_queue_changed_with_calls_up", campaign=self.name, calls=len(self.in_flight))
        self.config = config
        self.settings = pacing_settings(config)
        self.stats.configure(self.settings)
        self.configure_wrapup()
        log.info("campaign_reconfigured", campaign=self.name)
        self.wake()

    def configure_wrapup(self) -> None:
        """The agents' wrap-up of this campaign's calls, as its settings say (its queue's, in the registry)."""
        config = self.config
        self.agents.registry.configure_wrapup(
            config.queue, float(config.wrap_up_seconds), until_disposition=config.wrap_up_ends is WrapUpEnd.DISPOSITION
        )

    def after_call(self) -> None:
        """A call is over: a draining campaign whose last call it was has drained; the pacer looks again."""
        if self.state is RunnerState.DRAINING and not self.in_flight:
            self.drained.set()
        self.wake()
