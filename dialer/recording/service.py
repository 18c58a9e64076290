"""Recordings as the daemon sees them.

Asterisk does the recording (MixMonitor): the daemon only asks (``DIALER_RECORDING`` in the Originate for
campaigns with ``recording = "all"``; MixMonitor / MixMonitorMute / StopMixMonitor when an agent starts, pauses or
stops one) and keeps the record from the PBX's own word: ``MixMonitorStart`` (with the channel's DIALER_ATTEMPT)
creates the row, ``MixMonitorMute`` pauses/resumes it, ``MixMonitorStop`` stops it, and the recorded channel's
``Hangup`` finishes it. Rows are written by one task, in event order, off the event path.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dialer.ami.client import AmiClient, MonitoringActions
from dialer.ami.events import AmiEvent, Hangup, MixMonitorMute, MixMonitorStart, MixMonitorStop
from dialer.campaign.config import RecordingMode
from dialer.clock import Clock
from dialer.contract import ATTEMPT_VARIABLE, CAMPAIGN_VARIABLE
from dialer.logging import get_logger
from dialer.settings import RecordingSettings
from dialer.store.engine import Database
from dialer.store.monitoring import (
    delete_recordings,
    recording_started,
    recordings_before,
    set_recording_state,
)

log = get_logger(__name__)


class RecordingRefused(Exception):
    """An agent's recording control that cannot be done now (no call, campaign not recording, PBX said no)."""


def file_name(attempt_id: int) -> str:
    return f"{attempt_id}.wav"


def local_path(settings: RecordingSettings, file: str) -> Path:
    """Where the dialer reads a recording: only a plain file name inside the directory (never a path)."""
    if not file or "/" in file or "\\" in file or file.startswith("."):
        raise ValueError(f"not a recording file name: {file!r}")
    return settings.directory / file


def originate_variables(mode: RecordingMode, settings: RecordingSettings, attempt_id: int) -> dict[str, str]:
    """What an Originate carries for the campaign's recording mode: the file for ``all``, nothing otherwise."""
    if mode is RecordingMode.ALL:
        return {"DIALER_RECORDING": settings.asterisk_path(attempt_id)}
    return {}


@dataclass(frozen=True, slots=True)
class _Write:
    kind: str  # started, recording, paused, stopped, done
    attempt_id: int
    at: datetime
    campaign: str = ""


class RecordingService:
    """Follows the PBX's MixMonitor events into the ``recordings`` table; the agent's recording controls."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        settings: RecordingSettings,
        mode_of: Callable[[str], RecordingMode | None],
    ) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self._mode_of = mode_of
        self._writes: asyncio.Queue[_Write] = asyncio.Queue()
        self._recorded: dict[str, int] = {}  # uniqueid of a recorded channel -> attempt id
        self._task: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ events
    def observe(self, event: AmiEvent, now: float) -> None:
        """An EventPump observer (synchronous: the writes are queued)."""
        at = datetime.fromtimestamp(now, UTC)
        match event:
            case MixMonitorStart():
                attempt = _attempt_of(event.variable(ATTEMPT_VARIABLE))
                if attempt is not None:
                    self._recorded[event.uniqueid] = attempt
                    self._writes.put_nowait(_Write("started", attempt, at, event.variable(CAMPAIGN_VARIABLE) or ""))
            case MixMonitorMute():
                attempt = self._recorded.get(event.uniqueid)
                if attempt is not None:
                    self._writes.put_nowait(_Write("paused" if event.muted else "recording", attempt, at))
            case MixMonitorStop():
                attempt = self._recorded.pop(event.uniqueid, None)
                if attempt is not None:
                    self._writes.put_nowait(_Write("stopped", attempt, at))
            case Hangup():
                attempt = self._recorded.pop(event.uniqueid, None)
                if attempt is not None:
                    self._writes.put_nowait(_Write("done", attempt, at))
            case _:
                pass

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="recordings")

    async def stop(self) -> None:
        await self.flush()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def flush(self) -> None:
        """Wait until every event seen so far is written (tests, shutdown)."""
        if self._task is not None:
            await self._writes.join()

    async def _run(self) -> None:
        while True:
            write = await self._writes.get()
            try:
                await self._apply(write)
            except Exception:
                log.exception("recording_write_failed", attempt_id=write.attempt_id, kind=write.kind)
            finally:
                self._writes.task_done()

    async def _apply(self, write: _Write) -> None:
        if write.kind == "started":
            mode = self._mode_of(write.campaign) or RecordingMode.ON_DEMAND
            known = await recording_started(
                self.db, write.attempt_id, file=file_name(write.attempt_id), mode=mode.value, agent=None, at=write.at
            )
            log.info("recording_started", attempt_id=write.attempt_id, known=known)
        else:
            await set_recording_state(self.db, write.attempt_id, write.kind, at=write.at)
            log.info("recording_" + write.kind, attempt_id=write.attempt_id)

    # ------------------------------------------------------------------ the agent's controls
    async def control(self, client: AmiClient, channel: str, attempt_id: int, mode: RecordingMode, action: str) -> None:
        """``start`` / ``stop`` (on_demand campaigns), ``pause`` / ``resume`` (any recorded call) of the call on
        ``channel`` (the customer's channel Uniqueid). Raises :class:`RecordingRefused`."""
        actions = MonitoringActions(client)
        if mode is RecordingMode.NONE:
            raise RecordingRefused("this campaign does not record calls")
        if action == "start":
            if mode is not RecordingMode.ON_DEMAND:
                raise RecordingRefused("this campaign records every call: pause and resume it instead")
            try:
                await actions.mix_monitor(channel, self.settings.asterisk_path(attempt_id), "b")
            except Exception as exc:  # AmiError: no such channel, not connected, timeout
                raise RecordingRefused(f"the PBX did not start the recording: {exc}") from None
            return
        if action == "stop":
            if mode is not RecordingMode.ON_DEMAND:
                raise RecordingRefused("this campaign records every call: pause it instead")
            if not await actions.stop_mix_monitor(channel):
                raise RecordingRefused("the call is not being recorded")
            return
        if action in ("pause", "resume"):
            if not await actions.mix_monitor_mute(channel, action == "pause"):
                raise RecordingRefused("the call is not being recorded")
            return
        raise RecordingRefused(f"unknown recording action {action!r}")

    # ------------------------------------------------------------------ retention
    async def purge(self, older_than: datetime) -> int:
        """Delete the recordings (files and rows) of calls started before ``older_than``: the call records'
        retention. A file already gone is not an error."""
        total = 0
        while batch := await recordings_before(self.db, older_than):
            for record in batch:
                with contextlib.suppress(FileNotFoundError, ValueError):
                    await asyncio.to_thread(local_path(self.settings, record.file).unlink)
            total += await delete_recordings(self.db, [r.attempt_id for r in batch])
        if total:
            log.info("recordings_purged", deleted=total, older_than=older_than.isoformat())
        return total


def _attempt_of(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) <= 18 else None
