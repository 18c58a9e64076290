"""The pure rules of messages to agents (their text) and of raised hands (raised on a call, lowered by someone or by
the end of the call's wrap-up)."""

from __future__ import annotations

import pytest

from dialer.agents.hands import MAX_HAND_NOTE_CHARS, Hand, clean_note, lowers_itself
from dialer.agents.messages import MAX_MESSAGE_CHARS, MessageTextError, clean_message_text
from dialer.agents.registry import Agent, AgentChange, AgentStatus


def test_message_text_loses_its_control_characters_and_is_bounded() -> None:
    assert clean_message_text("  team huddle\nat 3\x07\x1b[31m ") == "team huddle at 3[31m"
    assert clean_message_text("チーム会議 15時") == "チーム会議 15時"
    assert clean_message_text("x" * MAX_MESSAGE_CHARS) == "x" * MAX_MESSAGE_CHARS
    for bad in ("", "   ", "\x00\x01\n\t", "x" * (MAX_MESSAGE_CHARS + 1)):
        with pytest.raises(MessageTextError):
            clean_message_text(bad)


def test_a_note_is_cleaned_cut_and_none_when_empty() -> None:
    assert clean_note(None) is None
    assert clean_note(" \x00 ") is None
    assert clean_note("caller\nangry") == "caller angry"
    assert clean_note("y" * 500) == "y" * MAX_HAND_NOTE_CHARS


def _agent(status: AgentStatus) -> Agent:
    return Agent("ann", "PJSIP/1001", "Ann", status=status)


def _change(previous: AgentStatus, current: AgentStatus) -> AgentChange:
    return AgentChange("ann", previous, current, 20.0, "")


def test_a_hand_shows_how_long_it_has_been_raised() -> None:
    assert Hand("ann", 10.0, "refund?").as_json(40.0) == {
        "agent_id": "ann",
        "raised_at": 10.0,
        "note": "refund?",
        "raised_seconds": 30.0,
    }


def test_a_hand_lowers_itself_when_the_call_and_its_wrapup_are_over() -> None:
    assert not lowers_itself(_change(AgentStatus.TALKING, AgentStatus.WRAPUP), _agent(AgentStatus.WRAPUP))
    assert lowers_itself(_change(AgentStatus.WRAPUP, AgentStatus.READY), _agent(AgentStatus.READY))
    assert lowers_itself(_change(AgentStatus.TALKING, AgentStatus.PAUSED), None)  # signed out
    assert not lowers_itself(_change(AgentStatus.READY, AgentStatus.PAUSED), _agent(AgentStatus.PAUSED))  # no call
