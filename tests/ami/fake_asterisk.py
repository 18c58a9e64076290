"""A small AMI server over real TCP for the client tests (speaks the wire format of the recorded Asterisk 22)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from dialer.ami.protocol import AmiMessage, AmiParser, encode_message
from dialer.settings import AmiServerSettings

BANNER = b"Asterisk Call Manager/11.0.0\r\n"


@dataclass
class ServerLog:
    """What the server saw, across restarts."""

    actions: list[AmiMessage] = field(default_factory=list)
    raw: bytearray = field(default_factory=bytearray)

    def named(self, name: str) -> list[AmiMessage]:
        return [a for a in self.actions if (a.get("Action") or "").lower() == name.lower()]


class FakeAsterisk:
    def __init__(self, log: ServerLog, *, secret: str = "s3cret") -> None:
        self.log = log
        self.secret = secret
        self.answer_pings = True
        self.silent_actions: set[str] = set()  # actions never answered (lowercase names)
        self.originate_delay = 0.0
        self.originates_reached = asyncio.Event()  # set when `originates_threshold` Originates were received
        self.originates_threshold = 0
        # Action name (lower case) -> the recorded answer (response + list events) of a real Asterisk 22.
        self.recorded_answers: dict[str, list[AmiMessage]] = {}
        self.server: asyncio.Server | None = None
        self.port = 0
        self.writers: set[asyncio.StreamWriter] = set()
        self.connections = 0

    async def start(self, port: int = 0) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Like killing Asterisk: stop listening and drop every connection at once."""
        if self.server is not None:
            self.server.close()
        for writer in list(self.writers):
            writer.transport.abort()
        self.writers.clear()
        if self.server is not None:
            await self.server.wait_closed()
            self.server = None

    def settings(self, **overrides: object) -> AmiServerSettings:
        values: dict[str, object] = {
            "name": "test",
            "host": "127.0.0.1",
            "port": self.port,
            "username": "dialer",
            "secret": self.secret,
            "action_timeout_seconds": 1.0,
            "ping_interval_seconds": 5.0,
            "reconnect_max_backoff_seconds": 0.2,
        }
        values.update(overrides)
        return AmiServerSettings.model_validate(values)

    async def broadcast(self, messages: list[list[tuple[str, str]]]) -> None:
        for writer in list(self.writers):
            writer.write(b"".join(encode_message(m) for m in messages))
            with contextlib.suppress(ConnectionError):
                await writer.drain()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.add(writer)
        parser = AmiParser()
        logged_in = False
        writer.write(BANNER)
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                self.log.raw += data
                for action in parser.feed(data):
                    self.log.actions.append(action)
                    logged_in = await self._answer(action, writer, logged_in)
                    if writer.is_closing():
                        return
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self.writers.discard(writer)
            writer.close()

    async def _answer(self, action: AmiMessage, writer: asyncio.StreamWriter, logged_in: bool) -> bool:
        name = (action.get("Action") or "").lower()
        action_id = action.get("ActionID") or ""

        def reply(response: str, message: str, *extra: tuple[str, str]) -> None:
            writer.write(
                encode_message([("Response", response), ("ActionID", action_id), ("Message", message), *extra])
            )

        if name in self.silent_actions:
            return logged_in
        if logged_in and name in self.recorded_answers:
            for message in self.recorded_answers[name]:
                headers = [(k, action_id if k.lower() == "actionid" else v) for k, v in message.headers]
                writer.write(encode_message(headers))
            return logged_in
        if name == "login":
            if action.get("Secret") != self.secret:
                await asyncio.sleep(0.3)  # Asterisk waits ~1 s
                reply("Error", "Authentication failed")
                await writer.drain()
                writer.close()
                return False
            reply("Success", "Authentication accepted")
            writer.write(
                encode_message([("Event", "FullyBooted"), ("Privilege", "system,all"), ("Status", "Fully Booted")])
            )
            return True
        if not logged_in:
            reply("Error", "Permission denied")
            return False
        if name == "ping":
            if self.answer_pings:
                reply("Success", "", ("Ping", "Pong"), ("Timestamp", "1.0"))
        elif name == "originate":
            if self.originates_threshold and len(self.log.named("Originate")) >= self.originates_threshold:
                self.originates_reached.set()
            if self.originate_delay:
                await asyncio.sleep(self.originate_delay)
            reply("Success", "Originate successfully queued")
        elif name == "hangup":
            if action.get("Channel") == "gone":
                reply("Error", "No such channel")
            else:
                reply("Success", "Channel Hungup")
        elif name == "queuestatus":
            reply("Success", "Queue status will follow", ("EventList", "start"))
            for queue in ("q1", "q2"):
                writer.write(encode_message([("Event", "QueueParams"), ("Queue", queue), ("ActionID", action_id)]))
            writer.write(
                encode_message(
                    [
                        *[("Event", "QueueMember"), ("Queue", "q1"), ("Name", "Agent 1"), ("Location", "Local/a1@x")],
                        *[("Status", "1"), ("Paused", "1"), ("PausedReason", "lunch"), ("ActionID", action_id)],
                    ]
                )
            )
            writer.write(
                encode_message(
                    [
                        *[("Event", "QueueStatusComplete"), ("ActionID", action_id)],
                        *[("EventList", "Complete"), ("ListItems", "3")],
                    ]
                )
            )
        elif name == "logoff":
            reply("Goodbye", "Thanks for all the fish.")
            await writer.drain()
            writer.close()
        else:
            reply("Error", f"Invalid/unknown command: {action.get('Action')}.")
        return logged_in


def recorded_answer(trace: Path, action_id: str) -> list[AmiMessage]:
    """Every message of a recorded transcript that answers the action ``action_id`` (response and list items)."""
    stream = b"".join(line for line in trace.read_bytes().splitlines(keepends=True) if not line.startswith(b"#"))
    return [m for m in AmiParser(expect_banner=True).feed(stream) if m.action_id == action_id]


async def running_fake_asterisk() -> AsyncIterator[FakeAsterisk]:
    server = FakeAsterisk(ServerLog())
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
