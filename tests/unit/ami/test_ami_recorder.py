"""`dialer trace record`'s recorder against the simulated PBX (it speaks AMI over TCP): no Asterisk needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialer.ami.recorder import (
    EVENTS_ON,
    LOGIN,
    LOGOFF,
    SCENARIOS,
    RecordingError,
    Scenario,
    Send,
    UntilClosed,
    UntilQuiet,
    originate,
    record,
    record_session,
    render,
)
from dialer.ami.transcript import Received, Sent, read_transcript, received_stream
from dialer.calls.replay import classification_rows, replay_file
from dialer.sim.pbx import SimulatedPbx
from dialer.sim.pbx.config import PbxConfig


async def test_login_ok_is_recorded_byte_for_byte(tmp_path: Path) -> None:
    out = tmp_path / "login-ok.txt"
    async with SimulatedPbx() as pbx:
        size = await record(SCENARIOS["login-ok"], pbx.host, pbx.port, "dialer", "dialer", out, version="sim")
    stream = received_stream(out)
    assert len(stream) == size
    assert stream.startswith(b"Asterisk Call Manager/")
    assert b"Response: Goodbye\r\n" in stream  # recorded until the server closed the socket
    items = list(read_transcript(out))
    sent = [item.action for item in items if isinstance(item, Sent)]
    assert [action.get("Action") for action in sent] == ["Login", "Events", "Ping", "Logoff"]
    # Markers only between messages: every received chunk after the banner is whole messages.
    chunks = [item.data for item in items if isinstance(item, Received)]
    assert all(chunk.endswith(b"\r\n") for chunk in chunks)
    assert all(chunk.endswith(b"\r\n\r\n") for chunk in chunks[1:])


async def test_wrong_secret_ends_when_the_server_closes(tmp_path: Path) -> None:
    out = tmp_path / "bad.txt"
    async with SimulatedPbx() as pbx:
        await record(SCENARIOS["login-bad-secret"], pbx.host, pbx.port, "dialer", "dialer", out, version="sim")
    stream = received_stream(out)
    assert b"Permission denied" in stream
    assert b"Authentication failed" in stream


async def test_a_call_is_recorded_until_quiet_and_replays_to_an_outcome(tmp_path: Path) -> None:
    scenario = Scenario(
        "one-call",
        "one originate",
        (
            LOGIN,
            EVENTS_ON,
            originate("5550002", "orig-1", channel_id="rec-1"),
            UntilQuiet(0.5, 60.0),
            LOGOFF,
            UntilClosed(),
        ),
    )
    out = tmp_path / "one-call.txt"
    async with SimulatedPbx(PbxConfig.recorded()) as pbx:  # ...2 is busy, as in the lab
        await record(scenario, pbx.host, pbx.port, "dialer", "dialer", out, version="sim")
    stream = received_stream(out)
    assert b"Event: OriginateResponse\r\n" in stream
    # Until quiet: the session went on until every channel that appeared had hung up.
    assert stream.count(b"Event: Newchannel\r\n") == stream.count(b"Event: Hangup\r\n") > 0
    rows = classification_rows(replay_file(out))
    assert len(rows) == 1
    assert rows[0]["action_id"] == "orig-1"
    assert rows[0]["outcome"] == "busy"


async def test_a_transcript_that_would_not_give_back_the_stream_is_refused() -> None:
    scenario = SCENARIOS["login-ok"]
    async with SimulatedPbx() as pbx:
        body, sent, received, _ = await record_session(scenario, pbx.host, pbx.port, "dialer", "dialer")
    render(scenario, body, sent, received, source="sim", version="sim")  # the real thing passes
    with pytest.raises(RecordingError):
        render(scenario, body + b"#sneaky\r\n", sent, received + b"x", source="sim", version="sim")


def test_every_scenario_logs_in_first_or_is_about_login() -> None:
    """The recorded session's first action is its Login (an Aside step before it runs on a connection of its own)."""
    for name, scenario in SCENARIOS.items():
        first = next(step for step in scenario.steps if isinstance(step, Send))
        assert name.startswith("login") or first == LOGIN, name
        assert isinstance(scenario.steps[-1], UntilClosed), name
