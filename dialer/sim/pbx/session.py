"""One AMI client connection to the simulated PBX: login, actions, responses, and its own event stream.

Actions of one session are handled in order; a synchronous ``Originate`` (no ``Async``) blocks the session
until the call is answered or fails, and the events produced meanwhile are held and written after its
response (as Asterisk does: see bad-action.txt, where ``Originate failed`` precedes the call's events).

Why one module (over 500 lines): it is one connection's dispatch table, a handler per AMI action the simulated PBX
answers, each a few lines over the same session state.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Protocol

from dialer.ami.protocol import AmiMessage, AmiParser, encode_message
from dialer.clock import Clock
from dialer.logging import get_logger
from dialer.sim.pbx import callcontrol
from dialer.sim.pbx.channels import Headers
from dialer.sim.pbx.config import PbxConfig
from dialer.sim.pbx.core import OriginateError, PbxCore
from dialer.sim.pbx.monitoring import ACTION_NAMES as _MONITOR_ACTIONS
from dialer.sim.pbx.monitoring import HANDLERS as _MONITOR_HANDLERS
from dialer.sim.pbx.truth import GroundTruth

log = get_logger(__name__)

BANNER = b"Asterisk Call Manager/11.0.0\r\n"
EVENT_CLASSES = (
    "system",
    "call",
    "log",
    "verbose",
    "command",
    "agent",
    "user",
    "config",
    "dtmf",
    "reporting",
    "cdr",
    "dialplan",
    "originate",
    "agi",
    "cc",
    "aoc",
    "test",
    "security",
    "message",
)
_TRUE = ("on", "yes", "true", "y", "t", "1")

Handler = Callable[["AmiSession", AmiMessage], Awaitable[None]]


def _tv(epoch: float) -> str:
    """``2026-11-23T00:27:51.561+0000`` (security events' EventTV/SessionTV)."""
    dt = datetime.fromtimestamp(epoch, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}+0000"


class SessionHost(Protocol):
    """What a session needs of the simulated PBX that accepted its connection (``server.SimulatedPbx``, which
    imports this module to create sessions)."""

    @property
    def config(self) -> PbxConfig: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def truth(self) -> GroundTruth: ...

    @property
    def core(self) -> PbxCore: ...

    @property
    def booted_at(self) -> float: ...

    def attach(self, session: AmiSession) -> None: ...

    def detach(self, session: AmiSession) -> None: ...


class AmiSession:
    def __init__(self, pbx: SessionHost, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.pbx = pbx
        self.reader = reader
        self.writer = writer
        self.parser = AmiParser()
        self.username: str | None = None
        self.event_classes: frozenset[str] = frozenset(EVENT_CLASSES)
        self.read_classes: frozenset[str] = frozenset(EVENT_CLASSES)  # manager.conf read=
        self._blocked = False
        self._held: list[bytes] = []
        self.closed = False
        self._challenge = ""
        self.session_id = f"0x{id(self) & 0xFFFFFFFFFFFF:x}"
        self.started_at = pbx.clock.now()
        peer = writer.get_extra_info("peername") or ("127.0.0.1", 0)
        sock = writer.get_extra_info("sockname") or ("127.0.0.1", 0)
        self.remote = f"IPV4/TCP/{peer[0]}/{peer[1]}"
        self.local = f"IPV4/TCP/{sock[0]}/{sock[1]}"

    # ------------------------------------------------------------------ output

    def write(self, data: bytes) -> None:
        if self.closed:
            return
        transport = self.writer.transport
        if transport.is_closing():
            self.closed = True
            return
        if transport.get_write_buffer_size() > self.pbx.config.max_pending_bytes:
            # Asterisk's writetimeout: a client that stops reading is disconnected rather than buffered forever.
            log.warning("simpbx_session_dropped_slow_reader", remote=self.remote)
            self.abort()
            return
        self.writer.write(data)

    def respond(self, msg: AmiMessage, response: str, headers: Headers) -> None:
        out: Headers = [("Response", response)]
        action_id = msg.action_id
        if action_id is not None:
            out.append(("ActionID", action_id))
        out.extend(headers)
        self.write(encode_message(out))

    def error(self, msg: AmiMessage, message: str) -> None:
        self.respond(msg, "Error", [("Message", message)])

    def wants(self, event_class: str) -> bool:
        return event_class in self.event_classes

    def deliver(self, event_class: str, data: bytes) -> None:
        """An event from the PBX (the session listens only once logged in)."""
        if event_class not in self.event_classes:
            return
        if self._blocked:
            self._held.append(data)
        else:
            self.write(data)

    def abort(self) -> None:
        self.closed = True
        self.pbx.detach(self)
        self.writer.transport.abort()

    async def close(self) -> None:
        self.closed = True
        self.pbx.detach(self)
        try:
            if self.writer.can_write_eof():
                self.writer.write_eof()
        except OSError:
            pass
        self.writer.close()

    # ------------------------------------------------------------------ input

    def is_open(self) -> bool:
        return not self.closed

    async def run(self) -> None:
        log.info("simpbx_session_opened", remote=self.remote)
        self.writer.write(BANNER)
        try:
            while not self.closed:
                data = await self.reader.read(65536)
                if not data:
                    break
                for msg in self.parser.feed(data):
                    if not self.is_open():
                        break
                    await self.handle(msg)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            log.info("simpbx_session_closed", remote=self.remote, user=self.username)
            self.pbx.detach(self)
            self.closed = True
            if not self.writer.transport.is_closing():
                self.writer.close()

    async def handle(self, msg: AmiMessage) -> None:
        action = (msg.get("Action") or "").strip()
        self.pbx.truth.actions[action.lower() or "<none>"] += 1
        if not action:
            self.error(msg, "Missing action in request")
            self._bad_format("Action: NONE")
            return
        key = action.lower()
        if self.username is None and key not in ("login", "challenge"):
            self.error(msg, "Permission denied")
            return
        handler = _HANDLERS.get(key)
        if handler is None:
            self.error(msg, f"Invalid/unknown command: {action}. Use Action: ListCommands to show available commands.")
            self._bad_format(f"Action: {action}")
            return
        try:
            await handler(self, msg)
        except Exception:
            # A bug in the simulator must not cost the client its connection: log it, answer an error.
            log.exception("simpbx_action_failed", action=action)
            self.error(msg, f"Internal error while handling {action}")

    def _bad_format(self, request_type: str) -> None:
        now = self.pbx.clock.now()
        self.pbx.core.engine.emit(
            "RequestBadFormat",
            "security,all",
            [
                ("EventTV", _tv(now)),
                ("Severity", "Error"),
                ("Service", "AMI"),
                ("EventVersion", "1"),
                ("SessionID", self.session_id),
                ("LocalAddress", self.local),
                ("RemoteAddress", self.remote),
                ("RequestType", request_type),
                ("SessionTV", _tv(self.started_at)),
                ("AccountID", self.username or ""),
            ],
        )

    def set_event_mask(self, value: str) -> bool:
        """``Events``/``EventMask``: on, off, or a list of classes; returns whether any events flow."""
        text = value.strip().lower()
        if text in _TRUE or text == "all":
            self.event_classes = frozenset(EVENT_CLASSES)
        elif text in ("off", "no", "false", "n", "f", "0", ""):
            self.event_classes = frozenset()
        else:
            self.event_classes = frozenset(part.strip() for part in text.split(",") if part.strip())
        self.event_classes &= self.read_classes
        return bool(self.event_classes)

    # ------------------------------------------------------------------ actions

    async def login(self, msg: AmiMessage) -> None:
        username = msg.get("Username") or ""
        pbx = self.pbx
        if not self._credentials_ok(username, msg):
            log.warning("simpbx_login_failed", remote=self.remote, user=username)
            pbx.truth.failed_logins += 1
            await pbx.clock.sleep(pbx.config.failed_login_delay)
            self.error(msg, "Authentication failed")
            await self.close()
            return
        self.username = username
        pbx.truth.logins += 1
        events = msg.get("Events")
        if events is not None:
            self.set_event_mask(events)
        if pbx.config.read_classes is not None:
            self.read_classes = frozenset(pbx.config.read_classes)
            self.event_classes &= self.read_classes
        self.respond(msg, "Success", [("Message", "Authentication accepted")])
        uptime = str(max(int(pbx.clock.now() - pbx.booted_at), 0))
        fully_booted: Headers = [
            ("Event", "FullyBooted"),
            ("Privilege", "system,all"),
            ("Uptime", uptime),
            ("LastReload", uptime),
            ("Status", "Fully Booted"),
        ]
        if "system" in self.event_classes:
            self.write(encode_message(fully_booted))
        pbx.attach(self)
        now = pbx.clock.now()
        pbx.core.engine.emit(
            "SuccessfulAuth",
            "security,all",
            [
                ("EventTV", _tv(now)),
                ("Severity", "Informational"),
                ("Service", "AMI"),
                ("EventVersion", "1"),
                ("AccountID", username),
                ("SessionID", self.session_id),
                ("LocalAddress", self.local),
                ("RemoteAddress", self.remote),
                ("UsingPassword", "0"),
                ("SessionTV", _tv(self.started_at)),
            ],
        )

    async def logoff(self, msg: AmiMessage) -> None:
        self.respond(msg, "Goodbye", [("Message", "Thanks for all the fish.")])
        await self.close()

    async def ping(self, msg: AmiMessage) -> None:
        self.respond(msg, "Success", [("Ping", "Pong"), ("Timestamp", f"{self.pbx.clock.now():.6f}")])

    async def events(self, msg: AmiMessage) -> None:
        flowing = self.set_event_mask(msg.get("EventMask") or "")
        self.respond(msg, "Success", [("Events", "On" if flowing else "Off")])

    async def originate(self, msg: AmiMessage) -> None:
        core = self.pbx.core
        try:
            request = core.parse_originate(msg)
        except OriginateError as exc:
            self.error(msg, str(exc))
            return
        if request.is_async:
            self.respond(msg, "Success", [("Message", "Originate successfully queued")])
            core.originate(request)
            return
        # Synchronous: the session waits for the verdict; events meanwhile are held until the response.
        verdict: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

        def reply(success: bool) -> None:
            if not verdict.done():
                verdict.set_result(success)

        self._blocked = True
        try:
            core.originate(request, reply)
            success = await verdict
        finally:
            self._blocked = False
        if success:
            self.respond(msg, "Success", [("Message", "Originate successfully queued")])
        else:
            self.error(msg, "Originate failed")
        held, self._held = self._held, []
        for data in held:
            self.write(data)

    async def hangup(self, msg: AmiMessage) -> None:
        target = msg.get("Channel") or ""
        if not target:
            self.error(msg, "No channel specified")
            return
        cause_text = msg.get("Cause")
        cause: int | None = None
        if cause_text:
            try:
                cause = int(cause_text)
            except ValueError:
                self.error(msg, "Invalid cause")
                return
        core = self.pbx.core
        channel = core.engine.find_channel(target)
        if channel is None:
            self.error(msg, "No such channel")
            return
        self.respond(msg, "Success", [("Message", "Channel Hungup")])
        core.hangup(target, cause)

    async def queue_add(self, msg: AmiMessage) -> None:
        queue, interface = msg.get("Queue") or "", msg.get("Interface") or ""
        if not queue or not interface:
            self.error(msg, "'Queue' and 'Interface' not specified.")
            return
        penalty = msg.get("Penalty") or "0"
        paused = (msg.get("Paused") or "").lower() in _TRUE
        with self.events_after_response():
            problem = self.pbx.core.queues.add_member(
                queue,
                interface,
                msg.get("MemberName") or "",
                int(penalty) if penalty.lstrip("-").isdigit() else 0,
                paused,
                msg.get("Reason") or "",
            )
            if problem:
                self.error(msg, problem)
            else:
                self.respond(msg, "Success", [("Message", "Added interface to queue")])

    @contextmanager
    def events_after_response(self) -> Iterator[None]:
        """Events the action causes reach this session after its response, as with Asterisk."""
        self._blocked = True
        try:
            yield
        finally:
            self._blocked = False
            held, self._held = self._held, []
            for data in held:
                self.write(data)

    async def queue_remove(self, msg: AmiMessage) -> None:
        queue, interface = msg.get("Queue") or "", msg.get("Interface") or ""
        if not queue or not interface:
            self.error(msg, "Need 'Queue' and 'Interface' parameters.")
            return
        with self.events_after_response():
            problem = self.pbx.core.queues.remove_member(queue, interface)
            if problem:
                self.error(msg, problem)
            else:
                self.respond(msg, "Success", [("Message", "Removed interface from queue")])

    async def queue_pause(self, msg: AmiMessage) -> None:
        interface, paused_text = msg.get("Interface") or "", msg.get("Paused")
        if not interface or paused_text is None:
            self.error(msg, "Need 'Interface' and 'Paused' parameters.")
            return
        paused = paused_text.lower() in _TRUE
        queues = self.pbx.core.queues
        with self.events_after_response():
            if queues.pause_member(msg.get("Queue") or None, interface, paused, msg.get("Reason") or ""):
                word = "paused" if paused else "unpaused"
                self.respond(msg, "Success", [("Message", f"Interface {word} successfully")])
            else:
                self.error(msg, "Interface not found")

    def _list(
        self,
        msg: AmiMessage,
        message: str,
        items: list[tuple[str, Headers]],
        complete: str,
        *,
        action_id_first: bool = False,
        privilege: str | None = None,
        with_items: bool = False,
    ) -> None:
        """A list response: ``EventList: start``, the items, then ``<X>Complete`` with ``ListItems``."""
        action_id = msg.action_id
        self.write(
            encode_message(
                [
                    ("Response", "Success"),
                    *([("ActionID", action_id)] if action_id is not None else []),
                    ("EventList", "start"),
                    ("Message", message),
                ]
            )
        )
        chunks: list[bytes] = []
        for event, body in items:
            headers: Headers = [("Event", event)]
            if action_id_first and action_id is not None:
                headers.append(("ActionID", action_id))
            if privilege:
                headers.append(("Privilege", privilege))
            headers.extend(body)
            if not action_id_first and action_id is not None:
                headers.append(("ActionID", action_id))
            chunks.append(encode_message(headers))
        tail: Headers = [("Event", complete)]
        if action_id is not None:
            tail.append(("ActionID", action_id))
        tail += [("EventList", "Complete"), ("ListItems", str(len(items)))]
        if with_items:
            tail.append(("Items", str(len(items))))
        chunks.append(encode_message(tail))
        self.write(b"".join(chunks))

    async def queue_status(self, msg: AmiMessage) -> None:
        items = self.pbx.core.queue_status_items(msg.get("Queue") or None, msg.get("Member") or None)
        self._list(msg, "Queue status will follow", items, "QueueStatusComplete")

    async def queue_summary(self, msg: AmiMessage) -> None:
        items = [("QueueSummary", h) for h in self.pbx.core.queue_summary_items(msg.get("Queue") or None)]
        self._list(msg, "Queue summary will follow", items, "QueueSummaryComplete")

    async def core_show_channels(self, msg: AmiMessage) -> None:
        core = self.pbx.core
        items = [("CoreShowChannel", core.core_show_channel(c)) for c in core.channel_list()]
        self._list(msg, "Channels will follow", items, "CoreShowChannelsComplete", action_id_first=True)

    async def status(self, msg: AmiMessage) -> None:
        core = self.pbx.core
        name = msg.get("Channel") or None
        channels = core.channel_list(name)
        if name and not channels:
            self.error(msg, "No such channel")
            return
        items = [("Status", core.status_item(c)) for c in channels]
        self._list(msg, "Channel status will follow", items, "StatusComplete", privilege="Call", with_items=True)

    async def getvar(self, msg: AmiMessage) -> None:
        variable = msg.get("Variable") or ""
        if not variable:
            self.error(msg, "No variable specified")
            return
        target = msg.get("Channel") or ""
        value = ""
        if target:
            channel = self.pbx.core.engine.find_channel(target)
            if channel is None:
                self.error(msg, "No such channel")
                return
            value = channel.variables.get(variable, "")
        self.respond(msg, "Success", [("Variable", variable), ("Value", value)])

    async def setvar(self, msg: AmiMessage) -> None:
        variable = msg.get("Variable") or ""
        if not variable:
            self.error(msg, "No variable specified")
            return
        engine = self.pbx.core.engine
        target = msg.get("Channel") or ""
        channel = engine.find_channel(target) if target else None
        if target and channel is None:
            self.error(msg, "No such channel")
            return
        with self.events_after_response():
            self.respond(msg, "Success", [("Message", "Variable Set")])
            if channel is not None:
                engine.set_var(channel, variable, msg.get("Value") or "")

    async def list_commands(self, msg: AmiMessage) -> None:
        self.respond(msg, "Success", [(name, f"{name} (simulated)") for name in _ACTION_NAMES])

    def _credentials_ok(self, username: str, msg: AmiMessage) -> bool:
        """``Secret`` in clear, or ``AuthType: md5`` with ``Key`` = md5(challenge + secret) after a Challenge."""
        known = [secret for user, secret in self.pbx.config.users if user == username]
        if not known:
            return False
        if (msg.get("AuthType") or "").lower() == "md5":
            key = (msg.get("Key") or "").lower()
            challenge = self._challenge
            return bool(challenge) and any(
                hashlib.md5((challenge + secret).encode(), usedforsecurity=False).hexdigest() == key for secret in known
            )
        return (msg.get("Secret") or "") in known

    async def challenge(self, msg: AmiMessage) -> None:
        if (msg.get("AuthType") or "").lower() != "md5":
            self.error(msg, "Must specify AuthType")
            return
        self._challenge = f"{secrets.randbelow(1_000_000_000):09d}"
        self.respond(msg, "Success", [("Challenge", self._challenge)])


_HANDLERS: dict[str, Handler] = {
    "login": AmiSession.login,
    "challenge": AmiSession.challenge,
    "logoff": AmiSession.logoff,
    "ping": AmiSession.ping,
    "events": AmiSession.events,
    "originate": AmiSession.originate,
    "hangup": AmiSession.hangup,
    "queueadd": AmiSession.queue_add,
    "queueremove": AmiSession.queue_remove,
    "queuepause": AmiSession.queue_pause,
    "queuestatus": AmiSession.queue_status,
    "queuesummary": AmiSession.queue_summary,
    "coreshowchannels": AmiSession.core_show_channels,
    "status": AmiSession.status,
    "listcommands": AmiSession.list_commands,
    "getvar": AmiSession.getvar,
    "setvar": AmiSession.setvar,
    "redirect": callcontrol.redirect,
    "playdtmf": callcontrol.play_dtmf,
}
_ACTION_NAMES: tuple[str, ...] = (
    "Login",
    "Logoff",
    "Ping",
    "Events",
    "Originate",
    "Hangup",
    "QueueAdd",
    "QueueRemove",
    "QueuePause",
    "QueueStatus",
    "QueueSummary",
    "CoreShowChannels",
    "Status",
    "ListCommands",
    "Getvar",
    "Setvar",
    "Redirect",
    "PlayDTMF",
)

# Recording and supervisor monitoring actions (MixMonitor, StopMixMonitor, MixMonitorMute) live in their module.
_HANDLERS.update(_MONITOR_HANDLERS)
_ACTION_NAMES = (*_ACTION_NAMES, *_MONITOR_ACTIONS)
