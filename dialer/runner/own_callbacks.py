"""Personal callbacks reach the agent who promised them (VICIdial's USERONLY callbacks).

A callback an agent booked as theirs (``callback_agent``) waits for that agent until it is overdue by the campaign's
``personal_callback_grace``: it is dialled only when they are free and goes to them alone, straight to their phone
through the dialplan's direct-agent path (``DIALER_AGENT``, as preview dialling), never through the queue where
whoever is free would answer. The owner is reserved for it from the Originate until the call reaches them or ends
(the preview reservation: paused in the queues, RINGING to the pacer, so neither the queue nor the pacer gives them
another call meanwhile), and the call is not one the pacer finds a queue agent for
(:class:`dialer.runner.inflight.InFlightCalls`). Who gets a due callback is :func:`dialer.campaign.rules.callback_route`
(pure); past the grace it is anyone's, claimed through the queue like any lead.

Every dial mode: the pacing loop places these before its own decision (predictive, power, progressive); in preview
the owner gets theirs as their next preview (:class:`dialer.runner.preview.Preview`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from datetime import UTC, datetime

from dialer.agents.registry import Agent, AgentError, AgentStatus
from dialer.campaign.rules import CallbackRoute, callback_route
from dialer.i18n import M_
from dialer.logging import get_logger
from dialer.runner.originate import Originator
from dialer.runner.state import CampaignContext, WhyNotDialing
from dialer.store.claim import Owned
from dialer.store.leads import LeadRecord, snapshot

log = get_logger(__name__)

# How many due personal callbacks one look reads (soonest due first): a step dials at most one per free owner. A
# look that reads this many counts those waiting with one COUNT (CountWaiting), so the count is true past it.
READ_LIMIT = 50
# A look that can dial nothing (no free agent owns a callback the last look saw waiting) only refreshes the count of
# callbacks waiting (the "why not dialling" line) and finds callbacks newly due: it is made at most this often (the
# runner's clock) instead of at every step.
IDLE_LOOK_SECONDS = 5.0
# Up to ``limit`` due leads of the campaign at ``wall``, in claim order, of those ``Owned`` says (of the agents given,
# for Owned.LISTED), not claimed.
UpcomingRead = Callable[[int, datetime, Owned, Collection[str]], Awaitable[list[LeadRecord]]]
# How many due callbacks of the campaign wait at ``wall`` for agents not among those given (free) -- the store's
# dialer.store.claim.waiting_callbacks.
CountWaiting = Callable[[datetime, Collection[str]], Awaitable[int]]


def look_needed(
    now: float, looked_at: float | None, placed_last: bool, owners_left: frozenset[str], free: Iterable[str]
) -> bool:
    """Whether a step reads the due personal callbacks again (pure). Yes at the first step, once the last look is
    ``IDLE_LOOK_SECONDS`` old, after a look that placed a call (more may be due), and as soon as one of the owners the
    last look left a callback to (``owners_left``: busy or away then, or no trunk room for theirs) is free; otherwise
    the last look stands: it found nothing any agent free now could take."""
    if looked_at is None or now - looked_at >= IDLE_LOOK_SECONDS or placed_last:
        return True
    return not owners_left.isdisjoint(free)


class OwnCallbacks:
    def __init__(self, ctx: CampaignContext, originator: Originator, read: UpcomingRead, count: CountWaiting) -> None:
        self.ctx = ctx
        self.originator = originator
        self.read = read  # the campaign's next due leads, in claim order (PacingLoop.read_upcoming)
        self.count = count  # how many wait for their agents, when more than a read holds (PacingLoop.count_waiting)
        self.waiting = 0  # due callbacks waiting for their owners (busy or away) at the last look
        self.looked_at: float | None = None  # the runner's clock at the last look
        self.placed_last = False  # the last look placed a call
        self.owners_left: frozenset[str] = frozenset()  # owners of the callbacks the last look left (see look_needed)

    def free_agents(self) -> dict[str, Agent]:
        """The campaign's agents free for a call now: signed in to its queue and ready."""
        ctx = self.ctx
        return {a.agent_id: a for a in ctx.agents.registry.in_queue(ctx.config.queue) if a.status is AgentStatus.READY}

    def owners_to_dial(self, due: list[LeadRecord], free: Mapping[str, Agent], wall: datetime) -> list[str]:
        """The free owners of ``due`` callbacks, in the callbacks' order (each once); counts those left waiting."""
        ctx = self.ctx
        owners: list[str] = []
        waiting_for: set[str] = set()
        self.waiting = 0
        for lead in due:
            route = callback_route(snapshot(lead, ctx.config.name), ctx.config, wall, free)
            if route is CallbackRoute.OWNER and lead.callback_agent is not None:
                if lead.callback_agent not in owners:
                    owners.append(lead.callback_agent)
            elif route is CallbackRoute.WAIT:
                self.waiting += 1
                if lead.callback_agent is not None:
                    waiting_for.add(lead.callback_agent)
        self.owners_left = frozenset(waiting_for)
        return owners

    async def place(self, now: float, *, amd: bool = True) -> int:
        """Dial each free owner's soonest due callback, straight to them; the number of calls placed. ``amd``: the
        pacer's last word on AMD (``PacingDecision.amd``)."""
        ctx = self.ctx
        wall = datetime.fromtimestamp(now, UTC)
        if not ctx.pool.any_up():
            return 0
        free = self.free_agents()
        if not look_needed(now, self.looked_at, self.placed_last, self.owners_left, free):
            return 0  # nothing an agent free now could take: the last look's count stands a little longer
        self.looked_at = now
        due = await self.due_for(wall, free)
        owners = self.owners_to_dial(due, free, wall)
        if len(due) >= READ_LIMIT:  # more may wait than the read held: count them all
            self.waiting = await self.count(wall, tuple(free))
        placed = 0
        missed: set[str] = set()
        for agent_id in owners:
            if await self.dial_for(free[agent_id], wall, amd=amd):
                placed += 1
            else:
                missed.add(agent_id)  # no trunk room, or a queue call reached them first: theirs waits for them
        self.owners_left |= missed
        self.placed_last = placed > 0
        return placed

    async def due_for(self, wall: datetime, free: Mapping[str, Agent]) -> list[LeadRecord]:
        """The due callbacks still waiting for the agents who promised them, soonest first (not claimed); when more
        wait than one read holds (their agents busy or away), the free agents' own too, which may come after them: a
        callback waiting for its agent never hides another agent's."""
        due = await self.read(READ_LIMIT, wall, Owned.ANY, ())
        if len(due) < READ_LIMIT or not free:
            return due
        seen = {lead.id for lead in due}
        theirs = await self.read(READ_LIMIT, wall, Owned.LISTED, tuple(free))
        return due + [lead for lead in theirs if lead.id not in seen]

    async def dial_for(self, agent: Agent, wall: datetime, *, amd: bool) -> bool:
        """Reserve the free ``agent``, claim their soonest due callback and dial it to their phone alone; False (the
        agent ready again) when it could not be placed."""
        ctx = self.ctx
        if ctx.pool.choose(ctx.clock.now(), only=agent.server or None) is None:
            return False  # no trunk room on the owner's server: the callback waits for the next step
        try:
            reserved = await ctx.agents.reserve_for_preview(agent.agent_id, ctx.config.queue)
        except AgentError:
            return False  # no longer ready (a queue call reached them meanwhile)
        _, attempts = await self.originator.claim(1, wall, agents=(agent.agent_id,), amd=amd, owned=Owned.LISTED)
        if not attempts:
            await ctx.agents.end_preview(agent.agent_id)
            return False
        ((attempt_id, start),) = attempts
        log.info("own_callback_dial", campaign=ctx.name, agent=agent.agent_id, lead_id=start.lead_id)
        placed = await self.originator.originate(attempt_id, start, predictive=False, agent=reserved, own_callback=True)
        if not placed:
            await ctx.agents.end_preview(agent.agent_id)
        return placed

    def no_leads(self, set_aside: Mapping[str, int]) -> WhyNotDialing:
        """The queue's claim found no lead: say so, and that callbacks wait for the agents who promised them."""
        why = WhyNotDialing.no_leads(set_aside)
        if not self.waiting:
            return why
        breakdown = {**why.breakdown, "callback_owner": self.waiting}
        message = M_(
            "no other lead may be dialled now; due callbacks waiting for the agents who promised them (busy or away):"
            " {count}",
            count=self.waiting,
        )
        return WhyNotDialing("callback_owner" if why.code == "no_leads" else why.code, message, breakdown)
