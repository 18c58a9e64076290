"""Preview dialling: an agent holds the next lead to read before dialling it, then dials it straight to their own
phone (the dialplan's direct-agent path), or skips it."""

from __future__ import annotations

from datetime import UTC, datetime

from dialer.agents.registry import Agent, AgentStatus
from dialer.i18n import M_, Message
from dialer.runner.originate import Originator
from dialer.runner.state import CampaignContext, WhyNotDialing
from dialer.store.attempts import start_attempts
from dialer.store.claim import Owned, Release, release_leads
from dialer.store.leads import LeadRecord
from dialer.store.lifecycle import ClaimBatch, claim_dialable


class Preview:
    def __init__(self, ctx: CampaignContext, originator: Originator) -> None:
        self.ctx = ctx
        self.originator = originator
        self.held: dict[str, LeadRecord] = {}  # agent id -> the lead they are looking at
        self.own: set[str] = set()  # agents whose held lead is a callback they promised

    async def claim(self, agent_id: str) -> LeadRecord | None:
        """Hold the next lead for this agent to read before dialling: their own due callback first (one still waiting
        for them: :mod:`dialer.runner.own_callbacks`), else the next lead anyone may take."""
        ctx = self.ctx
        if agent_id in self.held:
            return self.held[agent_id]
        self.require_ready(agent_id)
        wall = datetime.fromtimestamp(ctx.clock.now(), UTC)
        batch = await self._claim_one(wall, agents=(agent_id,), owned=Owned.LISTED)
        if batch.leads:
            self.own.add(agent_id)
        else:
            batch = await self._claim_one(wall)
        if not batch.leads:
            breakdown = dict(batch.set_aside)
            ctx.why_not = WhyNotDialing("no_leads", M_("no lead may be dialled now"), breakdown)
            return None
        self.held[agent_id] = batch.leads[0]
        return batch.leads[0]

    async def _claim_one(self, wall: datetime, agents: tuple[str, ...] = (), owned: Owned = Owned.NO) -> ClaimBatch:
        ctx = self.ctx
        campaign = ctx.campaign_id
        return await claim_dialable(
            ctx.db, ctx.config, campaign_id=campaign, owner=ctx.owner, limit=1, now=wall, agents=agents, owned=owned
        )

    async def skip(self, agent_id: str) -> None:
        lead = self.held.pop(agent_id, None)
        self.own.discard(agent_id)
        if lead is not None:
            ctx = self.ctx
            await release_leads(ctx.db, ctx.owner, [Release(lead.id)], datetime.fromtimestamp(ctx.clock.now(), UTC))

    async def dial(self, agent_id: str) -> int:
        """Dial the lead the agent is looking at, straight to their phone (the contract's AGENT_VARIABLE); returns
        the attempt id."""
        ctx = self.ctx
        lead = self.held.get(agent_id)
        if lead is None:
            raise LookupError(M_("agent {agent} has no preview lead: claim one first", agent=agent_id))
        if not ctx.pool.any_up():
            raise RuntimeError(M_("no Asterisk server connected"))
        agent = await ctx.agents.reserve_for_preview(agent_id, ctx.config.queue)
        del self.held[agent_id]
        own = agent_id in self.own
        self.own.discard(agent_id)
        start = self.originator.attempt_start(lead, datetime.fromtimestamp(ctx.clock.now(), UTC))
        (attempt_id,) = await start_attempts(ctx.db, [start])
        if not await self.originator.originate(attempt_id, start, predictive=False, agent=agent, own_callback=own):
            await ctx.agents.end_preview(agent_id)
            raise RuntimeError(M_("the call could not be placed"))
        return attempt_id

    def require_ready(self, agent_id: str) -> Agent:
        ctx = self.ctx
        agent = ctx.agents.registry.get(agent_id)
        if agent is None or ctx.config.queue not in agent.queues:
            raise LookupError(
                M_("agent {agent} is not logged in to campaign {campaign}", agent=agent_id, campaign=ctx.name)
            )
        if agent.status is not AgentStatus.READY:
            raise RuntimeError(
                M_("agent {name} is {status}, not ready", name=agent_id, status=Message(agent.status.value))
            )
        return agent
