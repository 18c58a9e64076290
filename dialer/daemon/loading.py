"""The one way a campaign's runner is loaded: at start (``Dialer.load_campaigns``), by the scheduler's state sync
(a campaign created meanwhile), and at takeover (a campaign this daemon stood by for).

Loading builds the runner (an :class:`dialer.runner.agentless.AgentlessRunner` for ``kind = "agentless"``) if
this daemon has none for the campaign, and (always) seeds its legal window from the
store with every answer of the campaign in the regime window, whichever daemon made them: the calls the previous
owner made count in it before the runner dials.

A runner built now, or one that stood by while another daemon dialled (a takeover), also starts its pacer's
estimates (answer rates, ring, talk and wrap-up times) from the campaign's latest stored dials and agent state
changes (:mod:`dialer.runner.learning`), not from the generic priors: a restart mid-day paces on what the campaign
has shown. What no record holds (the abandon controller's level, how long AMD listens, how late agents are against
their "ready in N s") it resumes from the pacer's memory the campaign's last owner saved (:mod:`dialer.pacing.memory`,
:mod:`dialer.daemon.memory`), as far as that memory still applies. A runner that kept dialling keeps what it learnt.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field
from datetime import UTC, datetime, timedelta

from dialer.campaign.config import CampaignConfig
from dialer.campaign.rules import counted_outcomes
from dialer.logging import get_logger
from dialer.pacing.memory import Resumed, controller_terms, decode, resume
from dialer.runner.agentless import AgentlessRunner
from dialer.runner.learning import SEED_AGENT_EVENTS, SEED_DIALS, SEED_SINCE
from dialer.runner.runner import CampaignRunner
from dialer.runner.state import RunnerServices, RunnerState
from dialer.settings import RecordingSettings
from dialer.store.agent_history import recent_agent_events
from dialer.store.pacer_memory import load_pacer_memory
from dialer.store.runtime import answer_history, dial_history

log = get_logger(__name__)


@dataclass(eq=False)
class RunnerLoader:
    """``runners``: the daemon's runners by campaign name (a loaded runner is added to it)."""

    runners: dict[str, CampaignRunner]
    services: RunnerServices  # what every runner is given
    _: KW_ONLY
    on_originate_latency: Callable[[float], None]
    recording: RecordingSettings  # where Asterisk writes the recordings (the daemon's [recording] settings)
    # host:port of the daemon's FastAGI server as Asterisk reaches it (dialer.daemon.agentless.IvrRole sets it
    # once it listens): agentless runners place no call before
    fastagi: str | None = field(init=False, default=None)

    async def load(self, config: CampaignConfig, campaign_id: int) -> CampaignRunner:
        """The campaign's runner (built if this daemon has none), its legal window seeded from the store, and its
        estimates learnt from the store when it has not been dialling (built now, or standing by)."""
        runner = self.runners.get(config.name)
        if runner is None:
            runner = self._build(config, campaign_id)
            await self._learn(runner)
        elif runner.state is RunnerState.STANDBY:
            await self._learn(runner)
        await self._seed_history(runner)
        return runner

    def _build(self, config: CampaignConfig, campaign_id: int) -> CampaignRunner:
        # kind = "agentless": calls play the campaign's IVR flow, paced by channels, CPS and target time
        runner = (
            AgentlessRunner(config, campaign_id, self.services)
            if config.kind == "agentless"
            else CampaignRunner(config, campaign_id, self.services)
        )
        runner.on_originate_latency = self.on_originate_latency
        runner.recording_settings = self.recording
        if isinstance(runner, AgentlessRunner):
            runner.set_fastagi(self.fastagi)
        self.runners[config.name] = runner
        runner.ctx.configure_wrapup()
        return runner

    async def _learn(self, runner: CampaignRunner) -> None:
        db, config = self.services.db, runner.config
        since = datetime.fromtimestamp(self.services.clock.now(), UTC) - SEED_SINCE
        dials = await dial_history(db, runner.campaign_id, since, SEED_DIALS, counted_outcomes(config))
        changes = await recent_agent_events(db, config.queue, since, SEED_AGENT_EVENTS)
        learnt = runner.learn_history(dials, changes)
        if learnt.dials or learnt.talks:
            log.info(
                "pacer_learnt_from_records",
                campaign=config.name,
                campaign_id=runner.campaign_id,
                dials=learnt.dials,
                talks=learnt.talks,
                wraps=learnt.wraps,
                answer_rate=round(runner.ctx.stats.live_share.value, 4),
            )
        await self._resume_memory(runner)

    async def _resume_memory(self, runner: CampaignRunner) -> Resumed:
        """What no record holds, from the memory the campaign's last owner saved, where it still applies: none older
        than the records learnt from (``SEED_SINCE``), the controller's level only under the same terms."""
        bound = log.bind(campaign=runner.name, campaign_id=runner.campaign_id)
        stored = await load_pacer_memory(self.services.db, runner.campaign_id)
        if stored is None:
            return Resumed()
        age = self.services.clock.now() - stored.saved_at.timestamp()
        try:
            memory = decode(stored.memory)
            resumed = resume(
                runner.stats, memory, runner.settings, age_seconds=age, max_age_seconds=SEED_SINCE.total_seconds()
            )
        except ValueError as exc:  # another version's, or not one: the pacer starts those afresh
            bound.warning("pacer_memory_unreadable", saved_by=stored.owner, error=str(exc))
            return Resumed()
        stats = runner.stats
        bound.info(
            "pacer_memory_resumed" if resumed.anything else "pacer_memory_ignored",
            saved_by=stored.owner,
            age_seconds=round(age, 1),
            level=round(stats.controller.level, 5) if resumed.level else None,
            amd_seconds=stats.amd_seconds if resumed.amd_seconds else None,
            ready_lateness_samples=stats.ready_lateness.samples if resumed.ready_lateness else None,
            terms_changed=memory.terms != controller_terms(runner.settings),
        )
        return resumed

    async def _seed_history(self, runner: CampaignRunner) -> None:
        since = datetime.fromtimestamp(self.services.clock.now(), UTC) - timedelta(hours=runner.settings.window_hours)
        history = await answer_history(self.services.db, runner.campaign_id, since, runner.config.abandon_rules)
        runner.load_history([(at.timestamp(), count) for at, count in history])
