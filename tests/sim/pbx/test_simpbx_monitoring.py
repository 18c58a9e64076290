"""Recording and supervisor monitoring: the simulated PBX against the lab's Asterisk 22
(tests/fixtures/ami-traces/lab/recording-all.txt, recording-consent.txt, recording-on-demand.txt,
supervise-whisper-barge.txt).

The recorded actions are replayed at their recorded offsets into the simulated PBX (recorded world, the lab's
systemname and channelvars); the monitoring part of the dialect is compared: every response text, the header
shapes of the MixMonitor*/ChanSpy* events, their order, and the spied-on / recorded channel's role.
"""

from __future__ import annotations

import wave
from pathlib import Path

import pytest
from simpbx_replay import lab_replayed, responses

from dialer.ami.protocol import AmiMessage
from dialer.sim.pbx.tracetools import ChannelRoles, compare_header_names

MONITORING = frozenset({"MixMonitorStart", "MixMonitorStop", "MixMonitorMute", "ChanSpyStart", "ChanSpyStop"})
NAMES = ["recording-all", "recording-consent", "recording-on-demand", "supervise-whisper-barge"]


def monitoring(messages: list[AmiMessage]) -> list[tuple[str, ...]]:
    """(event, the role of its channel / spyer, the role of the spyee, Direction, State, the uniqueid of the recorded
    channel / the spyer's linkedid), in order."""
    roles = ChannelRoles()
    out: list[tuple[str, ...]] = []
    for m in messages:
        if not m.is_event:
            continue
        for key in ("Channel", "SpyerChannel", "SpyeeChannel"):
            if ";" in (m.get(key) or ""):
                roles.role(m.get(key) or "")
        if m.name in MONITORING:
            channel = m.get("Channel") or m.get("SpyerChannel") or ""
            spyee = m.get("SpyeeChannel") or ""
            out.append(
                (
                    m.name,
                    roles.role(channel),
                    # which half of a Local agent ChanSpy finds depends on Asterisk's hash order
                    roles.role(spyee).split(";")[0] if spyee else "",
                    m.get("Direction") or "",
                    m.get("State") or "",
                    # ChanSpy's spyer is the Local leg Asterisk names (its own uniqueid); its linkedid is our ChannelId
                    m.get("Uniqueid") or m.get("SpyerLinkedid") or "",
                )
            )
    return out


@pytest.mark.parametrize("name", NAMES)
async def test_responses_are_text_equal(name: str) -> None:
    recorded, simulated = await lab_replayed(name)
    assert responses(simulated) == responses(recorded)


@pytest.mark.parametrize("name", NAMES)
async def test_monitoring_events_match_event_by_event(name: str) -> None:
    recorded, simulated = await lab_replayed(name)
    assert monitoring(recorded), "the recording has monitoring events"
    assert monitoring(simulated) == monitoring(recorded)


@pytest.mark.parametrize("name", NAMES)
async def test_monitoring_header_shapes_match(name: str) -> None:
    recorded, simulated = await lab_replayed(name)
    names = {m.name for m in recorded if m.is_event and m.name in MONITORING}
    assert compare_header_names(recorded, simulated, names=names) == []


async def test_a_spy_channel_hangs_up_when_the_agent_call_ends(tmp_path: Path) -> None:
    recorded, simulated = await lab_replayed("supervise-whisper-barge")

    def spy_hangups(messages: list[AmiMessage]) -> list[str]:
        return [
            m.get("Uniqueid") or "" for m in messages if m.name == "Hangup" and "supervisor" in (m.get("Channel") or "")
        ]

    assert sorted(set(spy_hangups(simulated))) == sorted(set(spy_hangups(recorded)))


async def test_the_recording_file_is_as_long_as_the_recorded_time(tmp_path: Path) -> None:
    await lab_replayed("recording-on-demand", monitor_dir=str(tmp_path))
    path = tmp_path / "dialer-fixtures" / "fixture-dem-1.wav"
    with wave.open(str(path)) as audio:
        seconds = audio.getnframes() / audio.getframerate()
    # The lab's file: MixMonitor at +5 s, StopMixMonitor at +8 s (tests/fixtures/ami-traces/lab, 48 000 bytes).
    assert seconds == pytest.approx(3.0, abs=0.2)


def consent_steps(messages: list[AmiMessage], uniqueid: str) -> list[tuple[str, ...]]:
    """What the called party's channel runs in [dialer-record]: its dialplan steps, the stage and playback status it
    sets, the DialerRecordingConsent event, then the recording's start."""
    out: list[tuple[str, ...]] = []
    for m in messages:
        if m.get("Uniqueid") != uniqueid:
            continue
        if m.name == "Newexten" and m.get("Context") == "dialer-record":
            out.append(
                (
                    m.name,
                    m.get("Exten") or "",
                    m.get("Priority") or "",
                    m.get("Application") or "",
                    m.get("AppData") or "",
                )
            )
        elif m.name == "VarSet" and m.get("Variable") in ("DIALER_STAGE", "PLAYBACKSTATUS"):
            out.append((m.name, m.get("Variable") or "", m.get("Value") or ""))
        elif m.name == "UserEvent" and m.get("UserEvent") == "DialerRecordingConsent":
            out.append((m.name, m.get("Attempt") or "", m.get("Status") or ""))
        elif m.name == "MixMonitorStart":
            out.append((m.name,))
            break
    return out


async def test_the_consent_announcement_plays_before_the_recording_starts() -> None:
    recorded, simulated = await lab_replayed("recording-consent")
    steps = consent_steps(recorded, "fixture-con-1")
    assert ("UserEvent", "con-1", "SUCCESS") in steps
    assert steps[-1] == ("MixMonitorStart",)
    assert consent_steps(simulated, "fixture-con-1") == steps
