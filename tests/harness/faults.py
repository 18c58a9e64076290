"""Faults injected between a daemon and what it depends on."""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy.engine import make_url

from dialer.ami.actions import OriginateRequest, OriginateResult
from dialer.runner.pool import Originator
from harness.databases import DbSpec


class TcpCut:
    """A TCP relay between a daemon and its database (or its AMI server) that can cut the line (every connection
    reset, new ones refused) and restore it: the peer becomes unreachable without touching the shared server."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = 0
        self.cut_off = False
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.cut_off:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, up_writer}
        for src, dst in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(src, dst))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await src.read(65536):
                dst.write(data)
                await dst.drain()
        dst.transport.abort()
        self._writers.discard(dst)

    def cut(self) -> None:
        self.cut_off = True
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    def restore(self) -> None:
        self.cut_off = False

    async def close(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def spec_through(self, spec: DbSpec) -> DbSpec:
        url = make_url(spec.url).set(host="127.0.0.1", port=self.port)
        return DbSpec(url.render_as_string(hide_password=False), spec.pg_schema)


class HeldAnswers:
    """The AMI client, except that each Originate's answer is handed back only once ``release`` is set."""

    def __init__(self, client: Originator) -> None:
        self.client = client
        self.release = asyncio.Event()
        self.requests: list[OriginateRequest] = []

    @property
    def is_up(self) -> bool:
        return self.client.is_up

    async def originate(self, request: OriginateRequest) -> OriginateResult:
        self.requests.append(request)
        result = await self.client.originate(request)
        await self.release.wait()
        return result

    async def hangup(self, channel_or_uniqueid: str, cause: int | None = None) -> bool:
        return await self.client.hangup(channel_or_uniqueid, cause)
