"""Recording and supervisor monitoring on a real Asterisk running asterisk/lab (opt-in: DIALER_TEST_AMI, with the
lab on this host: Asterisk writes the recording where the test reads it).

`998xxxx` callees talk (a steady tone) so MixMonitor has audio; `Local/agent…@lab-agents` phones answer in 0.2 s
and talk 10 s; `Local/supervisor…@lab-supervisors` phones answer at once.
"""

from __future__ import annotations

import asyncio
import math
import struct
import wave
from pathlib import Path

import pytest
from harness.lab import Lab, lab_sounds, wav_seconds

from dialer.ami.client import MonitoringActions
from dialer.ami.events import ChanSpyStart, ChanSpyStop, Hangup, MixMonitorMute, MixMonitorStart, UserEvent
from dialer.ami.monitoring import SpyRequest
from dialer.calls.outcome import Outcome

pytestmark = pytest.mark.real_ami


@pytest.fixture
def shared_dir(tmp_path: Path) -> Path:
    """A directory Asterisk (another user, maybe) may write into."""
    tmp_path.chmod(0o777)
    return tmp_path


async def _recorded_seconds(path: Path) -> float:
    """The recording's length once Asterisk closed the file (just after the hangup)."""
    seconds = None
    for _ in range(50):
        await asyncio.sleep(0.1)
        seconds = await asyncio.to_thread(wav_seconds, path)
        if seconds is not None:
            break
    await asyncio.sleep(0.5)
    seconds = await asyncio.to_thread(wav_seconds, path)
    assert seconds is not None
    return seconds


def _recording_started(lab: Lab, channel_id: str) -> bool:
    return any(isinstance(e, MixMonitorStart) and e.uniqueid == channel_id for e in lab.events)


def _local(lab: Lab) -> None:
    if lab.ami.settings.host not in ("127.0.0.1", "localhost", "::1"):
        pytest.skip("the recording is checked on disk: run the lab on this host")


async def test_a_recorded_call_leaves_a_file_as_long_as_the_conversation(lab: Lab, shared_dir: Path) -> None:
    _local(lab)
    agent = lab.agent()
    await lab.add_agent(agent)
    path = shared_dir / "recorded.wav"
    call = await lab.originate("9980001", variables={"DIALER_RECORDING": str(path)})
    await lab.wait_until(lambda: _recording_started(lab, call.channel_id))
    (start,) = [e for e in lab.events if isinstance(e, MixMonitorStart) and e.uniqueid == call.channel_id]
    assert isinstance(start, MixMonitorStart)
    assert start.variable("DIALER_ATTEMPT") == call.attempt_id
    # The agent pauses the recording (a card number) and resumes it: MixMonitorMute only needs the call class.
    await asyncio.sleep(3.0)
    actions = MonitoringActions(lab.ami)
    assert await actions.mix_monitor_mute(call.channel_id, True)
    await asyncio.sleep(1.0)
    assert await actions.mix_monitor_mute(call.channel_id, False)
    await lab.wait_for(call)
    ended = call.ended
    assert ended.outcome is Outcome.CONNECTED
    mutes = [e.muted for e in lab.events if isinstance(e, MixMonitorMute) and e.uniqueid == call.channel_id]
    assert mutes == [True, False]
    seconds = await _recorded_seconds(path)
    assert ended.talk_seconds is not None
    # Option b: only the bridged time is in the file (silence while muted), so it lasts as long as the talk.
    assert seconds == pytest.approx(ended.talk_seconds, abs=1.0), (seconds, ended.talk_seconds)
    assert not await actions.mix_monitor_mute(call.channel_id, True), "the channel is gone"


async def test_a_supervisor_whispers_then_barges_into_a_live_call(lab: Lab) -> None:
    agent = lab.agent()
    await lab.add_agent(agent)
    call = await lab.originate("9980001")
    await lab.wait_until(lambda: lab.tracker_connected(call), within=20)
    actions = MonitoringActions(lab.ami)
    supervisor = f"Local/supervisor{lab.run}@lab-supervisors"
    whisper = await actions.spy(SpyRequest(supervisor, agent, "whisper", "boss"), f"rt-{lab.run}-spy1")
    assert whisper.may_be_dialling, whisper

    def spying(channel_id: str) -> ChanSpyStart | None:
        # The spyer is the Local leg the supervisor's phone Dials; its linkedid is the phone leg's ChannelId.
        return next((e for e in lab.events if isinstance(e, ChanSpyStart) and e.spyer_linkedid == channel_id), None)

    await lab.wait_until(lambda: spying(whisper.channel_id) is not None)
    started = spying(whisper.channel_id)
    assert started is not None
    assert started.spyee_channel.startswith(f"{agent}-")
    assert await lab.ami.hangup(whisper.channel_id, 16)
    await lab.wait_until(lambda: any(isinstance(e, Hangup) and e.uniqueid == whisper.channel_id for e in lab.events))
    barge = await actions.spy(SpyRequest(supervisor, agent, "barge", "boss"), f"rt-{lab.run}-spy2")
    await lab.wait_until(lambda: spying(barge.channel_id) is not None)
    await lab.wait_for(call)
    # ChanSpy option E: the supervisor's leg ends with the agent's call.
    await lab.wait_until(
        lambda: any(isinstance(e, ChanSpyStop) and e.spyer_linkedid == barge.channel_id for e in lab.events)
    )
    await lab.wait_until(lambda: any(isinstance(e, Hangup) and e.uniqueid == barge.channel_id for e in lab.events))
    # Nobody to spy on: the supervisor's leg hangs up at once (option S).
    nobody = await actions.spy(SpyRequest(supervisor, lab.agent(), "listen", "boss"), f"rt-{lab.run}-spy3")
    await lab.wait_until(lambda: any(isinstance(e, Hangup) and e.uniqueid == nobody.channel_id for e in lab.events))
    assert spying(nobody.channel_id) is None


@pytest.mark.parametrize(
    ("mode", "number"),
    [("whisper", "5550001"), ("listen", "5550001"), ("barge", "5550001"), ("whisper", "9980001")],
    ids=["whisper-silent-call", "listen-silent-call", "barge-silent-call", "whisper-talking-call"],
)
async def test_hanging_up_a_spying_supervisor_ends_the_leg_while_the_call_goes_on(
    lab: Lab, mode: str, number: str
) -> None:
    """Stopping a session mid-spy: the dialer's Hangup of the supervisor's leg ends it at once, whatever the agent's
    channel does. A leg running ChanSpy itself stayed up until the agent's channel moved audio again, so on a silent
    call (5550001 answers and sends no media) until the agent's call ended: ChanSpy waits for the agent's channel
    to drop its spy/whisper audiohooks before it returns (app_chanspy.c channel_spy -> ast_audiohook_detach)."""
    agent = lab.agent()
    await lab.add_agent(agent)
    call = await lab.originate(number)
    await lab.wait_until(lambda: lab.tracker_connected(call), within=20)
    supervisor = f"Local/supervisor{lab.run}@lab-supervisors"
    spy = await MonitoringActions(lab.ami).spy(SpyRequest(supervisor, agent, mode, "boss"), f"rt-{lab.run}-{mode}")
    assert spy.may_be_dialling, spy
    await lab.wait_until(
        lambda: any(isinstance(e, ChanSpyStart) and e.spyer_linkedid == spy.channel_id for e in lab.events)
    )
    await asyncio.sleep(1.0)  # mid-spy
    assert await lab.ami.hangup(spy.channel_id, 16)
    # Both halves of the lab's Local phone hang up (its ;2 half is the "phone").
    legs = {spy.channel_id, f"{spy.channel_id};2"}
    await lab.wait_until(lambda: legs <= {e.uniqueid for e in lab.events if isinstance(e, Hangup)}, within=3.0)
    assert not call.done, "the agent's call goes on: it was not what ended the supervisor's leg"
    await lab.wait_for(call)


def _write_prompt(path: Path, seconds: float) -> None:
    """A prompt Asterisk can play (8 kHz 16-bit mono WAV, a 440 Hz tone)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rate = 8000
    frames = b"".join(
        struct.pack("<h", int(3000 * math.sin(2 * math.pi * 440 * i / rate))) for i in range(int(rate * seconds))
    )
    with wave.open(str(path), "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(rate)
        audio.writeframes(frames)


async def test_the_consent_announcement_plays_before_the_recording(lab: Lab, shared_dir: Path) -> None:
    """DIALER_RECORDING_CONSENT=1: the called party hears DIALER_CONSENT_PROMPT (dialer/recording-consent, written
    into the lab's sounds), DialerRecordingConsent says it played, then MixMonitor starts; the file holds the
    conversation only."""
    _local(lab)
    sounds = lab_sounds()
    await asyncio.to_thread(_write_prompt, sounds / "dialer" / "recording-consent.wav", 1.5)
    agent = lab.agent()
    await lab.add_agent(agent)
    path = shared_dir / "consented.wav"
    call = await lab.originate("9980001", variables={"DIALER_RECORDING": str(path), "DIALER_RECORDING_CONSENT": "1"})

    def consent() -> UserEvent | None:
        return next(
            (
                e
                for e in lab.events
                if isinstance(e, UserEvent) and e.name == "DialerRecordingConsent" and e.uniqueid == call.channel_id
            ),
            None,
        )

    await lab.wait_until(lambda: _recording_started(lab, call.channel_id))
    played = consent()
    assert played is not None
    assert (played.get("Attempt"), played.get("Status")) == (call.attempt_id, "SUCCESS")
    order = [e for e in lab.events if e is played or (isinstance(e, MixMonitorStart) and e.uniqueid == call.channel_id)]
    assert order[0] is played, "the announcement comes before the recording"
    await lab.wait_for(call)
    ended = call.ended
    assert ended.outcome is Outcome.CONNECTED
    assert ended.talk_seconds is not None
    seconds = await _recorded_seconds(path)
    assert seconds == pytest.approx(ended.talk_seconds, abs=1.0), (seconds, ended.talk_seconds)
