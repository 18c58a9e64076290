"""Agent service (I/O shell): runs registry commands, sends the resulting queue actions, reconciles.

Every path that changes an agent — the web console, the demo's simulated agents, the CLI — goes through this
service, so a simulated agent exercises exactly what a real one does. Queue actions go out in order through one
sender task, so the ordered AMI event pump never waits on the PBX. Agents taken over from stored sessions
(:mod:`dialer.agents.sessions`) wait here until the next ``QueueStatus`` listing says what Asterisk is doing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping, Set
from dataclasses import replace
from typing import Protocol, TypeVar

from dialer.agents.registry import (
    Agent,
    AgentChange,
    AgentError,
    AgentRegistry,
    AgentSession,
    MemberAction,
    QueueAddAction,
    QueuePauseAction,
    QueueRemoveAction,
    QueuesChange,
    RegistryOutput,
)
from dialer.ami.events import AmiEvent, QueueMember
from dialer.i18n import M_
from dialer.logging import get_logger
from dialer.tasks import cancel_and_wait

log = get_logger(__name__)
# A cleanup QueueRemove waits no longer than this (on the way out, a dead connection must not hold the exit).
LEAVE_TIMEOUT_SECONDS = 2.0
T = TypeVar("T")


class QueueControl(Protocol):
    """What the service needs from an AMI connection (``dialer.ami.client.AmiClient`` provides it): the queue actions
    it sends, with the arguments it gives them."""

    async def queue_add(self, queue: str, interface: str, *, member_name: str, paused: bool) -> bool: ...

    async def queue_remove(self, queue: str, interface: str) -> bool: ...

    async def queue_pause(
        self, interface: str, paused: bool, *, queue: str | None = None, reason: str = ""
    ) -> None: ...


ChangeListener = Callable[[AgentChange, Agent | None], None]
QueuesListener = Callable[[QueuesChange, Agent | None], None]


class AgentService:
    """``control`` sends the queue actions of agents on no particular server; ``controls`` those of the agents
    of each named server (an agent's phone is a queue member on its own server only)."""

    def __init__(
        self,
        registry: AgentRegistry,
        control: QueueControl,
        clock: Callable[[], float],
        controls: Mapping[str, QueueControl] | None = None,
    ) -> None:
        self.registry = registry
        self._control = control
        self._controls = dict(controls or {})
        self._clock = clock
        self._listeners: list[ChangeListener] = []
        self._queues_listeners: list[QueuesListener] = []
        self._outbox: asyncio.Queue[MemberAction] = asyncio.Queue()
        self._sender: asyncio.Task[None] | None = None
        self.failed_actions = 0
        self.last_corrections: tuple[str, ...] = ()
        self._to_restore: dict[str, AgentSession] = {}
        # Agents whose phones leave their queues when this service stops (the demo's simulated crew).
        self._transient: set[str] = set()

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> None:
        if self._sender is None:
            self._sender = asyncio.get_running_loop().create_task(self._send_loop(), name="agent-actions")

    async def stop(self) -> None:
        await cancel_and_wait(self._sender)
        self._sender = None
        for agent_id in sorted(self._transient):
            agent = self.registry.get(agent_id)
            if agent is not None and agent.queues:
                await self.leave_queues(agent.interface, agent.queues)

    # ------------------------------------------------------------------ cleanup
    def leave_queues_on_stop(self, agent_id: str) -> None:
        """A transient agent (the demo's simulated crew): its phone leaves its queues when this service stops --
        after the drain, after a second signal alike -- instead of staying a member with nobody behind it."""
        self._transient.add(agent_id)

    async def leave_queues(self, interface: str, queues: Iterable[str]) -> int:
        """Remove a phone from queues on its PBX whatever the registry says (a previous process's leftovers, a
        transient agent on the way out). Returns how many memberships the PBX removed; failures are logged."""
        control = self.control_for(interface)
        removed = 0
        for queue in sorted(set(queues)):
            try:
                async with asyncio.timeout(LEAVE_TIMEOUT_SECONDS):
                    removed += bool(await control.queue_remove(queue, interface))
            except Exception as exc:
                log.warning("queue_leave_failed", queue=queue, interface=interface, error=str(exc))
        return removed

    def add_listener(self, listener: ChangeListener) -> None:
        self._listeners.append(listener)

    def add_queues_listener(self, listener: QueuesListener) -> None:
        """``listener`` hears every change of a signed-in agent's queues that is no change of state (the state
        history records it); a change of state says the queues after it on its ``Agent`` already."""
        self._queues_listeners.append(listener)

    # ------------------------------------------------------------------ commands
    def register(
        self, agent_id: str, interface: str, member_name: str | None = None, server: str | None = None
    ) -> Agent:
        if server is not None and self._controls and server not in self._controls:
            raise AgentError(agent_id, "unknown_server", M_("no Asterisk server named {server}", server=repr(server)))
        return self.registry.register(agent_id, interface, member_name, server)

    async def login(self, agent_id: str, queues: Iterable[str]) -> Agent:
        return await self._run(agent_id, self.registry.login(agent_id, list(queues), self._clock()))

    async def ready(self, agent_id: str) -> Agent:
        return await self._run(agent_id, self.registry.ready(agent_id, self._clock()))

    async def pause(self, agent_id: str, reason: str) -> Agent:
        return await self._run(agent_id, self.registry.pause(agent_id, reason, self._clock()))

    async def logout(self, agent_id: str) -> Agent:
        return await self._run(agent_id, self.registry.logout(agent_id, self._clock()))

    async def reserve_for_preview(self, agent_id: str, queue: str | None = None) -> Agent:
        return await self._run(agent_id, self.registry.reserve_for_preview(agent_id, self._clock(), queue))

    async def end_preview(self, agent_id: str) -> Agent:
        return await self._run(agent_id, self.registry.end_preview(agent_id, self._clock()))

    async def announce_ready(self, agent_id: str, seconds: float) -> Agent:
        return await self._run(agent_id, self.registry.announce_ready(agent_id, seconds, self._clock()))

    async def finish_wrapup(self, agent_id: str) -> Agent:
        return await self._run(agent_id, self.registry.finish_wrapup(agent_id, self._clock()))

    # ------------------------------------------------------------ stored sessions
    def stage_restore(self, sessions: Iterable[AgentSession]) -> None:
        """Agents to take back at the next :meth:`reconcile`, which has the PBX's view of their calls."""
        for session in sessions:
            if session.server is not None and session.server not in self._controls:
                # A server no longer configured (or one server now): the patterns place the phone again.
                session = replace(session, server=None)
            self._to_restore[session.agent_id] = session

    @property
    def restoring(self) -> Set[str]:
        return self._to_restore.keys()

    def forget(self, agent_id: str) -> None:
        """Another daemon holds this agent now: stop following them here, without touching the PBX."""
        self._to_restore.pop(agent_id, None)
        if self.registry.forget(agent_id) is not None:
            log.warning("agent_moved_to_another_daemon", agent=agent_id)

    # -------------------------------------------------------- events and timers
    def on_event(self, event: AmiEvent, server: str | None = None) -> RegistryOutput:
        """Called by the ordered event pump of ``server``: follow the event now, send any actions in the
        background."""
        out = self.registry.apply(event, self._clock(), server)
        self._dispatch(out)
        return out

    def tick(self) -> RegistryOutput:
        out = self.registry.tick(self._clock())
        self._dispatch(out)
        return out

    def reconcile(self, members: Iterable[QueueMember], server: str | None = None) -> RegistryOutput:
        """A complete ``QueueStatus`` listing of ``server`` (None: of the only server): agents staged for restore
        whose phone is there come back, and that server's members are repaired."""
        listing, now = list(members), self._clock()
        out = RegistryOutput()
        staged = [
            s
            for s in self._to_restore.values()
            if server is None or (s.server or self._server_of(s.interface, s.agent_id)) in (None, server)
        ]
        if staged:
            for session in staged:
                del self._to_restore[session.agent_id]
            # (logged below as agent_state, reason "restored")
            out = self.registry.restore(staged, listing, now, server)
        out = out + self.registry.reconcile(listing, now, server)
        self.last_corrections = out.corrections
        for correction in out.corrections:
            log.warning("agent_state_corrected", correction=correction)
        self._dispatch(out)
        return out

    async def flush(self) -> None:
        """Wait until every queued action has been sent (tests, drain)."""
        await self._outbox.join()

    # ------------------------------------------------------------------ helpers
    def _server_of(self, interface: str, agent_id: str | None = None) -> str | None:
        """The server an agent's phone is on (None: no particular one)."""
        agent = self.registry.get(agent_id) if agent_id is not None else self.registry.by_interface(interface)
        if agent is not None and agent.interface.lower() == interface.lower():
            return agent.server or None
        located = self.registry.locate(interface) if self.registry.locate is not None else ""
        return located or None

    def control_for(self, interface: str) -> QueueControl:
        """The AMI connection of the server the phone ``interface`` is on."""
        server = self._server_of(interface)
        return self._controls.get(server, self._control) if server is not None else self._control

    async def _run(self, agent_id: str, out: RegistryOutput) -> Agent:
        self._dispatch(out)
        await self.flush()
        agent = self.registry.get(agent_id)
        assert agent is not None  # the registry raised AgentError otherwise
        return agent

    def _dispatch(self, out: RegistryOutput) -> None:
        for action in out.actions:
            self._outbox.put_nowait(action)
        for change in out.changes:
            log.info(
                "agent_state",
                agent=change.agent_id,
                previous=change.previous.value,
                state=change.current.value,
                reason=change.reason,
            )
            _tell(self._listeners, change, change.agent_id, self.registry.get(change.agent_id))
        for moved in out.queue_changes:
            log.info(
                "agent_queues",
                agent=moved.agent_id,
                previous=sorted(moved.previous),
                queues=sorted(moved.current),
                reason=moved.reason,
            )
            _tell(self._queues_listeners, moved, moved.agent_id, self.registry.get(moved.agent_id))

    async def _send_loop(self) -> None:
        while True:
            action = await self._outbox.get()
            try:
                await self._send(action)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # The next reconciliation repairs whatever this left undone.
                self.failed_actions += 1
                log.warning("agent_action_failed", action=type(action).__name__, error=str(exc))
            finally:
                self._outbox.task_done()

    async def _send(self, action: MemberAction) -> None:
        control = self.control_for(action.interface)
        match action:
            case QueueAddAction():
                await control.queue_add(
                    action.queue, action.interface, member_name=action.member_name, paused=action.paused
                )
                if action.paused and action.reason:
                    # QueueAdd cannot carry a pause reason: set it with a QueuePause in that queue.
                    await control.queue_pause(action.interface, True, queue=action.queue, reason=action.reason)
            case QueueRemoveAction():
                if action.server is not None:
                    control = self._controls.get(action.server, control)
                await control.queue_remove(action.queue, action.interface)
            case QueuePauseAction():
                await control.queue_pause(action.interface, action.paused, queue=action.queue, reason=action.reason)


def _tell(listeners: Iterable[Callable[[T, Agent | None], None]], what: T, agent_id: str, agent: Agent | None) -> None:
    """Call each listener in turn; one that fails is logged and the others still hear it."""
    for listener in listeners:
        try:
            listener(what, agent)
        except Exception:
            log.exception("agent_listener_failed", agent=agent_id)
