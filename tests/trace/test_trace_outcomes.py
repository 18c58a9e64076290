"""Every recorded Asterisk 22 transcript replayed through parser → typed events → tracker (README table)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from dialer.ami.events import (
    AgentComplete,
    CoreShowChannel,
    FullyBooted,
    ListComplete,
    OriginateResponse,
    QueueEntry,
    QueueMember,
    QueueMemberAdded,
    QueueMemberPause,
    QueueMemberRemoved,
    QueueParams,
    QueueSummary,
    Status,
    UserEvent,
)
from dialer.ami.parsing import parse_event
from dialer.ami.protocol import AmiParser
from dialer.ami.transcript import read_transcript, received_stream
from dialer.calls.outcome import Outcome
from dialer.calls.replay import ReplayResult, classification_rows, replay_file
from dialer.calls.tracker import (
    AgentRinging,
    AmdVerdict,
    CallAnswered,
    CallConnected,
    CallEnded,
    CallQueued,
    CallRinging,
)


def _replay(traces_dir: Path, name: str) -> ReplayResult:
    return replay_file(traces_dir / name)


def _only(result: ReplayResult) -> CallEnded:
    assert len(result.originated) == 1
    assert not result.lost
    return result.ended[result.originated[0].action_id]


def test_every_trace_parses_into_its_exact_message_count(traces_dir: Path) -> None:
    files = sorted(traces_dir.glob("*.txt"))
    assert len(files) == 18
    for path in files:
        raw = received_stream(path)
        banner, _, rest = raw.partition(b"\r\n")
        parser = AmiParser(expect_banner=True)
        messages = parser.feed(raw)
        assert parser.banner == banner.decode() == "Asterisk Call Manager/11.0.0"
        assert len(messages) == len(rest.split(b"\r\n\r\n")) - 1, path.name
        assert parser.buffered_chars == 0
        assert parser.discarded_frames == 0
        for message in messages:
            assert message.kind in ("event", "response"), (path.name, message)
            parse_event(message)  # never raises


def test_transcript_sent_markers_are_the_actions_listed_in_the_header(traces_dir: Path) -> None:
    from dialer.ami.transcript import Sent

    sent = [item.action for item in read_transcript(traces_dir / "originate-burst-50.txt") if isinstance(item, Sent)]
    originates = [a for a in sent if a.get("Action") == "Originate"]
    assert [a.get("ActionID") for a in originates] == [f"burst-{i:02d}" for i in range(1, 51)]
    assert originates[0].getall("Variable")


@pytest.mark.parametrize(
    ("name", "outcome", "cause"),
    [
        ("originate-busy.txt", Outcome.BUSY, 0),
        ("originate-noanswer.txt", Outcome.NO_ANSWER, 19),
        ("originate-congestion.txt", Outcome.CONGESTION, 0),
        ("originate-unallocated.txt", Outcome.UNALLOCATED, 1),
        ("originate-invalid-number.txt", Outcome.INVALID_NUMBER, 28),
        ("originate-callee-hangs-up-early.txt", Outcome.ABANDONED, 16),
    ],
)
def test_single_call_outcomes(traces_dir: Path, name: str, outcome: Outcome, cause: int) -> None:
    ended = _only(_replay(traces_dir, name))
    assert ended.outcome is outcome
    assert ended.cause == cause
    assert ended.agent_name is None
    assert ended.channel_id is not None
    assert ended.channel_id.startswith("amiref-")


def test_answered_call_connects_to_an_agent_with_timings_and_updates_in_order(traces_dir: Path) -> None:
    result = _replay(traces_dir, "originate-answer.txt")
    ended = _only(result)
    assert ended.outcome is Outcome.CONNECTED
    assert ended.reason == 4
    assert (ended.agent_name, ended.agent_interface) == ("Agent 1", "Local/agent1@sim-agents")
    assert ended.channel_id == "amiref-1795393677.0"
    # The callee rings 3 s; the agent rings 3 s (wait in queue ≈ 3.5 s); the agent talks 12 s.
    assert 2.5 <= ended.ring_seconds <= 3.5
    assert ended.wait_seconds is not None
    assert 2.5 <= ended.wait_seconds <= 4.5
    assert ended.talk_seconds is not None
    assert 11 <= ended.talk_seconds <= 14
    kinds = [type(u) for u in result.updates]
    assert kinds == [CallRinging, CallAnswered, CallQueued, AgentRinging, CallConnected, CallEnded]


def test_amd_machine_human_and_dead_air(traces_dir: Path) -> None:
    result = _replay(traces_dir, "originate-amd.txt")
    assert not result.lost
    machine = result.ended["orig-amd-machine"]
    human = result.ended["orig-amd-human"]
    dead_air = result.ended["orig-amd-deadair"]
    assert (machine.outcome, machine.amd_status, machine.amd_cause) == (
        Outcome.MACHINE,
        "MACHINE",
        "LONGGREETING-1500-1500",
    )
    assert (human.outcome, human.amd_status, human.amd_cause) == (Outcome.CONNECTED, "HUMAN", "HUMAN-800-800")
    assert human.agent_name is not None
    # NOTSURE is treated as a person; this dialplan hangs it up without an agent → counted as abandoned.
    assert (dead_air.outcome, dead_air.amd_status, dead_air.amd_cause) == (Outcome.ABANDONED, "NOTSURE", "TOOLONG-4900")
    verdicts = {u.attempt_id: u.status for u in result.updates if isinstance(u, AmdVerdict)}
    assert verdicts == {"orig-amd-machine": "MACHINE", "orig-amd-human": "HUMAN", "orig-amd-deadair": "NOTSURE"}


def test_channelid_failures_carry_the_chosen_id(traces_dir: Path) -> None:
    result = _replay(traces_dir, "originate-channelid.txt")
    assert not result.lost
    got = {aid: (e.outcome, e.channel_id, e.cause) for aid, e in result.ended.items()}
    assert got == {
        "cid-busy": (Outcome.BUSY, "lead4001-a1", 0),
        "cid-unalloc": (Outcome.UNALLOCATED, "lead4002-a1", 1),
        "cid-noanswer": (Outcome.NO_ANSWER, "lead4003-a1", 19),
        # ChannelId already in use by cid-noanswer: refused, no channel at all; must not steal the other call.
        "cid-dup": (Outcome.FAILED, None, None),
        "cid-early": (Outcome.ABANDONED, "lead4004-a1", 16),
    }


def test_dialer_hangups(traces_dir: Path) -> None:
    result = _replay(traces_dir, "originate-dialer-hangup.txt")
    assert not result.lost
    # Hung up by us while ringing (Reason 0, Cause 16) → cancelled.
    assert result.ended["drop1"].outcome is Outcome.CANCELLED
    assert result.ended["drop1"].cause == 16
    # Hung up by us after the callee answered, before an agent took it: a live answer with no agent → abandoned.
    assert result.ended["drop2"].outcome is Outcome.ABANDONED
    assert result.ended["drop2"].cause == 0


def test_bad_action_originates(traces_dir: Path) -> None:
    result = _replay(traces_dir, "bad-action.txt")
    assert not result.lost
    got = {aid: e.outcome for aid, e in result.ended.items()}
    assert got == {
        "bad-nochannel": Outcome.FAILED,  # Response: Error (Channel not specified)
        "bad-nocontext": Outcome.FAILED,  # Reason 0, ;1 Hangup Cause 0
        "bad-tech": Outcome.FAILED,  # Reason 0, no channel at all
        "sync-busy": Outcome.FAILED,  # synchronous Originate: Response: Error "Originate failed"
        # Neither Exten nor Application: Asterisk accepts it, the callee answers (Reason 4) and nobody takes it.
        "bad-noexten": Outcome.ABANDONED,
    }


def test_burst_of_50_outcomes_by_last_digit(traces_dir: Path) -> None:
    result = _replay(traces_dir, "originate-burst-50.txt")
    assert len(result.originated) == 50
    assert not result.lost
    expected = {
        "2": Outcome.BUSY,
        "3": Outcome.NO_ANSWER,
        "4": Outcome.CONGESTION,
        "5": Outcome.UNALLOCATED,
        "6": Outcome.INVALID_NUMBER,
        "8": Outcome.ABANDONED,
    }
    connected = 0
    for record in result.originated:
        ended = result.ended[record.action_id]
        digit = record.number[-1]
        if digit == "1":
            assert ended.outcome in (Outcome.CONNECTED, Outcome.ABANDONED), record.action_id
            connected += ended.outcome is Outcome.CONNECTED
            assert (ended.agent_name is not None) == (ended.outcome is Outcome.CONNECTED)
        else:
            assert ended.outcome is expected[digit], (record.action_id, ended)
    assert connected == 3  # three agents
    counts = Counter(e.outcome for e in result.ended.values())
    assert counts[Outcome.CONNECTED] + counts[Outcome.ABANDONED] == 16


def test_queue_and_status_lists_are_typed(traces_dir: Path) -> None:
    parser = AmiParser(expect_banner=True)
    events = [parse_event(m) for m in parser.feed(received_stream(traces_dir / "queue-status.txt"))]
    members = [e for e in events if isinstance(e, QueueMember)]
    assert {(m.queue, m.name, m.paused) for m in members} >= {("inbound-sales", "Agent 5", True)}
    assert any(isinstance(e, QueueParams) for e in events)
    entries = [e for e in events if isinstance(e, QueueEntry)]
    assert entries
    assert all(e.action_id for e in entries)
    assert any(isinstance(e, QueueSummary) for e in events)
    assert any(isinstance(e, ListComplete) and e.name == "QueueStatusComplete" for e in events)

    parser = AmiParser(expect_banner=True)
    events = [parse_event(m) for m in parser.feed(received_stream(traces_dir / "core-show-channels.txt"))]
    assert sum(isinstance(e, CoreShowChannel) for e in events) == 12
    assert sum(isinstance(e, Status) for e in events) == 12
    completes = {e.name: e.list_items for e in events if isinstance(e, ListComplete)}
    assert completes["CoreShowChannelsComplete"] == 12
    # An AgentComplete without the caller snapshot (caller already gone) still parses.
    assert any(isinstance(e, AgentComplete) and e.uniqueid == "" for e in events)


def test_queue_membership_events(traces_dir: Path) -> None:
    parser = AmiParser(expect_banner=True)
    events = [parse_event(m) for m in parser.feed(received_stream(traces_dir / "queue-add-pause-remove.txt"))]
    assert sum(isinstance(e, QueueMemberAdded) for e in events) == 1
    assert sum(isinstance(e, QueueMemberRemoved) for e in events) == 1
    pauses = [e for e in events if isinstance(e, QueueMemberPause)]
    assert any(p.paused and p.paused_reason for p in pauses)
    assert any(not p.paused for p in pauses)


def test_login_and_user_event(traces_dir: Path) -> None:
    parser = AmiParser(expect_banner=True)
    events = [parse_event(m) for m in parser.feed(received_stream(traces_dir / "login-ok.txt"))]
    assert any(isinstance(e, FullyBooted) for e in events)
    parser = AmiParser(expect_banner=True)
    events = [parse_event(m) for m in parser.feed(received_stream(traces_dir / "originate-amd.txt"))]
    user = [e for e in events if isinstance(e, UserEvent)]
    assert next((u.name, u.get("Status"), u.get("leadid")) for u in user) == (
        "DialerAMD",
        "MACHINE",
        "orig-amd-machine",
    )
    failures = [e for e in events if isinstance(e, OriginateResponse) and not e.success]
    assert failures == []


def test_classification_rows_for_the_cli(traces_dir: Path) -> None:
    rows = classification_rows(_replay(traces_dir, "originate-busy.txt"))
    assert rows == [
        {
            "action_id": "originate-busy",
            "channel_id": "amiref-1795393701.4",
            "outcome": "busy",
            "cause": 0,
            "agent": None,
            "amd": None,
        }
    ]
