"""Placing one campaign's calls: the attempt row written ahead of the Originate (with the ids we choose for it),
the Originate itself on a server of the pool, and what the server's call tracker follows the call by.

Every dialplan name comes from :mod:`dialer.contract`.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import Callable, Collection, Coroutine
from datetime import UTC, datetime
from typing import Any

from dialer.agents.registry import Agent
from dialer.ami.actions import OriginateRequest, OriginateStatus, caller_id_header
from dialer.calls.tracker import CallUpdate, OriginateRecord
from dialer.campaign.config import CampaignConfig
from dialer.contract import AGENT_VARIABLE, AMD_VARIABLE, CAMPAIGN_VARIABLE, OUTBOUND_CONTEXT, QUEUE_VARIABLE
from dialer.logging import get_logger
from dialer.recording.consent import consent_required
from dialer.recording.service import originate_variables
from dialer.runner.inflight import InFlightCall
from dialer.runner.lookahead import LeadPacing, lead_pacing, local_hour
from dialer.runner.state import CampaignContext
from dialer.store.attempts import AttemptStart
from dialer.store.claim import Owned
from dialer.store.leads import LeadRecord
from dialer.store.lifecycle import ClaimBatch, claim_and_start_attempts
from dialer.store.runtime import discard_unsent_attempt

log = get_logger(__name__)


def fallback_action_id(attempt_id: int) -> str:
    """The ActionID of an attempt written without one (the runner always chooses one, see attempt_start)."""
    return f"orig-{attempt_id}"


def tracking_record(
    config: CampaignConfig,
    attempt_id: int,
    phone: str,
    dial_string: str,
    action_id: str,
    channel_id: str,
    sent_at: float,
) -> OriginateRecord:
    """What the server's call tracker follows a call by (placed here, or adopted from a dead daemon)."""
    return OriginateRecord(
        action_id=action_id,
        attempt_id=str(attempt_id),
        dial_string=dial_string,
        number=phone,
        sent_at=sent_at,
        channel_id=channel_id,
        timeout_seconds=float(config.ring_timeout_seconds),
    )


class Originator:
    """``deliver`` takes the call updates an Originate's answer already carries (the runner's update queue)."""

    def __init__(self, ctx: CampaignContext, deliver: Callable[[str, CallUpdate], None]) -> None:
        self.ctx = ctx
        self.deliver = deliver
        self.sending: set[asyncio.Task[bool]] = set()  # Originates written, waiting for their "queued" answer
        self._seq = itertools.count(1)
        self._key = uuid.uuid4().hex[:8]
        # By ActionID, from the claim to the send: the lead's history and zone (what its answer rate is learnt by).
        self._leads: dict[str, LeadPacing] = {}
        # Channel variables every Originate of the campaign carries besides the contract's (an agentless runner's
        # flow and FastAGI address: dialer.runner.agentless).
        self.extra_variables: dict[str, str] = {}

    async def claim(
        self,
        limit: int,
        wall: datetime,
        *,
        agents: Collection[str] = (),
        amd: bool = True,
        owned: Owned = Owned.NO,
    ) -> tuple[ClaimBatch, list[tuple[int, AttemptStart]]]:
        """Up to ``limit`` leads of the campaign claimed at ``wall`` and their write-ahead attempt rows, in one write
        transaction (:func:`dialer.store.lifecycle.claim_and_start_attempts`; ``agents``: whose own callbacks may be
        claimed; ``owned``: only those, :class:`dialer.store.claim.Owned`; ``amd``: False when the pacer paused AMD,
        ``PacingDecision.amd``)."""
        ctx = self.ctx
        return await claim_and_start_attempts(
            ctx.db,
            ctx.config,
            campaign_id=ctx.campaign_id,
            owner=ctx.owner,
            limit=limit,
            now=wall,
            start=lambda lead: self.attempt_start(lead, wall, amd=amd),
            agents=agents,
            owned=owned,
        )

    def attempt_start(self, lead: LeadRecord, wall: datetime, *, amd: bool = True) -> AttemptStart:
        """The call record written before the Originate, with the ids we choose for it (ActionID, ChannelId) and
        whether it runs AMD (the campaign's setting, unless ``amd`` is False: paused by the pacer) -- what the
        Originate sends and what a daemon adopting the call reads."""
        key = f"{self._key}-{next(self._seq)}"
        config = self.ctx.config
        self._leads[f"orig-{key}"] = lead_pacing(lead, config)
        return AttemptStart(
            lead_id=lead.id,
            campaign_id=self.ctx.campaign_id,
            phone=lead.phone,
            started_at=wall,
            caller_id=config.caller_id.presented(lead.phone, lead.id),  # (local presence: dialer.campaign.callerid)
            trunk=config.trunk,
            action_id=f"orig-{key}",
            channel_id=f"dialer-{key}",
            amd=config.amd.enabled and amd,
        )

    def send(self, originate: Coroutine[Any, Any, bool], counted: asyncio.Future[float | None]) -> None:
        """Run one Originate of a step in its own task; ``counted`` is resolved (None) if it ends uncounted."""
        task = asyncio.get_running_loop().create_task(originate)
        self.sending.add(task)

        def done(task: asyncio.Task[bool]) -> None:
            self.sending.discard(task)
            if not counted.done():
                counted.set_result(None)
            if not task.cancelled() and (exc := task.exception()) is not None:
                log.error("originate_failed", campaign=self.ctx.name, exc_info=exc)

        task.add_done_callback(done)

    async def originate(
        self,
        attempt_id: int,
        start: AttemptStart,
        predictive: bool,
        agent: Agent | None = None,
        *,
        counted: asyncio.Future[float | None] | None = None,
        target: str | None = None,
        own_callback: bool = False,
    ) -> bool:
        """Place one call on server ``target`` (the preview agent's server; else the one with most room); ``counted`` is
        resolved once the call is in flight, just before it is written (to then: ``time.perf_counter()``). AMD runs
        as its attempt row says (``start.amd``; not recorded: the campaign's setting). ``agent``: the call goes to
        that agent's phone alone (preview, manual dial, ``own_callback``: a callback they promised)."""
        ctx = self.ctx
        config = ctx.config
        now = ctx.clock.now()
        if target is None and agent is not None and agent.server:
            target = agent.server
        server = ctx.pool.choose(now, only=target)
        action_id = start.action_id or fallback_action_id(attempt_id)
        channel_id = start.channel_id or f"dialer-{attempt_id}"
        lead = self._leads.pop(action_id, None)
        if server is None:
            await self.unsent(attempt_id, "no trunk room")
            return False
        dial = config.dial_string(start.phone)
        variables = {
            CAMPAIGN_VARIABLE: ctx.name,
            QUEUE_VARIABLE: config.queue,
            AMD_VARIABLE: "1" if (config.amd.enabled if start.amd is None else start.amd) else "0",
        }
        if agent is not None:
            variables[AGENT_VARIABLE] = agent.interface
        variables.update(self.extra_variables)
        consent = consent_required(config, start.phone)
        variables.update(originate_variables(config.recording, ctx.recording_settings, attempt_id, consent=consent))
        caller = config.caller_id
        request = OriginateRequest(
            channel=dial,
            attempt_id=str(attempt_id),
            context=config.dial_context or OUTBOUND_CONTEXT,
            caller_id=caller_id_header(caller.name, start.caller_id or caller.number),  # the number the record holds
            timeout_ms=config.ring_timeout_seconds * 1000,
            variables=variables,
            action_id=action_id,
            channel_id=channel_id,
        )
        record = tracking_record(config, attempt_id, start.phone, dial, action_id, channel_id, now)
        # The called party's local hour and the lead's history: what the answer rate is learnt and predicted by.
        hour = local_hour(now, lead.zone) if lead is not None else local_hour(now, config.timezone)
        history = lead.history if lead is not None else None
        ctx.in_flight.add(
            InFlightCall(
                attempt_id,
                start.lead_id,
                server.name,
                now,
                placed_predictively=predictive,
                channel_id=channel_id,
                preview_agent=agent.agent_id if agent is not None else None,
                own_callback=own_callback,
                amd=variables[AMD_VARIABLE] == "1",
                history=history,
                hour=hour,
                answer_rate=ctx.stats.answer_rate(hour, history),
            )
        )
        if counted is not None and not counted.done():
            counted.set_result(time.perf_counter())  # pool.place writes the Originate before it first yields
        placed = await ctx.pool.place(server, record, request, now)
        if placed.result.status is OriginateStatus.NOT_SENT:
            ctx.in_flight.pop(attempt_id)
            await self.unsent(attempt_id, placed.result.message)
            return False
        ctx.counters.attempts += 1
        ctx.counters.dials[server.name] += 1
        log.info(
            "originate",
            campaign=ctx.name,
            attempt_id=attempt_id,
            lead_id=start.lead_id,
            server=server.name,
            number=start.phone,
            status=placed.result.status.value,
        )
        for update in placed.updates:
            self.deliver(server.name, update)
        return placed.result.status is not OriginateStatus.REJECTED

    async def unsent(self, attempt_id: int, why: str) -> None:
        ctx = self.ctx
        ctx.counters.not_sent += 1
        log.warning("originate_not_sent", campaign=ctx.name, attempt_id=attempt_id, why=why)
        await discard_unsent_attempt(ctx.db, attempt_id, ctx.owner, datetime.fromtimestamp(ctx.clock.now(), UTC))
