"""Call control against the PBX: the agent's buttons (hang up, hold, DTMF, transfers, 3-way) and manual dial.

The pure state of each call is :class:`dialer.callcontrol.core.ControlledCall`; this service finds the call an
agent is on (its campaign runner knows the customer's channel, the Originate's ChannelId, and the agent's leg),
resolves transfer targets (another agent's phone, a queue the campaign allows, an outside number that passed the
dialer's own checks), sends the commands through the server's AMI client (every panoramisk call stays in
dialer/ami/) and writes the legs to the call record when the customer hangs up.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from dialer.agents.registry import Agent, AgentChange, AgentError, AgentStatus
from dialer.agents.service import AgentService
from dialer.ami.actions import AmiError, OriginateRequest, caller_id_header
from dialer.ami.client import AmiClient
from dialer.callcontrol.compliance import NumberRefused, check_number
from dialer.callcontrol.core import (
    CallControlError,
    CallState,
    Command,
    ControlledCall,
    HangupChannel,
    Leg,
    OriginateInto,
    Party,
    PartyKind,
    PlayDigits,
    Redirect,
    SetVar,
)
from dialer.i18n import M_, Message
from dialer.logging import get_logger
from dialer.runner.runner import CampaignRunner
from dialer.store.call_legs import CallLegRecord, save_call_legs

log = get_logger(__name__)
# While a warm transfer is completed before its target answered: how often the PBX is asked whether it has.
ANSWER_POLL_SECONDS = 0.25


class NoLiveCall(LookupError):
    """The agent is on no call this daemon controls."""


@dataclass(frozen=True, slots=True)
class Target:
    kind: PartyKind
    name: str  # agent id, queue name, or the number as typed


@dataclass(slots=True)
class _Controlled:
    runner: CampaignRunner
    server: str
    call: ControlledCall
    # Agents a transfer or 3-way brought in: paused in their queues (as a preview agent about to dial) so that no
    # queued call lands on them while they talk; ready again when the call ends or the transfer is cancelled.
    reserved: set[str] = field(default_factory=set)


class CallControlService:
    def __init__(self, runners: dict[str, CampaignRunner]) -> None:
        self._runners = runners
        self._calls: dict[int, _Controlled] = {}
        self._ids = itertools.count(1)
        self._key = secrets.token_hex(3)
        self._watched: set[str] = set()
        self._agent_services: list[AgentService] = []  # (the daemon's one, followed once)

    # ------------------------------------------------------------------ lookup
    def _watch(self, runner: CampaignRunner) -> None:
        if runner.name not in self._watched:
            self._watched.add(runner.name)
            runner.call_end_listeners.append(self._call_ended)
        if not any(runner.agents is agents for agents in self._agent_services):
            self._agent_services.append(runner.agents)
            runner.agents.add_listener(self._queue_transfer_taken)

    def find(self, agent_id: str) -> _Controlled:
        for entry in self._calls.values():
            if entry.call.state not in (CallState.ENDED, CallState.TRANSFERRED) and entry.call.controller == agent_id:
                return entry
        for runner in self._runners.values():
            live = runner.live_call_of_agent(agent_id)
            if live is None:
                continue
            attempt_id, server, customer, agent_channel = live
            self._watch(runner)
            known = self._calls.get(attempt_id)
            if known is not None and known.call.state is not CallState.ENDED:
                if known.call.controller != agent_id or known.call.state is CallState.TRANSFERRED:
                    raise NoLiveCall(M_("{agent} handed this call over: no call to control", agent=agent_id))
                return known
            call = ControlledCall(attempt_id, customer, agent_id, agent_channel, runner.clock.now())
            created = self._calls[attempt_id] = _Controlled(runner, server, call)
            return created
        raise NoLiveCall(M_("{agent} is on no call that can be controlled", agent=agent_id))

    def _queue_transfer_taken(self, change: AgentChange, agent: Agent | None) -> None:
        """app_queue connected a member (AgentConnect): when it is the customer of a call blind-transferred to that
        queue, the member is the closer and gets the call now (its screen pop and call control), on the leg the
        event names, as any queued call's agent does."""
        if agent is None or change.reason != "agent_connect" or agent.call_channel is None:
            return
        self._take_queue_transfer(agent)

    def _take_queue_transfer(self, agent: Agent) -> bool:
        for attempt_id, entry in list(self._calls.items()):
            call = entry.call
            queue = call.queue_transfer_waiting()
            if queue is None or agent.call_uniqueid != call.customer_channel or agent.call_queue != queue:
                continue
            if agent.status is not AgentStatus.TALKING or agent.call_channel is None:
                return False
            now = entry.runner.clock.now()
            call.queue_answered(agent.agent_id, agent.call_channel, now)
            entry.runner.hand_over(attempt_id, agent.agent_id, agent.call_channel)
            log.info("call_transfer_taken", attempt_id=attempt_id, agent=agent.agent_id, queue=queue)
            return True
        return False

    async def adopt_queue_transfer(self, agent_id: str) -> bool:
        """The console's catch-up for a transferred call whose AgentConnect this service did not follow (it is
        handed over on that event, see :meth:`_queue_transfer_taken`). True when the call was handed over now."""
        for entry in list(self._calls.values()):
            agent = entry.runner.agents.registry.get(agent_id)
            if agent is not None and entry.call.queue_transfer_waiting() is not None:
                return self._take_queue_transfer(agent)
        return False

    def state_of(self, agent_id: str) -> dict[str, object] | None:
        try:
            entry = self.find(agent_id)
        except NoLiveCall:
            return None
        return call_json(entry.call, entry.runner.clock.now())

    def _client(self, entry: _Controlled) -> AmiClient:
        client = entry.runner.pool.get(entry.server).client
        if not isinstance(client, AmiClient) or not client.is_up:
            raise RuntimeError(M_("Asterisk server {server} is not connected", server=entry.server))
        return client

    # ------------------------------------------------------------------ buttons
    async def hold(self, agent_id: str) -> dict[str, object]:
        entry = self.find(agent_id)
        await self._run(entry, entry.call.hold(entry.runner.clock.now()))
        return self._done(entry)

    async def resume(self, agent_id: str) -> dict[str, object]:
        entry = self.find(agent_id)
        await self._run(entry, entry.call.resume(entry.runner.clock.now()))
        return self._done(entry)

    async def dtmf(self, agent_id: str, digits: str) -> dict[str, object]:
        entry = self.find(agent_id)
        await self._run(entry, entry.call.dtmf(digits))
        return self._done(entry)

    async def hangup(self, agent_id: str) -> dict[str, object]:
        entry = self.find(agent_id)
        await self._run(entry, entry.call.hangup())
        return self._done(entry)

    async def transfer(self, agent_id: str, target: Target, *, warm: bool) -> dict[str, object]:
        entry = self.find(agent_id)
        party = await self._party(entry, target, agent_id)
        now = entry.runner.clock.now()
        await self._reserve(entry, party)
        try:
            if warm:
                commands = entry.call.start_warm_transfer(party, agent_id, now)
            else:
                commands = entry.call.blind_transfer(party, agent_id, now)
        except CallControlError:
            await self._release(entry, party)
            raise
        await self._run(entry, commands)
        log.info("call_transfer", attempt_id=entry.call.attempt_id, agent=agent_id, to=party.label(), warm=warm)
        return self._done(entry)

    async def _with_target_seen(self, agent_id: str, *, wait: bool = False) -> _Controlled:
        """The agent's call, its pending transfer target marked answered if the agent's leg is bridged to it
        already (its answer was not seen: the target's channel is the agent leg's bridged peer). ``wait``: while
        the target still rings, ask again until it answers, at most the campaign's ring time from the consult's
        start (then the call is returned as it is: the target has not answered)."""
        entry = self.find(agent_id)
        call = entry.call
        clock = entry.runner.clock
        while call.pending is not None and not call.legs[call.pending - 1].channel:
            pending = call.pending
            # (not the customer: the agent leaves the customer's bridge for the consult, and a listing taken at
            # that moment may show them still together)
            peer = await self._bridged_peer(entry, call.agent_channel, other_than=call.customer_channel)
            if peer is not None:
                call.target_answered(peer, clock.now())
                break
            deadline = call.legs[pending - 1].started_at + entry.runner.config.ring_timeout_seconds
            if not wait or clock.now() >= deadline:
                break
            await asyncio.sleep(ANSWER_POLL_SECONDS)
            if call.pending != pending:  # cancelled (or the call ended) meanwhile
                break
        return entry

    async def complete_transfer(self, agent_id: str) -> dict[str, object]:
        """Hand the customer to the consulted party. Pressed while the target still rings, the transfer completes
        when it answers (as Asterisk's attended transfer does when the transferrer hangs up during the ring): the
        agent's console cannot see the answer, so a click a moment too early is not refused."""
        entry = await self._with_target_seen(agent_id, wait=True)
        call = entry.call
        pending = call.pending
        await self._run(entry, call.complete_warm_transfer(entry.runner.clock.now()))
        if pending is not None:
            leg = call.legs[pending - 1]
            if leg.party.kind is PartyKind.AGENT and leg.channel:
                entry.runner.hand_over(call.attempt_id, leg.party.name, leg.channel)
        return self._done(entry)

    async def cancel_transfer(self, agent_id: str) -> dict[str, object]:
        entry = await self._with_target_seen(agent_id)
        call = entry.call
        pending = call.pending
        await self._run(entry, call.cancel_warm_transfer(entry.runner.clock.now()))
        if pending is not None:
            await self._release(entry, call.legs[pending - 1].party)
        return self._done(entry)

    async def conference(self, agent_id: str, target: Target) -> dict[str, object]:
        entry = self.find(agent_id)
        party = await self._party(entry, target, agent_id)
        await self._reserve(entry, party)
        try:
            commands = entry.call.conference_in(party, agent_id, entry.runner.clock.now())
        except CallControlError:
            await self._release(entry, party)
            raise
        await self._run(entry, commands)
        return self._done(entry)

    async def leave_conference(self, agent_id: str) -> dict[str, object]:
        entry = self.find(agent_id)
        third = entry.call.pending
        await self._run(entry, entry.call.drop_out(entry.runner.clock.now()))
        if third is not None:
            leg = entry.call.legs[third - 1]
            if leg.party.kind is PartyKind.AGENT and leg.channel:
                entry.runner.hand_over(entry.call.attempt_id, leg.party.name, leg.channel)
        return self._done(entry)

    def _done(self, entry: _Controlled) -> dict[str, object]:
        return call_json(entry.call, entry.runner.clock.now())

    # ------------------------------------------------------------------ targets
    async def _party(self, entry: _Controlled, target: Target, by: str) -> Party:
        config = entry.runner.config
        if target.kind is PartyKind.AGENT:
            agent = entry.runner.agents.registry.get(target.name)
            if agent is None or target.name == by:
                raise CallControlError(M_("no other agent {name} is logged in", name=repr(target.name)))
            if agent.status is not AgentStatus.READY:
                raise CallControlError(
                    M_("agent {name} is {status}, not ready", name=target.name, status=Message(agent.status.value))
                )
            return Party(PartyKind.AGENT, agent.agent_id, agent.interface)
        if target.kind is PartyKind.QUEUE:
            if target.name not in config.call_control.transfer_queues:
                allowed = ", ".join(config.call_control.transfer_queues) or "none"
                raise CallControlError(
                    M_(
                        "queue {name} is not a transfer queue of {campaign} ({allowed})",
                        name=repr(target.name),
                        campaign=config.name,
                        allowed=allowed,
                    )
                )
            return Party(PartyKind.QUEUE, target.name)
        if not config.call_control.external_transfers:
            raise CallControlError(
                M_("campaign {campaign} does not allow calls to outside numbers", campaign=config.name)
            )
        now = entry.runner.clock.now()
        checked = await check_number(
            entry.runner.db, config, entry.runner.campaign_id, target.name, datetime.fromtimestamp(now, UTC)
        )
        if entry.runner.pool.choose(now, only=entry.server) is None:
            raise NumberRefused("no_trunk_room", M_("no trunk room on the call's server now"))
        return Party(PartyKind.EXTERNAL, checked.e164, config.dial_string(checked.e164))

    async def _reserve(self, entry: _Controlled, party: Party) -> None:
        if party.kind is PartyKind.AGENT:
            await entry.runner.agents.reserve_for_preview(party.name)
            entry.reserved.add(party.name)

    async def _release(self, entry: _Controlled, party: Party) -> None:
        if party.name in entry.reserved:
            entry.reserved.discard(party.name)
            await entry.runner.agents.end_preview(party.name)

    async def _bridged_peer(self, entry: _Controlled, channel: str | None, *, other_than: str = "") -> str | None:
        """The channel sharing a bridge with ``channel`` (a name or a Uniqueid: a consult call's target, the agent
        who took a transferred customer), from CoreShowChannels; never ``other_than`` (a name or a Uniqueid)."""
        if not channel:
            return None
        channels = await self._client(entry).core_show_channels()
        mine = next((c for c in channels if channel in (c.channel, c.uniqueid) and c.bridge_id), None)
        if mine is None:
            return None
        return next(
            (
                c.channel
                for c in channels
                if c.bridge_id == mine.bridge_id and c is not mine and other_than not in (c.channel, c.uniqueid)
            ),
            None,
        )

    # ------------------------------------------------------------------ AMI
    async def _run(self, entry: _Controlled, commands: list[Command]) -> None:
        config = entry.runner.config
        third_party = ThirdPartyOriginate(
            caller_id=caller_id_header(config.caller_id.name, config.caller_id.number),
            ring_seconds=config.ring_timeout_seconds,
            channel_ids=lambda: f"dialer-cc-{self._key}-{next(self._ids)}",
        )
        placed = await run_commands(self._client(entry), commands, third_party)
        for channel in placed.values():
            entry.call.target_answered(channel, entry.runner.clock.now())

    # ------------------------------------------------------------------ end of call
    async def _call_ended(self, attempt_id: int, at: float) -> None:
        entry = self._calls.pop(attempt_id, None)
        if entry is None:
            return
        live = [leg.channel for leg in entry.call.legs if leg.ended_at is None and leg.channel]
        entry.call.ended(at)
        try:
            client = self._client(entry)
        except RuntimeError:
            client = None
        for channel in live:  # an agent left alone in the conference
            if client is not None and channel != entry.call.customer_channel:
                with contextlib.suppress(AmiError):
                    await client.hangup(channel)
        for agent_id in list(entry.reserved):
            with contextlib.suppress(AgentError, LookupError):
                await entry.runner.agents.end_preview(agent_id)
        await save_call_legs(entry.runner.db, attempt_id, [leg_record(attempt_id, leg) for leg in entry.call.legs])


@dataclass(frozen=True, slots=True)
class ThirdPartyOriginate:
    """The Originate of a third party (a transfer target, a 3-way guest): the dial string and where the answered
    channel goes are the core's :class:`OriginateInto`; the caller ID shown and how long it may ring are the
    campaign's; each Originate gets a fresh ChannelId from ``channel_ids``."""

    caller_id: str  # as the Originate's CallerID header (dialer.ami.actions.caller_id_header)
    ring_seconds: int
    channel_ids: Callable[[], str]

    def __call__(self, command: OriginateInto) -> OriginateRequest:
        return OriginateRequest(
            channel=command.dial,
            attempt_id="",
            context=command.context,
            exten=command.exten,
            caller_id=self.caller_id,
            timeout_ms=self.ring_seconds * 1000,
            channel_id=self.channel_ids(),
        )


async def run_commands(
    client: AmiClient,
    commands: list[Command],
    third_party: ThirdPartyOriginate,
) -> dict[int, str]:
    """Send ``commands`` in order; returns {leg: ChannelId} of the third parties Originated (``third_party`` builds
    their Originate: dial string, caller ID, ring time)."""
    placed: dict[int, str] = {}
    for command in commands:
        if isinstance(command, Redirect):
            await client.redirect(
                command.channel,
                command.context,
                command.exten,
                extra_channel=command.extra_channel,
                extra_context=command.extra_context,
                extra_exten=command.extra_exten,
            )
        elif isinstance(command, SetVar):
            await client.setvar(command.channel, command.name, command.value)
        elif isinstance(command, HangupChannel):
            await client.hangup(command.channel)
        elif isinstance(command, PlayDigits):
            for digit in command.digits:
                await client.play_dtmf(command.channel, digit)
        else:
            request = third_party(command)
            result = await client.originate(request)
            if result.may_be_dialling:
                placed[command.leg] = result.channel_id
    return placed


def _wall(at: float | None) -> datetime | None:
    return None if at is None else datetime.fromtimestamp(at, UTC)


def leg_record(attempt_id: int, leg: Leg) -> CallLegRecord:
    return CallLegRecord(
        attempt_id=attempt_id,
        seq=leg.seq,
        party_kind=leg.party.kind.value,
        party=leg.party.name,
        how=leg.how.value,
        transferred_by=leg.transferred_by,
        started_at=datetime.fromtimestamp(leg.started_at, UTC),
        connected_at=_wall(leg.connected_at),
        ended_at=_wall(leg.ended_at),
        talk_seconds=round(leg.talk_seconds(), 3) if leg.connected_at is not None else None,
    )


def call_json(call: ControlledCall, now: float) -> dict[str, object]:
    return {
        "attempt_id": call.attempt_id,
        "state": call.state.value,
        "controller": call.controller,
        "talk_seconds": round(max(0.0, now - call.connected_at), 1),
        "hold_seconds": round(call.hold_seconds + (now - call.held_since if call.held_since else 0.0), 1),
        "legs": [
            {
                "seq": leg.seq,
                "party": leg.party.label(),
                "kind": leg.party.kind.value,
                "how": leg.how.value,
                "transferred_by": leg.transferred_by,
                "talk_seconds": round(leg.talk_seconds(now), 1),
                "ended": leg.ended_at is not None,
            }
            for leg in call.legs
        ],
    }
