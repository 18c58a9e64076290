"""A bare AMI client for tests and tools: what a dialer sees on the wire, message by message.

    async with AmiProbe.connect(port) as ami:
        await ami.login()
        await ami.send("Originate", Channel="Local/5550002@sim-pstn", ..., Async="true", ActionID="o1")
        messages = await ami.collect_until(lambda m: m.get("Event") == "Hangup", count=2)

It records every received message in ``.received`` (after the banner), in order.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from types import TracebackType

from dialer.ami.protocol import AmiMessage, AmiParser, encode_message


class AmiProbe:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.parser = AmiParser(expect_banner=True)
        self.received: list[AmiMessage] = []
        self._cursor = 0
        self.eof = False

    @classmethod
    async def open(cls, port: int, host: str = "127.0.0.1") -> AmiProbe:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    @classmethod
    def connect(cls, port: int, host: str = "127.0.0.1") -> _ProbeContext:
        return _ProbeContext(port, host)

    @property
    def banner(self) -> str | None:
        return self.parser.banner

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self.writer.wait_closed()

    async def send(self, action: str, *headers: tuple[str, str], **named: str) -> None:
        """Write one action: ``Action`` first, then ``headers`` (repeats allowed), then ``named``."""
        self.writer.write(encode_message([("Action", action), *headers, *named.items()]))
        await self.writer.drain()

    async def send_raw(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def _read_more(self, within: float) -> bool:
        if self.eof:
            return False
        try:
            async with asyncio.timeout(within):
                data = await self.reader.read(65536)
        except TimeoutError:
            return False
        except ConnectionError:
            data = b""
        if not data:
            self.eof = True
            return False
        self.received.extend(self.parser.feed(data))
        return True

    async def next_message(self, within: float = 2.0) -> AmiMessage:
        """The next message not yet returned by ``next_message``/``response``/``collect_until``."""
        while self._cursor >= len(self.received):
            if not await self._read_more(within):
                raise TimeoutError("no AMI message arrived")
        message = self.received[self._cursor]
        self._cursor += 1
        return message

    async def response(self, action_id: str, within: float = 2.0) -> AmiMessage:
        """The response to ``action_id`` (events before it stay readable through ``received``)."""
        while True:
            for i in range(self._cursor, len(self.received)):
                msg = self.received[i]
                if msg.is_response and msg.action_id == action_id:
                    self._cursor = max(self._cursor, i + 1)
                    return msg
            if not await self._read_more(within):
                raise TimeoutError(f"no response to {action_id}")

    async def collect_until(
        self, predicate: Callable[[AmiMessage], bool], *, count: int = 1, within: float = 2.0
    ) -> list[AmiMessage]:
        """Messages from the cursor up to and including the ``count``-th one matching ``predicate``."""
        seen = 0
        start = self._cursor
        i = start
        while True:
            while i < len(self.received):
                if predicate(self.received[i]):
                    seen += 1
                    if seen >= count:
                        self._cursor = i + 1
                        return self.received[start : i + 1]
                i += 1
            if not await self._read_more(within):
                raise TimeoutError(f"only {seen} of {count} awaited messages arrived")

    async def poll(self) -> None:
        """Take into ``received`` what has arrived already, without waiting for more (the cursor stays)."""
        while await self._read_more(0.001):
            pass

    async def drain(self, within: float = 0.05) -> list[AmiMessage]:
        """Whatever arrives until the line is quiet for ``within`` seconds."""
        while await self._read_more(within):
            pass
        out = self.received[self._cursor :]
        self._cursor = len(self.received)
        return out

    async def login(self, username: str = "dialer", secret: str = "dialer") -> AmiMessage:  # noqa: S107 (the sim PBX default user)
        await self.send("Login", Username=username, Secret=secret, ActionID="login-1")
        response = await self.response("login-1")
        if response.get("Response") != "Success":
            raise ConnectionError(f"login refused: {response.get('Message')}")
        return response

    def events(self, names: Sequence[str] | None = None) -> list[AmiMessage]:
        return [m for m in self.received if m.is_event and (names is None or m.name in names)]


class _ProbeContext:
    def __init__(self, port: int, host: str) -> None:
        self.port, self.host = port, host
        self.probe: AmiProbe | None = None

    async def __aenter__(self) -> AmiProbe:
        self.probe = await AmiProbe.open(self.port, self.host)
        return self.probe

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.probe is not None:
            await self.probe.close()
