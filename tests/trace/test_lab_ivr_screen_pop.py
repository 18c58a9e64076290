"""The screen pop of a caller an IVR flow handed to a queue shows what they did there: the recorded Asterisk 22
session (lab/ivr-reminder.txt) replayed through the dialer's inbound watcher."""

from __future__ import annotations

from pathlib import Path

from harness.bus import first_note

from dialer.agents.registry import AgentRegistry
from dialer.ami.parsing import parse_event
from dialer.ami.protocol import AmiParser
from dialer.ami.transcript import received_stream
from dialer.ivr.context import ContextBook, summarize
from dialer.runner.bus import EventBus
from dialer.runner.inbound import InboundWatcher

TRACE = Path(__file__).resolve().parents[1] / "fixtures" / "ami-traces" / "lab" / "ivr-reminder.txt"


async def no_leads(_number: str) -> list[tuple[str, int]]:
    return []


async def test_the_agent_screen_pop_carries_the_ivr_context() -> None:
    bus = EventBus()
    registry = AgentRegistry()
    for n in (1, 2, 3):
        registry.register(f"agent{n}", f"Local/agentfx{n}@lab-agents")
    watcher = InboundWatcher(["outbound-agents"], bus=bus, registry=registry, find_leads=no_leads)
    with bus.subscribe("*") as notes:
        for message in AmiParser(expect_banner=True).feed(received_stream(TRACE)):
            event = parse_event(message)
            if event is not None:
                watcher.observe(event, 0.0)
        note = await first_note(notes, "screen_pop")
        pop = note.data
        assert notes.empty()
    assert pop["ivr"]["path"] == "greet>menu>agent"
    assert pop["ivr"]["keys"] == "menu:3"
    assert pop["ivr_summary"].startswith("IVR reminder: entered choice 3")
    assert "path greet>menu>agent" in pop["ivr_summary"]


def test_summary_and_the_bounded_book() -> None:
    text = summarize(
        {"flow": "inbound", "path": "ask>find>agent", "seconds": "40", "var_account": "1234", "var_acct_name": "Ann"}
    )
    assert text == "IVR inbound: entered account 1234; found acct name Ann; path ask>find>agent; 40 s in the IVR"
    book = ContextBook(limit=2)
    for n in range(3):
        book.put(f"u{n}", {"flow": "f"})
    assert len(book) == 2
    assert book.take("u0") is None
    assert book.take("u2") == {"flow": "f"}
