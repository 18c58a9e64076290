"""Agent service (I/O shell): runs registry commands, sends the resulting queue actions, reconciles.

Every path that changes an agent — the web console, the demo's simulated agents, the CLI — goes through this
service, so a simulated agent exercises exactly what a real one does. Queue actions go out in order through one
sender task, so the ordered AMI event pump never waits on the PBX. Agents taken over from stored sessions
(:mod:`dialer.agents.sessions`) wait here until the next ``QueueStatus`` listing says what Asterisk is doing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable, Set
from typing import Protocol

from dialer.agents.registry import (
    Agent,
    AgentChange,
    AgentRegistry,
    AgentSession,
    MemberAction,
    QueueAddAction,
    QueuePauseAction,
    QueueRemoveAction,
    RegistryOutput,
)
from dialer.ami.events import AmiEvent, QueueMember
from dialer.logging import get_logger

log = get_logger(__name__)


class QueueControl(Protocol):
    """What the service needs from an AMI connection (``dialer.ami.client.AmiClient`` provides it)."""

    async def queue_add(
        self,
        queue: str,
        interface: str,
        *,
        member_name: str | None = None,
        penalty: int = 0,
        paused: bool = False,
        state_interface: str | None = None,
    ) -> bool: ...

    async def queue_remove(self, queue: str, interface: str) -> bool: ...

    async def queue_pause(
        self, interface: str, paused: bool, *, queue: str | None = None, reason: str = ""
    ) -> None: ...


ChangeListener = Callable[[AgentChange, Agent | None], None]


class AgentService:
    def __init__(self, registry: AgentRegistry, control: QueueControl, clock: Callable[[], float]) -> None:
        self.registry = registry
        self._control = control
        self._clock = clock
        self._listeners: list[ChangeListener] = []
        self._outbox: asyncio.Queue[MemberAction] = asyncio.Queue()
        self._sender: asyncio.Task[None] | None = None
        self.failed_actions = 0
        self.last_corrections: tuple[str, ...] = ()
        self._to_restore: dict[str, AgentSession] = {}

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> None:
        if self._sender is None:
            self._sender = asyncio.get_running_loop().create_task(self._send_loop(), name="agent-actions")

    async def stop(self) -> None:
        if self._sender is not None:
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sender
            self._sender = None

    def add_listener(self, listener: ChangeListener) -> None:
        self._listeners.append(listener)

    # ------------------------------------------------------------------ commands
    def register(self, agent_id: str, interface: str, member_name: str | None = None) -> Agent:
        return self.registry.register(agent_id, interface, member_name)

    async def login(self, agent_id: str, queues: Iterable[str]) -> Agent:
        return await self._run(agent_id, self.registry.login(agent_id, list(queues), self._clock()))

    async def ready(self, agent_id: str) -> Agent:
        return await self._run(agent_id, self.registry.ready(agent_id, self._clock()))

    async def pause(self, agent_id: str, reason: str) -> Agent:
        return await self._run(agent_id, self.registry.pause(agent_id, reason, self._clock()))

    async def logout(self, agent_id: str) -> Agent:
        return await self._run(agent_id, self.registry.logout(agent_id, self._clock()))

    async def reserve_for_preview(self, agent_id: str) -> Agent:
        return await self._run(agent_id, self.registry.reserve_for_preview(agent_id, self._clock()))

    async def end_preview(self, agent_id: str) -> Agent:
        return await self._run(agent_id, self.registry.end_preview(agent_id, self._clock()))

    async def finish_wrapup(self, agent_id: str) -> Agent:
        return await self._run(agent_id, self.registry.finish_wrapup(agent_id, self._clock()))

    # ------------------------------------------------------------ stored sessions
    def stage_restore(self, sessions: Iterable[AgentSession]) -> None:
        """Agents to take back at the next :meth:`reconcile`, which has the PBX's view of their calls."""
        for session in sessions:
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
    def on_event(self, event: AmiEvent) -> RegistryOutput:
        """Called by the ordered event pump: follow the event now, send any actions in the background."""
        out = self.registry.apply(event, self._clock())
        self._dispatch(out)
        return out

    def tick(self) -> RegistryOutput:
        out = self.registry.tick(self._clock())
        self._dispatch(out)
        return out

    def reconcile(self, members: Iterable[QueueMember]) -> RegistryOutput:
        listing, now = list(members), self._clock()
        out = RegistryOutput()
        if self._to_restore:
            sessions, self._to_restore = list(self._to_restore.values()), {}
            out = self.registry.restore(sessions, listing, now)  # logged below as agent_state, reason "restored"
        out = out + self.registry.reconcile(listing, now)
        self.last_corrections = out.corrections
        for correction in out.corrections:
            log.warning("agent_state_corrected", correction=correction)
        self._dispatch(out)
        return out

    async def flush(self) -> None:
        """Wait until every queued action has been sent (tests, drain)."""
        await self._outbox.join()

    # ------------------------------------------------------------------ helpers
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
            agent = self.registry.get(change.agent_id)
            log.info(
                "agent_state",
                agent=change.agent_id,
                previous=change.previous.value,
                state=change.current.value,
                reason=change.reason,
            )
            for listener in self._listeners:
                try:
                    listener(change, agent)
                except Exception:
                    log.exception("agent_listener_failed", agent=change.agent_id)

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
        match action:
            case QueueAddAction():
                await self._control.queue_add(
                    action.queue, action.interface, member_name=action.member_name, paused=action.paused
                )
                if action.paused and action.reason:
                    # QueueAdd cannot carry a pause reason: set it with a QueuePause in that queue.
                    await self._control.queue_pause(action.interface, True, queue=action.queue, reason=action.reason)
            case QueueRemoveAction():
                await self._control.queue_remove(action.queue, action.interface)
            case QueuePauseAction():
                await self._control.queue_pause(
                    action.interface, action.paused, queue=action.queue, reason=action.reason
                )
