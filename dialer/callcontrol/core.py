"""Call control, pure: the legs of one answered call and what each agent button asks the PBX to do.

A *leg* is one party talking with the customer: the agent who took the call, then whoever it was transferred to
(another agent, a queue such as a closer queue, an external number) or brought into a 3-way. :class:`ControlledCall`
keeps the legs and the call's control state; each operation checks that the state allows it and returns the
:class:`Command` list the AMI-facing service sends, in order. Nothing here reads a clock (``now`` is passed in) or
touches the network.

How each button is done with the shipped dialplan (asterisk/extensions.conf, "Call control"):

* hold      -- Redirect the customer to ``dialer-hold,s`` and the agent's leg to ``dialer-hold,agent``;
* resume    -- Redirect both into the call's conference (``dialer-conference,<attempt id>``, a ConfBridge);
* DTMF      -- PlayDTMF to the customer, digit by digit;
* blind     -- Setvar the target on the customer, Redirect it to ``dialer-transfer,dial|queue``, hang up the agent;
* warm      -- the customer on hold, the agent's leg Redirected to ``dialer-transfer,dial`` (the agent talks to the
  target); *complete*: the customer and the target's leg Redirected into the conference (the agent's Dial() ends,
  the agent drops out); *cancel*: the customer and the agent back in the conference (the target is hung up);
* 3-way     -- the customer and the agent Redirected into the conference, the third party Originated into it;
  the agent drops out by hanging up their leg, the two others talk on;
* hang up   -- Hangup of the customer's channel.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

from dialer.contract import (
    CONFERENCE_CONTEXT,
    HOLD_CONTEXT,
    TRANSFER_CONTEXT,
    TRANSFER_DIAL_VARIABLE,
    TRANSFER_QUEUE_VARIABLE,
)
from dialer.i18n import M_, N_, Message

DTMF_DIGITS = frozenset("0123456789*#ABCD")
MAX_DTMF = 32


class CallControlError(ValueError):
    """An operation the call's state does not allow (the message says why, for the agent)."""


class PartyKind(StrEnum):
    AGENT = "agent"  # a console agent (their phone's interface)
    QUEUE = "queue"  # a queue: whoever of its members answers
    EXTERNAL = "external"  # an outside number, dialled through the campaign's trunk


class LegHow(StrEnum):
    """How a leg began."""

    ANSWERED = "answered"  # the agent the dialer (or a manual dial) connected
    BLIND = "blind"  # blind transfer
    WARM = "warm"  # attended transfer, completed
    CONFERENCE = "conference"  # brought into a 3-way


class CallState(StrEnum):
    TALKING = "talking"  # agent and customer bridged (first by the queue, after a resume in the conference)
    HELD = "held"  # customer on hold
    CONSULTING = "consulting"  # customer on hold, the agent talks to a warm-transfer target
    CONFERENCE = "conference"  # 3-way in the conference
    TRANSFERRED = "transferred"  # handed over (blind, or warm completed): the agent is out of the call
    ENDED = "ended"


# The states as the agent reads them (the console's words for them, dialer/web/static/i18n.js).
STATE_WORDS: dict[CallState, str] = {
    CallState.TALKING: N_("talking"),
    CallState.HELD: N_("held"),
    CallState.CONSULTING: N_("consulting"),
    CallState.CONFERENCE: N_("conference"),
    CallState.TRANSFERRED: N_("transferred"),
    CallState.ENDED: N_("ended"),
}


@dataclass(frozen=True, slots=True)
class Party:
    kind: PartyKind
    name: str  # agent id, queue name or E.164 number
    dial: str = ""  # dial string (agent's interface, trunk dial string); empty for a queue

    def label(self) -> str:
        """For logs and the agent's screen: an external number is shown by its last 4 digits only."""
        return f"external …{self.name[-4:]}" if self.kind is PartyKind.EXTERNAL else f"{self.kind.value} {self.name}"


@dataclass(frozen=True, slots=True)
class Leg:
    seq: int  # 1 = the agent who took the call
    party: Party
    how: LegHow
    started_at: float  # when the leg was asked for (transfer/3-way) or connected (the first)
    transferred_by: str | None = None  # the agent who transferred or conferenced this party in
    channel: str | None = None  # the leg's channel once known
    connected_at: float | None = None  # when it talked with the customer
    ended_at: float | None = None

    def talk_seconds(self, now: float | None = None) -> float:
        """Seconds this party talked with the customer (so far, when ``now`` is given for a live leg)."""
        if self.connected_at is None:
            return 0.0
        end = self.ended_at if self.ended_at is not None else now
        return max(0.0, (end if end is not None else self.connected_at) - self.connected_at)


# ---- commands the AMI service executes, in order -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Redirect:
    """Send ``channel`` (and ``extra_channel``, out of its bridge with it) to ``context,exten,1`` (AMI ``Redirect``)."""

    channel: str
    context: str
    exten: str
    extra_channel: str | None = None
    extra_context: str | None = None
    extra_exten: str | None = None


@dataclass(frozen=True, slots=True)
class SetVar:
    """Set the channel variable ``name`` of ``channel`` to ``value`` (AMI ``Setvar``)."""

    channel: str
    name: str
    value: str


@dataclass(frozen=True, slots=True)
class HangupChannel:
    """Hang up ``channel`` (AMI ``Hangup``), e.g. the target of a cancelled warm transfer."""

    channel: str


@dataclass(frozen=True, slots=True)
class PlayDigits:
    """Play ``digits`` as DTMF to ``channel``, one ``PlayDTMF`` a digit (the far end hears them)."""

    channel: str
    digits: str


@dataclass(frozen=True, slots=True)
class OriginateInto:
    """Originate ``dial`` (the third party) into ``context``/``exten``; compliance was checked by the caller."""

    dial: str
    context: str
    exten: str
    leg: int  # the leg it is for


Command = Redirect | SetVar | HangupChannel | PlayDigits | OriginateInto


@dataclass(slots=True)
class ControlledCall:
    """One answered call under an agent's control."""

    attempt_id: int
    customer_channel: str
    agent_id: str
    agent_channel: str
    connected_at: float
    state: CallState = CallState.TALKING
    legs: list[Leg] = field(default_factory=list)
    pending: int | None = None  # the leg of a warm transfer / 3-way not settled yet
    held_since: float | None = None
    hold_seconds: float = 0.0

    def __post_init__(self) -> None:
        if not self.legs:
            agent = Party(PartyKind.AGENT, self.agent_id, self.agent_channel)
            self.legs.append(
                Leg(
                    1,
                    agent,
                    LegHow.ANSWERED,
                    self.connected_at,
                    channel=self.agent_channel,
                    connected_at=self.connected_at,
                )
            )

    @property
    def conference(self) -> str:
        return str(self.attempt_id)

    @property
    def controller(self) -> str:
        """The agent in charge now (the last agent leg that talks or talked with the customer)."""
        for leg in reversed(self.legs):
            if leg.party.kind is PartyKind.AGENT and leg.connected_at is not None and leg.ended_at is None:
                return leg.party.name
        return self.agent_id

    def _require(self, *states: CallState, refusal: str) -> None:
        """Refuse the button unless the call is in one of ``states``: ``refusal`` is the whole sentence of that
        button (one catalogue message per action, ``{state}`` the call's state as a word of the catalogue)."""
        if self.state not in states:
            raise CallControlError(Message(refusal, {"state": Message(STATE_WORDS[self.state])}))

    def _leg(self, seq: int) -> Leg:
        return self.legs[seq - 1]

    def _set_leg(self, seq: int, **changes: object) -> None:
        self.legs[seq - 1] = replace(self.legs[seq - 1], **changes)  # type: ignore[arg-type]

    def _add_leg(
        self,
        party: Party,
        how: LegHow,
        now: float,
        *,
        transferred_by: str | None = None,
        channel: str | None = None,
        connected_at: float | None = None,
    ) -> int:
        """Append the call's next leg (numbered from 1 in order) and return its ``seq``."""
        seq = len(self.legs) + 1
        self.legs.append(Leg(seq, party, how, now, transferred_by, channel, connected_at))
        return seq

    def _pending_leg(self) -> Leg:
        """The leg of the warm-transfer target or 3-way party being brought in."""
        assert self.pending is not None
        return self._leg(self.pending)

    def _end_leg(self, seq: int, now: float) -> None:
        if self._leg(seq).ended_at is None:
            self._set_leg(seq, ended_at=now)

    def _agent_leg(self) -> Leg:
        """The live leg of the agent in charge."""
        for leg in reversed(self.legs):
            if leg.party.kind is PartyKind.AGENT and leg.ended_at is None and leg.connected_at is not None:
                return leg
        raise CallControlError(M_("no agent is on this call any more"))

    # ---- buttons --------------------------------------------------------------------------------------------

    def hold(self, now: float) -> list[Command]:
        self._require(
            CallState.TALKING,
            refusal=N_(
                "cannot put the customer on hold: the call is {state} (only a call in progress can be put on hold)"
            ),
        )
        agent = self._agent_leg()
        self.state, self.held_since = CallState.HELD, now
        return [Redirect(self.customer_channel, HOLD_CONTEXT, "s", agent.channel, HOLD_CONTEXT, "agent")]

    def resume(self, now: float) -> list[Command]:
        self._require(CallState.HELD, refusal=N_("cannot take the customer off hold: the call is {state}, not on hold"))
        agent = self._agent_leg()
        self._unhold(now)
        self.state = CallState.TALKING
        return [self._into_conference(agent.channel)]

    def _unhold(self, now: float) -> None:
        if self.held_since is not None:
            self.hold_seconds += now - self.held_since
            self.held_since = None

    def _into_conference(self, other: str | None) -> Redirect:
        c = self.conference
        return Redirect(
            self.customer_channel,
            CONFERENCE_CONTEXT,
            c,
            other,
            CONFERENCE_CONTEXT if other else None,
            c if other else None,
        )

    def dtmf(self, digits: str) -> list[Command]:
        self._require(
            CallState.TALKING,
            CallState.CONFERENCE,
            refusal=N_("cannot send DTMF digits: the call is {state} (needs a call in progress or a 3-way call)"),
        )
        if not digits or len(digits) > MAX_DTMF or set(digits) - DTMF_DIGITS:
            raise CallControlError(M_("DTMF must be 1..{max} of 0-9 * # A-D", max=MAX_DTMF))
        return [PlayDigits(self.customer_channel, digits)]

    def blind_transfer(self, target: Party, by: str, now: float) -> list[Command]:
        self._require(
            CallState.TALKING,
            CallState.HELD,
            refusal=N_("cannot transfer the call: it is {state} (needs a call in progress or on hold)"),
        )
        agent = self._agent_leg()
        self._unhold(now)
        self._add_leg(target, LegHow.BLIND, now, transferred_by=by, connected_at=now)
        self._end_leg(agent.seq, now)
        self.state = CallState.TRANSFERRED
        if target.kind is PartyKind.QUEUE:
            setvar = SetVar(self.customer_channel, TRANSFER_QUEUE_VARIABLE, target.name)
            exten = "queue"
        else:
            setvar = SetVar(self.customer_channel, TRANSFER_DIAL_VARIABLE, target.dial)
            exten = "dial"
        commands: list[Command] = [setvar, Redirect(self.customer_channel, TRANSFER_CONTEXT, exten)]
        if agent.channel:
            commands.append(HangupChannel(agent.channel))
        return commands

    def queue_transfer_waiting(self) -> str | None:
        """The queue a blind transfer sent the customer to, while no member of it has taken the call; else None."""
        if self.state is not CallState.TRANSFERRED or not self.legs:
            return None
        last = self.legs[-1]
        return last.party.name if last.party.kind is PartyKind.QUEUE and last.ended_at is None else None

    def queue_answered(self, agent_id: str, channel: str, now: float) -> None:
        """A member of that queue took the call: the queue leg ends (its talk time is the customer's wait) and the
        agent's leg begins (how = answered: the queue, not a person, gave it to them); they are in charge now."""
        queue = self.queue_transfer_waiting()
        if queue is None:
            raise CallControlError(M_("the call is not waiting in a transfer queue"))
        last = self.legs[-1]
        self._end_leg(last.seq, now)
        self._add_leg(Party(PartyKind.AGENT, agent_id), LegHow.ANSWERED, now, channel=channel, connected_at=now)
        self.agent_channel = channel
        self.state = CallState.TALKING

    def start_warm_transfer(self, target: Party, by: str, now: float) -> list[Command]:
        """The customer on hold; the agent's phone now talks to ``target`` (an agent or an external number)."""
        agent = self._bring_in(
            target,
            LegHow.WARM,
            by,
            now,
            refusal=N_("cannot start a warm transfer: the call is {state} (needs a call in progress or on hold)"),
            no_queue=M_("a queue cannot be consulted first: use a blind transfer to a queue"),
        )
        if self.state is CallState.TALKING:
            self.held_since = now
        self.state = CallState.CONSULTING
        return [
            SetVar(agent.channel or "", TRANSFER_DIAL_VARIABLE, target.dial),
            Redirect(self.customer_channel, HOLD_CONTEXT, "s", agent.channel, TRANSFER_CONTEXT, "dial"),
        ]

    def _bring_in(self, party: Party, how: LegHow, by: str, now: float, *, refusal: str, no_queue: Message) -> Leg:
        """``by`` brings ``party`` (a warm-transfer target, a 3-way party; never a queue: ``no_queue``) into a call in
        progress or on hold (else ``refusal``): its leg is the pending one. Returns the agent's leg."""
        self._require(CallState.TALKING, CallState.HELD, refusal=refusal)
        if party.kind is PartyKind.QUEUE:
            raise CallControlError(no_queue)
        agent = self._agent_leg()
        self.pending = self._add_leg(party, how, now, transferred_by=by)
        return agent

    def target_answered(self, channel: str, now: float) -> None:
        """The pending target's channel (DialBegin/Originate of the consult or 3-way) and when it answered."""
        if self.pending is not None:
            self._set_leg(self.pending, channel=channel)
            if self.state is CallState.CONFERENCE:
                self._set_leg(self.pending, connected_at=now)

    def complete_warm_transfer(self, now: float) -> list[Command]:
        """The target takes the customer; the first agent drops out (their Dial() ends)."""
        self._require(
            CallState.CONSULTING,
            refusal=N_("cannot complete the transfer: the call is {state}, no warm transfer is under way"),
        )
        target = self._pending_leg()
        if not target.channel:
            raise CallControlError(M_("the transfer target has not answered yet"))
        agent = self._agent_leg()
        self._unhold(now)
        self._set_leg(target.seq, connected_at=now)
        self._end_leg(agent.seq, now)
        self.pending = None
        self.state = CallState.TRANSFERRED if target.party.kind is not PartyKind.AGENT else CallState.TALKING
        if target.party.kind is PartyKind.AGENT:
            self.agent_channel = target.channel
        return [self._into_conference(target.channel)]

    def cancel_warm_transfer(self, now: float) -> list[Command]:
        """Back to the customer; the target's leg is hung up."""
        self._require(
            CallState.CONSULTING,
            refusal=N_("cannot cancel the transfer: the call is {state}, no warm transfer is under way"),
        )
        target = self._pending_leg()
        agent = self._agent_leg()
        self._end_leg(target.seq, now)
        self.pending = None
        self._unhold(now)
        self.state = CallState.TALKING
        commands: list[Command] = [self._into_conference(agent.channel)]
        if target.channel:
            commands.append(HangupChannel(target.channel))
        return commands

    def conference_in(self, third: Party, by: str, now: float) -> list[Command]:
        """3-way: customer and agent into the conference, ``third`` Originated into it."""
        agent = self._bring_in(
            third,
            LegHow.CONFERENCE,
            by,
            now,
            refusal=N_("cannot start a 3-way call: the call is {state} (needs a call in progress or on hold)"),
            no_queue=M_("a queue cannot join a 3-way call"),
        )
        self._unhold(now)
        seq = self._pending_leg().seq
        self.state = CallState.CONFERENCE
        return [
            self._into_conference(agent.channel),
            OriginateInto(third.dial, CONFERENCE_CONTEXT, self.conference, seq),
        ]

    def drop_out(self, now: float) -> list[Command]:
        """The agent leaves the 3-way; the customer and the third party talk on."""
        self._require(
            CallState.CONFERENCE, refusal=N_("cannot leave the 3-way call: the call is {state}, not a 3-way call")
        )
        agent = self._agent_leg()
        self._end_leg(agent.seq, now)
        self.pending = None
        third = [leg for leg in self.legs if leg.how is LegHow.CONFERENCE and leg.ended_at is None]
        if third and third[-1].party.kind is PartyKind.AGENT and third[-1].channel:
            self.agent_channel = third[-1].channel
            self.state = CallState.TALKING
        else:
            self.state = CallState.TRANSFERRED
        return [HangupChannel(agent.channel)] if agent.channel else []

    def hangup(self) -> list[Command]:
        self._require(
            CallState.TALKING,
            CallState.HELD,
            CallState.CONFERENCE,
            CallState.CONSULTING,
            refusal=N_("cannot hang up: the call is already {state}"),
        )
        return [HangupChannel(self.customer_channel)]

    def ended(self, now: float) -> None:
        """The customer's channel hung up: every live leg ends."""
        self._unhold(now)
        for leg in list(self.legs):
            if leg.ended_at is None:
                self._end_leg(leg.seq, now)
        self.pending = None
        self.state = CallState.ENDED

    def transfers(self) -> list[Leg]:
        return [leg for leg in self.legs if leg.transferred_by is not None]
