"""The recorded agentless reminder session (tests/fixtures/ami-traces/lab/ivr-reminder.txt, `dialer trace record
ivr-reminder` against asterisk/lab with the dialer's FastAGI server): what Asterisk 22 really sends for calls run
by a flow, read with the dialer's own parser."""

from __future__ import annotations

from pathlib import Path

from dialer.ami.events import UserEvent
from dialer.ami.parsing import parse_event
from dialer.ami.protocol import AmiParser
from dialer.ami.transcript import received_stream
from dialer.contract import ABANDON_USER_EVENT, CALL_END_USER_EVENT, IVR_TRANSFER_USER_EVENT
from dialer.ivr.agi import decode_context

TRACE = Path(__file__).resolve().parents[1] / "fixtures" / "ami-traces" / "lab" / "ivr-reminder.txt"


def user_events() -> list[UserEvent]:
    parser = AmiParser(expect_banner=True)
    found = []
    for message in parser.feed(received_stream(TRACE)):
        event = parse_event(message)
        if isinstance(event, UserEvent):
            found.append(event)
    return found


def test_the_transfer_carries_the_flow_context_by_our_ids() -> None:
    transfers = [e for e in user_events() if e.name == IVR_TRANSFER_USER_EVENT]
    assert len(transfers) == 1
    fields = dict(transfers[0].fields)
    assert fields["Attempt"] == "ivr-2"
    assert fields["Call"] == "aivr-2"
    assert fields["Queue"] == "outbound-agents"
    context = decode_context(fields["Context"])
    assert context["flow"] == "reminder"
    assert context["path"] == "greet>menu>agent"
    assert context["keys"] == "menu:3"


def test_each_call_ends_with_its_stage_and_no_abandon() -> None:
    events = user_events()
    ends = {dict(e.fields)["Attempt"]: dict(e.fields) for e in events if e.name == CALL_END_USER_EVENT}
    assert ends["ivr-1"]["Stage"] == "IVR"
    assert ends["ivr-2"]["Stage"] == "CONNECTED"
    assert ends["ivr-2"]["Agent"].startswith("Local/agentfx")
    assert not [e for e in events if e.name == ABANDON_USER_EVENT]
