"""Agent registry (pure): who is logged into which queue, and what each agent is doing right now.

The registry holds the dialer's *intent* (an agent asked to be logged in, ready or paused) and follows Asterisk's
*facts* (typed queue events). Commands return the AMI queue actions to send as data; the service layer sends
them. Times are seconds on the caller's clock; nothing here reads a clock or does I/O.

Asterisk semantics worth knowing (Asterisk 22, see tests/fixtures/ami-traces/README.md):

* Members are keyed by their *interface* (``PJSIP/1001``, ``Local/agent1@sim-agents``). ``QueuePause`` without a
  queue pauses the interface in every queue; each queue then sends its own ``QueueMemberPause``.
* ``AgentCalled`` (leg rung) → ``AgentConnect`` (bridged) → ``AgentComplete`` (either side hung up). A Local
  member's ``QueueMemberStatus`` goes straight to 2 (in use) when rung, and back to 1 (not in use) afterwards.
* Wrap-up is owned by the dialer: on ``AgentComplete`` the member is paused with reason ``wrapup`` so the queue
  cannot route the next call before the agent has dispositioned (queues.conf ``wrapuptime`` covers the few
  milliseconds until that pause lands). The wrap-up ends on the agent's disposition or when its timer runs out;
  in a queue whose campaign asks for a disposition (``wrap_up_ends = "disposition"``) only the disposition ends it,
  and its timer says when it is overdue.
* Events can be lost across an AMI reconnect, so the state is reconciled from ``QueueStatus`` periodically and
  after every reconnect (:meth:`AgentRegistry.reconcile`).
* Dynamic members outlive the daemon that added them: after a crash, or on the daemon taking a dead one's campaigns
  over, the agents come back from their stored sessions (:meth:`AgentRegistry.restore`).

Why one module (over 500 lines): ``AgentRegistry`` is one state machine per agent; intent (commands) and facts
(queue events, reconcile, restore) update the same ``Agent`` records and return the same action types, so they
are kept side by side.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from dialer.agents.ready import MAX_READY_ANNOUNCEMENT_SECONDS, WRAPUP_ENDED_ANNOUNCED
from dialer.ami.events import (
    AgentCalled,
    AgentComplete,
    AgentConnect,
    AgentRingNoAnswer,
    AmiEvent,
    QueueMember,
    QueueMemberAdded,
    QueueMemberPause,
    QueueMemberRemoved,
    UserEvent,
)
from dialer.contract import AGENT_COMPLETE_USER_EVENT, AGENT_CONNECT_USER_EVENT
from dialer.i18n import M_, Message
from dialer.pacing.snapshot import AgentState, AgentView

WRAPUP_REASON = "wrapup"
PREVIEW_REASON = "preview"
LOGIN_REASON = "login"
# Device states of a queue member (app_queue / devicestate.h): AST_DEVICE_NOT_INUSE = 1, INUSE = 2, BUSY = 3,
# UNAVAILABLE = 5, RINGING = 6, RINGINUSE = 7, ONHOLD = 8.
_DEVICE_IN_CALL = frozenset({2, 3, 6, 7, 8})


class AgentStatus(StrEnum):
    LOGGED_OUT = "logged_out"
    PAUSED = "paused"  # logged in, not taking calls (reason = pause code)
    READY = "ready"  # logged in, idle, can take a call
    RINGING = "ringing"  # the queue is ringing (auto-answering) the agent's phone
    TALKING = "talking"
    WRAPUP = "wrapup"  # after-call work; paused in Asterisk with reason "wrapup"


_PACING_STATE = {
    AgentStatus.READY: AgentState.READY,
    AgentStatus.RINGING: AgentState.RINGING,
    AgentStatus.TALKING: AgentState.TALKING,
    AgentStatus.WRAPUP: AgentState.WRAPUP,
    AgentStatus.PAUSED: AgentState.PAUSED,
}


class AgentError(ValueError):
    """A command that cannot be carried out in the agent's current state (checked before any side effect)."""

    def __init__(self, agent_id: str, code: str, message: str | Message) -> None:
        super().__init__(message)
        self.agent_id = agent_id
        self.code = code


@dataclass(frozen=True, slots=True)
class QueueAddAction:
    """Make ``interface`` a member of ``queue`` as ``member_name``, paused (with ``reason``) or not."""

    queue: str
    interface: str
    member_name: str
    paused: bool
    reason: str


@dataclass(frozen=True, slots=True)
class QueueRemoveAction:
    """Take ``interface`` out of ``queue`` (on ``server``, or on the agent's own)."""

    queue: str
    interface: str
    server: str | None = None  # a membership on another server than the agent's (None: the agent's own)


@dataclass(frozen=True, slots=True)
class QueuePauseAction:
    """Pause or unpause ``interface`` in ``queue`` (or in all its queues), giving ``reason``."""

    interface: str
    paused: bool
    reason: str
    queue: str | None = None  # None: every queue the interface is in


MemberAction = QueueAddAction | QueueRemoveAction | QueuePauseAction


@dataclass(frozen=True, slots=True)
class Agent:
    """One agent as the dialer sees them. Immutable: every change makes a new one."""

    agent_id: str
    interface: str
    member_name: str
    queues: frozenset[str] = frozenset()  # the queues the agent asked to be in (intent)
    status: AgentStatus = AgentStatus.LOGGED_OUT
    since: float = 0.0
    pause_reason: str | None = None
    call_uniqueid: str | None = None  # the customer channel of the current call
    call_linkedid: str | None = None
    call_queue: str | None = None
    call_channel: str | None = None  # the agent's leg of the current queue call (AgentCalled/AgentConnect DestChannel)
    # The campaign queue of the direct call (preview, manual dial) the agent is reserved for or on: its wrap-up is
    # that campaign's. None: a queue call, or a direct call of no campaign in particular.
    direct_queue: str | None = None
    wrapup_until: float | None = None
    # The wrap-up ends only with the agent's disposition (its queue's campaign says so); ``wrapup_until`` is then
    # when it is overdue, not when it ends.
    wrapup_needs_disposition: bool = False
    pending_pause: str | None = None  # pause asked during a call: applied when the call ends
    # In their last wrap-up the agent announced "ready in N s": the time they announced (``wrapup_until`` was
    # brought forward to then, and they come back ready, not paused; the pacer may count on them at that time).
    # Kept after the wrap-up ends (the runner learns how late agents are against their announcements,
    # ``PacingStats.record_ready_announcement``), cleared when the next wrap-up starts.
    announced_ready_at: float | None = None
    calls_taken: int = 0
    # The Asterisk server the agent's phone is registered on ("" when the daemon has one server): the agent is
    # a queue member there, and only calls placed there can reach them.
    server: str = ""

    def on_server(self, server: str | None) -> bool:
        """Whether this agent can take calls of ``server`` (None: any server)."""
        return server is None or not self.server or self.server == server

    def wrapup_overdue_seconds(self, now: float) -> float | None:
        """How long a wrap-up only the disposition ends has run past its time (None: not such a wrap-up, or not
        overdue): what the console and the supervisors' dashboard flag."""
        if self.status is not AgentStatus.WRAPUP or not self.wrapup_needs_disposition or self.wrapup_until is None:
            return None
        return now - self.wrapup_until if now > self.wrapup_until else None

    @property
    def ready_announced(self) -> bool:
        """Whether the agent announced "ready in N s" in their last wrap-up (one fact: ``announced_ready_at``)."""
        return self.announced_ready_at is not None

    @property
    def logged_in(self) -> bool:
        return self.status != AgentStatus.LOGGED_OUT

    @property
    def available(self) -> bool:
        """Can take a call right now (never while paused or in wrap-up)."""
        return self.status == AgentStatus.READY


@dataclass(frozen=True, slots=True)
class AgentSession:
    """What outlives the daemon holding an agent: who they are, their queues, and whether they want calls.

    ``paused``/``pause_reason`` are the agent's intent once any call is over (a pause asked during a call counts);
    ``since`` is when that intent began. Calls and wrap-up are not kept: Asterisk is asked again on restore.
    """

    agent_id: str
    interface: str
    member_name: str
    queues: frozenset[str]
    paused: bool
    pause_reason: str | None
    since: float
    server: str | None = None  # the server the agent's phone was on (None: none in particular, or unknown)


@dataclass(frozen=True, slots=True)
class AgentChange:
    agent_id: str
    previous: AgentStatus
    current: AgentStatus
    at: float
    reason: str

    @property
    def became_available(self) -> bool:
        return self.current == AgentStatus.READY and self.previous != AgentStatus.READY


@dataclass(frozen=True, slots=True)
class QueuesChange:
    """A signed-in agent's queues changed, their state did not: they chose other queues (``login`` while signed in),
    or the PBX took them out of one or put them in one (``reason``)."""

    agent_id: str
    previous: frozenset[str]
    current: frozenset[str]
    at: float
    reason: str


@dataclass(frozen=True, slots=True)
class RegistryOutput:
    changes: tuple[AgentChange, ...] = ()
    actions: tuple[MemberAction, ...] = ()
    corrections: tuple[str, ...] = ()  # what reconciliation had to fix, for logs and /status

    # Signed-in agents whose queues changed while their state did not (not a state change: their time in state
    # runs on, and the listeners of ``changes`` -- pacing, the live clocks -- are not woken for it).
    queue_changes: tuple[QueuesChange, ...] = ()

    def __add__(self, other: RegistryOutput) -> RegistryOutput:
        return RegistryOutput(
            self.changes + other.changes,
            self.actions + other.actions,
            self.corrections + other.corrections,
            self.queue_changes + other.queue_changes,
        )


_NOTHING = RegistryOutput()


@dataclass
class AgentRegistry:
    """Every agent known to this daemon, keyed by agent id and by (lower-cased) interface."""

    inbound_queues: frozenset[str] = frozenset()
    default_wrapup_seconds: float = 30.0
    wrapup_seconds_by_queue: dict[str, float] = field(default_factory=dict)
    # The queues whose wrap-up only the agent's disposition ends (the campaign's ``wrap_up_ends = "disposition"``).
    wrapup_until_disposition: set[str] = field(default_factory=set)
    # Which server a phone lives on, from its interface (settings: ``[[ami]] agent_interfaces``).
    locate: Callable[[str], str] | None = None
    _agents: dict[str, Agent] = field(default_factory=dict)
    _by_interface: dict[str, str] = field(default_factory=dict)

    # ----------------------------------------------------------------- queries
    def get(self, agent_id: str) -> Agent | None:
        return self._agents.get(agent_id)

    def configure_wrapup(self, queue: str, seconds: float, *, until_disposition: bool) -> None:
        """The wrap-up of ``queue``'s calls: ``seconds`` long, or (``until_disposition``) ended only by the agent's
        disposition and overdue after ``seconds``. Wrap-ups under way keep the terms they began with."""
        self.wrapup_seconds_by_queue[queue] = seconds
        if until_disposition:
            self.wrapup_until_disposition.add(queue)
        else:
            self.wrapup_until_disposition.discard(queue)

    def by_interface(self, interface: str) -> Agent | None:
        agent_id = self._by_interface.get(interface.lower())
        return self._agents.get(agent_id) if agent_id is not None else None

    def agents(self) -> list[Agent]:
        return sorted(self._agents.values(), key=lambda a: a.agent_id)

    def in_queue(self, queue: str, server: str | None = None) -> list[Agent]:
        """The agents logged in to ``queue`` (on ``server`` only, when given)."""
        return [a for a in self.agents() if a.logged_in and queue in a.queues and a.on_server(server)]

    def pacing_view(self, queue: str, now: float, server: str | None = None) -> list[AgentView]:
        """The agents of one campaign queue as the pacer sees them (paused agents included, as PAUSED); with
        ``server``, only those whose phone is on that server (a call placed there can reach no other)."""
        views = []
        for agent in self.in_queue(queue, server):
            state = _PACING_STATE[agent.status]
            blended = bool(agent.queues & self.inbound_queues)
            ready_in = None
            if agent.status is AgentStatus.WRAPUP and agent.ready_announced and agent.wrapup_until is not None:
                ready_in = max(0.0, agent.wrapup_until - now)
            views.append(
                AgentView(
                    state=state,
                    seconds_in_state=max(0.0, now - agent.since),
                    blended=blended,
                    ready_in_seconds=ready_in,
                    agent_id=agent.agent_id,
                )
            )
        return views

    def reserve_for_preview(self, agent_id: str, now: float, queue: str | None = None) -> RegistryOutput:
        """A preview agent is about to dial: pause them in the queues so no queued call lands on them meanwhile;
        ``queue``: the campaign queue the call is of (its wrap-up follows that campaign's)."""
        agent = self._require_logged_in(agent_id)
        if agent.status is not AgentStatus.READY:
            raise AgentError(agent_id, "not_ready", M_("only a ready agent can dial a preview lead"))
        return self._set_pausing(agent, now, PREVIEW_REASON, AgentStatus.RINGING, PREVIEW_REASON, direct_queue=queue)

    def end_preview(self, agent_id: str, now: float) -> RegistryOutput:
        """The preview call ended without reaching the agent (no answer, busy ...): ready again."""
        agent = self._require(agent_id)
        if agent.status is not AgentStatus.RINGING or agent.pause_reason != PREVIEW_REASON:
            return _NOTHING
        return self._end_wrapup(agent, now, "preview_not_connected")

    def agent_on_call(self, linkedid: str) -> Agent | None:
        for agent in self._agents.values():
            if linkedid and linkedid in (agent.call_linkedid, agent.call_uniqueid):
                return agent
        return None

    # --------------------------------------------------------------- commands
    def register(
        self, agent_id: str, interface: str, member_name: str | None = None, server: str | None = None
    ) -> Agent:
        """Make an agent known (idempotent); the interface is their phone, e.g. PJSIP/1001, on ``server`` (by
        default the server whose ``agent_interfaces`` patterns match the interface)."""
        if server is None:
            server = self.locate(interface) if self.locate is not None else ""
        existing = self._agents.get(agent_id)
        if existing is not None:
            moved = existing.interface.lower() != interface.lower() or existing.server != server
            if moved and existing.logged_in:
                raise AgentError(agent_id, "logged_in", M_("change the phone of a logged-out agent only"))
            self._by_interface.pop(existing.interface.lower(), None)
        owner = self._by_interface.get(interface.lower())
        if owner is not None and owner != agent_id:
            raise AgentError(
                agent_id,
                "interface_taken",
                M_("{interface} already belongs to agent {owner}", interface=interface, owner=owner),
            )
        agent = Agent(agent_id, interface, member_name or agent_id, server=server)
        if existing is not None:
            agent = replace(
                existing, interface=interface, member_name=member_name or existing.member_name, server=server
            )
        self._agents[agent_id] = agent
        self._by_interface[interface.lower()] = agent_id
        return agent

    def login(self, agent_id: str, queues: Iterable[str], now: float) -> RegistryOutput:
        """Join the queues paused (reason ``login``): the agent goes ready when they say so."""
        agent = self._require(agent_id)
        wanted = frozenset(queues)
        if not wanted:
            raise AgentError(agent_id, "no_queues", M_("choose at least one campaign or inbound queue"))
        added = wanted - agent.queues
        removed = agent.queues - wanted if agent.logged_in else frozenset()
        if removed and agent.status in (AgentStatus.RINGING, AgentStatus.TALKING):
            raise AgentError(agent_id, "on_call", M_("change queues after the call"))
        if agent.logged_in:
            paused = agent.status != AgentStatus.READY
            reason = agent.pause_reason or WRAPUP_REASON if paused else ""
            actions: list[MemberAction] = [
                QueueAddAction(q, agent.interface, agent.member_name, paused, reason) for q in sorted(added)
            ]
            actions += [QueueRemoveAction(q, agent.interface) for q in sorted(removed)]
            return self._queues_changed(agent, wanted, now, LOGIN_REASON) + RegistryOutput(actions=tuple(actions))
        actions = [QueueAddAction(q, agent.interface, agent.member_name, True, LOGIN_REASON) for q in sorted(wanted)]
        change = self._set(
            agent, now, LOGIN_REASON, queues=wanted, status=AgentStatus.PAUSED, pause_reason=LOGIN_REASON
        )
        return RegistryOutput(changes=(change,), actions=tuple(actions))

    def ready(self, agent_id: str, now: float) -> RegistryOutput:
        agent = self._require_logged_in(agent_id)
        if agent.status == AgentStatus.READY:
            return _NOTHING
        if agent.status in (AgentStatus.RINGING, AgentStatus.TALKING):
            # Asked during a call: cancel a pending pause, the wrap-up follows as usual.
            self._agents[agent_id] = replace(agent, pending_pause=None)
            return _NOTHING
        if agent.status is AgentStatus.WRAPUP and agent.wrapup_needs_disposition:
            raise AgentError(agent_id, "disposition_first", M_("disposition the call first: that ends the wrap-up"))
        return self._set_pausing(agent, now, "ready", AgentStatus.READY, None, **_NO_WRAPUP)

    def pause(self, agent_id: str, reason: str, now: float) -> RegistryOutput:
        agent = self._require_logged_in(agent_id)
        reason = reason.strip() or "break"
        if reason == WRAPUP_REASON:
            raise AgentError(agent_id, "reserved_reason", M_("'wrapup' is the dialer's own pause reason"))
        if agent.status in (AgentStatus.RINGING, AgentStatus.TALKING, AgentStatus.WRAPUP):
            # Takes effect when the call (and its wrap-up) is over.
            self._agents[agent_id] = replace(agent, pending_pause=reason)
            return _NOTHING
        if agent.status == AgentStatus.PAUSED and agent.pause_reason == reason:
            return _NOTHING
        return self._set_pausing(agent, now, reason, AgentStatus.PAUSED, reason)

    def restore(
        self, sessions: Sequence[AgentSession], members: Sequence[QueueMember], now: float, server: str | None = None
    ) -> RegistryOutput:
        """Take back agents logged in before a restart, or by a daemon that is gone, from their stored sessions.

        The session gives the intent (queues, paused and why); a complete ``QueueStatus`` listing gives the calls: a
        member in a call is talking, one paused with reason ``wrapup`` was in after-call work and gets a fresh wrap-up
        timer (a stored pause follows either). Memberships and pause flags are left to the :meth:`reconcile` that
        follows, which re-adds what a restarted Asterisk forgot. An agent logged in here meanwhile keeps that login.
        """
        seen = _members_by_interface(members)
        out = _NOTHING
        for session in sessions:
            current = self._agents.get(session.agent_id)
            if (current is not None and current.logged_in) or not session.queues:
                continue
            try:
                agent = self.register(session.agent_id, session.interface, session.member_name, session.server)
                if not agent.on_server(server):
                    continue  # (the listing of another server says nothing about this phone)
            except AgentError as exc:
                out = out + RegistryOutput(corrections=(f"{session.agent_id} not restored: {exc}",))
                continue
            restored = self._restored(agent, session, seen.get(agent.interface.lower(), {}), now)
            self._agents[agent.agent_id] = restored
            change = AgentChange(agent.agent_id, AgentStatus.LOGGED_OUT, restored.status, now, "restored")
            out = out + RegistryOutput(changes=(change,))
        return out

    def _restored(self, agent: Agent, session: AgentSession, actual: dict[str, QueueMember], now: float) -> Agent:
        """The agent as their stored session and their members in ``QueueStatus`` say (Asterisk's word on calls)."""
        after_call = (session.pause_reason or "break") if session.paused else None
        base = replace(
            agent,
            queues=frozenset(session.queues),
            since=now,
            pause_reason=None,
            wrapup_until=None,
            wrapup_needs_disposition=False,
            pending_pause=after_call,
            call_uniqueid=None,
            call_linkedid=None,
            call_queue=None,  # (when the call began is unknown: the runner does not learn a talk time from it)
            call_channel=None,
        )
        if _in_call(actual.values()):
            return replace(base, status=AgentStatus.TALKING)
        wrapup = [q for q in sorted(actual) if actual[q].paused and actual[q].paused_reason == WRAPUP_REASON]
        if wrapup:
            until = now + self.wrapup_seconds_by_queue.get(wrapup[0], self.default_wrapup_seconds)
            return replace(
                base,
                status=AgentStatus.WRAPUP,
                pause_reason=WRAPUP_REASON,
                wrapup_until=until,
                wrapup_needs_disposition=wrapup[0] in self.wrapup_until_disposition,
                announced_ready_at=None,
            )
        if after_call is not None:
            return replace(
                base, status=AgentStatus.PAUSED, since=session.since, pause_reason=after_call, pending_pause=None
            )
        return replace(base, status=AgentStatus.READY, since=session.since)

    def forget(self, agent_id: str) -> Agent | None:
        """Drop an agent another daemon holds now, sending nothing: their memberships are that daemon's to manage."""
        agent = self._agents.pop(agent_id, None)
        if agent is not None and self._by_interface.get(agent.interface.lower()) == agent_id:
            del self._by_interface[agent.interface.lower()]
        return agent

    def logout(self, agent_id: str, now: float) -> RegistryOutput:
        agent = self._require_logged_in(agent_id)
        if agent.status in (AgentStatus.RINGING, AgentStatus.TALKING):
            raise AgentError(agent_id, "on_call", M_("log out after the call (pause now to take no further calls)"))
        actions = tuple(QueueRemoveAction(q, agent.interface) for q in sorted(agent.queues))
        change = self._set(
            agent,
            now,
            "logout",
            status=AgentStatus.LOGGED_OUT,
            queues=frozenset(),
            pause_reason=None,
            pending_pause=None,
            **_NO_WRAPUP,
        )
        return RegistryOutput(changes=(change,), actions=actions)

    def finish_wrapup(self, agent_id: str, now: float) -> RegistryOutput:
        """The agent dispositioned the call: ready again, or paused if they asked for a pause meanwhile."""
        agent = self._require_logged_in(agent_id)
        if agent.status != AgentStatus.WRAPUP:
            return _NOTHING
        return self._end_wrapup(agent, now, "disposition")

    def announce_ready(self, agent_id: str, seconds: float, now: float) -> RegistryOutput:
        """The agent in wrap-up says "ready in ``seconds``": the wrap-up timer is brought forward to then (never
        pushed back), a pause asked meanwhile is dropped, and the pacer counts on the agent at that time. A wrap-up
        that needs a disposition still ends with it, not at the time announced."""
        agent = self._require_logged_in(agent_id)
        if agent.status is not AgentStatus.WRAPUP:
            raise AgentError(agent_id, "not_in_wrapup", M_("only an agent in wrap-up can announce when they are ready"))
        if not (0.0 <= seconds <= MAX_READY_ANNOUNCEMENT_SECONDS):
            raise AgentError(
                agent_id,
                "bad_seconds",
                M_("ready in 0 to {max} seconds", max=format(MAX_READY_ANNOUNCEMENT_SECONDS, "d")),
            )
        until = now + seconds if agent.wrapup_until is None else min(agent.wrapup_until, now + seconds)
        announced = replace(agent, wrapup_until=until, pending_pause=None, announced_ready_at=until)
        self._agents[agent_id] = announced
        if until <= now and not announced.wrapup_needs_disposition:
            return self._end_wrapup(announced, now, WRAPUP_ENDED_ANNOUNCED)
        return _NOTHING

    def tick(self, now: float) -> RegistryOutput:
        """End the wrap-ups whose timer ran out (not those only a disposition ends)."""
        out = _NOTHING
        for agent in list(self._agents.values()):
            if agent.status != AgentStatus.WRAPUP or agent.wrapup_needs_disposition:
                continue
            if agent.wrapup_until is not None and now >= agent.wrapup_until:
                out = out + self._end_wrapup(agent, now, "wrapup_timeout")
        return out

    # ----------------------------------------------------------------- events
    def apply(self, event: AmiEvent, now: float, server: str | None = None) -> RegistryOutput:
        """Follow one typed AMI event (of ``server``, when given). Events about interfaces we do not manage, or
        about a phone of another server, are ignored."""
        if server is not None:
            interface = event.get("Agent") if isinstance(event, UserEvent) else getattr(event, "interface", None)
            agent = self.by_interface(interface) if isinstance(interface, str) else None
            if agent is not None and not agent.on_server(server):
                return _NOTHING
        match event:
            case AgentCalled():
                agent = self._logged_in(event.interface)
                if agent is None:
                    return _NOTHING
                return self._changed(
                    agent,
                    now,
                    "agent_called",
                    status=AgentStatus.RINGING,
                    call_uniqueid=event.uniqueid or None,
                    call_linkedid=event.linkedid or None,
                    call_queue=event.queue,
                    call_channel=event.dest_channel or None,
                )
            case AgentConnect():
                agent = self._logged_in(event.interface)
                if agent is None:
                    return _NOTHING
                uniqueid, linkedid = event.uniqueid or agent.call_uniqueid, event.linkedid or agent.call_linkedid
                channel = event.dest_channel or agent.call_channel
                return self._talking(agent, now, "agent_connect", uniqueid, linkedid, event.queue, channel)
            case AgentRingNoAnswer():
                agent = self.by_interface(event.interface)
                if agent is None or agent.status != AgentStatus.RINGING:
                    return _NOTHING
                # An auto-answer phone that did not answer is a broken phone: take the agent out of rotation.
                return self._set_pausing(agent, now, "ring_no_answer", AgentStatus.PAUSED, "no_answer", **_NO_CALL)
            case AgentComplete():
                agent = self.by_interface(event.interface)
                if agent is None or agent.status not in (AgentStatus.TALKING, AgentStatus.RINGING):
                    return _NOTHING
                return self._start_wrapup(agent, now, f"call_ended_by_{event.reason or 'unknown'}", event.queue)
            case UserEvent(name=name) if name in (AGENT_CONNECT_USER_EVENT, AGENT_COMPLETE_USER_EVENT):
                agent = self._logged_in(event.get("Agent") or "")
                if agent is None:
                    return _NOTHING
                attempt = event.get("Attempt") or None
                if name == AGENT_CONNECT_USER_EVENT:
                    return self._talking(agent, now, "direct_connect", attempt, attempt, None, None)
                # The dialplan reports the end from its h extension even when the agent was never bridged (the
                # callee did not answer): only a call that reached the agent leads to wrap-up.
                if agent.status is not AgentStatus.TALKING:
                    return _NOTHING
                return self._start_wrapup(agent, now, "direct_call_ended", agent.direct_queue)
            case QueueMemberAdded():
                return self._member_seen(event.interface, event.queue, event.paused, event.paused_reason, now)
            case QueueMemberRemoved():
                agent = self.by_interface(event.interface)
                if agent is None or event.queue not in agent.queues:
                    return _NOTHING
                remaining = agent.queues - {event.queue}
                if remaining:
                    return self._queues_changed(agent, remaining, now, "removed_by_pbx") + RegistryOutput(
                        corrections=(f"{agent.agent_id} removed from {event.queue} by the PBX",)
                    )
                return self._changed(agent, now, "removed_by_pbx", status=AgentStatus.LOGGED_OUT, queues=frozenset())
            case QueueMemberPause():
                return self._pause_seen(event.interface, event.paused, event.paused_reason, now)
            case _:
                return _NOTHING

    def _logged_in(self, interface: str) -> Agent | None:
        """The logged-in agent on ``interface``; None for an interface we do not manage or a logged-out agent."""
        agent = self.by_interface(interface)
        return agent if agent is not None and agent.logged_in else None

    def _talking(
        self,
        agent: Agent,
        now: float,
        reason: str,
        uniqueid: str | None,
        linkedid: str | None,
        queue: str | None,
        channel: str | None,
    ) -> RegistryOutput:
        """The agent was put through to a call (by a queue, or dialled directly; ``channel``: the agent's own leg,
        known for a queue call): one more call taken."""
        return self._changed(
            agent,
            now,
            reason,
            status=AgentStatus.TALKING,
            call_uniqueid=uniqueid,
            call_linkedid=linkedid,
            call_queue=queue,
            call_channel=channel,
            calls_taken=agent.calls_taken + 1,
        )

    def reconcile(self, members: Sequence[QueueMember], now: float, server: str | None = None) -> RegistryOutput:
        """Compare intent with a complete ``QueueStatus`` listing and return the actions that repair the PBX.

        Asterisk is the authority on calls (a call we think is up but the member is idle has ended: the agent
        goes to wrap-up); the dialer is the authority on membership and pause (missing memberships are re-added,
        unexpected ones removed, pause flags re-sent).
        """
        seen = _members_by_interface(members)
        out = _NOTHING
        for agent in list(self._agents.values()):
            actual = seen.get(agent.interface.lower(), {})
            if not agent.on_server(server):
                # The agent's phone is on another server: a membership here (left by an older version, or by
                # hand) would route this server's calls to a phone it cannot reach.
                for queue in sorted(actual):
                    out = out + RegistryOutput(
                        actions=(QueueRemoveAction(queue, agent.interface, server),),
                        corrections=(
                            f"{agent.agent_id} is on server {agent.server}, not {server}: removed from {queue}",
                        ),
                    )
                continue
            if not agent.logged_in:
                for queue in sorted(actual):
                    out = out + RegistryOutput(
                        actions=(QueueRemoveAction(queue, agent.interface),),
                        corrections=(f"{agent.agent_id} is logged out but still in {queue}: removed",),
                    )
                continue
            want_paused = _wants_pause(agent)
            want_reason = (agent.pause_reason or WRAPUP_REASON) if want_paused else ""
            actions: list[MemberAction] = []
            corrections: list[str] = []
            for queue in sorted(agent.queues - actual.keys()):
                actions.append(QueueAddAction(queue, agent.interface, agent.member_name, want_paused, want_reason))
                corrections.append(f"{agent.agent_id} missing from {queue}: re-added")
            for queue in sorted(actual.keys() - agent.queues):
                actions.append(QueueRemoveAction(queue, agent.interface))
                corrections.append(f"{agent.agent_id} unexpectedly in {queue}: removed")
            for queue in sorted(agent.queues & actual.keys()):
                if actual[queue].paused != want_paused:
                    actions.append(QueuePauseAction(agent.interface, want_paused, want_reason, queue))
                    corrections.append(f"{agent.agent_id} pause flag wrong in {queue}: re-sent")
            out = out + RegistryOutput(actions=tuple(actions), corrections=tuple(corrections))
            in_call = _in_call(actual.values())
            current = self._agents[agent.agent_id]
            # A preview agent waits for their callee to answer: their phone is idle until then, not a lost call.
            previewing = current.status is AgentStatus.RINGING and current.pause_reason == PREVIEW_REASON
            on_call = current.status in (AgentStatus.TALKING, AgentStatus.RINGING) and not previewing
            if on_call and actual and not in_call:
                out = out + self._start_wrapup(current, now, "reconcile_call_gone", current.call_queue)
                out = out + RegistryOutput(corrections=(f"{agent.agent_id} call ended unseen: wrap-up",))
            elif current.status == AgentStatus.READY and in_call:
                out = out + self._changed(current, now, "reconcile_in_call", status=AgentStatus.TALKING)
                out = out + RegistryOutput(corrections=(f"{agent.agent_id} is on a call we did not see",))
        return out

    # ---------------------------------------------------------------- helpers
    def _require(self, agent_id: str) -> Agent:
        agent = self._agents.get(agent_id)
        if agent is None:
            raise AgentError(agent_id, "unknown_agent", M_("no agent {agent_id}", agent_id=repr(agent_id)))
        return agent

    def _require_logged_in(self, agent_id: str) -> Agent:
        agent = self._require(agent_id)
        if not agent.logged_in:
            raise AgentError(agent_id, "logged_out", M_("agent {agent_id} is not logged in", agent_id=repr(agent_id)))
        return agent

    def _set(self, agent: Agent, now: float, reason: str, **changes: object) -> AgentChange:
        updated = replace(agent, **changes)  # type: ignore[arg-type]
        if updated.status != agent.status:
            updated = replace(updated, since=now)
        self._agents[agent.agent_id] = updated
        return AgentChange(agent.agent_id, agent.status, updated.status, now, reason)

    def _queues_changed(self, agent: Agent, queues: frozenset[str], now: float, reason: str) -> RegistryOutput:
        """A signed-in agent is in ``queues`` now, in the same state as before (``since`` unchanged)."""
        self._agents[agent.agent_id] = replace(agent, queues=queues)
        if queues == agent.queues:
            return _NOTHING
        return RegistryOutput(queue_changes=(QueuesChange(agent.agent_id, agent.queues, queues, now, reason),))

    def _changed(self, agent: Agent, now: float, reason: str, **changes: object) -> RegistryOutput:
        return RegistryOutput(changes=(self._set(agent, now, reason, **changes),))

    def _set_pausing(
        self,
        agent: Agent,
        now: float,
        reason: str,
        status: AgentStatus,
        pause_reason: str | None,
        **changes: object,
    ) -> RegistryOutput:
        """The agent's new ``status`` and the queue pause that goes with it: paused for ``pause_reason`` in its
        queues, or unpaused when it is None."""
        action = QueuePauseAction(agent.interface, pause_reason is not None, pause_reason or "")
        change = self._set(agent, now, reason, status=status, pause_reason=pause_reason, **changes)
        return RegistryOutput(changes=(change,), actions=(action,))

    def _start_wrapup(self, agent: Agent, now: float, reason: str, queue: str | None) -> RegistryOutput:
        seconds = self.wrapup_seconds_by_queue.get(queue or "", self.default_wrapup_seconds)
        return self._set_pausing(
            agent,
            now,
            reason,
            AgentStatus.WRAPUP,
            WRAPUP_REASON,
            wrapup_until=now + seconds,
            wrapup_needs_disposition=(queue or "") in self.wrapup_until_disposition,
            announced_ready_at=None,
            **_NO_CALL,
        )

    def _end_wrapup(self, agent: Agent, now: float, reason: str) -> RegistryOutput:
        """The wrap-up ends for ``reason``; one in which the agent announced "ready in N s" ends for
        WRAPUP_ENDED_ANNOUNCED however it ended, so the state history tells announced wrap-ups apart."""
        if agent.announced_ready_at is not None:
            reason = WRAPUP_ENDED_ANNOUNCED
        if agent.pending_pause:
            return self._set_pausing(
                agent, now, reason, AgentStatus.PAUSED, agent.pending_pause, pending_pause=None, **_NO_WRAPUP
            )
        return self._set_pausing(agent, now, reason, AgentStatus.READY, None, **_NO_WRAPUP)

    def _member_seen(self, interface: str, queue: str, paused: bool, reason: str, now: float) -> RegistryOutput:
        agent = self.by_interface(interface)
        if agent is None:
            return _NOTHING
        if not agent.logged_in:
            # Added behind our back (or our own add raced a logout): the dialer's intent wins.
            return RegistryOutput(
                actions=(QueueRemoveAction(queue, agent.interface),),
                corrections=(f"{agent.agent_id} added to {queue} while logged out: removed",),
            )
        out = _NOTHING
        if queue not in agent.queues:
            out = self._queues_changed(agent, agent.queues | {queue}, now, "added_by_pbx")
        return out + self._pause_seen(interface, paused, reason, now)

    def _pause_seen(self, interface: str, paused: bool, reason: str, now: float) -> RegistryOutput:
        """The dialer owns pause state: a PBX pause flag that differs from intent is re-sent, not adopted.

        Adopting it would be wrong in the common race where the echo of an older pause/unpause arrives after a
        newer command (agent pauses then readies within milliseconds); re-sending intent always converges.
        """
        agent = self.by_interface(interface)
        if agent is None or not agent.logged_in:
            return _NOTHING
        want_paused = _wants_pause(agent)
        if paused == want_paused:
            return _NOTHING
        want_reason = (agent.pause_reason or WRAPUP_REASON) if want_paused else ""
        return RegistryOutput(
            actions=(QueuePauseAction(agent.interface, want_paused, want_reason),),
            corrections=(f"{agent.agent_id} pause flag {paused} (reason {reason!r}) differs from intent: re-sent",),
        )


def _members_by_interface(members: Iterable[QueueMember]) -> dict[str, dict[str, QueueMember]]:
    """A ``QueueStatus`` listing as {lower-cased interface: {queue: member}}."""
    seen: dict[str, dict[str, QueueMember]] = {}
    for member in members:
        seen.setdefault(member.location.lower(), {})[member.queue] = member
    return seen


def _in_call(members: Iterable[QueueMember]) -> bool:
    return any(m.in_call or m.status in _DEVICE_IN_CALL for m in members)


def _wants_pause(agent: Agent) -> bool:
    """Paused in Asterisk: on a pause or in wrap-up, and during a preview call (placed outside the queue)."""
    return agent.status in (AgentStatus.PAUSED, AgentStatus.WRAPUP) or agent.pause_reason == PREVIEW_REASON


_NO_CALL: dict[str, object] = {
    "call_uniqueid": None,
    "call_linkedid": None,
    "call_queue": None,
    "call_channel": None,
    "direct_queue": None,
}
_NO_WRAPUP: dict[str, object] = {"wrapup_until": None, "wrapup_needs_disposition": False, "direct_queue": None}
