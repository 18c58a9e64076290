"""The pure adoption planner: open attempts of a dead daemon + channel listings -> adopt / close / wait."""

from __future__ import annotations

from dialer.ami.events import CoreShowChannel
from dialer.calls.adoption import OpenAttempt, interface_of, live_calls, lost_outcome, plan_adoption
from dialer.calls.outcome import Outcome
from dialer.calls.tracker import CallEnded
from dialer.calls.witness import CallEvidence

NOW = 10_000.0
SETTLE = 50.0
ME = "host:2"


def channel(
    name: str,
    uniqueid: str,
    linkedid: str,
    *,
    state: int = 6,
    bridge: str = "",
    attempt: str | None = None,
) -> CoreShowChannel:
    variables = (("DIALER_ATTEMPT", attempt or ""), ("DIALER_CAMPAIGN", "spring" if attempt else ""))
    return CoreShowChannel(
        None, name, uniqueid, linkedid, state, "", "", "", "Queue", "", "00:01:00", bridge, variables
    )


def local_call(n: int, *, state: int = 6, agent: bool = False, with_channel_id: bool = True) -> list[CoreShowChannel]:
    """A dialled Local channel (;1 runs the dialer's dialplan, ;2 the callee) and maybe the agent's leg."""
    one = f"dialer-k-{n}" if with_channel_id else f"pbx-1795.{n}"
    bridge = f"bridge-{n}" if agent else ""
    chans = [
        channel(f"Local/555000{n}@sim-pstn-0000000{n};1", one, one, state=state, bridge=bridge, attempt=str(n)),
        channel(f"Local/555000{n}@sim-pstn-0000000{n};2", f"{one}-2", one, state=state, attempt=str(n)),
    ]
    if agent:
        chans.append(channel(f"PJSIP/100{n}-0000002{n}", f"{one}-a", one, bridge=bridge))
    return chans


def attempt(n: int, *, started: float = NOW - 120, **kw: object) -> OpenAttempt:
    return OpenAttempt(
        attempt_id=n,
        lead_id=100 + n,
        phone=f"+1212555000{n}",
        action_id=f"orig-k-{n}",
        channel_id=f"dialer-k-{n}",
        started_at=started,
        **kw,  # type: ignore[arg-type]
    )


def test_interface_of_strips_the_channel_sequence_and_local_half() -> None:
    assert interface_of("Local/agent01@sim-agents-0000001a;1") == "Local/agent01@sim-agents"
    assert interface_of("PJSIP/1001-00000004") == "PJSIP/1001"
    assert interface_of("PJSIP/1001") == "PJSIP/1001"


def test_live_calls_group_by_linkedid_with_answer_and_agent() -> None:
    calls = {c.linkedid: c for c in live_calls("sim", [*local_call(1, agent=True), *local_call(2, state=5)])}
    talking, ringing = calls["dialer-k-1"], calls["dialer-k-2"]
    assert talking.answered
    assert talking.bridged
    assert talking.agent_interface == "PJSIP/1001"
    assert talking.attempt_id == "1"
    assert talking.channels == 3
    assert not ringing.answered
    assert not ringing.bridged
    # Asterisk 22 sends AgentConnect just before the bridge is entered: an answered agent leg is the agent already.
    answered_agent = channel("PJSIP/1003-00000023", "a3", "dialer-k-3", state=6)
    ringing_agent = channel("PJSIP/1004-00000024", "a4", "dialer-k-4", state=5)
    (joining,) = live_calls("sim", [*local_call(3), answered_agent])
    (rung,) = live_calls("sim", [*local_call(4), ringing_agent])
    assert joining.agent_interface == "PJSIP/1003"
    assert rung.agent_interface is None
    # A call whose first channel is already gone is being torn down: not listed as live.
    assert live_calls("sim", local_call(3)[1:]) == []


def test_live_calls_are_adopted_by_channel_id_or_by_dialer_attempt() -> None:
    listing = {"sim": [*local_call(1, agent=True), *local_call(2, with_channel_id=False)]}
    no_channel_id = OpenAttempt(2, 102, "+12125550002", "orig-k-2", None, NOW - 120)
    plan = plan_adoption(
        [attempt(1), no_channel_id], listing, owner=ME, every_server_listed=True, now=NOW, settle_seconds=SETTLE
    )
    assert [(a.attempt.attempt_id, a.call.linkedid) for a in plan.adopt] == [(1, "dialer-k-1"), (2, "pbx-1795.2")]
    assert plan.close == []
    assert plan.waiting == []


def test_calls_listed_nowhere_are_closed_only_when_provably_over() -> None:
    old, young = attempt(5), attempt(6, started=NOW - 10)
    plan = plan_adoption([old, young], {"sim": []}, owner=ME, every_server_listed=True, now=NOW, settle_seconds=SETTLE)
    assert [c.attempt.attempt_id for c in plan.close] == [5]
    assert [a.attempt_id for a in plan.waiting] == [6]  # its channel may still be in the making
    # One server not listed (down): the call may be there, so nothing is closed.
    plan = plan_adoption([old], {"sim": []}, owner=ME, every_server_listed=False, now=NOW, settle_seconds=SETTLE)
    assert plan.close == []
    assert [a.attempt_id for a in plan.waiting] == [5]


def test_claims_of_live_daemons_are_respected() -> None:
    mine_in_the_making = attempt(7, started=NOW - 1, claim_owner=ME, claim_live=True)
    other_alive = attempt(8, claim_owner="host:1", claim_live=True)
    other_alive_live_call = attempt(1, claim_owner="host:1", claim_live=True)
    plan = plan_adoption(
        [mine_in_the_making, other_alive, other_alive_live_call],
        {"sim": local_call(1)},
        owner=ME,
        every_server_listed=True,
        now=NOW,
        settle_seconds=SETTLE,
    )
    # Our own Originate being written right now is none of adoption's business.
    assert 7 not in {a.attempt_id for a in plan.waiting} | {c.attempt.attempt_id for c in plan.close}
    # A live claimer (draining, or cut off from the database) writes its own outcomes: never closed for it...
    assert [a.attempt_id for a in plan.waiting] == [8]
    # ...but its live calls are followed all the same (the first outcome written wins).
    assert [a.attempt.attempt_id for a in plan.adopt] == [1]


def test_lost_outcome_is_conservative() -> None:
    assert lost_outcome(attempt(1, connected_at=NOW - 60, answered_at=NOW - 61)) is Outcome.CONNECTED
    assert lost_outcome(attempt(1, answered_at=NOW - 61)) is Outcome.ABANDONED  # counts against the abandon rate
    assert lost_outcome(attempt(1)) is Outcome.FAILED


def test_a_previous_process_of_the_same_node_is_adopted_at_once() -> None:
    # Same stable owner id, live claim, young attempt: started before this process, so a dead process's call.
    before_restart = attempt(1, started=NOW - 5, claim_owner=ME, claim_live=True)
    ours_now = attempt(2, started=NOW - 1, claim_owner=ME, claim_live=True)
    plan = plan_adoption(
        [before_restart, ours_now],
        {"sim": [*local_call(1), *local_call(2)]},
        owner=ME,
        every_server_listed=True,
        now=NOW,
        settle_seconds=SETTLE,
        process_started=NOW - 3,
    )
    assert [a.attempt.attempt_id for a in plan.adopt] == [1]
    assert plan.waiting == []
    assert plan.close == []


def _seen_end(n: int, outcome: Outcome, at: float) -> CallEvidence:
    ended = CallEnded(
        attempt_id=str(n),
        at=at,
        action_id=f"orig-k-{n}",
        channel_id=f"dialer-k-{n}",
        outcome=outcome,
        reason=3,
        cause=19,
        amd_status=None,
        amd_cause=None,
        agent_interface=None,
        agent_name=None,
        ring_seconds=20.0,
        wait_seconds=None,
        talk_seconds=None,
        duration_seconds=20.0,
    )
    return CallEvidence(None, None, None, None, None, None, None, ended, True)


def test_a_call_seen_ending_on_the_wire_is_closed_with_what_the_pbx_said_at_once() -> None:
    """Seen ending while nobody owned it: closed with the PBX's outcome (not inferred), without waiting for the settle
    time or every server's listing, and even if a stale listing still shows its channel."""
    young = attempt(1, started=NOW - 25)
    listed = attempt(2)
    seen = {1: _seen_end(1, Outcome.NO_ANSWER, NOW - 2), 2: _seen_end(2, Outcome.BUSY, NOW - 1)}
    plan = plan_adoption(
        [young, listed],
        {"sim": local_call(2)},
        owner=ME,
        every_server_listed=False,
        now=NOW,
        settle_seconds=SETTLE,
        seen_ended=seen,
    )
    assert [(c.attempt.attempt_id, c.outcome, c.inferred) for c in plan.close] == [
        (1, Outcome.NO_ANSWER, False),
        (2, Outcome.BUSY, False),
    ]
    assert plan.adopt == []
    # Another claimer's live lease: that daemon writes the outcome itself.
    theirs = attempt(3, claim_owner="host:9", claim_live=True)
    plan = plan_adoption(
        [theirs],
        {"sim": []},
        owner=ME,
        every_server_listed=True,
        now=NOW,
        settle_seconds=SETTLE,
        seen_ended={3: _seen_end(3, Outcome.NO_ANSWER, NOW - 1)},
    )
    assert plan.close == []
    # Without evidence the closure is inferred.
    plan = plan_adoption([attempt(4)], {"sim": []}, owner=ME, every_server_listed=True, now=NOW, settle_seconds=SETTLE)
    assert [c.inferred for c in plan.close] == [True]
