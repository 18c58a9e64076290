"""The AMI client: one supervised connection to one Asterisk, typed actions, one ordered stream of typed events.

Built on panoramisk 1.4, keeping only what is safe of it. What panoramisk gets wrong for a dialer, and what
this module does instead:

* ``Manager`` re-sends an unanswered action after a reconnect (``awaiting_actions`` replayed on
  ``FullyBooted``): for an Originate that is a double dial. Here nothing is ever resent: an Originate whose
  response did not come is reported ``OriginateStatus.UNKNOWN`` and the caller decides (the call tracker keeps
  it until its events or its sweep).
* Its futures can wait forever (an action lost with the connection): every action here has a deadline.
* Its ping never looks at the pong: here a Ping without an answer within the action timeout drops the
  connection and the supervisor reconnects.
* ``AMIProtocol.data_received`` decodes each read separately with errors ignored (a UTF-8 character split across
  two reads is lost) and its ``Message`` folds repeated headers: the protocol below subclasses ``AMIProtocol``
  for its transport plumbing but replaces ``data_received``/``send``/``close`` with ``AmiParser`` and
  ``encode_message`` (sanitised values: no header injection through lead data).
* Its event handlers run as unordered tasks: here a synchronous handler puts typed events, in arrival order,
  into ONE queue, read through ``events()``.
* ``Manager`` owns a fixed-delay reconnect loop we cannot interrupt: the ``Manager`` object is therefore not
  used at all; the supervisor here reconnects with exponential backoff and jitter, in sleeps that ``close()``
  interrupts, and publishes the connection state (up/down + reason) the moment it changes.
* ``panoramisk.testing`` patches the line ending globally: never imported.

Why one module (over 500 lines): the protocol subclass, the table of pending actions and the supervisor share one
connection's state and panoramisk's transport internals; keeping them in one file keeps those internals out of
the rest of the package.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import secrets
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from panoramisk.ami_protocol import AMIProtocol

from dialer.ami.actions import (
    AmiActionError,
    AmiAuthenticationError,
    AmiConnectionError,
    AmiTimeout,
    OriginateRequest,
    OriginateResult,
    OriginateStatus,
    action_headers,
    optional_number,
    originate_headers,
)
from dialer.ami.events import (
    AmiEvent,
    ConnectionDown,
    ConnectionUp,
    CoreShowChannel,
    FullyBooted,
    ListItem,
    QueueEntry,
    QueueMember,
    QueueParams,
    QueueSummary,
    Status,
)
from dialer.ami.monitoring import (
    SpyRequest,
    mix_monitor_headers,
    mix_monitor_mute_headers,
    spy_headers,
    stop_mix_monitor_headers,
)
from dialer.ami.parsing import parse_event
from dialer.ami.protocol import AmiMessage, AmiParser, encode_message
from dialer.logging import get_logger
from dialer.settings import AmiServerSettings
from dialer.tasks import cancel_and_wait

log = get_logger(__name__)

EXPECTED_BANNER_PREFIX = "Asterisk Call Manager/"


@dataclass(frozen=True, slots=True)
class ConnectionState:
    up: bool
    reason: str
    since: float  # time.monotonic() of the change
    connects: int  # successful logins so far


@dataclass(slots=True)
class AmiClientStats:
    """Counters for metrics and /status (read them; the client updates them)."""

    messages_received: int = 0
    events_emitted: int = 0
    logins: int = 0
    connection_losses: int = 0
    actions_timed_out: int = 0
    originates: dict[str, int] = field(default_factory=dict)  # OriginateStatus value -> count
    frames_discarded: int = 0  # oversized frames dropped by the parser (all connections)


@dataclass(frozen=True, slots=True)
class QueueStatusSnapshot:
    params: tuple[QueueParams, ...]
    members: tuple[QueueMember, ...]
    entries: tuple[QueueEntry, ...]


class _AmiProtocol(AMIProtocol):  # type: ignore[misc]
    """panoramisk's protocol for the transport plumbing; our parser and encoder for the bytes (see module doc)."""

    def __init__(
        self,
        on_message: Callable[[AmiMessage], None],
        on_lost: Callable[[Exception | None], None],
        on_discarded: Callable[[int], None],
    ) -> None:
        super().__init__()
        self._on_message = on_message
        self._on_discarded = on_discarded
        self._on_lost = on_lost
        self._parser = AmiParser(expect_banner=True)
        self.closed = False

    def data_received(self, data: bytes) -> None:
        had_banner = self._parser.banner is not None
        messages = self._parser.feed(data)
        if not had_banner and self._parser.banner is not None:
            self.version = self._parser.banner.partition("/")[2]
            if not self._parser.banner.startswith(EXPECTED_BANNER_PREFIX):
                log.warning("ami_unexpected_banner", banner=self._parser.banner[:80])
        if self._parser.discarded_frames:
            self._on_discarded(self._parser.discarded_frames)
            self._parser.discarded_frames = 0
        for message in messages:
            self._on_message(message)

    def write(self, data: bytes) -> None:
        self.transport.write(data)

    def send(self, data: Any, as_list: bool = False) -> None:  # pragma: no cover - panoramisk API, unused
        raise NotImplementedError("use AmiClient actions")

    def pause_reading(self) -> None:
        if not self.closed:
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        if not self.closed:
            self.transport.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed:
            self.closed = True
            self._on_lost(exc)

    def close(self) -> None:
        # panoramisk's close() queues unanswered actions for replay: never here.
        if not self.closed:
            self.closed = True
            self.transport.close()
            self._on_lost(None)


@dataclass(slots=True)
class _Pending:
    action: str
    future: asyncio.Future[list[AmiMessage]]
    is_list: bool
    messages: list[AmiMessage] = field(default_factory=list)


class AmiClient:
    """One AMI connection, kept up by a supervisor task. Use as ``async with AmiClient(settings) as ami:``."""

    def __init__(
        self,
        settings: AmiServerSettings,
        *,
        event_queue_high_water: int = 20_000,
        initial_backoff_seconds: float = 0.5,
        connect_timeout_seconds: float | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.name = settings.name
        self._events: asyncio.Queue[AmiEvent] = asyncio.Queue()
        self._high_water = event_queue_high_water
        self._reading_paused = False
        self._pending: dict[str, _Pending] = {}
        self._protocol: _AmiProtocol | None = None
        self._lost: asyncio.Future[str] | None = None
        self._closing = asyncio.Event()
        self._supervisor: asyncio.Task[None] | None = None
        self._state = ConnectionState(False, "not started", time.monotonic(), 0)
        # Set and replaced on every state change: waiters wake up and re-check.
        self._state_changed = asyncio.Event()
        self._listeners: list[Callable[[ConnectionState], None]] = []
        self._resync_listeners: list[Callable[[], None]] = []
        self._ids = itertools.count(1)
        self._id_prefix = f"{settings.name}-{secrets.token_hex(4)}"
        self._initial_backoff = initial_backoff_seconds
        self._connect_timeout = connect_timeout_seconds or settings.action_timeout_seconds
        self._rng = rng or random.Random()
        self.stats = AmiClientStats()

    # ---- lifecycle ----------------------------------------------------------------------------------------

    async def __aenter__(self) -> AmiClient:
        self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def start(self) -> None:
        if self._supervisor is None:
            self._closing.clear()
            self._supervisor = asyncio.create_task(self._supervise(), name=f"ami-{self.name}")

    async def close(self) -> None:
        """Log off (best effort), stop reconnecting, fail pending actions."""
        self._closing.set()
        protocol = self._protocol
        if protocol is not None and not protocol.closed and self._state.up:
            with contextlib.suppress(AmiConnectionError, AmiTimeout, AmiActionError):
                await self._action([("Action", "Logoff")], limit_seconds=1.0)
        if protocol is not None:
            protocol.close()
        await cancel_and_wait(self._supervisor)
        self._supervisor = None
        self._fail_pending(AmiConnectionError("AMI client closed"))
        self._set_state(False, "closed")

    # ---- state --------------------------------------------------------------------------------------------

    @property
    def state(self) -> ConnectionState:
        return self._state

    @property
    def is_up(self) -> bool:
        return self._state.up

    def add_state_listener(self, listener: Callable[[ConnectionState], None]) -> None:
        """Called synchronously on every up/down change (e.g. to stop dialling at once on a cut)."""
        self._listeners.append(listener)

    def add_resync_listener(self, listener: Callable[[], None]) -> None:
        """Called synchronously when ``FullyBooted`` arrives after a (re)login, before it is queued in ``events()``:
        the moment to rebuild calls and agents from ``core_show_channels()`` / ``queue_status()`` rather than
        trusting state from before the cut (events sent while disconnected are lost)."""
        self._resync_listeners.append(listener)

    async def wait_up(self, within_seconds: float) -> None:
        """Wait until logged in; raise ``AmiConnectionError`` with the last failure reason otherwise."""
        try:
            async with asyncio.timeout(within_seconds):
                while not self._state.up:
                    await self._state_changed.wait()
        except TimeoutError:
            raise AmiConnectionError(f"AMI {self.name} not connected: {self._state.reason}") from None

    async def wait_down(self, within_seconds: float) -> None:
        async with asyncio.timeout(within_seconds):
            while self._state.up:
                await self._state_changed.wait()

    def _set_state(self, up: bool, reason: str) -> None:
        if up == self._state.up and reason == self._state.reason:
            return
        self._state = ConnectionState(up, reason, time.monotonic(), self._state.connects + (1 if up else 0))
        for listener in list(self._listeners):
            try:
                listener(self._state)
            except Exception:
                log.exception("ami_state_listener_failed")
        changed, self._state_changed = self._state_changed, asyncio.Event()
        changed.set()

    # ---- events -------------------------------------------------------------------------------------------

    async def events(self) -> AsyncIterator[AmiEvent]:
        """Every typed event, in the order Asterisk sent them, plus ConnectionUp/ConnectionDown. One reader."""
        while True:
            event = await self._events.get()
            if self._reading_paused and self._events.qsize() < self._high_water // 2:
                self._reading_paused = False
                if self._protocol is not None:
                    self._protocol.resume_reading()
            yield event

    def _emit(self, event: AmiEvent) -> None:
        self.stats.events_emitted += 1
        self._events.put_nowait(event)
        if not self._reading_paused and self._events.qsize() >= self._high_water and self._protocol is not None:
            # Back-pressure instead of unbounded memory: stop reading the socket until the consumer catches up.
            self._reading_paused = True
            self._protocol.pause_reading()
            log.warning("ami_event_queue_full_reading_paused", server=self.name, queued=self._events.qsize())

    # ---- connection ---------------------------------------------------------------------------------------

    def _backoff(self, failures: int) -> float:
        ceiling = min(self.settings.reconnect_max_backoff_seconds, self._initial_backoff * 2 ** min(failures, 30))
        return self._rng.uniform(ceiling / 2, ceiling)  # "equal jitter": spread, but never near zero

    async def _supervise(self) -> None:
        failures = 0
        while not self._closing.is_set():
            try:
                await self._connect_once()
            except AmiConnectionError as exc:
                reason = str(exc)
                level = log.error if isinstance(exc, AmiAuthenticationError) else log.warning
                level("ami_connect_failed", server=self.name, reason=reason)
            else:
                failures = 0
                log.info("ami_connected", server=self.name, host=self.settings.host, port=self.settings.port)
                reason = await self._watch()
                log.warning("ami_connection_lost", server=self.name, reason=reason)
            self._drop_connection(reason)
            if self._closing.is_set():
                break
            failures += 1
            delay = self._backoff(failures - 1)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._closing.wait()

    async def _connect_once(self) -> None:
        loop = asyncio.get_running_loop()
        lost: asyncio.Future[str] = loop.create_future()
        self._lost = lost
        host, port = self.settings.host, self.settings.port
        where = f"AMI {self.name} at {host}:{port}"

        def on_lost(exc: Exception | None) -> None:
            if not lost.done():
                lost.set_result(f"connection closed ({exc})" if exc else "connection closed")
            if self._lost is lost:  # not a late callback of an older connection
                self._on_connection_lost(lost.result())

        try:
            async with asyncio.timeout(self._connect_timeout):
                _, protocol = await loop.create_connection(
                    lambda: _AmiProtocol(self._on_message, on_lost, self._count_discarded), host, port
                )
        except TimeoutError:
            raise AmiConnectionError(f"{where}: no connection within {self._connect_timeout:g}s") from None
        except OSError as exc:
            raise AmiConnectionError(f"{where}: {exc.strerror or exc}") from None
        self._protocol = protocol
        try:
            # After a wrong secret Asterisk waits ~1 s before answering "Authentication failed", then closes.
            await self._action(
                [
                    ("Action", "Login"),
                    ("Username", self.settings.username),
                    ("Secret", self.settings.secret.get_secret_value()),
                    ("Events", "on"),
                ],
                limit_seconds=self.settings.action_timeout_seconds + 2.0,
            )
        except AmiActionError as exc:
            protocol.close()
            raise AmiAuthenticationError(
                f"{where}: login as {self.settings.username!r} refused: {exc.message}"
                + (" (check the secret and manager.conf permit/deny)" if "auth" in exc.message.lower() else "")
            ) from None
        except AmiTimeout:
            protocol.close()
            raise AmiConnectionError(f"{where}: no answer to Login (is this an Asterisk AMI port?)") from None
        except AmiConnectionError as exc:
            raise AmiConnectionError(f"{where}: {exc} during login") from None

    async def _watch(self) -> str:
        """Ping every ``ping_interval_seconds``; a Ping left unanswered drops the connection. Returns why it ended."""
        lost = self._lost
        assert lost is not None
        while True:
            try:
                async with asyncio.timeout(self.settings.ping_interval_seconds):
                    return await asyncio.shield(lost)
            except TimeoutError:
                pass
            try:
                await self._action([("Action", "Ping")])
            except AmiTimeout:
                reason = f"no answer to Ping within {self.settings.action_timeout_seconds:g}s"
                if not lost.done():
                    lost.set_result(reason)
                if self._protocol is not None:
                    self._protocol.close()
                return reason
            except (AmiConnectionError, AmiActionError):
                pass

    def _on_connection_lost(self, reason: str) -> None:
        # Synchronous, straight from the transport: the state is down before any other task runs.
        self._drop_connection(reason)

    def _drop_connection(self, reason: str) -> None:
        was_up = self._state.up
        self._protocol = None
        self._reading_paused = False
        self._fail_pending(AmiConnectionError(f"connection lost: {reason}"))
        self._set_state(False, reason)
        if was_up:
            self.stats.connection_losses += 1
            self._emit(ConnectionDown(self.name, reason))

    def _fail_pending(self, error: AmiConnectionError) -> None:
        pending, self._pending = self._pending, {}
        for item in pending.values():
            if not item.future.done():
                item.future.set_exception(error)
                item.future.exception()  # mark retrieved: the waiter may already have timed out

    # ---- messages -----------------------------------------------------------------------------------------

    def _on_message(self, message: AmiMessage) -> None:
        self.stats.messages_received += 1
        action_id = message.action_id
        if action_id is not None:
            pending = self._pending.get(action_id)
            if pending is not None and self._route_to_action(pending, action_id, message):
                return
        if message.is_event:
            event = parse_event(message)
            if event is not None:
                if isinstance(event, FullyBooted):
                    for listener in list(self._resync_listeners):
                        try:
                            listener()
                        except Exception:
                            log.exception("ami_resync_listener_failed")
                self._emit(event)
        elif message.is_response:
            log.info("ami_unmatched_response", server=self.name, action_id=action_id, response=message.name)

    def _count_discarded(self, frames: int) -> None:
        self.stats.frames_discarded += frames

    def _route_to_action(self, pending: _Pending, action_id: str, message: AmiMessage) -> bool:
        if message.is_response:
            pending.messages.append(message)
            starts_list = (message.get("EventList") or "").lower() == "start" or "will follow" in (
                message.get("Message") or ""
            ).lower()
            if not (pending.is_list and message.name.lower() == "success" and starts_list):
                self._complete(action_id, pending)
                if pending.action == "Login" and message.name.lower() == "success":
                    # Up before the events that follow in the same read (FullyBooted): ConnectionUp comes first.
                    self.stats.logins += 1
                    self._set_state(True, "logged in")
                    self._emit(ConnectionUp(self.name))
            return True
        if pending.is_list and message.is_event:
            pending.messages.append(message)
            if (message.get("EventList") or "").lower() == "complete":
                self._complete(action_id, pending)
            return True
        return False  # e.g. an OriginateResponse: an event for the stream

    def _complete(self, action_id: str, pending: _Pending) -> None:
        self._pending.pop(action_id, None)
        if not pending.future.done():
            pending.future.set_result(pending.messages)

    def _next_id(self, kind: str) -> str:
        return f"{self._id_prefix}-{kind}-{next(self._ids)}"

    async def _action_unless(self, headers: Sequence[tuple[str, str]], *refusals: str) -> bool:
        """Send one action: True once done, False when Asterisk refuses it saying one of ``refusals`` (lower case:
        the channel no longer exists, the member is already there...); any other refusal raises."""
        try:
            await self._action(headers)
        except AmiActionError as exc:
            if any(refusal in exc.message.lower() for refusal in refusals):
                return False
            raise
        return True

    async def _action(
        self, headers: Sequence[tuple[str, str]], *, limit_seconds: float | None = None, is_list: bool = False
    ) -> list[AmiMessage]:
        """Send one action; return its response (and list events). Raises on Error / timeout / lost connection."""
        protocol = self._protocol
        if protocol is None or protocol.closed:
            raise AmiConnectionError(f"AMI {self.name} not connected: {self._state.reason}")
        name = headers[0][1]
        items = list(headers)
        action_id = next((v for k, v in items if k.lower() == "actionid"), None)
        if action_id is None:
            action_id = self._next_id(name.lower())
            items.insert(1, ("ActionID", action_id))
        if action_id in self._pending:
            raise ValueError(f"ActionID {action_id!r} is already waiting for an answer")
        future: asyncio.Future[list[AmiMessage]] = asyncio.get_running_loop().create_future()
        pending = _Pending(name, future, is_list)
        self._pending[action_id] = pending
        limit = self.settings.action_timeout_seconds if limit_seconds is None else limit_seconds
        try:
            protocol.write(encode_message(items))
            async with asyncio.timeout(limit):
                messages = await future
        except TimeoutError:
            self.stats.actions_timed_out += 1
            raise AmiTimeout(f"AMI {self.name}: no answer to {name} within {limit:g}s") from None
        finally:
            if self._pending.get(action_id) is pending:
                del self._pending[action_id]
        response = messages[0]
        if response.name.lower() not in ("success", "goodbye", "follows"):
            raise AmiActionError(name, response.get("Message") or response.name)
        return messages

    # ---- actions ------------------------------------------------------------------------------------------

    async def originate(self, request: OriginateRequest) -> OriginateResult:
        result = await self._originate(request)
        counts = self.stats.originates
        counts[result.status.value] = counts.get(result.status.value, 0) + 1
        return result

    async def _originate(self, request: OriginateRequest) -> OriginateResult:
        """Send an Async Originate. Never resent: a missing answer is reported ``UNKNOWN``, not retried.

        ``QUEUED`` says nothing about the call (Asterisk queues Originates to nonexistent extensions too): its
        outcome comes as events (``OriginateResponse`` with this ActionID, channels with this ChannelId).
        """
        action_id = request.action_id or self._next_id("orig")
        channel_id = request.channel_id or f"{self._id_prefix}-ch-{next(self._ids)}"
        headers = originate_headers(request, action_id, channel_id)
        if self._protocol is None or self._protocol.closed:
            return OriginateResult(OriginateStatus.NOT_SENT, action_id, channel_id, self._state.reason)
        try:
            (response,) = await self._action(headers)
        except AmiActionError as exc:
            return OriginateResult(OriginateStatus.REJECTED, action_id, channel_id, exc.message)
        except AmiTimeout as exc:
            log.warning("ami_originate_unanswered", server=self.name, action_id=action_id)
            return OriginateResult(OriginateStatus.UNKNOWN, action_id, channel_id, str(exc))
        except AmiConnectionError as exc:
            log.warning("ami_originate_lost_with_connection", server=self.name, action_id=action_id)
            return OriginateResult(OriginateStatus.UNKNOWN, action_id, channel_id, str(exc))
        return OriginateResult(OriginateStatus.QUEUED, action_id, channel_id, response.get("Message") or "")

    async def hangup(self, channel_or_uniqueid: str, cause: int | None = None) -> bool:
        """Hang up a channel by name or Uniqueid (the ChannelId we chose). False if it no longer exists."""
        headers = action_headers("Hangup", ("Channel", channel_or_uniqueid), ("Cause", optional_number(cause)))
        return await self._action_unless(headers, "no such channel")

    # ---- call control (dialer.callcontrol) ----------------------------------------------------------------

    async def redirect(
        self,
        channel: str,
        context: str,
        exten: str,
        *,
        extra_channel: str | None = None,
        extra_context: str | None = None,
        extra_exten: str | None = None,
    ) -> bool:
        """Send ``channel`` (and ``extra_channel``, leaving its bridge with it) to ``context,exten,1``. False if a
        channel no longer exists."""
        headers = [("Action", "Redirect"), ("Channel", channel)]
        if extra_channel:
            headers.append(("ExtraChannel", extra_channel))
        headers += [("Context", context), ("Exten", exten), ("Priority", "1")]
        if extra_channel:
            headers += [
                ("ExtraContext", extra_context or context),
                ("ExtraExten", extra_exten or exten),
                ("ExtraPriority", "1"),
            ]
        return await self._action_unless(headers, "does not exist", "not found")

    async def setvar(self, channel: str, variable: str, value: str) -> bool:
        """Set a channel variable (``__NAME`` to be inherited). False if the channel no longer exists."""
        headers = [("Action", "Setvar"), ("Channel", channel), ("Variable", variable), ("Value", value)]
        return await self._action_unless(headers, "not found", "does not exist")

    async def play_dtmf(self, channel: str, digit: str, *, duration_ms: int | None = None) -> bool:
        """Play one DTMF digit to ``channel`` (the far end hears it). False if the channel no longer exists."""
        headers = action_headers(
            "PlayDTMF", ("Channel", channel), ("Digit", digit), ("Duration", optional_number(duration_ms))
        )
        return await self._action_unless(headers, "not found")

    async def queue_add(
        self,
        queue: str,
        interface: str,
        *,
        member_name: str | None = None,
        penalty: int = 0,
        paused: bool = False,
        state_interface: str | None = None,
    ) -> bool:
        """Add a member; False if it was already there."""
        headers = action_headers(
            "QueueAdd",
            ("Queue", queue),
            ("Interface", interface),
            ("Penalty", str(penalty)),
            ("Paused", "true" if paused else "false"),
            ("MemberName", member_name),
            ("StateInterface", state_interface),
        )
        return await self._action_unless(headers, "already there")

    async def queue_remove(self, queue: str, interface: str) -> bool:
        """Remove a member; False if it was not there."""
        headers = [("Action", "QueueRemove"), ("Queue", queue), ("Interface", interface)]
        return await self._action_unless(headers, "not there")

    async def queue_pause(self, interface: str, paused: bool, *, queue: str | None = None, reason: str = "") -> None:
        """Pause or unpause a member in one queue, or in every queue when ``queue`` is None."""
        headers = action_headers(
            "QueuePause",
            ("Interface", interface),
            ("Paused", "true" if paused else "false"),
            ("Queue", queue),
            ("Reason", reason),
        )
        await self._action(headers)

    async def _list(self, headers: list[tuple[str, str]]) -> list[ListItem]:
        messages = await self._action(headers, is_list=True)
        items: list[ListItem] = []
        for message in messages[1:]:
            event = parse_event(message)
            if isinstance(event, ListItem) and not message.name.lower().endswith("complete"):
                items.append(event)
        return items

    async def queue_status(self, queue: str | None = None, member: str | None = None) -> QueueStatusSnapshot:
        items = await self._list(action_headers("QueueStatus", ("Queue", queue), ("Member", member)))
        return QueueStatusSnapshot(
            params=tuple(i for i in items if isinstance(i, QueueParams)),
            members=tuple(i for i in items if isinstance(i, QueueMember)),
            entries=tuple(i for i in items if isinstance(i, QueueEntry)),
        )

    async def queue_summary(self, queue: str | None = None) -> list[QueueSummary]:
        items = await self._list(action_headers("QueueSummary", ("Queue", queue)))
        return [i for i in items if isinstance(i, QueueSummary)]

    async def core_show_channels(self) -> list[CoreShowChannel]:
        return [i for i in await self._list([("Action", "CoreShowChannels")]) if isinstance(i, CoreShowChannel)]

    async def status(self, channel: str | None = None) -> list[Status]:
        items = await self._list(action_headers("Status", ("Channel", channel)))
        return [i for i in items if isinstance(i, Status)]

    async def ping(self) -> float:
        """Round trip of a Ping, in seconds."""
        started = time.monotonic()
        await self._action([("Action", "Ping")])
        return time.monotonic() - started


class MonitoringActions:
    """Recording and supervision actions of one :class:`AmiClient` (dialer/ami/monitoring.py has the headers)."""

    def __init__(self, client: AmiClient) -> None:
        self._client = client

    async def mix_monitor(self, channel: str, file: str, options: str = "b") -> None:
        """Start recording ``channel`` (name or Uniqueid) into ``file``; raises AmiActionError (no such channel)."""
        await self._client._action(mix_monitor_headers(channel, file, options))

    async def stop_mix_monitor(self, channel: str) -> bool:
        """Stop the recording; False when there was none (or no such channel)."""
        try:
            await self._client._action(stop_mix_monitor_headers(channel))
        except AmiActionError:
            return False
        return True

    async def mix_monitor_mute(self, channel: str, muted: bool, direction: str = "both") -> bool:
        """Pause (mute: silence is written) or resume a recording; False when the channel or recording is gone."""
        try:
            await self._client._action(mix_monitor_mute_headers(channel, muted, direction))
        except AmiActionError:
            return False
        return True

    async def spy(self, request: SpyRequest, channel_id: str) -> OriginateResult:
        """Originate the supervisor's call into dialer-supervise. Never resent (see ``AmiClient._originate``)."""
        client = self._client
        action_id = client._next_id("spy")
        headers = spy_headers(request, action_id, channel_id)
        if not client.is_up:
            return OriginateResult(OriginateStatus.NOT_SENT, action_id, channel_id, client.state.reason)
        try:
            (response,) = await client._action(headers)
        except AmiActionError as exc:
            return OriginateResult(OriginateStatus.REJECTED, action_id, channel_id, exc.message)
        except (AmiTimeout, AmiConnectionError) as exc:
            return OriginateResult(OriginateStatus.UNKNOWN, action_id, channel_id, str(exc))
        return OriginateResult(OriginateStatus.QUEUED, action_id, channel_id, response.get("Message") or "")
