"""Adopting one campaign's calls a dead daemon left up (planned by :mod:`dialer.calls.adoption`): follow a call
still up to its end here, or close an attempt whose call ended unseen -- with what the PBX said on the wire when it
was witnessed (:mod:`dialer.calls.witness`), conservatively otherwise."""

from __future__ import annotations

from datetime import UTC, datetime

from dialer.calls.adoption import Adoption, Closure, OpenAttempt
from dialer.calls.outcome import Outcome
from dialer.calls.witness import CallEvidence, CallWitness, WitnessedCall, read_witnessed
from dialer.logging import get_logger
from dialer.pacing import CallStage
from dialer.runner.agent_calls import AgentCalls
from dialer.runner.inflight import InFlightCall
from dialer.runner.originate import fallback_action_id, tracking_record
from dialer.runner.outcomes import OutcomeWriter
from dialer.runner.state import CampaignContext
from dialer.store.attempts import AttemptEnd, AttemptProgress, update_attempt
from dialer.store.lifecycle import AttemptAlreadyClosed, adopt_lead_claim, close_orphaned_attempt

log = get_logger(__name__)


def _wall(at: float | None) -> datetime | None:
    return None if at is None else datetime.fromtimestamp(at, UTC)


class CallAdopter:
    def __init__(self, ctx: CampaignContext, outcomes: OutcomeWriter, agent_calls: AgentCalls) -> None:
        self.ctx = ctx
        self.outcomes = outcomes
        self.agent_calls = agent_calls

    def read_witnessed(self, attempt: OpenAttempt, call: WitnessedCall) -> CallEvidence:
        """What the PBX said about one of this campaign's open attempts, from the events seen on the wire while no
        tracker followed it (dialer.calls.witness), read from the attempt's stored facts."""
        ctx = self.ctx
        action_id = attempt.action_id or fallback_action_id(attempt.attempt_id)
        record = tracking_record(
            ctx.config,
            attempt.attempt_id,
            attempt.phone,
            ctx.config.dial_string(attempt.phone),
            action_id,
            attempt.channel_id or call.linkedid,
            attempt.started_at,
        )
        return read_witnessed(
            call,
            record,
            answered_at=attempt.answered_at,
            connected_at=attempt.connected_at,
            agent=attempt.agent,
            amd_status=attempt.amd_status,
        )

    async def adopt(self, adoption: Adoption, witnessed: tuple[CallWitness, WitnessedCall] | None = None) -> bool:
        """Follow a call a dead daemon placed and left up (dialer.calls.adoption): hold its lead, track it on its
        server, count it in flight. Its remaining events then settle it like any call of ours.

        ``witnessed``: the call's events seen on the wire so far (dialer.calls.witness): its answer, agent and AMD
        verdict are taken from them, and if they show the call ended meanwhile it is closed with that outcome."""
        ctx = self.ctx
        attempt, live = adoption.attempt, adoption.call
        if ctx.in_flight.get(attempt.attempt_id) is not None:
            return False
        now = ctx.clock.now()
        wall = datetime.fromtimestamp(now, UTC)
        until = datetime.fromtimestamp(now + ctx.config.lease_seconds, UTC)
        try:
            held = await adopt_lead_claim(ctx.db, attempt.attempt_id, owner=ctx.owner, now=wall, until=until)
        except AttemptAlreadyClosed:
            return False
        # From here to the tracker's adoption nothing awaits: every later event of the call reaches the tracker.
        evidence = self.read_witnessed(attempt, witnessed[1]) if witnessed is not None else None
        if evidence is not None and evidence.ended is not None:
            assert witnessed is not None
            witnessed[0].forget(witnessed[1])
            return await self.close_orphan(Closure(attempt, evidence.ended.outcome, evidence))
        if witnessed is not None and witnessed[1].hangup_seen:
            # Over, its OriginateResponse still on its way (they come in any order): the next pass closes it.
            return False
        server = ctx.pool.get(live.server)
        seen_connected = evidence is not None and evidence.connected_at is not None
        connected = attempt.connected_at is not None or live.bridged or seen_connected
        answered_at = attempt.answered_at
        if answered_at is None and evidence is not None:
            answered_at = evidence.answered_at
        if answered_at is None and (live.answered or connected):
            answered_at = now  # answered after the last fact its daemon managed to write, before we listened
        connected_at = attempt.connected_at or (evidence.connected_at if evidence is not None else None)
        if connected and connected_at is None:
            connected_at = now
        interface = live.agent_interface or (evidence.agent_interface if evidence is not None else None)
        agent = ctx.agents.registry.by_interface(interface) if interface else None
        agent_id = attempt.agent or (agent.agent_id if agent is not None else None)
        if agent_id is None and evidence is not None:
            agent_id = evidence.agent_name
        amd_status = attempt.amd_status or (evidence.amd_status if evidence is not None else None)
        action_id = attempt.action_id or fallback_action_id(attempt.attempt_id)
        dial = ctx.config.dial_string(attempt.phone)
        record = tracking_record(
            ctx.config, attempt.attempt_id, attempt.phone, dial, action_id, live.linkedid, attempt.started_at
        )
        server.tracker.adopt(
            record,
            answered_at=answered_at,
            connected_at=connected_at,
            agent_interface=interface,
            agent_name=agent_id,
            amd_status=amd_status,
        )
        if witnessed is not None:
            witnessed[0].forget(witnessed[1])
        server.gate.occupy()  # the call holds a trunk channel until it ends (_settle gives it back)
        # As its attempt row says (the pacer may have paused AMD); a row written before 0021: the campaign's setting.
        placed_with_amd = ctx.config.amd.enabled if attempt.amd is None else attempt.amd
        call = InFlightCall(
            attempt.attempt_id,
            attempt.lead_id,
            server.name,
            attempt.started_at,
            answered_at=answered_at,
            agent_id=agent_id,
            channel_id=live.linkedid,
            amd=placed_with_amd,
        )
        # Through InFlightCalls' own transitions: it keeps the pacer's per-stage view of the calls.
        ctx.in_flight.add(call)
        if connected_at is not None:
            ctx.in_flight.connect(attempt.attempt_id, connected_at, agent_id)
        elif answered_at is not None:
            in_amd = placed_with_amd and amd_status is None
            ctx.in_flight.set_stage(attempt.attempt_id, CallStage.AMD if in_amd else CallStage.WAITING, answered_at)
        if connected and agent_id is not None:
            self.agent_calls.connected(agent_id, attempt.attempt_id)
        ctx.counters.adopted += 1
        if evidence is not None:
            seen = AttemptProgress(
                answered_at=_wall(answered_at) if attempt.answered_at is None else None,
                connected_at=_wall(connected_at) if attempt.connected_at is None else None,
                agent=agent_id if attempt.agent is None else None,
                amd_status=evidence.amd_status if attempt.amd_status is None else None,
                amd_cause=evidence.amd_cause if attempt.amd_status is None else None,
            )
            await self.outcomes.durably(
                "adopted", attempt.attempt_id, lambda: update_attempt(ctx.db, attempt.attempt_id, seen)
            )
        log.warning(
            "call_adopted",
            campaign=ctx.name,
            attempt_id=attempt.attempt_id,
            lead_id=attempt.lead_id,
            server=server.name,
            answered=answered_at is not None,
            connected=connected,
            agent=agent_id,
            lead_held=held,
        )
        ctx.wake()
        return True

    def _agent_id_of(self, interface: str | None, name: str | None) -> str | None:
        ctx = self.ctx
        agent = ctx.agents.registry.by_interface(interface) if interface else None
        return agent.agent_id if agent is not None else name or interface

    async def close_orphan(self, closure: Closure) -> bool:
        """An open attempt of a dead daemon whose call is up nowhere. If its call was seen ending on the wire
        (``closure.evidence``), record what the PBX said: outcome, answer, agent, end time. Otherwise it ended
        unseen: record the conservative outcome (dialer.calls.adoption.lost_outcome), marked inferred, so no attempt
        stays open and its lead moves on."""
        ctx = self.ctx
        attempt, outcome = closure.attempt, closure.outcome
        now = ctx.clock.now()
        wall = datetime.fromtimestamp(now, UTC)
        evidence = closure.evidence
        ended = evidence.ended if evidence is not None else None
        answered_at = attempt.answered_at
        if ended is not None and evidence is not None:
            answered_at = answered_at if answered_at is not None else evidence.answered_at
            connected_at = attempt.connected_at if attempt.connected_at is not None else evidence.connected_at
            end = AttemptEnd(
                ended_at=_wall(ended.at) or wall,
                hangup_cause=ended.cause,
                ring_seconds=ended.ring_seconds,
                answered_at=_wall(answered_at) if attempt.answered_at is None else None,
                connected_at=_wall(connected_at) if attempt.connected_at is None else None,
                amd_status=ended.amd_status,
                amd_cause=ended.amd_cause,
                agent=attempt.agent or self._agent_id_of(ended.agent_interface, ended.agent_name),
            )
        else:
            end = AttemptEnd(ended_at=wall, agent=attempt.agent)
        try:
            transition = await close_orphaned_attempt(
                ctx.db,
                ctx.config,
                attempt.attempt_id,
                outcome,
                end,
                owner=ctx.owner,
                now=wall,
                inferred=closure.inferred,
            )
        except AttemptAlreadyClosed:
            return False
        if closure.inferred:
            ctx.counters.lost += 1
        else:
            ctx.counters.witnessed += 1
        if transition is not None:
            ctx.counters.count(outcome, transition.kind)
        else:
            ctx.counters.outcomes[outcome.value] += 1
        if outcome.is_live_answer:
            at = answered_at if answered_at is not None else attempt.started_at
            ctx.stats.record_live_answer(at, outcome is Outcome.ABANDONED, placed_predictively=True)
        log.warning(
            "orphaned_attempt_closed",
            campaign=ctx.name,
            attempt_id=attempt.attempt_id,
            lead_id=attempt.lead_id,
            counted_as=outcome.value,
            inferred=closure.inferred,
            lead_transition=transition.kind.value if transition is not None else None,
        )
        ctx.wake()
        return True
