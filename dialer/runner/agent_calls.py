"""The agents' side of one campaign's calls: which call each agent is on (for the disposition), their talk and
wrap-up times (the pacer learns handle times from them), and the disposition that ends a wrap-up."""

from __future__ import annotations

from datetime import UTC, datetime

from dialer.agents.registry import Agent, AgentChange, AgentStatus
from dialer.campaign.rules import TransitionKind
from dialer.runner.state import CampaignContext
from dialer.store.lifecycle import record_disposition


class AgentCalls:
    def __init__(self, ctx: CampaignContext) -> None:
        self.ctx = ctx
        self.attempts: dict[str, int] = {}  # agent id -> the attempt they are on or last wrapped up
        self.talk_started: dict[str, float] = {}
        self.wrap_started: dict[str, float] = {}

    def connected(self, agent_id: str, attempt_id: int) -> None:
        """The agent took the call (or an adopted call shows them on it)."""
        self.attempts[agent_id] = attempt_id

    def attempt_of_agent(self, agent_id: str) -> int | None:
        """The attempt the agent is on or last wrapped up (for the disposition)."""
        return self.attempts.get(agent_id)

    def on_agent_change(self, change: AgentChange, agent: Agent) -> None:
        """Handle times are learnt from this campaign's calls only (a blended agent also talks to inbound callers)."""
        now = change.at
        if change.current is AgentStatus.TALKING and agent.call_queue == self.ctx.config.queue:
            self.talk_started[change.agent_id] = now
        elif change.previous is AgentStatus.TALKING:
            started = self.talk_started.pop(change.agent_id, None)
            if started is not None:
                self.ctx.stats.record_talk(now - started)
                if change.current is AgentStatus.WRAPUP:
                    self.wrap_started[change.agent_id] = now
        elif change.previous is AgentStatus.WRAPUP:
            started = self.wrap_started.pop(change.agent_id, None)
            if started is not None:
                self.ctx.stats.record_wrap(now - started)

    async def disposition(
        self,
        agent_id: str,
        code: str,
        *,
        notes: str | None = None,
        callback_at: datetime | None = None,
        callback_personal: bool = True,
        attempt_id: int | None = None,
    ) -> TransitionKind:
        """The agent's disposition of their current/last call; ends their wrap-up."""
        ctx = self.ctx
        attempt = attempt_id if attempt_id is not None else self.attempts.get(agent_id)
        if attempt is None:
            raise LookupError(f"agent {agent_id} has no call to disposition")
        transition = await record_disposition(
            ctx.db,
            ctx.config,
            attempt,
            code,
            datetime.fromtimestamp(ctx.clock.now(), UTC),
            agent=agent_id,
            notes=notes,
            callback_at=callback_at,
            callback_personal=callback_personal,
        )
        self.attempts.pop(agent_id, None)
        ctx.counters.dispositions[code] += 1
        if transition.kind in (TransitionKind.CLOSED, TransitionKind.DNC):
            ctx.counters.closed += 1
        agent = ctx.agents.registry.get(agent_id)
        if agent is not None and agent.status is AgentStatus.WRAPUP:
            await ctx.agents.finish_wrapup(agent_id)
        return transition.kind
