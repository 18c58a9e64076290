"""The recorded inbound IVR call (lab/ivr-inbound.txt: Asterisk 22, the dialer's FastAGI server running the inbound
flow) replayed through the dialer's inbound watcher: the agent of inbound-sales gets a screen pop with the account
the caller keyed and what the lookup found."""

from __future__ import annotations

from pathlib import Path

from harness.bus import first_note

from dialer.agents.registry import AgentRegistry
from dialer.ami.events import AmiEvent, UserEvent
from dialer.ami.parsing import parse_event
from dialer.ami.protocol import AmiParser
from dialer.ami.recorder import INBOUND_QUEUE, IVR_INBOUND_ACCOUNT, IVR_INBOUND_AGENT
from dialer.ami.transcript import received_stream
from dialer.contract import CALL_END_USER_EVENT, IVR_TRANSFER_USER_EVENT
from dialer.ivr.agi import decode_context
from dialer.runner.bus import EventBus
from dialer.runner.inbound import InboundWatcher

TRACE = Path(__file__).resolve().parents[1] / "fixtures" / "ami-traces" / "lab" / "ivr-inbound.txt"


async def no_leads(_number: str) -> list[tuple[str, int]]:
    return []


def events() -> list[AmiEvent]:
    parsed = (parse_event(m) for m in AmiParser(expect_banner=True).feed(received_stream(TRACE)))
    return [e for e in parsed if e is not None]


async def test_the_inbound_agent_screen_pop_carries_the_account_the_caller_keyed() -> None:
    bus = EventBus()
    registry = AgentRegistry()
    registry.register("ann", IVR_INBOUND_AGENT)
    watcher = InboundWatcher([INBOUND_QUEUE], bus=bus, registry=registry, find_leads=no_leads)
    try:
        with bus.subscribe("*") as notes:
            for event in events():
                watcher.observe(event, 0.0)
            note = await first_note(notes, "screen_pop")
    finally:
        await watcher.stop()
    pop = note.data
    assert pop["queue"] == INBOUND_QUEUE
    assert pop["ivr"]["path"] == "welcome>find>menu>wait>agent"  # (the recorder answers no queue_wait: to the queue)
    assert pop["ivr"]["keys"] == f"welcome:{IVR_INBOUND_ACCOUNT} menu:0"
    assert pop["ivr"]["var_account"] == IVR_INBOUND_ACCOUNT
    assert f"entered account {IVR_INBOUND_ACCOUNT}" in pop["ivr_summary"]
    assert "acct name Ann Lee" in pop["ivr_summary"]


def test_an_inbound_caller_has_no_attempt_and_ends_connected_to_the_agent() -> None:
    users = [e for e in events() if isinstance(e, UserEvent)]
    (transfer,) = [e for e in users if e.name == IVR_TRANSFER_USER_EVENT]
    fields = dict(transfer.fields)
    assert fields["Attempt"] == ""
    assert fields["Queue"] == INBOUND_QUEUE
    assert decode_context(fields["Context"])["var_acct"] == "found"
    (end,) = [e for e in users if e.name == CALL_END_USER_EVENT]
    assert end.uniqueid == transfer.uniqueid
    assert (end.get("Attempt"), end.get("Stage"), end.get("Agent"), end.get("Cause")) == (
        "",
        "CONNECTED",
        IVR_INBOUND_AGENT,
        "16",
    )
