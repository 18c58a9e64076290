"""The channel engine, the lowest layer of the simulated PBX: channels, identifiers, dialplan steps, variables,
and the one event stream every session reads (what Asterisk's channel core and manager.c do). The PBX's
actions and call flows live above it, in ``core.PbxCore``, which owns one engine.

Everything here runs on the event loop's thread and is synchronous; time only passes through the clock's
timers. An event is encoded once and handed to every listening session.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Callable, Coroutine, Iterable
from functools import partial
from typing import Any, Protocol

from dialer.ami.protocol import encode_message
from dialer.clock import Clock, Timer
from dialer.logging import get_logger
from dialer.sim.pbx.channels import Channel, ChannelState, Headers, cause_text
from dialer.sim.pbx.config import PbxConfig
from dialer.sim.pbx.truth import GroundTruth
from dialer.sim.pbx.world import PbxWorld

log = get_logger(__name__)


class EventListener(Protocol):
    """A session that receives events; ``event_class`` is the first Privilege class (call, agent, ...)."""

    def deliver(self, event_class: str, data: bytes) -> None: ...

    def wants(self, event_class: str) -> bool:
        """Whether events of this class reach this listener (read= and Events mask)."""
        ...


class ChannelOwner(Protocol):
    """The call flow a channel belongs to; it decides what an ``Action: Hangup`` of that channel does."""

    def hangup_requested(self, channel: Channel, cause: int | None) -> None: ...


class _EngineTimer:
    """A clock timer the engine tracks until it fires or is cancelled (so stopping the PBX cancels them all)."""

    __slots__ = ("_callback", "_engine", "_handle")

    def __init__(self, engine: Engine, delay: float, callback: Callable[[], None]) -> None:
        self._engine = engine
        self._callback = callback
        engine._timers.add(self)
        self._handle = engine.clock.call_later(delay, self._run)

    def cancel(self) -> None:
        self._engine._timers.discard(self)
        self._handle.cancel()

    def _run(self) -> None:
        engine = self._engine
        engine._timers.discard(self)
        if engine.closed:
            return
        try:
            self._callback()
        except Exception:
            log.exception("simpbx_timer_failed", callback=getattr(self._callback, "__qualname__", repr(self._callback)))


class Engine:
    """Channels and the event stream of one simulated PBX (reset with it on a restart)."""

    def __init__(self, config: PbxConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.started_at = clock.now()
        self.world = PbxWorld(config, self.started_at)
        self.truth = GroundTruth()
        self.channels: dict[str, Channel] = {}
        self.by_uniqueid: dict[str, Channel] = {}
        self.owners: dict[Channel, ChannelOwner] = {}
        self.listeners: list[EventListener] = []
        self._uniqueid_seq = itertools.count()
        self._local_seq = itertools.count()
        self._originate_seq = itertools.count(1)
        self._timers: set[Timer] = set()
        self.tasks: set[asyncio.Task[None]] = set()  # work that runs in real time (FastAGI sessions): see spawn()
        self.closed = False
        # Called with every event before it is encoded (monitoring.py follows bridges and hangups of the channels
        # it records or spies on); empty, it costs one test per event.
        self.emit_hooks: list[Callable[[str, Headers], None]] = []

    # ------------------------------------------------------------------ identifiers and time

    def now(self) -> float:
        return self.clock.now()

    def new_uniqueid(self) -> str:
        return f"{self.config.system_name}-{int(self.now())}.{next(self._uniqueid_seq)}"

    def next_local_suffix(self) -> str:
        return f"{next(self._local_seq):08x}"

    def next_originate_sequence(self) -> int:
        return next(self._originate_seq)

    @staticmethod
    def new_bridge_id() -> str:
        return str(uuid.uuid4())

    def later(self, delay: float, callback: Callable[[], None]) -> Timer:
        """A timer of the PBX: cancelled when the PBX stops; a failing callback is logged, not fatal."""
        return _EngineTimer(self, delay, callback)

    @property
    def pending_timers(self) -> int:
        """Timers of the PBX not yet fired nor cancelled (a finished, quiet PBX has none)."""
        return len(self._timers)

    def spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """A task of the PBX (a FastAGI session talking to the daemon over TCP): cancelled when the PBX stops."""
        task = asyncio.get_running_loop().create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    def close(self) -> None:
        self.closed = True
        for timer in list(self._timers):
            timer.cancel()
        self._timers.clear()
        for task in list(self.tasks):
            task.cancel()

    # ------------------------------------------------------------------ events

    def wanted(self, event_class: str) -> bool:
        """Someone listens to this class: events nobody reads are neither built nor encoded (production read=
        has no ``dialplan`` class, so the VarSet/Newexten flood costs nothing then)."""
        return any(listener.wants(event_class) for listener in self.listeners)

    def emit(self, event: str, privilege: str, headers: Headers) -> None:
        if self.emit_hooks:
            for hook in tuple(self.emit_hooks):
                hook(event, headers)
        event_class = privilege.split(",", 1)[0]
        if not self.wanted(event_class):
            return
        message: Headers = [("Event", event), ("Privilege", privilege)]
        if event not in ("FullyBooted",):
            message.append(("SystemName", self.config.system_name))
        message.extend(headers)
        self.broadcast(event_class, encode_message(message))

    def broadcast(self, event_class: str, data: bytes) -> None:
        for listener in list(self.listeners):
            listener.deliver(event_class, data)

    def snapshot(self, channel: Channel, prefix: str = "") -> Headers:
        return channel.snapshot(self.config.chan_variables, prefix)

    def channel_event(self, event: str, channel: Channel, extra: Headers | None = None, privilege: str = "") -> None:
        if not self.emit_hooks and not self.wanted((privilege or "call").split(",", 1)[0]):
            return
        headers = self.snapshot(channel)
        if extra:
            headers.extend(extra)
        self.emit(event, privilege or "call,all", headers)

    # ------------------------------------------------------------------ channels

    def find_channel(self, name_or_uniqueid: str) -> Channel | None:
        return self.channels.get(name_or_uniqueid) or self.by_uniqueid.get(name_or_uniqueid)

    def uniqueid_in_use(self, uniqueid: str) -> bool:
        return uniqueid in self.by_uniqueid

    def new_local_pair(
        self,
        exten: str,
        context: str,
        owner: ChannelOwner,
        *,
        channel_id: str | None = None,
        other_channel_id: str | None = None,
        linkedid: str | None = None,
    ) -> tuple[Channel, Channel]:
        """An originated ``Local/<exten>@<context>`` channel: its ``;1`` half (DOWN, the Originate's side) and its
        ``;2`` half (RING, running the dialplan), with the ids the Originate asked for (ChannelId; OtherChannelId,
        else ``<ChannelId>;2``) and the ``;1`` half's uniqueid as their linkedid (``linkedid``: a pair a call
        Dials joins that call's)."""
        base = f"Local/{exten}@{context}-{self.next_local_suffix()}"
        half = partial(self.new_channel, context=context, exten=exten, owner=owner)
        one = half(f"{base};1", state=ChannelState.DOWN, uniqueid=channel_id or None, linkedid=linkedid)
        other = other_channel_id or (f"{channel_id};2" if channel_id else None)
        two = half(f"{base};2", state=ChannelState.RING, uniqueid=other, linkedid=one.linkedid)
        return one, two

    def new_channel(
        self,
        name: str,
        *,
        context: str,
        exten: str,
        state: ChannelState,
        owner: ChannelOwner,
        uniqueid: str | None = None,
        linkedid: str | None = None,
    ) -> Channel:
        uid = uniqueid or self.new_uniqueid()
        channel = Channel(
            name=name,
            uniqueid=uid,
            linkedid=linkedid or uid,
            context=context,
            exten=exten,
            created_at=self.now(),
            state=state,
        )
        self.channels[name] = channel
        self.by_uniqueid[uid] = channel
        self.owners[channel] = owner
        self.channel_event("Newchannel", channel)
        return channel

    def set_owner(self, channel: Channel, owner: ChannelOwner) -> None:
        self.owners[channel] = owner

    def set_state(self, channel: Channel, state: ChannelState) -> None:
        channel.state = state
        self.channel_event("Newstate", channel)

    def set_var(self, channel: Channel, name: str, value: str) -> None:
        channel.variables[name] = value
        self.channel_event("VarSet", channel, [("Variable", name), ("Value", value)], "dialplan,all")

    def take_call_identity(
        self, channel: Channel, variables: Iterable[tuple[str, str]], caller_num: str, caller_name: str
    ) -> None:
        """A channel of a new call takes the call's variables (in the order given: Local lists them last-first on
        ;1) and, when there is one, its caller ID as caller and connected line."""
        for name, value in variables:
            self.set_var(channel, name, value)
        if caller_num or caller_name:
            self.set_caller_id(channel, caller_num, caller_name)
            self.set_connected_line(channel, caller_num, caller_name)

    def set_caller_id(self, channel: Channel, number: str, name: str) -> None:
        channel.caller_num, channel.caller_name = number, name
        self.channel_event("NewCallerid", channel, [("CID-CallingPres", "0 (Presentation Allowed, Not Screened)")])

    def set_connected_line(self, channel: Channel, number: str, name: str) -> None:
        channel.connected_num, channel.connected_name = number, name
        self.channel_event("NewConnectedLine", channel)

    def step(self, channel: Channel, app: str, data: str = "", *, priority: int | None = None) -> None:
        """The channel runs one dialplan priority (a ``Newexten`` when the flood is on)."""
        if priority is not None:
            channel.priority = priority
        channel.application, channel.application_data = app, data
        if self.config.newexten:
            self.channel_event(
                "Newexten",
                channel,
                [("Extension", channel.exten), ("Application", app), ("AppData", data)],
                "dialplan,all",
            )

    def device_state(self, device: str, state: str) -> None:
        self.emit("DeviceStateChange", "call,all", [("Device", device), ("State", state)])

    def hangup_request(self, channel: Channel, cause: int, *, soft: bool = False) -> None:
        self.channel_event("SoftHangupRequest" if soft else "HangupRequest", channel, [("Cause", str(cause))])

    def hangup(self, channel: Channel, cause: int) -> None:
        """The channel is gone: ``Hangup`` with its cause, and it leaves every registry."""
        if channel.hung_up:
            return
        channel.hung_up = True
        self.channel_event("Hangup", channel, [("Cause", str(cause)), ("Cause-txt", cause_text(cause))])
        self.channels.pop(channel.name, None)
        if self.by_uniqueid.get(channel.uniqueid) is channel:
            del self.by_uniqueid[channel.uniqueid]
        self.owners.pop(channel, None)

    def local_bridge(self, one: Channel, two: Channel, context: str, exten: str) -> None:
        self.emit(
            "LocalBridge",
            "call,all",
            [
                *self.snapshot(one, "LocalOne"),
                *self.snapshot(two, "LocalTwo"),
                ("Context", context),
                ("Exten", exten),
                ("LocalOptimization", "Yes"),
            ],
        )

    def hangup_local(self, near: Channel, far: Channel | None, cause: int) -> None:
        """A Local channel's ;1 half (``near``) hangs up; Local hangs its ;2 half (``far``, if any) up with it."""
        if far is not None:
            self.hangup_request(far, cause)
        self.hangup(near, cause)
        if far is not None:
            self.hangup_request(far, 16, soft=True)
            self.hangup(far, cause)

    def hangup_local_pair(self, first: Channel, second: Channel, first_cause: int, second_cause: int) -> None:
        """``first`` ends its dialplan and hangs up; Local then takes ``second`` down with it."""
        if not first.hung_up:
            self.hangup_request(first, 16, soft=True)
        if not second.hung_up:
            self.hangup_request(second, second_cause)
        self.hangup(first, first_cause)
        if not second.hung_up:
            self.hangup_request(second, 16, soft=True)
            self.hangup(second, second_cause)
        self.device_state(first.device, "NOT_INUSE")
        self.device_state(second.device, "NOT_INUSE")
