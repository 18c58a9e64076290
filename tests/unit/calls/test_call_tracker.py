"""The pure call tracker and outcome classification, event by event (shapes as Asterisk 22 sends them)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dialer.ami.events import (
    AgentCalled,
    AgentConnect,
    AmiEvent,
    DialEnd,
    Hangup,
    Newchannel,
    OriginateResponse,
    QueueCallerAbandon,
    QueueCallerJoin,
    QueueCallerLeave,
    QueueEntry,
    UserEvent,
    VarSet,
)
from dialer.ami.parsing import parse_event
from dialer.ami.protocol import AmiMessage
from dialer.calls.classify import CallFacts, classify
from dialer.calls.outcome import Outcome
from dialer.calls.queue_load import QueueLoad
from dialer.calls.tracker import (
    CallAnswered,
    CallConnected,
    CallEnded,
    CallLost,
    CallOptedOut,
    CallTracker,
    CallUpdate,
    OriginateRecord,
)
from dialer.sim.pbx.tracetools import load_trace


def _record(n: int = 1, channel_id: str | None = "cid-1", sent_at: float = 0.0) -> OriginateRecord:
    return OriginateRecord(
        action_id=f"a{n}",
        attempt_id=f"att{n}",
        dial_string=f"PJSIP/+1555000000{n}@trunk",
        number=f"+1555000000{n}",
        sent_at=sent_at,
        channel_id=channel_id,
        timeout_seconds=30,
    )


def _hangup(uniqueid: str, cause: int, linkedid: str | None = None, channel: str = "PJSIP/trunk-1") -> Hangup:
    return Hangup(channel, uniqueid, linkedid or uniqueid, 6, "", "", "", cause, "")


def _response(action_id: str, reason: int, uniqueid: str | None) -> OriginateResponse:
    return OriginateResponse(action_id, reason == 4, reason, "PJSIP/trunk-1", uniqueid, "dialer-connect", "s")


def _feed(tracker: CallTracker, events: list[tuple[float, AmiEvent]]) -> list[CallUpdate]:
    out: list[CallUpdate] = []
    for now, event in events:
        out += tracker.feed(event, now)
    return out


@pytest.mark.parametrize(
    ("facts", "outcome"),
    [
        (CallFacts(False, 5, 0, "BUSY", None, False, False), Outcome.BUSY),
        (CallFacts(False, 8, 0, None, None, False, False), Outcome.CONGESTION),
        (CallFacts(False, 3, 19, None, None, False, False), Outcome.NO_ANSWER),
        (CallFacts(False, 0, 1, "NOANSWER", None, False, False), Outcome.UNALLOCATED),
        (CallFacts(False, 0, 28, "NOANSWER", None, False, False), Outcome.INVALID_NUMBER),
        (CallFacts(False, 0, 16, "NOANSWER", None, False, False), Outcome.CANCELLED),
        (CallFacts(False, 0, 0, None, None, False, True), Outcome.CANCELLED),
        (CallFacts(False, 0, 0, None, None, False, False), Outcome.FAILED),
        (CallFacts(False, None, None, None, None, False, False, rejected=True), Outcome.FAILED),
        (CallFacts(True, 4, 16, "ANSWER", None, True, False), Outcome.CONNECTED),
        (CallFacts(True, 4, 16, "ANSWER", None, False, False), Outcome.ABANDONED),
        (CallFacts(True, 4, 16, "ANSWER", "MACHINE", False, False), Outcome.MACHINE),
        (CallFacts(True, 4, 16, "ANSWER", "NOTSURE", True, False), Outcome.CONNECTED),
        (CallFacts(True, 4, 16, "ANSWER", "HUMAN", False, True), Outcome.ABANDONED),
        (CallFacts(False, None, 0, "BUSY", None, False, False), Outcome.BUSY),
        # A real PJSIP trunk: 486 and 503 come back as Reason 0 with the Q.850 cause (lab Asterisk 22).
        (CallFacts(False, 0, 17, "BUSY", None, False, False), Outcome.BUSY),
        (CallFacts(False, 0, 34, "CONGESTION", None, False, False), Outcome.CONGESTION),
        (CallFacts(False, 0, 19, None, None, False, False), Outcome.NO_ANSWER),
    ],
)
def test_classification_table(facts: CallFacts, outcome: Outcome) -> None:
    assert classify(facts) is outcome


def test_channel_id_correlation_response_after_hangup() -> None:
    tracker = CallTracker()
    tracker.register(_record())
    updates = _feed(tracker, [(1.0, _hangup("cid-1", 17)), (1.1, _response("a1", 5, "cid-1"))])
    (ended,) = updates
    assert isinstance(ended, CallEnded)
    assert (ended.outcome, ended.cause, ended.channel_id, ended.attempt_id) == (Outcome.BUSY, 17, "cid-1", "att1")
    assert tracker.active_calls == 0


def test_answered_queued_connected_with_timings() -> None:
    tracker = CallTracker()
    tracker.register(_record())
    agent = ("Local/agent1@x-1;1", "agent.1", "q", "Local/agent1@x", "Agent 1")
    updates = _feed(
        tracker,
        [
            (0.1, Newchannel("PJSIP/trunk-1", "cid-1", "cid-1", 0, "", "", "")),
            (4.0, DialEnd(None, None, None, "PJSIP/trunk-1", "cid-1", "cid-1", "ANSWER")),
            (4.1, _response("a1", 4, "cid-1")),
            (4.5, QueueCallerJoin("PJSIP/trunk-1", "cid-1", "cid-1", 6, "", "", "", "q", 1, 1)),
            (4.6, AgentCalled("PJSIP/trunk-1", "cid-1", "cid-1", agent[0], agent[1], agent[2], agent[3], agent[4])),
            (6.0, AgentConnect("PJSIP/trunk-1", "cid-1", "cid-1", agent[0], agent[1], "q", agent[3], agent[4], 1, 1)),
            (30.0, _hangup("agent.1", 16, linkedid="cid-1")),  # the agent leg: not the dialled channel
            (30.1, _hangup("cid-1", 16)),
        ],
    )
    kinds = [type(u).__name__ for u in updates]
    assert kinds == ["CallAnswered", "CallQueued", "AgentRinging", "CallConnected", "CallEnded"]
    answered = updates[0]
    assert isinstance(answered, CallAnswered)
    connected = updates[3]
    assert isinstance(connected, CallConnected)
    assert connected.wait_seconds == pytest.approx(1.5)
    ended = updates[-1]
    assert isinstance(ended, CallEnded)
    assert ended.outcome is Outcome.CONNECTED
    assert ended.agent_name == "Agent 1"
    assert ended.talk_seconds == pytest.approx(24.1)
    assert ended.wait_seconds == pytest.approx(1.5)
    assert ended.duration_seconds == pytest.approx(30.1)


def test_abandoned_in_queue() -> None:
    tracker = CallTracker()
    tracker.register(_record())
    updates = _feed(
        tracker,
        [
            (4.0, _response("a1", 4, "cid-1")),
            (4.5, QueueCallerJoin("PJSIP/trunk-1", "cid-1", "cid-1", 6, "", "", "", "q", 1, 1)),
            (6.5, QueueCallerAbandon("PJSIP/trunk-1", "cid-1", "cid-1", 6, "", "", "", "q", 1, 1, 2)),
            (6.5, QueueCallerLeave("PJSIP/trunk-1", "cid-1", "cid-1", 6, "", "", "", "q", 1, 0)),
            (6.6, _hangup("cid-1", 16)),
        ],
    )
    ended = updates[-1]
    assert isinstance(ended, CallEnded)
    assert ended.outcome is Outcome.ABANDONED
    assert ended.wait_seconds == pytest.approx(2.0)


def test_amd_machine_from_varset() -> None:
    tracker = CallTracker()
    tracker.register(_record())

    def var(name: str, value: str) -> VarSet:
        return VarSet("PJSIP/trunk-1", "cid-1", "cid-1", 6, "", "dialer-amd", "s", name, value)

    updates = _feed(
        tracker,
        [
            (3.0, _response("a1", 4, "cid-1")),
            (8.0, var("AMDSTATUS", "MACHINE")),
            (8.0, var("AMDCAUSE", "LONGGREETING-1500-1500")),
            (8.1, _hangup("cid-1", 16)),
        ],
    )
    verdict = [u for u in updates if type(u).__name__ == "AmdVerdict"]
    assert len(verdict) == 1
    ended = updates[-1]
    assert isinstance(ended, CallEnded)
    assert (ended.outcome, ended.amd_status, ended.amd_cause) == (Outcome.MACHINE, "MACHINE", "LONGGREETING-1500-1500")


def test_attempt_variable_links_a_call_without_channel_id() -> None:
    tracker = CallTracker()
    tracker.register(_record(channel_id=None))
    updates = _feed(
        tracker,
        [
            (0.1, VarSet("PJSIP/trunk-9", "u.9", "u.9", 0, "", "", "", "DIALER_ATTEMPT", "att1")),
            (2.0, _hangup("u.9", 1, channel="PJSIP/trunk-9")),
            (2.1, OriginateResponse("a1", False, 0, "PJSIP/+15550000001@trunk", None, "", "")),
        ],
    )
    ended = updates[-1]
    assert isinstance(ended, CallEnded)
    assert (ended.outcome, ended.channel_id) == (Outcome.UNALLOCATED, "u.9")


def test_failure_without_any_channel_settles_after_the_grace() -> None:
    tracker = CallTracker(channel_grace_seconds=10)
    tracker.register(_record(channel_id=None))
    assert tracker.feed(OriginateResponse("a1", False, 0, "Bogus/1", None, "", ""), 1.0) == ()
    assert tracker.sweep(5.0) == []
    (ended,) = tracker.sweep(11.0)
    assert isinstance(ended, CallEnded)
    assert ended.outcome is Outcome.FAILED
    assert tracker.active_calls == 0


def test_sweep_reports_calls_whose_events_never_come() -> None:
    tracker = CallTracker(response_grace_seconds=60, max_call_seconds=100)
    tracker.register(_record(1, "c1"))
    tracker.register(_record(2, "c2"))
    tracker.feed(_response("a2", 4, "c2"), 5.0)
    assert tracker.sweep(80.0) == []
    lost = tracker.sweep(91.0)
    assert [(u.attempt_id, type(u)) for u in lost] == [("att1", CallLost)]
    lost = tracker.sweep(106.0)
    assert len(lost) == 1
    assert isinstance(lost[0], CallLost)
    assert lost[0].answered
    assert tracker.active_calls == 0


def test_reconcile_after_reconnect_and_unregister() -> None:
    tracker = CallTracker()
    tracker.register(_record(1, "c1", sent_at=0))
    tracker.register(_record(2, "c2", sent_at=0))
    tracker.register(_record(3, "c3", sent_at=99))
    assert tracker.unregister("a3")
    assert not tracker.unregister("a3")
    lost = tracker.reconcile(["c2"], now=100)
    assert [u.attempt_id for u in lost] == ["att1"]
    assert tracker.is_tracking("att2")
    assert tracker.uniqueid_of("att2") == "c2"
    assert tracker.attempt_for_uniqueid("c2") == "att2"


def test_duplicate_registration_is_refused() -> None:
    tracker = CallTracker()
    tracker.register(_record())
    with pytest.raises(ValueError, match="already tracked"):
        tracker.register(_record())


def test_rejected_originate_is_failed_and_forgotten() -> None:
    tracker = CallTracker()
    tracker.register(_record())
    (ended,) = tracker.originate_rejected("a1", 0.5)
    assert isinstance(ended, CallEnded)
    assert ended.outcome is Outcome.FAILED
    assert tracker.originate_rejected("a1", 0.6) == ()


def test_malformed_event_is_logged_and_skipped() -> None:
    message = AmiMessage((("Event", "Hangup"), ("Channel", "x"), ("Uniqueid", "u"), ("Cause", "sixteen")))
    assert parse_event(message) is None
    assert parse_event(AmiMessage((("Event", "Newexten"), ("Channel", "x")))) is None
    assert parse_event(AmiMessage((("Response", "Success"),))) is None


def test_queue_load_for_blending() -> None:
    load = QueueLoad(["inbound"])

    def join(uid: str, queue: str = "inbound") -> QueueCallerJoin:
        return QueueCallerJoin("c", uid, uid, 6, "", "", "", queue, 1, 1)

    def leave(uid: str) -> QueueCallerLeave:
        return QueueCallerLeave("c", uid, uid, 6, "", "", "", "inbound", 1, 0)

    assert load.feed(join("u1"), 0.0)
    assert load.feed(join("u2"), 5.0)
    assert not load.feed(join("o1", "outbound"), 5.0)
    assert load.waiting("inbound") == 2
    assert load.longest_wait("inbound", 10.0) == 10.0
    load.feed(QueueCallerAbandon("c", "u1", "u1", 6, "", "", "", "inbound", 1, 1, 10), 10.0)
    assert load.feed(leave("u1"), 10.0)
    assert not load.feed(leave("u1"), 10.0)
    assert (load.waiting("inbound"), load.abandoned("inbound"), load.total_waiting()) == (1, 1, 1)
    load.reset_from_entries([QueueEntry("x", "inbound", 1, "c", "u7", "", 30)], 100.0, ["inbound"])
    assert load.snapshot(100.0) == {"inbound": (1, 30.0)}


def test_trace_classify_command(traces_dir: Path) -> None:
    from dialer.cli import app

    result = CliRunner().invoke(app, ["trace", "classify", str(traces_dir / "originate-channelid.txt")])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["action_id"], r["outcome"]) for r in rows] == [
        ("cid-busy", "busy"),
        ("cid-unalloc", "unallocated"),
        ("cid-noanswer", "no_answer"),
        ("cid-dup", "failed"),
        ("cid-early", "abandoned"),
    ]
    assert set(rows[0]) == {"action_id", "channel_id", "outcome", "cause", "agent", "amd"}
    missing = CliRunner().invoke(app, ["trace", "classify", "/nonexistent.txt"])
    assert missing.exit_code == 1


def _user_event(name: str, channel_uid: str, **fields: str) -> UserEvent:
    return UserEvent("Local/x-1;1", channel_uid, channel_uid, 6, "", "", "", name, tuple(fields.items()))


def test_production_dialplan_user_events() -> None:
    """asterisk/extensions.conf: no VarSet in production; DialerAMD/DialerAgentConnect/... carry the Attempt."""
    tracker = CallTracker()
    tracker.register(_record(1, "c1"))
    tracker.register(_record(2, "c2"))
    updates = _feed(
        tracker,
        [
            (3.0, _response("a1", 4, "c1")),
            (3.5, _user_event("DialerAMD", "c1", Status="HUMAN", Cause="HUMAN-800-800", Attempt="att1")),
            # raised on the agent's leg: only the Attempt field links it
            (3.8, _user_event("DialerAgentConnect", "agent-leg", Attempt="att1", Agent="PJSIP/agent7")),
            (20.0, _user_event("DialerCallEnd", "c1", Attempt="att1", Stage="CONNECTED", Agent="PJSIP/agent7")),
            (20.0, _hangup("c1", 16)),
            # JOINEMPTY: DialerAbandon before the OriginateResponse, no queue events at all
            (4.0, _user_event("DialerAbandon", "c2", Attempt="att2", QueueStatus="JOINEMPTY")),
            (4.1, _response("a2", 4, "c2")),
            (9.0, _user_event("DialerOptOut", "c2", Attempt="att2", Campaign="spring")),
            (9.5, _hangup("c2", 16)),
        ],
    )
    ended = {u.attempt_id: u for u in updates if isinstance(u, CallEnded)}
    assert (ended["att1"].outcome, ended["att1"].agent_interface, ended["att1"].amd_status) == (
        Outcome.CONNECTED,
        "PJSIP/agent7",
        "HUMAN",
    )
    assert (ended["att2"].outcome, ended["att2"].detail) == (Outcome.ABANDONED, "JOINEMPTY")
    assert [u.campaign for u in updates if isinstance(u, CallOptedOut)] == ["spring"]
    connected = [u for u in updates if isinstance(u, CallConnected)]
    assert connected[0].wait_seconds == pytest.approx(0.8)


LAB_TRACES = Path(__file__).resolve().parents[2] / "fixtures" / "ami-traces" / "lab"


@pytest.mark.parametrize("name", ["inbound-queue-timeout", "inbound-joinempty", "ivr-inbound-queue-timeout"])
def test_an_inbound_callers_dialer_abandon_is_no_outbound_calls(name: str) -> None:
    """DialerAbandon with an empty Attempt (an inbound caller of [dialer-inbound] or an inbound IVR caller, recorded
    from Asterisk 22) arrives while an outbound call is in flight: the tracker leaves it alone, and the outbound
    call ends with its own outcome, not the inbound caller's QueueStatus."""
    tracker = CallTracker()
    tracker.register(_record(1, "c1"))
    assert _feed(tracker, [(1.0, _response("a1", 4, "c1"))])
    inbound = [e for m in load_trace(LAB_TRACES / f"{name}.txt") if (e := parse_event(m)) is not None]
    abandons = [e for e in inbound if isinstance(e, UserEvent) and e.name == "DialerAbandon"]
    assert abandons
    assert all(e.get("Attempt") == "" and e.get("Queue") == "inbound-sales" for e in abandons)
    assert _feed(tracker, [(2.0, e) for e in inbound]) == []
    updates = _feed(
        tracker,
        [
            (3.0, _user_event("DialerAgentConnect", "agent-leg", Attempt="att1", Agent="PJSIP/agent7")),
            (20.0, _user_event("DialerCallEnd", "c1", Attempt="att1", Stage="CONNECTED", Agent="PJSIP/agent7")),
            (20.0, _hangup("c1", 16)),
        ],
    )
    (ended,) = [u for u in updates if isinstance(u, CallEnded)]
    assert (ended.outcome, ended.detail, ended.agent_interface) == (Outcome.CONNECTED, "CONNECTED", "PJSIP/agent7")
