"""The agents' side of one campaign's calls: which call each agent is on (for the disposition), their talk and
wrap-up times (the pacer learns handle times from them), the disposition that ends a wrap-up, and the campaign's
``timeout_disposition`` for a call whose wrap-up ended without one, and the agent's late disposition of such a call
(dialer.campaign.late_disposition), through the same path."""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime

import structlog

from dialer.agents.registry import Agent, AgentChange, AgentStatus
from dialer.calls.outcome import Outcome
from dialer.campaign.rules import LeadTransition, TransitionKind
from dialer.i18n import M_
from dialer.pacing.stats import LearntDial
from dialer.runner.learning import HandleKind, HandleTimer
from dialer.runner.state import CampaignContext
from dialer.store.lifecycle import AlreadyDispositioned, record_disposition
from dialer.tasks import finished_even_if_cancelled

log = structlog.get_logger()

WITHOUT_AMD_KEPT = 10_000
# The note stored with a disposition the campaign's timeout_disposition gave (nobody chose it).
TIMEOUT_NOTE = "wrap-up ended without a disposition"


class AgentCalls:
    def __init__(self, ctx: CampaignContext) -> None:
        self.ctx = ctx
        self.attempts: dict[str, int] = {}  # agent id -> the attempt they are on or last wrapped up
        self.channels: dict[str, str] = {}  # agent id -> the leg bridged to their current call (call control)
        self.handle_timer = HandleTimer(ctx.config.queue)
        # Calls placed without AMD in an AMD campaign (the pacer paused it) that reached an agent: their disposition
        # says what AMD would have been told (a person or a machine), in place of its verdict (oldest first).
        self.without_amd: dict[int, None] = {}
        # Connected calls as the answer rates learnt them (live answers), until their disposition: one an agent
        # marks a machine after it ended is taken back (oldest first, as many as without_amd keeps).
        self.live_dials: dict[int, LearntDial] = {}
        # Attempts whose disposition is being written (the agent's, or the timeout's): never two for one call.
        self.dispositioning: set[int] = set()
        self.timeouts: set[asyncio.Task[None]] = set()  # timeout dispositions under way
        # Disposition writes under way, by attempt: one goes on to its end when its caller is cancelled (a request
        # given up, a shutdown), and its call stays claimed in ``dispositioning`` until it ends.
        self.writing: dict[int, asyncio.Future[LeadTransition]] = {}

    def connected(
        self, agent_id: str, attempt_id: int, agent_channel: str | None = None, *, amd_paused: bool = False
    ) -> None:
        """The agent took the call (or an adopted call shows them on it), on ``agent_channel`` when known;
        ``amd_paused``: an AMD campaign's call placed without it."""
        self.attempts[agent_id] = attempt_id
        if agent_channel:
            self.channels[agent_id] = agent_channel
        if amd_paused:
            self.without_amd[attempt_id] = None
            if len(self.without_amd) > WITHOUT_AMD_KEPT:  # calls never dispositioned: forget the oldest
                del self.without_amd[next(iter(self.without_amd))]

    def learnt_live(self, attempt_id: int, dial: LearntDial) -> None:
        """The pacer learnt the ended call ``attempt_id`` as a live answer (see ``live_dials``)."""
        self.live_dials[attempt_id] = dial
        if len(self.live_dials) > WITHOUT_AMD_KEPT:  # calls never dispositioned: forget the oldest
            del self.live_dials[next(iter(self.live_dials))]

    def live_call_of_agent(self, agent_id: str) -> tuple[int, str, str, str] | None:
        """(attempt id, server, customer channel, agent's leg) of the connected call the agent is on, for call
        control; None when the agent is on no live call of this campaign (or its channels are not known)."""
        attempt_id = self.attempts.get(agent_id)
        call = self.ctx.in_flight.calls.get(attempt_id) if attempt_id is not None else None
        channel = self.channels.get(agent_id)
        if call is None or not call.connected or not call.channel_id or not channel:
            return None
        return call.attempt_id, call.server, call.channel_id, channel

    def hand_over(self, attempt_id: int, agent_id: str, agent_channel: str) -> None:
        """A transfer gave the call to ``agent_id``: their console pops it and they disposition it."""
        ctx = self.ctx
        call = ctx.in_flight.calls.get(attempt_id)
        self.attempts[agent_id] = attempt_id
        self.channels[agent_id] = agent_channel
        self.screen_pop(agent_id, attempt_id, call.lead_id if call is not None else None, 0.0, transferred=True)

    def screen_pop(
        self,
        agent_id: str,
        attempt_id: int,
        lead_id: int | None,
        wait_seconds: float,
        *,
        transferred: bool = False,
        own_callback: bool = False,
    ) -> None:
        """The agent's console pops the call (it fetches the lead and its history by attempt id): the customer
        waited ``wait_seconds`` for an agent; ``transferred`` (said only when so): a transfer handed it over;
        ``own_callback`` (said only when so): the call keeps a callback this agent promised."""
        ctx = self.ctx
        handed_over: dict[str, bool] = {"transferred": True} if transferred else {}
        if own_callback:
            handed_over["own_callback"] = True
        ctx.bus.publish(
            f"agent:{agent_id}",
            "screen_pop",
            campaign=ctx.name,
            attempt_id=attempt_id,
            lead_id=lead_id,
            wait_seconds=wait_seconds,
            **handed_over,
        )

    def attempt_of_agent(self, agent_id: str) -> int | None:
        """The attempt the agent is on or last wrapped up (for the disposition)."""
        return self.attempts.get(agent_id)

    def on_agent_change(self, change: AgentChange, agent: Agent) -> None:
        """Handle times are learnt from this campaign's calls only (a blended agent also talks to inbound callers):
        :class:`dialer.runner.learning.HandleTimer`, as a runner loaded mid-day reads them from the store."""
        if change.previous is AgentStatus.WRAPUP and change.current is not AgentStatus.WRAPUP:
            self._wrapup_over(change.agent_id)
        now = change.at
        self.handle_timer.queue = self.ctx.config.queue
        ended = self.handle_timer.change(change.agent_id, change.previous, change.current, now, agent.call_queue)
        if ended is None:
            return
        kind, seconds = ended
        if kind is HandleKind.TALK:
            self.ctx.stats.record_talk(seconds, change.agent_id)
            return
        self.ctx.stats.record_wrap(seconds, change.agent_id)
        if agent.ready_announced and agent.announced_ready_at is not None:
            # How late against their "ready in N s" (paused or gone instead: never free, as late as it gets).
            free = change.current in (AgentStatus.READY, AgentStatus.RINGING, AgentStatus.TALKING)
            self.ctx.stats.record_ready_announcement(now - agent.announced_ready_at if free else math.inf)

    def _wrapup_over(self, agent_id: str) -> None:
        """The agent's wrap-up ended (its timer, a logout, "ready"): a call of this campaign they left without a
        disposition gets the campaign's ``timeout_disposition``, if it has one (in a task: this runs inside the
        registry's change listeners)."""
        code = self.ctx.config.timeout_disposition
        attempt = self.attempts.get(agent_id)
        if code is None or attempt is None or attempt in self.dispositioning:
            return
        self.dispositioning.add(attempt)  # the agent's own disposition, asked from now on, is refused (409)
        task = asyncio.get_running_loop().create_task(self._timed_out(agent_id, attempt, code))
        self.timeouts.add(task)
        task.add_done_callback(self.timeouts.discard)

    async def _timed_out(self, agent_id: str, attempt: int, code: str) -> None:
        try:
            await self.disposition(agent_id, code, notes=TIMEOUT_NOTE, attempt_id=attempt, timed_out=True)
            log.info("timeout_disposition", campaign=self.ctx.name, agent=agent_id, attempt_id=attempt, code=code)
        except AlreadyDispositioned:  # the agent's late disposition came first
            log.info("timeout_disposition_not_needed", campaign=self.ctx.name, agent=agent_id, attempt_id=attempt)
        except Exception:
            log.exception("timeout_disposition_failed", campaign=self.ctx.name, agent=agent_id, attempt_id=attempt)

    async def disposition(
        self,
        agent_id: str,
        code: str,
        *,
        notes: str | None = None,
        callback_at: datetime | None = None,
        callback_personal: bool = True,
        attempt_id: int | None = None,
        timed_out: bool = False,
        late_by: str | None = None,
    ) -> TransitionKind:
        """The agent's disposition of their current/last call (or of ``attempt_id``); ends their wrap-up.
        ``timed_out``: the campaign's timeout disposition of a wrap-up that ended without one (claimed already).
        ``late_by``: the agent's late disposition of their earlier call ``attempt_id``, asked by that user (the
        store applies dialer.campaign.late_disposition's rule: LateDispositionRefused); it ends their wrap-up only
        if that call is the one they are wrapping up."""
        attempt = attempt_id if attempt_id is not None else self.attempts.get(agent_id)
        if attempt is None or (attempt in self.dispositioning and not timed_out):
            if late_by is not None and attempt is not None:
                raise LookupError(M_("call {attempt} is being dispositioned: try again", attempt=attempt))
            raise LookupError(M_("agent {agent} has no call to disposition", agent=agent_id))
        self.dispositioning.add(attempt)
        try:
            return await self._disposition(
                agent_id,
                attempt,
                code,
                notes=notes,
                callback_at=callback_at,
                callback_personal=callback_personal,
                ends_wrapup=not timed_out and (late_by is None or self.attempts.get(agent_id) == attempt),
                timed_out=timed_out,
                late_by=late_by,
            )
        finally:
            if attempt not in self.writing:  # (a write going on after a cancel releases the call when it ends)
                self.dispositioning.discard(attempt)

    def _written(self, attempt: int) -> None:
        """A disposition write ended: the call is released (another disposition of it is refused or allowed by what
        the store now holds)."""
        self.writing.pop(attempt, None)
        self.dispositioning.discard(attempt)

    async def _disposition(
        self,
        agent_id: str,
        attempt: int,
        code: str,
        *,
        notes: str | None,
        callback_at: datetime | None,
        callback_personal: bool,
        ends_wrapup: bool,
        timed_out: bool,
        late_by: str | None,
    ) -> TransitionKind:
        ctx = self.ctx
        at = datetime.fromtimestamp(ctx.clock.now(), UTC)

        async def write_and_count() -> LeadTransition:
            written = await record_disposition(
                ctx.db,
                ctx.config,
                attempt,
                code,
                at,
                agent=agent_id,
                notes=notes,
                callback_at=callback_at,
                callback_personal=callback_personal,
                timed_out=timed_out,
                late_by=late_by,
            )
            if attempt in self.without_amd:
                del self.without_amd[attempt]
                # The mix of people and machines AMD would have seen (the pacer's false-positive share reads it).
                given = ctx.config.disposition(code)
                ctx.stats.record_amd(not (given is not None and given.is_machine))
            learnt = self.live_dials.pop(attempt, None)
            if written.machine_ended_at is not None:
                # A call recorded connected was a machine: its live answer leaves the abandon rate, as in the
                # reports, and the answer rates (as a runner loaded later learns it from the stored outcome).
                ctx.stats.retract_live_answer(written.machine_ended_at.timestamp())
                if learnt is not None:
                    ctx.stats.retract_live_dial(learnt)
                ctx.counters.recount(Outcome.CONNECTED, Outcome.MACHINE)
            if self.attempts.get(agent_id) == attempt:  # (a timeout's: the agent may be on their next call)
                self.attempts.pop(agent_id, None)
                self.channels.pop(agent_id, None)
            ctx.counters.dispositions[code] += 1
            if written.replaced is not None and ctx.counters.dispositions[written.replaced] > 0:
                ctx.counters.dispositions[written.replaced] -= 1  # a late disposition replaced the timeout's
            if written.transition.kind in (TransitionKind.CLOSED, TransitionKind.DNC):
                ctx.counters.closed += 1
            return written.transition

        # The write and what the pacer and counters learn from it go together: a caller cancelled meanwhile (a
        # request given up, a shutdown) does not leave a stored machine counted as a live answer.
        write = asyncio.ensure_future(write_and_count())
        self.writing[attempt] = write
        write.add_done_callback(lambda _: self._written(attempt))
        transition = await finished_even_if_cancelled(
            write,
            event="disposition_failed_after_cancel",
            campaign=ctx.name,
            agent=agent_id,
            attempt_id=attempt,
        )
        agent = ctx.agents.registry.get(agent_id)
        if ends_wrapup and agent is not None and agent.status is AgentStatus.WRAPUP:
            await ctx.agents.finish_wrapup(agent_id)
        return transition.kind
