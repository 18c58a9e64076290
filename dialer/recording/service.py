"""Recordings as the daemon sees them.

Asterisk does the recording (MixMonitor): the daemon only asks (``DIALER_RECORDING`` in the Originate for
campaigns with ``recording = "all"``; MixMonitor / MixMonitorMute / StopMixMonitor when an agent starts, pauses or
stops one) and keeps the record from the PBX's own word: ``MixMonitorStart`` (with the channel's DIALER_ATTEMPT)
creates the row, ``MixMonitorMute`` pauses/resumes it, ``MixMonitorStop`` stops it, and the recorded channel's
``Hangup`` finishes it. The dialplan's ``DialerRecordingConsent`` (the consent announcement played before the
recording began: its time and Playback's status) goes on the same row. Rows are written by one task off the event
path, a second's events at a time in one transaction (:func:`fold_writes`: as if written one by one, in event order),
so a recorded call costs the daemon a share of a few executemany statements, not transactions of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dialer.ami.client import AmiClient, MonitoringActions
from dialer.ami.events import AmiEvent, Hangup, MixMonitorMute, MixMonitorStart, MixMonitorStop, UserEvent
from dialer.campaign.config import RecordingMode
from dialer.clock import Clock
from dialer.contract import (
    ATTEMPT_VARIABLE,
    CAMPAIGN_VARIABLE,
    RECORDING_CONSENT_USER_EVENT,
    RECORDING_CONSENT_VARIABLE,
    RECORDING_VARIABLE,
)
from dialer.i18n import M_
from dialer.i18n.library import ami_error_text
from dialer.logging import get_logger
from dialer.settings import RecordingSettings
from dialer.store.engine import Database
from dialer.store.monitoring import (
    FINISHED_RECORDING_STATES,
    RecordingBatch,
    RecordingChange,
    RecordingStart,
    delete_recordings,
    recordings_before,
    write_recordings,
)

log = get_logger(__name__)
# The recording events of this long go into one write transaction (a row shows a recording this late at most).
WRITE_BATCH_SECONDS = 1.0


class RecordingRefused(Exception):
    """An agent's recording control that cannot be done now (no call, campaign not recording, PBX said no)."""


def file_name(attempt_id: int) -> str:
    return f"{attempt_id}.wav"


def local_path(settings: RecordingSettings, file: str) -> Path:
    """Where the dialer reads a recording: only a plain file name inside the directory (never a path)."""
    if not file or "/" in file or "\\" in file or file.startswith("."):
        raise ValueError(M_("not a recording file name: {file}", file=repr(file)))
    return settings.directory / file


def originate_variables(
    mode: RecordingMode, settings: RecordingSettings, attempt_id: int, *, consent: bool = False
) -> dict[str, str]:
    """What an Originate carries for the campaign's recording mode: the file, unless the campaign never records.

    ``on_demand`` calls are recorded by the dialplan too, and muted at once (see :class:`RecordingService`):
    Asterisk's ``MixMonitor`` action needs the AMI ``system`` write class (which also allows shutting Asterisk
    down), ``MixMonitorMute`` only ``call``; the agent's start/stop are unmute/mute.

    With ``consent`` (:func:`dialer.recording.consent.consent_required`) the dialplan plays the consent
    announcement to the called party before the recording starts.
    """
    if mode is RecordingMode.NONE:
        return {}
    variables = {RECORDING_VARIABLE: settings.asterisk_path(attempt_id)}
    if consent:
        variables[RECORDING_CONSENT_VARIABLE] = "1"
    return variables


@dataclass(frozen=True, slots=True)
class RecordingWrite:
    """One recording event as the rows see it."""

    kind: str  # started, recording, paused, stopped, done, consent
    attempt_id: int
    at: datetime
    campaign: str = ""
    consent: tuple[datetime, str] | None = None  # (started: the announcement before it; consent: this one)


def fold_writes(writes: Sequence[RecordingWrite], mode_of: Callable[[str], RecordingMode | None]) -> RecordingBatch:
    """The rows' writes of a run of events, folded per call into at most one change and one start: applied in one
    transaction they leave the rows as the events applied one by one would.

    One by one: ``started`` creates the row (or resumes it: state recording, no end); ``paused`` / ``recording``
    set the state of an active row; ``stopped`` / ``done`` finish an active row (state, end, the call's agent);
    ``consent`` sets the row's consent announcement. A finished row stays finished, so of the state writes
    before a start only those up to the first finish count; after a start the row is known to be active."""
    by_attempt: dict[int, list[RecordingWrite]] = {}
    for write in writes:
        by_attempt.setdefault(write.attempt_id, []).append(write)
    changes: list[RecordingChange] = []
    starts: list[RecordingStart] = []
    for attempt_id, calls in by_attempt.items():
        first = next((i for i, w in enumerate(calls) if w.kind == "started"), len(calls))
        state: str | None = None
        ended: datetime | None = None
        consent: tuple[datetime, str] | None = None
        for write in calls[:first]:
            if write.kind == "consent":
                consent = write.consent
            elif state not in FINISHED_RECORDING_STATES:
                state = write.kind
                ended = write.at if write.kind in FINISHED_RECORDING_STATES else None
        if state is not None or consent is not None:
            changes.append(RecordingChange(attempt_id, state=state, ended_at=ended, consent=consent))
        if first == len(calls):
            continue
        start = calls[first]
        state, ended, consent, consent_after = "recording", None, start.consent, False
        for write in calls[first + 1 :]:
            if write.kind == "consent":
                consent, consent_after = write.consent, True
            elif write.kind == "started":
                state, ended = "recording", None
            elif state not in FINISHED_RECORDING_STATES:
                state = write.kind
                ended = write.at if write.kind in FINISHED_RECORDING_STATES else None
        mode = mode_of(start.campaign) or RecordingMode.ON_DEMAND
        starts.append(
            RecordingStart(
                attempt_id,
                file=file_name(attempt_id),
                mode=mode.value,
                started_at=start.at,
                state=state,
                ended_at=ended,
                consent=consent,
                consent_after=consent_after,
            )
        )
    return RecordingBatch(changes, starts)


class RecordingService:
    """Follows the PBX's MixMonitor events into the ``recordings`` table; the agent's recording controls."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        settings: RecordingSettings,
        mode_of: Callable[[str], RecordingMode | None],
        *,
        batch_seconds: float = WRITE_BATCH_SECONDS,
    ) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self._mode_of = mode_of
        self._writes: asyncio.Queue[RecordingWrite] = asyncio.Queue()
        self._recorded: dict[str, int] = {}  # uniqueid of a recorded channel -> attempt id
        # The consent announcement of a channel whose recording has not started yet (it plays first).
        self._consent: dict[str, tuple[datetime, str]] = {}
        self._task: asyncio.Task[None] | None = None
        self._actions: set[asyncio.Task[bool]] = set()
        self.batch_seconds = batch_seconds
        self._hurry = asyncio.Event()  # flush(): write the batch being gathered now
        self._flushing = 0

    # ------------------------------------------------------------------ events
    def observer(self, client: AmiClient) -> Callable[[AmiEvent, float], None]:
        """The EventPump observer of one server (synchronous: the writes are queued)."""

        def observe(event: AmiEvent, now: float) -> None:
            self.observe(event, now, client)

        return observe

    def observe(self, event: AmiEvent, now: float, client: AmiClient | None = None) -> None:
        # (Runs for every event of the pump: anything but a recording's events or a recorded channel's hang-up is
        # passed over before any work.)
        if not isinstance(event, MixMonitorStart | MixMonitorMute | MixMonitorStop | Hangup | UserEvent):
            return
        if isinstance(event, UserEvent) and event.name != RECORDING_CONSENT_USER_EVENT:
            return
        at = datetime.fromtimestamp(now, UTC)
        match event:
            case UserEvent():
                consent = (at, (event.get("Status") or "")[:16])
                attempt = self._recorded.get(event.uniqueid)
                if attempt is not None:
                    self._writes.put_nowait(RecordingWrite("consent", attempt, at, consent=consent))
                elif _attempt_of(event.get("Attempt")) is not None:
                    self._consent[event.uniqueid] = consent
            case MixMonitorStart():
                attempt = _attempt_of(event.variable(ATTEMPT_VARIABLE))
                announced = self._consent.pop(event.uniqueid, None)
                if attempt is not None:
                    campaign = event.variable(CAMPAIGN_VARIABLE) or ""
                    self._recorded[event.uniqueid] = attempt
                    self._writes.put_nowait(RecordingWrite("started", attempt, at, campaign, announced))
                    if client is not None and self._mode_of(campaign) is RecordingMode.ON_DEMAND:
                        # Muted before the call reaches an agent (option b writes nothing before): the agent
                        # starts it (unmutes) when the customer agrees.
                        self._spawn(MonitoringActions(client).mix_monitor_mute(event.uniqueid, True))
            case MixMonitorMute():
                attempt = self._recorded.get(event.uniqueid)
                if attempt is not None:
                    self._writes.put_nowait(RecordingWrite("paused" if event.muted else "recording", attempt, at))
            case MixMonitorStop():
                attempt = self._recorded.pop(event.uniqueid, None)
                if attempt is not None:
                    self._writes.put_nowait(RecordingWrite("stopped", attempt, at))
            case Hangup():
                self._consent.pop(event.uniqueid, None)  # (announced, never recorded)
                attempt = self._recorded.pop(event.uniqueid, None)
                if attempt is not None:
                    self._writes.put_nowait(RecordingWrite("done", attempt, at))

    def _spawn(self, action: Coroutine[Any, Any, bool]) -> None:
        task = asyncio.get_running_loop().create_task(action)
        self._actions.add(task)
        task.add_done_callback(self._actions.discard)

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
        """Wait until every event seen so far is written (tests, shutdown): the batch being gathered is written
        at once."""
        if self._task is not None:
            self._flushing += 1
            self._hurry.set()
            try:
                await self._writes.join()
            finally:
                self._flushing -= 1

    async def _run(self) -> None:
        while True:
            writes = [await self._writes.get()]
            # The writes of the next moment join this one's transaction (a busy campaign's calls start and end
            # many recordings a second: one transaction and a few statements for all of them).
            if not self._flushing:
                self._hurry.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.batch_seconds):
                        await self._hurry.wait()
            while not self._writes.empty():
                writes.append(self._writes.get_nowait())
            try:
                batch = fold_writes(writes, self._mode_of)
                await write_recordings(self.db, batch)
                log.debug("recordings_written", events=len(writes), started=len(batch.starts))
            except Exception:
                log.exception("recording_write_failed", attempt_ids=sorted({w.attempt_id for w in writes}))
            finally:
                for _ in writes:
                    self._writes.task_done()

    # ------------------------------------------------------------------ the agent's controls
    async def control(self, client: AmiClient, channel: str, attempt_id: int, mode: RecordingMode, action: str) -> None:
        """``start`` / ``stop`` (on_demand campaigns), ``pause`` / ``resume`` (any recorded call) of the call on
        ``channel`` (the customer's channel Uniqueid). Raises :class:`RecordingRefused`."""
        if mode is RecordingMode.NONE:
            raise RecordingRefused(M_("this campaign does not record calls"))
        if action in ("start", "stop") and mode is not RecordingMode.ON_DEMAND:
            raise RecordingRefused(M_("this campaign records every call: pause and resume it instead"))
        if action not in ("start", "stop", "pause", "resume"):
            raise RecordingRefused(M_("unknown recording action {action}", action=repr(action)))
        # Every control is a MixMonitorMute (AMI class call): silence is written while muted, so the file keeps
        # the call's length; an on-demand recording is one that starts muted.
        try:
            done = await MonitoringActions(client).mix_monitor_mute(channel, action in ("stop", "pause"))
        except Exception as exc:  # AmiError: not connected, timeout
            raise RecordingRefused(M_("the PBX did not answer: {exc}", exc=ami_error_text(exc))) from None
        if not done:
            raise RecordingRefused(M_("call {attempt_id} is not being recorded", attempt_id=attempt_id))

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
