"""One campaign's pacing loop: wake on a short tick (or earlier, when something the pacer depends on changed),
decide per server how many calls to place, claim that many leads with their write-ahead attempt rows in one
transaction, and send the Originates -- or say why no call goes out (:class:`dialer.runner.state.WhyNotDialing`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from structlog.contextvars import bind_contextvars

from dialer.i18n import M_
from dialer.logging import get_logger
from dialer.pacing import InboundLoad, PacingDecision, PacingMode, PacingSnapshot, decide
from dialer.runner.lookahead import Lookahead
from dialer.runner.originate import Originator
from dialer.runner.own_callbacks import OwnCallbacks
from dialer.runner.state import CampaignContext, InboundSource, WhyNotDialing
from dialer.runner.why_not import paced_reason
from dialer.store.claim import Owned, upcoming_leads, waiting_callbacks
from dialer.store.leads import LeadRecord
from dialer.store.lifecycle import claim_order

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class StepLatency:
    """How promptly a pacing step that placed calls answered what woke it (seconds, ``time.perf_counter``).

    The wake-up is the earliest since the previous step began (:meth:`CampaignContext.wake`: an agent became free,
    a call ended or reached an agent, a state change); "written" is the step's first Originate handed to the AMI
    connection's transport. A step the tick alone started, or one that placed no call, is no sample."""

    since_wake: float  # the wake-up -> the first Originate written
    since_agent_free: float | None  # an agent of the campaign became free -> the same Originate (None: none did)
    waited: float  # the wake-up -> the step began (the loop's turn; a step already under way)
    decided: float  # the step's pacing decision (and predictive look-ahead)
    claimed: float  # the claim and its write-ahead attempt rows: one write transaction
    sent: float  # the claim's end -> the first Originate written


class PacingLoop:
    def __init__(
        self,
        ctx: CampaignContext,
        originator: Originator,
        *,
        inbound: InboundSource | None = None,
        tick_seconds: float = 1.0,
    ) -> None:
        self.ctx = ctx
        self.originator = originator
        # None without blending: no inbound load.
        self.inbound: InboundSource = inbound or (lambda _queue, _server: InboundLoad())
        self.tick_seconds = tick_seconds
        self.last_decision: PacingDecision | None = None
        self.last_decisions: dict[str, int] = {}  # calls asked per server at the last decision
        self.stepping = False  # a pacing step (claim + originates) is under way
        # perf_counter() when an agent of this campaign became free, until the next step's first Originate is written.
        self.free_since: float | None = None
        self.on_originate_latency: Callable[[float], None] | None = None  # seconds, agent free -> Originate written
        self.on_step_latency: Callable[[StepLatency], None] | None = None  # each step answering a wake-up with calls
        # The next leads the claims will take: their answer rates (history, local hour) are the pacer's input.
        self.lookahead = Lookahead(lambda: self.ctx.config, self.read_upcoming)
        # Callbacks promised by an agent: dialled straight to that agent when free, before the pacer's own calls.
        self.own_callbacks = OwnCallbacks(ctx, originator, self.read_upcoming, self.count_waiting)

    async def read_upcoming(
        self, limit: int, wall: datetime, owned: Owned = Owned.NO, agents: Collection[str] = ()
    ) -> list[LeadRecord]:
        """The campaign's next due leads in claim order (``owned``: only callbacks waiting for their agents, those
        of ``agents`` for Owned.LISTED)."""
        ctx = self.ctx
        return await upcoming_leads(
            ctx.db,
            campaign_id=ctx.campaign_id,
            limit=limit,
            now=wall,
            order=claim_order(ctx.config),
            agents=agents,
            owner_grace=ctx.config.personal_callback_grace,
            owned=owned,
        )

    async def count_waiting(self, wall: datetime, free: Collection[str]) -> int:
        """How many of the campaign's due callbacks wait for their agents (those not in ``free``)."""
        ctx = self.ctx
        return await waiting_callbacks(
            ctx.db,
            campaign_id=ctx.campaign_id,
            now=wall,
            owner_grace=ctx.config.personal_callback_grace,
            free_agents=free,
        )

    async def look_ahead(self, now: float) -> None:
        """Predictive pacing only: refresh the next leads (their histories and zones). A failed read leaves the
        last one in place (the pacer then counts those leads, or the hour's rate beyond them)."""
        ctx = self.ctx
        if ctx.settings.mode is not PacingMode.PREDICTIVE:
            return
        wanted = 2 * len(ctx.agents.registry.in_queue(ctx.config.queue)) + 20
        try:
            await self.lookahead.refresh(now, wanted)
        except Exception:
            log.warning("lookahead_read_failed", campaign=ctx.name, exc_info=True)

    def agent_freed(self) -> None:
        """An agent of the campaign became free: the latency to the next Originate runs from now."""
        if self.free_since is None:
            self.free_since = time.perf_counter()

    async def run(self) -> None:
        ctx = self.ctx
        bind_contextvars(campaign=ctx.name)  # this task's log lines (its own context)
        while True:
            # Wake on the tick (on the runner's clock, so simulated time paces simulated calls) or earlier on demand.
            timer = ctx.clock.call_later(self.tick_seconds, ctx.wakened.set)
            await ctx.wakened.wait()
            timer.cancel()
            ctx.wakened.clear()
            self.stepping = True
            try:
                await self.step()
            except asyncio.CancelledError:
                raise
            except Exception:
                # A database hiccup must not kill the campaign: log, wait for the next tick, try again.
                log.exception("pacing_step_failed", campaign=ctx.name)
                ctx.why_not = WhyNotDialing("error", M_("pacing step failed; retrying (see the log)"))
            finally:
                self.stepping = False

    def snapshot(self, now: float, server: str | None = None) -> PacingSnapshot:
        """What the pacer sees of this campaign -- on one server when given: its agents there, the calls placed
        there, its inbound callers and its trunk room (a call placed on a server can reach no other's agent)."""
        ctx = self.ctx
        return PacingSnapshot(
            now=now,
            settings=ctx.settings,
            agents=ctx.agents.registry.pacing_view(ctx.config.queue, now, server),
            load=ctx.in_flight.load(now, server),
            inbound=self.inbound(ctx.config.queue, server),
            max_new_calls=ctx.pool.room(now) if server is None else ctx.pool.get(server).gate.room(now),
            # New calls' answer rates: the next leads' own (history, the called party's local hour), the hour's
            # beyond them (dialer.runner.lookahead; each call placed learns by the same keys).
            hour_of_day=self.lookahead.hour_beyond(now),
            next_answer_rates=self.lookahead.answer_rates(ctx.stats, now),
        )

    def decide_per_server(self, now: float) -> list[tuple[str | None, PacingDecision]]:
        """One pacing decision per connected server where agents of this campaign are (pool.dialable); with no
        such server, one over nothing placeable (it says why no call goes out)."""
        ctx = self.ctx
        agents = ctx.agents.registry.in_queue(ctx.config.queue)
        servers = ctx.pool.dialable(now, [a.server for a in agents])
        if servers is None:
            return [(None, decide(self.snapshot(now), ctx.stats))]
        if not servers:
            # The campaign's agents are all on servers that are down or have no trunk room: the pacer sees them and
            # its calls, and the call limit (no room where they are) cuts whatever it would place to none.
            full = replace(self.snapshot(now), max_new_calls=0)
            return [(None, decide(full, ctx.stats))]
        return [(name, decide(self.snapshot(now, name), ctx.stats)) for name in servers]

    async def step(self) -> int:
        """One pacing decision and the calls it asks for; returns the number of Originates written."""
        ctx = self.ctx
        now = ctx.clock.now()
        began = time.perf_counter()
        free_since, self.free_since = self.free_since, None
        woken_at, ctx.woken_at = ctx.woken_at, None
        held = ctx.held_back()
        if held is not None:
            ctx.why_not = held
            return 0
        own = 0
        if ctx.settings.mode is not PacingMode.PREVIEW:
            # The due callbacks of free owners first, each to its owner alone (reserved: the pacer then sees them
            # busy); a callback still waiting for its owner is in no claim of the queue's.
            amd = self.last_decision.amd if self.last_decision is not None else True
            own = await self.own_callbacks.place(now, amd=amd)
        await self.look_ahead(now)
        decisions = self.decide_per_server(now)
        self.last_decisions = {name: d.calls for name, d in decisions if name is not None}
        decision = max((d for _, d in decisions), key=lambda d: d.calls)
        if len(decisions) > 1:
            # AMD off if any server's guard holds (the legal window is the campaign's).
            decision = replace(decision, calls=sum(d.calls for _, d in decisions), amd=all(d.amd for _, d in decisions))
        self.last_decision = decision
        if decision.calls <= 0:
            exp = decision.explanation
            why = WhyNotDialing(str(exp.guard.value) if exp.guard else "paced", paced_reason(exp))
            ctx.why_not = None if own else why
            return own
        decided = time.perf_counter()
        wall = datetime.fromtimestamp(now, UTC)
        # The claim and the write-ahead attempt rows: one write transaction.
        batch, attempts = await self.originator.claim(decision.calls, wall, amd=decision.amd)
        claimed = time.perf_counter()
        self.lookahead.claimed([lead.id for lead in batch.leads])
        if not batch.leads:
            ctx.why_not = None if own else self.own_callbacks.no_leads(batch.set_aside)
            return own
        ctx.why_not = None
        predictive = decision.explanation.effective_mode is PacingMode.PREDICTIVE
        # The Originates of one step go out together, each in its own task waiting only for its own "queued"
        # response (the client matches responses by ActionID). The step ends once every call is counted in flight
        # and its Originate written: the next step (for an agent freed meanwhile) does not wait for the PBX's
        # answers to this one's.
        loop = asyncio.get_running_loop()
        # Each resolves to when its Originate was written (perf_counter), or None if it was not.
        counted: list[asyncio.Future[float | None]] = [loop.create_future() for _ in attempts]
        # Each call on the server whose decision asked for it (the first servers' first, as leads came).
        targets = [name for name, d in decisions for _ in range(max(0, d.calls))]
        originator = self.originator
        for (attempt_id, start), in_flight, target in zip(attempts, counted, targets, strict=False):
            originator.send(
                originator.originate(attempt_id, start, predictive, counted=in_flight, target=target),
                in_flight,
            )
        times = [t for t in await asyncio.gather(*counted) if t is not None]
        if times:
            self.observe(min(times), woken_at, free_since, began, decided, claimed)
        return own + len(times)

    def observe(
        self,
        first: float,
        woken_at: float | None,
        free_since: float | None,
        began: float,
        decided: float,
        claimed: float,
    ) -> None:
        """A step placed calls, its first Originate written at ``first``: the latency figures (metric, bench)."""
        if free_since is not None and self.on_originate_latency is not None:
            self.on_originate_latency(first - free_since)
        if woken_at is not None and self.on_step_latency is not None:
            self.on_step_latency(
                StepLatency(
                    since_wake=first - woken_at,
                    since_agent_free=None if free_since is None else first - free_since,
                    waited=began - woken_at,
                    decided=decided - began,
                    claimed=claimed - decided,
                    sent=first - claimed,
                )
            )
