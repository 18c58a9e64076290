"""The harness of the real-Asterisk tests: the dialer's AMI client and call tracker, wired as the daemon wires
them, driving the lab Asterisk (asterisk/lab)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import time
import wave
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from dialer.ami.actions import OriginateRequest, OriginateStatus
from dialer.ami.client import AmiClient
from dialer.ami.events import AmiEvent
from dialer.calls.tracker import CallEnded, CallLost, CallTracker, CallUpdate, OriginateRecord
from dialer.inbound.calls import InboundCall, InboundCallBook
from dialer.settings import AmiServerSettings

QUEUE = "outbound-agents"
INBOUND_QUEUE = "inbound-sales"
RING_TIMEOUT_MS = 15_000  # the legal minimum ring time; the lab's "no answer" number rings this long


def lab_settings() -> AmiServerSettings:
    spec = os.environ.get("DIALER_TEST_AMI", "")
    if not spec:
        pytest.skip("DIALER_TEST_AMI is not set (host:port:user:secret of an Asterisk running asterisk/lab)")
    try:
        host, port, user, secret = spec.split(":", 3)
        return AmiServerSettings(name="lab", host=host, port=int(port), username=user, secret=secret)
    except ValueError:
        pytest.fail(f"DIALER_TEST_AMI must be host:port:user:secret, got {spec!r}")


def lab_sounds() -> Path:
    """The lab's sounds directory (asterisk/lab: $DIALER_LAB_ROOT/lib/sounds/en), where prompts are written."""
    return Path(os.environ.get("DIALER_LAB_ROOT", "/tmp/dialer-asterisk-lab")) / "lib" / "sounds" / "en"


def prompt_sounds() -> Path:
    """The lab's sounds directory, for prompts rendered with espeak-ng: the test is skipped without espeak-ng."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng): the lab's prompts cannot be rendered")
    return lab_sounds()


def wav_seconds(path: Path) -> float | None:
    """The length of a finished WAV (None until Asterisk wrote more than its header)."""
    if not path.exists() or path.stat().st_size <= 44:
        return None
    with wave.open(str(path)) as audio:
        return audio.getnframes() / audio.getframerate()


def tracked(request: OriginateRequest, number: str) -> OriginateRecord:
    """What the call tracker is told of an Originate before it is sent (as the daemon registers it)."""
    return OriginateRecord(
        request.action_id or "",
        request.attempt_id,
        request.channel,
        number,
        time.monotonic(),
        channel_id=request.channel_id,
        timeout_seconds=request.timeout_ms / 1000,
    )


@dataclass
class LabCall:
    """What one originated call produced: every tracker update, in order, and its end."""

    attempt_id: str
    number: str
    channel_id: str
    updates: list[CallUpdate] = field(default_factory=list)

    @property
    def ended(self) -> CallEnded:
        ends = [u for u in self.updates if isinstance(u, CallEnded)]
        assert ends, f"{self.number}: no CallEnded, got {self.updates}"
        return ends[0]

    def of(self, kind: type[CallUpdate]) -> list[CallUpdate]:
        return [u for u in self.updates if isinstance(u, kind)]

    @property
    def done(self) -> bool:
        return any(isinstance(u, CallEnded | CallLost) for u in self.updates)


class Lab:
    """The AMI client and the call tracker wired as the daemon wires them, against the lab Asterisk."""

    def __init__(self, ami: AmiClient) -> None:
        self.ami = ami
        self.tracker = CallTracker()
        self.calls: dict[str, LabCall] = {}
        self.events: list[AmiEvent] = []
        # Inbound callers' visits, as the daemon's inbound watcher books them (dialer.inbound.calls).
        self.inbound = InboundCallBook(frozenset({INBOUND_QUEUE}))
        self.visits: list[InboundCall] = []
        self.run = secrets.token_hex(3)
        self._changed = asyncio.Event()
        self._pump = asyncio.create_task(self._consume())
        self._agents: list[tuple[str, str]] = []

    async def _consume(self) -> None:
        async for event in self.ami.events():
            self.events.append(event)
            self.visits += self.inbound.observe(event, time.monotonic(), "lab")
            for update in self.tracker.feed(event, time.monotonic()):
                call = self.calls.get(update.attempt_id)
                if call is not None:
                    call.updates.append(update)
            self._changed.set()

    def agent(self, kind: str = "agent") -> str:
        """A fresh simulated agent interface: kind "agent" auto-answers, "slow" rings 4 s."""
        return f"Local/{kind}{self.run}{len(self._agents) + 1}@lab-agents"

    async def add_agent(self, interface: str, *, paused: bool = False, queue: str = QUEUE) -> None:
        assert await self.ami.queue_add(queue, interface, member_name=interface.split("/")[1], paused=paused)
        self._agents.append((queue, interface))

    async def empty_queues(self) -> None:
        for queue in (QUEUE, INBOUND_QUEUE):
            snapshot = await self.ami.queue_status(queue=queue)
            for member in snapshot.members:
                await self.ami.queue_remove(queue, member.location)

    async def inbound_caller(self, patience_seconds: int, variables: Mapping[str, str] | None = None) -> str:
        """An inbound customer entering the production inbound route (``variables``: the call's own, e.g. the
        queue's bound DIALER_INBOUND_MAX_WAIT); returns the ChannelId of their call (the queue sees its ``;2``)."""
        attempt = f"rt-{self.run}-in{len(self.calls) + 1}"
        request = OriginateRequest(
            channel="Local/s@lab-inbound",
            attempt_id=attempt,
            context="lab-inbound-caller",
            variables={"LAB_PATIENCE": str(patience_seconds), **(variables or {})},
            action_id=f"{attempt}-a",
            channel_id=f"{attempt}-c",
        )
        result = await self.ami.originate(request)
        assert result.status is OriginateStatus.QUEUED, result
        return request.channel_id or ""

    async def originate(
        self,
        number: str,
        *,
        amd: bool = False,
        variables: Mapping[str, str] | None = None,
        queue: str = QUEUE,
        context: str = "dialer-outbound",
        pstn: str = "lab-pstn",
        channel: str | None = None,
    ) -> LabCall:
        """``channel``: the dial string (default ``Local/<number>@<pstn>``; ``IAX2/carrier/<number>`` = the trunk)."""
        attempt = f"rt-{self.run}-{len(self.calls) + 1}"
        request = OriginateRequest(
            channel=channel or f"Local/{number}@{pstn}",
            attempt_id=attempt,
            context=context,
            caller_id='"Dialer lab" <8005551000>',
            timeout_ms=RING_TIMEOUT_MS,
            variables={"DIALER_CAMPAIGN": "lab-test", "DIALER_QUEUE": queue, "DIALER_AMD": "1" if amd else "0"}
            | dict(variables or {}),
            action_id=f"{attempt}-a",
            channel_id=f"{attempt}-c",
        )
        call = LabCall(attempt, number, request.channel_id or "")
        self.calls[attempt] = call
        # Registered before the action is written: the first events can beat the Originate's own response.
        self.tracker.register(tracked(request, number))
        result = await self.ami.originate(request)
        assert result.status is OriginateStatus.QUEUED, result
        return call

    async def wait_for(self, *calls: LabCall, within: float = 45.0) -> None:
        """Until every call ended (tracker.sweep once a second settles failures without channels)."""
        async with asyncio.timeout(within):
            while not all(call.done for call in calls):
                self._changed.clear()
                for update in self.tracker.sweep(time.monotonic()):
                    if update.attempt_id in self.calls:
                        self.calls[update.attempt_id].updates.append(update)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(1.0):
                        await self._changed.wait()

    async def wait_until(self, predicate: Callable[[], bool], within: float = 20.0) -> None:
        async with asyncio.timeout(within):
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

    def tracker_connected(self, call: LabCall) -> bool:
        """The call reached an agent (CallConnected)."""
        from dialer.calls.tracker import CallConnected

        return bool(call.of(CallConnected))

    async def close(self) -> None:
        for queue, interface in self._agents:
            await self.ami.queue_remove(queue, interface)
        self._pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._pump
