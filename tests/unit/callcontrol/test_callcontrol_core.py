"""The pure call-control core: which AMI commands each button sends, which states allow it, and the legs kept."""

from __future__ import annotations

import pytest

from dialer.callcontrol.core import (
    CallControlError,
    CallState,
    ControlledCall,
    HangupChannel,
    LegHow,
    OriginateInto,
    Party,
    PartyKind,
    PlayDigits,
    Redirect,
    SetVar,
)

CUSTOMER = "dialer-abc-1"
AGENT = "PJSIP/1001-00000001"
SECOND = Party(PartyKind.AGENT, "bob", "PJSIP/1002")
CLOSERS = Party(PartyKind.QUEUE, "closers")
OUTSIDE = Party(PartyKind.EXTERNAL, "+13125550101", "PJSIP/+13125550101@carrier")


def a_call(at: float = 100.0) -> ControlledCall:
    return ControlledCall(42, CUSTOMER, "alice", AGENT, at)


def test_hold_and_resume_move_both_legs_and_count_the_hold_time() -> None:
    call = a_call()
    assert call.hold(110.0) == [Redirect(CUSTOMER, "dialer-hold", "s", AGENT, "dialer-hold", "agent")]
    assert call.state is CallState.HELD
    with pytest.raises(CallControlError, match="cannot put the customer on hold"):
        call.hold(111.0)
    with pytest.raises(CallControlError, match="DTMF"):
        call.dtmf("1")
    assert call.resume(125.0) == [Redirect(CUSTOMER, "dialer-conference", "42", AGENT, "dialer-conference", "42")]
    assert (call.state, call.hold_seconds) == (CallState.TALKING, 15.0)


def test_dtmf_is_checked_and_sent_to_the_customer() -> None:
    call = a_call()
    assert call.dtmf("12#*") == [PlayDigits(CUSTOMER, "12#*")]
    for bad in ("", "12x", "1" * 33):
        with pytest.raises(CallControlError):
            call.dtmf(bad)


def test_blind_transfer_to_a_queue_hands_the_customer_over_and_ends_the_agent_leg() -> None:
    call = a_call()
    commands = call.blind_transfer(CLOSERS, "alice", 130.0)
    assert commands == [
        SetVar(CUSTOMER, "DIALER_TRANSFER_QUEUE", "closers"),
        Redirect(CUSTOMER, "dialer-transfer", "queue"),
        HangupChannel(AGENT),
    ]
    assert call.state is CallState.TRANSFERRED
    first, second = call.legs
    assert (first.ended_at, first.talk_seconds()) == (130.0, 30.0)
    assert (second.party, second.how, second.transferred_by) == (CLOSERS, LegHow.BLIND, "alice")
    with pytest.raises(CallControlError):
        call.hold(131.0)


def test_the_closer_who_takes_a_queued_transfer_is_in_charge() -> None:
    call = a_call()
    assert call.queue_transfer_waiting() is None
    call.blind_transfer(CLOSERS, "alice", 130.0)
    assert call.queue_transfer_waiting() == "closers"
    call.queue_answered("carol", "PJSIP/1003-00000007", 140.0)
    assert call.queue_transfer_waiting() is None
    assert (call.state, call.controller, call.agent_channel) == (CallState.TALKING, "carol", "PJSIP/1003-00000007")
    _, queued, closer = call.legs
    assert (queued.ended_at, queued.talk_seconds()) == (140.0, 10.0)  # the customer's wait in the queue
    assert (closer.party, closer.how, closer.transferred_by) == (
        Party(PartyKind.AGENT, "carol"),
        LegHow.ANSWERED,
        None,
    )
    assert call.hold(150.0)[0] == Redirect(CUSTOMER, "dialer-hold", "s", "PJSIP/1003-00000007", "dialer-hold", "agent")
    with pytest.raises(CallControlError):
        call.queue_answered("dave", "PJSIP/1004-00000008", 151.0)


def test_blind_transfer_to_an_outside_number_dials_the_checked_dial_string() -> None:
    call = a_call()
    commands = call.blind_transfer(OUTSIDE, "alice", 130.0)
    assert commands[:2] == [
        SetVar(CUSTOMER, "DIALER_TRANSFER_DIAL", "PJSIP/+13125550101@carrier"),
        Redirect(CUSTOMER, "dialer-transfer", "dial"),
    ]


def test_warm_transfer_completed_gives_the_call_to_the_second_agent() -> None:
    call = a_call()
    assert call.start_warm_transfer(SECOND, "alice", 120.0) == [
        SetVar(AGENT, "DIALER_TRANSFER_DIAL", "PJSIP/1002"),
        Redirect(CUSTOMER, "dialer-hold", "s", AGENT, "dialer-transfer", "dial"),
    ]
    assert call.state is CallState.CONSULTING
    with pytest.raises(CallControlError, match="not answered"):
        call.complete_warm_transfer(121.0)
    call.target_answered("PJSIP/1002-00000009", 122.0)
    assert call.complete_warm_transfer(130.0) == [
        Redirect(CUSTOMER, "dialer-conference", "42", "PJSIP/1002-00000009", "dialer-conference", "42")
    ]
    assert (call.state, call.controller, call.agent_channel) == (CallState.TALKING, "bob", "PJSIP/1002-00000009")
    assert call.hold_seconds == 10.0
    # bob now controls the call: hold moves his leg.
    assert call.hold(140.0) == [Redirect(CUSTOMER, "dialer-hold", "s", "PJSIP/1002-00000009", "dialer-hold", "agent")]
    call.ended(150.0)
    first, second = call.legs
    assert (first.talk_seconds(), first.ended_at) == (30.0, 130.0)
    assert (second.how, second.transferred_by, second.talk_seconds()) == (LegHow.WARM, "alice", 20.0)
    assert call.transfers() == [second]


def test_warm_transfer_cancelled_returns_to_the_customer_and_hangs_up_the_target() -> None:
    call = a_call()
    call.start_warm_transfer(OUTSIDE, "alice", 120.0)
    call.target_answered("PJSIP/carrier-00000003", 121.0)
    assert call.cancel_warm_transfer(125.0) == [
        Redirect(CUSTOMER, "dialer-conference", "42", AGENT, "dialer-conference", "42"),
        HangupChannel("PJSIP/carrier-00000003"),
    ]
    assert (call.state, call.controller) == (CallState.TALKING, "alice")
    assert call.legs[1].talk_seconds() == 0.0  # never talked with the customer
    with pytest.raises(CallControlError):
        call.start_warm_transfer(CLOSERS, "alice", 126.0)


def test_three_way_then_the_agent_drops_out() -> None:
    call = a_call()
    commands = call.conference_in(OUTSIDE, "alice", 110.0)
    assert commands == [
        Redirect(CUSTOMER, "dialer-conference", "42", AGENT, "dialer-conference", "42"),
        OriginateInto("PJSIP/+13125550101@carrier", "dialer-conference", "42", 2),
    ]
    call.target_answered("dialer-cc-1", 112.0)
    assert call.drop_out(120.0) == [HangupChannel(AGENT)]
    assert call.state is CallState.TRANSFERRED
    call.ended(150.0)
    assert [leg.talk_seconds() for leg in call.legs] == [20.0, 38.0]
    assert call.legs[1].how is LegHow.CONFERENCE


def test_hang_up_and_the_end_of_the_call() -> None:
    call = a_call()
    call.hold(105.0)
    assert call.hangup() == [HangupChannel(CUSTOMER)]
    call.ended(109.0)
    assert call.state is CallState.ENDED
    assert call.hold_seconds == 4.0
    with pytest.raises(CallControlError):
        call.hangup()


def test_external_party_is_shown_by_its_last_digits_only() -> None:
    assert OUTSIDE.label() == "external …0101"
    assert SECOND.label() == "agent bob"
