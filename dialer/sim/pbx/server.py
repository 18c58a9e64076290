"""The simulated PBX as a TCP AMI server, usable in-process (tests, demo, benchmarks) or from the CLI.

async with SimulatedPbx(PbxConfig(scenario=load_scenario("n20-p020")), clock=ManualClock()) as pbx:
    ...connect to 127.0.0.1:pbx.port, log in as dialer/dialer...
    await pbx.clock.advance(5)               # with a ManualClock: time moves only when told
    pbx.truth.originates_by_attempt          # ground truth
    await pbx.kill()                         # drop every connection abruptly, stop listening
    await pbx.restart()                      # listen again on the same port (a freshly booted PBX)
"""

from __future__ import annotations

import asyncio
from types import TracebackType

from dialer.clock import Clock, ManualClock, RealTimeClock
from dialer.logging import get_logger
from dialer.sim.pbx.config import PbxConfig
from dialer.sim.pbx.core import PbxCore
from dialer.sim.pbx.queues import Queue
from dialer.sim.pbx.session import AmiSession
from dialer.sim.pbx.truth import GroundTruth

log = get_logger(__name__)


class SimulatedPbx:
    """An asyncio AMI server that behaves like the recorded Asterisk 22 (see ``ami-traces/README.md``).

    ``port=0`` picks a free port (read ``.port`` after start). The ground truth (:class:`GroundTruth`) survives
    restarts; channels, queues' callers and member state do not (as after an Asterisk restart).
    """

    def __init__(
        self,
        config: PbxConfig | None = None,
        *,
        clock: Clock | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.config = config or PbxConfig()
        self.clock: Clock = clock or RealTimeClock()
        self.host = host
        self.port = port
        self.truth = GroundTruth()
        self.core = self._new_core()
        self.booted_at = self.clock.now()
        self.sessions: set[AmiSession] = set()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def _new_core(self) -> PbxCore:
        core = PbxCore(self.config, self.clock)
        core.engine.truth = self.truth
        return core

    @property
    def manual_clock(self) -> ManualClock:
        """The clock, when the PBX runs under a :class:`ManualClock` (end-to-end tests)."""
        if not isinstance(self.clock, ManualClock):
            raise TypeError("this simulated PBX runs on a real-time clock")
        return self.clock

    @property
    def queues(self) -> dict[str, Queue]:
        return self.core.queues.queues

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        if self._server is not None:
            return
        self._server = await asyncio.start_server(self._accept, self.host, self.port, reuse_address=True)
        sockets = self._server.sockets
        if sockets:
            self.port = sockets[0].getsockname()[1]
        self.booted_at = self.clock.now()
        self.core.start()
        log.info("simpbx_listening", host=self.host, port=self.port, world=self.config.world.value)

    async def stop(self) -> None:
        """Stop listening and close every session (their sockets get an orderly close)."""
        await self._shutdown(abort=False)

    async def kill(self) -> None:
        """Like a crash: connections are reset, calls vanish, nothing is said to the clients."""
        await self._shutdown(abort=True)

    async def restart(self) -> None:
        """Come back on the same port with a fresh PBX state (the ground truth is kept)."""
        await self._shutdown(abort=True)
        await self.start()

    async def _shutdown(self, *, abort: bool) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for session in list(self.sessions):
            if abort:
                session.abort()
            else:
                await session.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        self.sessions.clear()
        self.core.close()
        ended = list(self.core.engine.tasks)
        if ended:
            await asyncio.gather(*ended, return_exceptions=True)
        self.core = self._new_core()

    async def __aenter__(self) -> SimulatedPbx:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def serve_forever(self) -> None:
        await self.start()
        assert self._server is not None
        await self._server.serve_forever()

    # ------------------------------------------------------------------ sessions

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = AmiSession(self, reader, writer)
        self.sessions.add(session)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await session.run()
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("simpbx_session_failed", remote=session.remote)
        finally:
            self.sessions.discard(session)
            if task is not None:
                self._tasks.discard(task)

    def attach(self, session: AmiSession) -> None:
        """A logged-in session starts receiving events."""
        if session not in self.core.engine.listeners:
            self.core.engine.listeners.append(session)

    def detach(self, session: AmiSession) -> None:
        listeners = self.core.engine.listeners
        if session in listeners:
            listeners.remove(session)
