"""Adopting calls whose daemon is gone (pure): open attempts + the PBX's channel listings in, a plan out.

A daemon killed with calls up leaves attempts with no outcome. Asterisk does not care: those calls ring, queue,
talk and hang up as usual. The daemon that owns the campaign next (the same host restarted, or a survivor on
the same database) lists each server's channels (``CoreShowChannels``) and matches them to the open attempts:

* a call whose channels are still up is **adopted**: tracked from here on, so its real outcome is recorded;
* an attempt with no live channel on any server, old enough that its channel cannot still be in the making,
  ended while nobody listened: it is **closed** with the most conservative outcome the stored facts allow
  (connected if an agent had it, abandoned if it was answered, failed otherwise);
* anything else waits for the next listing (a server is not listed, or the Originate may still be in flight).

Matching uses the ids we chose (see :mod:`dialer.calls.tracker`): the dialled channel's ``Uniqueid`` is the
Originate's ``ChannelId`` (stored with the attempt), every channel of the call carries it as ``Linkedid``, and
the dialled channel (both halves of a Local channel) lists ``ChanVariable: DIALER_ATTEMPT=<id>`` when
manager.conf has ``channelvars = DIALER_ATTEMPT`` -- which also finds calls placed without a ChannelId.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from dialer.ami.events import CoreShowChannel
from dialer.calls.outcome import Outcome
from dialer.calls.witness import CallEvidence
from dialer.contract import ATTEMPT_VARIABLE

CHANNEL_STATE_UP = 6


@dataclass(frozen=True, slots=True)
class OpenAttempt:
    """An attempt with no outcome, as stored (times in seconds on the daemon's clock)."""

    attempt_id: int
    lead_id: int
    phone: str
    action_id: str | None
    channel_id: str | None
    started_at: float
    answered_at: float | None = None
    connected_at: float | None = None
    agent: str | None = None
    amd_status: str | None = None
    amd: bool | None = None  # placed with AMD; None: not recorded (the campaign's setting decides)
    # Who holds the lead, and whether that claim's lease still runs (a live claimer keeps extending it).
    claim_owner: str | None = None
    claim_live: bool = False


@dataclass(frozen=True, slots=True)
class LiveCall:
    """One call as a server lists it: the channels sharing a ``Linkedid``."""

    server: str
    linkedid: str  # = the dialled channel's Uniqueid (= our ChannelId)
    dialled_channel: str
    attempt_id: str | None  # from ChanVariable DIALER_ATTEMPT, when listed
    answered: bool  # the dialled channel is Up
    # A queue member (or a preview agent) is talking to the callee: their interface (see _agent_of).
    agent_interface: str | None
    channels: int

    @property
    def bridged(self) -> bool:
        return self.agent_interface is not None


@dataclass(frozen=True, slots=True)
class Adoption:
    """An open attempt whose call is still up on the PBX: the runner follows ``call`` from now on."""

    attempt: OpenAttempt
    call: LiveCall


@dataclass(frozen=True, slots=True)
class Closure:
    """An open attempt whose call is over: closed with ``outcome``, from the evidence seen or inferred."""

    attempt: OpenAttempt
    outcome: Outcome
    # What the PBX said about the call, seen on the wire while nobody owned it (dialer.calls.witness); None: the
    # call ended unseen and ``outcome`` is inferred (lost_outcome).
    evidence: CallEvidence | None = None

    @property
    def inferred(self) -> bool:
        return self.evidence is None or self.evidence.ended is None


@dataclass(frozen=True, slots=True)
class AdoptionPlan:
    """What to do with a dead daemon's open attempts: follow, close, or wait and look again."""

    adopt: list[Adoption] = field(default_factory=list)
    close: list[Closure] = field(default_factory=list)
    waiting: list[OpenAttempt] = field(default_factory=list)  # not live, but not provably over yet

    def __bool__(self) -> bool:
        return bool(self.adopt or self.close)


def interface_of(channel: str) -> str:
    """The device a channel belongs to: ``Local/agent01@sim-agents-0000001a;1`` -> ``Local/agent01@sim-agents``,
    ``PJSIP/1001-00000004`` -> ``PJSIP/1001`` (Asterisk appends ``-<sequence>`` and, for Local, ``;1``/``;2``)."""
    base = channel.split(";", 1)[0]
    head, sep, _ = base.rpartition("-")
    return head if sep else base


def live_calls(server: str, channels: Iterable[CoreShowChannel]) -> list[LiveCall]:
    """Group one server's listing into calls (by ``Linkedid``) with the facts adoption needs."""
    by_linkedid: dict[str, list[CoreShowChannel]] = defaultdict(list)
    for channel in channels:
        by_linkedid[channel.linkedid].append(channel)
    calls: list[LiveCall] = []
    for linkedid, members in by_linkedid.items():
        dialled = next((c for c in members if c.uniqueid == linkedid), None)
        if dialled is None:
            continue  # the first channel of the call is gone; what is left is being torn down
        attempt = next((v for c in members if (v := c.variable(ATTEMPT_VARIABLE))), None)
        calls.append(
            LiveCall(
                server=server,
                linkedid=linkedid,
                dialled_channel=dialled.channel,
                attempt_id=attempt,
                answered=dialled.channel_state == CHANNEL_STATE_UP,
                agent_interface=_agent_of(members, dialled),
                channels=len(members),
            )
        )
    return calls


def _agent_of(members: Sequence[CoreShowChannel], dialled: CoreShowChannel) -> str | None:
    """The interface of the agent talking to the callee, if any.

    The callee's side is the dialled channel (a trunk) or its Local partner ``;2``. Any other channel of the call
    (Queue/Dial create the agent's leg with the call's Linkedid) that shares a bridge with the callee's side, or
    is answered, is the agent's leg: Asterisk sends AgentConnect a moment before the two channels enter their
    bridge (seen on Asterisk 22), and an agent leg that is Up has answered whether or not it is bridged yet."""
    callee_side = interface_of(dialled.channel)
    bridges = Counter(c.bridge_id for c in members if c.bridge_id)
    for channel in members:
        interface = interface_of(channel.channel)
        if interface == callee_side:
            continue
        if (channel.bridge_id and bridges[channel.bridge_id] >= 2) or channel.channel_state == CHANNEL_STATE_UP:
            return interface
    return None


def lost_outcome(attempt: OpenAttempt) -> Outcome:
    """The outcome of a call that ended unseen, counted conservatively (like a call the tracker lost): an
    answered call no agent is known to have taken counts against the abandon rate."""
    if attempt.connected_at is not None:
        return Outcome.CONNECTED
    if attempt.answered_at is not None:
        return Outcome.ABANDONED
    return Outcome.FAILED


def plan_adoption(
    open_attempts: Sequence[OpenAttempt],
    listings: Mapping[str, Sequence[CoreShowChannel]],
    *,
    owner: str,
    every_server_listed: bool,
    now: float,
    settle_seconds: float,
    process_started: float = float("-inf"),
    seen_ended: Mapping[int, CallEvidence] | None = None,
) -> AdoptionPlan:
    """Which open attempts (of a campaign ``owner`` runs, none of them its own calls in flight) to adopt, close or
    leave for later.

    ``listings``: server name -> its latest channel listing (servers that are up). ``every_server_listed``: no
    server is down or missing from ``listings`` (only then can "not live anywhere" be concluded).
    ``settle_seconds``: how old an attempt must be before "no channel" means "over" (ring timeout + margin: an
    Originate written just before its daemon died may still be creating its channel).

    Left alone: an attempt of ``owner``'s own live claim that is younger than ``settle_seconds`` and was started
    by this process (at or after ``process_started``): its Originate is being written right now. The owner id is
    stable across restarts of one node, so an attempt started before this process is a dead process's call, and
    is matched at once (its outcome is then what the PBX reports, not a guess after the settle time).
    Never closed while another claimer's lease runs (that daemon is alive, draining
    or cut off from the database, and writes the outcome itself); its call is adopted if live all the same, and
    whichever daemon writes the outcome first wins (the second write is refused by the store).

    ``seen_ended``: attempts whose call was seen ending on the wire while no tracker followed it (attempt id ->
    the evidence, dialer.calls.witness): closed at once with the outcome the PBX reported, whatever the listings
    say (a listing may predate the Hangup) -- unless another claimer's lease runs (it writes the outcome itself).
    """
    by_linkedid: dict[str, LiveCall] = {}
    by_attempt: dict[str, LiveCall] = {}
    for server, channels in listings.items():
        for call in live_calls(server, channels):
            by_linkedid[call.linkedid] = call
            if call.attempt_id is not None:
                by_attempt.setdefault(call.attempt_id, call)
    plan = AdoptionPlan()
    for attempt in open_attempts:
        settled = now - attempt.started_at >= settle_seconds
        if (
            attempt.claim_live
            and attempt.claim_owner == owner
            and not settled
            and attempt.started_at >= process_started
        ):
            continue
        other_claim_live = attempt.claim_live and attempt.claim_owner != owner
        evidence = seen_ended.get(attempt.attempt_id) if seen_ended else None
        if evidence is not None and evidence.ended is not None and not other_claim_live:
            plan.close.append(Closure(attempt, evidence.ended.outcome, evidence))
            continue
        live = (by_linkedid.get(attempt.channel_id) if attempt.channel_id else None) or by_attempt.get(
            str(attempt.attempt_id)
        )
        if live is not None:
            plan.adopt.append(Adoption(attempt, live))
        elif every_server_listed and settled and not other_claim_live:
            plan.close.append(Closure(attempt, lost_outcome(attempt)))
        else:
            plan.waiting.append(attempt)
    return plan
