"""Recording and supervisor monitoring in the simulated PBX, as Asterisk 22 does them (app_mixmonitor,
app_chanspy; recorded in tests/fixtures/ami-traces/lab/recording-*.txt and supervise-whisper-barge.txt).

* ``MixMonitor`` (AMI action, or the dialplan's [dialer-record] when an Originate sets ``DIALER_RECORDING``):
  ``MixMonitorStart`` with the channel's snapshot; ``MixMonitorMute`` (``Direction``, ``State``);
  ``StopMixMonitor`` -> ``MixMonitorStop``. A recording that ends with its channel raises no event. With option
  ``b`` only the time the channel spends bridged is recorded. When the PBX is given a recordings directory
  (``PbxConfig.monitor_dir``), the file is written as Asterisk would: 8 kHz 16-bit mono WAV, as long as the
  recorded time (silence: the simulated people make no sound).
* An Originate to a supervisor's phone into ``dialer-supervise`` (listen / whisper / barge): the phone answers and
  Dials ``Local/<mode>@dialer-supervise-spy/n``, whose ;2 half runs ChanSpy: it finds the agent's channel (name
  prefix ``DIALER_SPY_TARGET-``) and raises ``ChanSpyStart`` (the spyer: that Local leg, linkedid = the phone's
  ChannelId); when the agent's channel ends, ``ChanSpyStop`` and the legs hang up; when the phone is hung up, it
  goes at once, then the spying leg (``ChanSpyStop``). No channel to spy on: everything hangs up at once.
"""

from __future__ import annotations

import wave
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from dialer.ami.protocol import AmiMessage
from dialer.contract import (
    ATTEMPT_VARIABLE,
    RECORD_CONSENT_EXTEN,
    RECORD_CONTEXT,
    RECORDING_CONSENT_USER_EVENT,
    RECORDING_CONSENT_VARIABLE,
    RECORDING_VARIABLE,
    SPY_TARGET_VARIABLE,
    STAGE_VARIABLE,
    SUPERVISE_CONTEXT,
    SUPERVISE_SPY_CONTEXT,
)
from dialer.logging import get_logger
from dialer.sim.pbx.actions import ActionSession
from dialer.sim.pbx.calls import OriginateRequest, Reply, emit_originate_response
from dialer.sim.pbx.channels import Channel, ChannelState, Headers
from dialer.sim.pbx.engine import Engine
from dialer.sim.pbx.truth import OriginateRecord

log = get_logger(__name__)
DEFAULT_CONSENT_PROMPT = "dialer/recording-consent"  # asterisk/extensions.conf DIALER_CONSENT_PROMPT

# ChanSpy's options per mode, as asterisk/extensions.conf [dialer-supervise] gives them.
SPY_OPTIONS = {"listen": "qES", "whisper": "qESw", "barge": "qESB"}
SAMPLE_RATE = 8000


@dataclass(slots=True)
class _Recording:
    channel: Channel
    file: str
    bridged_only: bool
    started_at: float
    running_since: float | None  # recording audio since (None: waiting for a bridge, option b)
    seconds: float = 0.0
    muted: bool = False


@dataclass(slots=True)
class Monitors:
    """The MixMonitors of one engine, keyed by channel uniqueid."""

    engine: Engine
    directory: Path | None
    active: dict[str, _Recording] = field(default_factory=dict)
    files_written: list[Path] = field(default_factory=list)

    def start(self, channel: Channel, file: str, options: str) -> None:
        e = self.engine
        bridged_only = "b" in options
        now = e.now()
        running = now if not bridged_only or channel.bridge_id else None
        self.active[channel.uniqueid] = _Recording(channel, file, bridged_only, now, running)
        self._hook()
        e.channel_event("MixMonitorStart", channel)

    def stop(self, channel: Channel) -> bool:
        recording = self.active.get(channel.uniqueid)
        if recording is None:
            return False
        self.engine.channel_event("MixMonitorStop", channel)
        self._finish(recording)
        return True

    def mute(self, channel: Channel, direction: str, state: bool) -> bool:
        recording = self.active.get(channel.uniqueid)
        if recording is None:
            return False
        recording.muted = state
        self.engine.channel_event(
            "MixMonitorMute", channel, [("Direction", direction), ("State", "1" if state else "0")]
        )
        return True

    def on_event(self, event: str, headers: Headers) -> None:
        """Engine hook: bridges start and stop a recording's clock (option b); a hangup ends the recording."""
        if event not in ("BridgeEnter", "BridgeLeave", "Hangup"):
            return
        uniqueid = next((v for k, v in headers if k == "Uniqueid"), "")
        recording = self.active.get(uniqueid)
        if recording is None:
            return
        now = self.engine.now()
        if event == "BridgeEnter" and recording.running_since is None:
            recording.running_since = now
        elif event == "BridgeLeave" and recording.bridged_only and recording.running_since is not None:
            recording.seconds += now - recording.running_since
            recording.running_since = None
        elif event == "Hangup":
            self._finish(recording)

    def _finish(self, recording: _Recording) -> None:
        now = self.engine.now()
        if recording.running_since is not None:
            recording.seconds += now - recording.running_since
            recording.running_since = None
        self.active.pop(recording.channel.uniqueid, None)
        self._hook()
        if self.directory is not None:
            self._write(recording)

    def _write(self, recording: _Recording) -> None:
        assert self.directory is not None
        path = Path(recording.file)
        if not path.is_absolute():
            path = self.directory / path
        if path.suffix.lower() != ".wav":
            path = path.with_suffix(path.suffix + ".wav") if path.suffix else path.with_suffix(".wav")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with wave.open(str(path), "wb") as out:
                out.setnchannels(1)
                out.setsampwidth(2)
                out.setframerate(SAMPLE_RATE)
                out.writeframes(b"\0\0" * round(recording.seconds * SAMPLE_RATE))
        except OSError as exc:  # Asterisk logs and goes on: the call is not affected
            log.warning("simpbx_recording_not_written", file=str(path), error=str(exc))
            return
        self.files_written.append(path)

    def _hook(self) -> None:
        hooks = self.engine.emit_hooks
        if self.active and self.on_event not in hooks:
            hooks.append(self.on_event)
        elif not self.active and self.on_event in hooks:
            hooks.remove(self.on_event)


_MONITORS: weakref.WeakKeyDictionary[Engine, Monitors] = weakref.WeakKeyDictionary()


def monitors_of(engine: Engine) -> Monitors:
    found = _MONITORS.get(engine)
    if found is None:
        directory = engine.config.monitor_dir
        found = Monitors(engine, Path(directory) if directory else None)
        _MONITORS[engine] = found
    return found


def record_from_dialplan(engine: Engine, channel: Channel) -> None:
    """[dialer-record] (Gosub from dialer-outbound when DIALER_RECORDING is set): MixMonitor(<file>,b); with
    DIALER_RECORDING_CONSENT=1 its ``consent`` extension first plays the consent announcement (Playback, which takes
    no time here: the simulated prompt is empty) and raises DialerRecordingConsent."""
    file = channel.variables.get(RECORDING_VARIABLE, "")
    if not file:
        return
    context, exten, priority = channel.context, channel.exten, channel.priority
    consent = channel.variables.get(RECORDING_CONSENT_VARIABLE, "") == "1"
    target = f"1?{RECORD_CONTEXT},{RECORD_CONSENT_EXTEN if consent else 's'},1"
    engine.step(channel, "GosubIf", target, priority=priority + 1)
    # Asterisk 22 reports the Gosub a second time from where it lands, at priority 0 (lab/recording-*.txt).
    channel.context, channel.exten = RECORD_CONTEXT, RECORD_CONSENT_EXTEN if consent else "s"
    engine.step(channel, "GosubIf", target, priority=0)
    if consent:
        _play_consent(engine, channel)
    channel.exten = "s"
    engine.step(channel, "MixMonitor", f"{file},b", priority=1)
    monitors_of(engine).start(channel, file, "b")
    engine.step(channel, "Return", "", priority=2)
    channel.context, channel.exten, channel.priority = context, exten, priority + 1


def _play_consent(engine: Engine, channel: Channel) -> None:
    """[dialer-record] ``consent``: Set(DIALER_STAGE=CONSENT), Playback(prompt), UserEvent, Goto(s,1)."""
    channel.exten = RECORD_CONSENT_EXTEN
    engine.step(channel, "Set", f"{STAGE_VARIABLE}=CONSENT", priority=1)
    engine.set_var(channel, STAGE_VARIABLE, "CONSENT")
    engine.step(channel, "Playback", DEFAULT_CONSENT_PROMPT, priority=2)
    engine.set_var(channel, "PLAYBACKSTATUS", "SUCCESS")
    attempt = channel.variables.get(ATTEMPT_VARIABLE, "")
    engine.step(channel, "UserEvent", f"{RECORDING_CONSENT_USER_EVENT},Attempt: {attempt},Status: SUCCESS", priority=3)
    engine.channel_event(
        "UserEvent",
        channel,
        [("UserEvent", RECORDING_CONSENT_USER_EVENT), ("Attempt", attempt), ("Status", "SUCCESS")],
        "user,all",
    )
    engine.step(channel, "Goto", "s,1", priority=4)


# ---------------------------------------------------------------------------------------------- ChanSpy


class SpyCall:
    """An Originate to a supervisor's phone (a Local channel) into ``dialer-supervise``."""

    def __init__(self, engine: Engine, req: OriginateRequest, record: OriginateRecord, reply: Reply | None) -> None:
        self.engine = engine
        self.request = req
        self.record = record
        self.reply = reply
        self.one: Channel | None = None
        self.two: Channel | None = None
        self.spyee: Channel | None = None
        self.spy_one: Channel | None = None  # the Local leg the phone Dials ([dialer-supervise-spy]): ;2 runs ChanSpy
        self.spy_two: Channel | None = None
        self.ended = False

    def start(self) -> None:
        e, req = self.engine, self.request
        device = req.dial_string
        exten, _, context = device.removeprefix("Local/").partition("@")
        one, two = e.new_local_pair(
            exten, context, self, channel_id=req.channel_id, other_channel_id=req.other_channel_id
        )
        self.one, self.two = one, two
        self.record.uniqueid = one.uniqueid
        for name, value in reversed(req.variables):
            e.set_var(one, name, value)
        if req.caller_num or req.caller_name:
            e.set_caller_id(one, req.caller_num, req.caller_name)
            e.set_connected_line(one, req.caller_num, req.caller_name)
        for name, value in req.variables:
            e.set_var(two, name, value)
        e.local_bridge(one, two, context, exten)
        e.emit("DialBegin", "call,all", [*e.snapshot(one, "Dest"), ("DialString", f"{exten}@{context}")])
        e.later(0.05, self._answer)

    def _answer(self) -> None:
        e = self.engine
        one, two = self.one, self.two
        assert one is not None
        assert two is not None
        if self.ended:
            return
        e.step(two, "Answer", "", priority=2)
        e.set_state(two, ChannelState.UP)
        e.device_state(one.device, "INUSE")
        self._originate_response()
        e.set_state(one, ChannelState.UP)
        e.emit("DialEnd", "call,all", [*e.snapshot(one, "Dest"), ("DialStatus", "ANSWER")])
        e.device_state(one.device, "INUSE")
        mode = self.request.exten
        one.context, one.exten, one.priority = SUPERVISE_CONTEXT, mode, 1
        target = one.variables.get(SPY_TARGET_VARIABLE, "")
        options = SPY_OPTIONS.get(mode)
        if options is None:
            self._hangup()
            return
        e.step(one, "Set", f"_{SPY_TARGET_VARIABLE}={target}", priority=1)
        e.step(one, "Dial", f"Local/{mode}@{SUPERVISE_SPY_CONTEXT}/n", priority=2)
        # The spying leg: a Local pair with Asterisk's own uniqueids and the phone's linkedid.
        spy_one, spy_two = e.new_local_pair(mode, SUPERVISE_SPY_CONTEXT, self, linkedid=one.linkedid)
        base = spy_one.name.removesuffix(";1")
        self.spy_one, self.spy_two = spy_one, spy_two
        e.step(spy_one, "AppDial", "(Outgoing Line)", priority=1)
        e.step(spy_two, "ChanSpy", f"{target}-,{options}", priority=1)
        e.set_state(spy_two, ChannelState.UP)  # ChanSpy answers
        e.emit("DialBegin", "call,all", [*e.snapshot(one), *e.snapshot(spy_one, "Dest"), ("DialString", base)])
        e.set_state(spy_one, ChannelState.UP)
        e.emit("DialEnd", "call,all", [*e.snapshot(one), *e.snapshot(spy_one, "Dest"), ("DialStatus", "ANSWER")])
        self.spyee = self._find_spyee(target)
        if self.spyee is None:
            self._hangup()  # option S: nothing to spy on
            return
        e.emit("ChanSpyStart", "call,all", [*e.snapshot(spy_two, "Spyer"), *e.snapshot(self.spyee, "Spyee")])
        e.emit_hooks.append(self._on_event)

    def _find_spyee(self, target: str) -> Channel | None:
        if not target:
            return None
        prefix = f"{target}-"
        matches = [c for c in self.engine.channels.values() if c.name.startswith(prefix) and not c.hung_up]
        # Asterisk's channel container order is a hash order: the recording spied on the ;2 half of a Local agent.
        return matches[-1] if matches else None

    def _on_event(self, event: str, headers: Headers) -> None:
        if event != "Hangup" or self.spyee is None or self.ended:
            return
        uniqueid = next((v for k, v in headers if k == "Uniqueid"), "")
        if uniqueid == self.spyee.uniqueid:
            # The spied-on channel is gone (option E): ChanSpy returns, the dialplan hangs up.
            self.engine.later(0.0, self._hangup)

    def _originate_response(self) -> None:
        req, one = self.request, self.one
        assert one is not None
        self.record.reason = 4
        if not req.is_async:
            if self.reply is not None:
                reply, self.reply = self.reply, None
                reply(True)
            return
        emit_originate_response(self.engine, req, 4, one)

    def _hangup(self, *, phone_first: bool = False) -> None:
        """Everything ends. ``phone_first``: the phone's leg was hung up (the dialer stops the session): it goes at
        once, then the spying leg sees its Local peer gone and ChanSpy returns. Otherwise ChanSpy returned (the agent's
        channel ended, or nothing to spy on): the spying leg hangs up, and with it the phone (Dial returns)."""
        if self.ended:
            return
        self.ended = True
        e = self.engine
        one, two, spy_one, spy_two = self.one, self.two, self.spy_one, self.spy_two
        assert one is not None
        assert two is not None
        if self._on_event in e.emit_hooks:
            e.emit_hooks.remove(self._on_event)
        spying = self.spyee is not None and spy_two is not None and spy_two.state is ChannelState.UP
        if spy_one is None or spy_two is None:
            e.hangup_local_pair(one, two, 16, 16)
            return
        if phone_first:
            e.hangup_request(spy_two, 16)
            e.hangup_local_pair(one, two, 16, 16)
            e.hangup(spy_one, 16)
            if spying:
                assert self.spyee is not None
                e.emit("ChanSpyStop", "call,all", [*e.snapshot(spy_two, "Spyer"), *e.snapshot(self.spyee, "Spyee")])
            e.hangup_request(spy_two, 16, soft=True)
            e.hangup(spy_two, 16)
            return
        if spying:
            assert self.spyee is not None
            e.emit("ChanSpyStop", "call,all", [*e.snapshot(spy_two, "Spyer"), *e.snapshot(self.spyee, "Spyee")])
        e.hangup_local_pair(spy_two, spy_one, 16, 16)
        e.hangup_local_pair(one, two, 16, 16)

    def hangup_requested(self, channel: Channel, cause: int | None) -> None:
        self._hangup(phone_first=channel in (self.one, self.two))


# ---------------------------------------------------------------------------------------------- AMI actions


def _channel(session: ActionSession, msg: AmiMessage) -> Channel | None:
    """The channel the action names; None (the error answered) when it names none or one that does not exist."""
    name = msg.get("Channel") or ""
    if not name:
        session.error(msg, "No channel specified")
        return None
    channel = session.pbx.core.engine.find_channel(name)
    if channel is None:
        session.error(msg, "No such channel")
    return channel


async def mix_monitor(session: ActionSession, msg: AmiMessage) -> None:
    channel = _channel(session, msg)
    if channel is None:
        return
    file = msg.get("File") or channel.name.replace("/", "-")
    with session.events_after_response():
        session.respond(msg, "Success", [])
        monitors_of(session.pbx.core.engine).start(channel, file, msg.get("Options") or "")


def _on_recording(
    session: ActionSession, msg: AmiMessage, channel: Channel, refusal: str, act: Callable[[Monitors], object]
) -> None:
    """An action on ``channel``'s running MixMonitor: Success, then ``act`` (its events after the response); the
    error ``refusal`` when the channel is not being recorded."""
    monitors = monitors_of(session.pbx.core.engine)
    if channel.uniqueid not in monitors.active:
        session.error(msg, refusal)
        return
    with session.events_after_response():
        session.respond(msg, "Success", [])
        act(monitors)


async def stop_mix_monitor(session: ActionSession, msg: AmiMessage) -> None:
    channel = _channel(session, msg)
    if channel is None:
        return
    _on_recording(session, msg, channel, "Could not stop monitoring channel", lambda monitors: monitors.stop(channel))


async def mix_monitor_mute(session: ActionSession, msg: AmiMessage) -> None:
    if not msg.get("Channel"):
        session.error(msg, "No channel specified")
        return
    direction = (msg.get("Direction") or "").lower()
    if direction not in ("read", "write", "both"):
        session.error(msg, "Invalid direction specified. Must be read, write or both")
        return
    channel = _channel(session, msg)
    if channel is None:
        return
    state = (msg.get("State") or "").strip().lower() in ("1", "on", "yes", "true", "y", "t")
    _on_recording(session, msg, channel, "Cannot set mute flag", lambda mons: mons.mute(channel, direction, state))


HANDLERS: dict[str, Callable[[ActionSession, AmiMessage], Awaitable[None]]] = {
    "mixmonitor": mix_monitor,
    "stopmixmonitor": stop_mix_monitor,
    "mixmonitormute": mix_monitor_mute,
}
ACTION_NAMES = ("MixMonitor", "StopMixMonitor", "MixMonitorMute")
