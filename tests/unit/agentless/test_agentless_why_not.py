"""Why an agentless campaign placed no call: a sentence per pacing bound, with the numbers a supervisor needs."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from dialer.agentless.pacing import AgentlessLoad, agentless_launches
from dialer.runner.why_not import agentless_reason

NOW = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
BASE = AgentlessLoad(
    now=NOW,
    remaining=1000,
    in_flight=0,
    max_channels=30,
    cps_room=100,
    mean_call_seconds=30.0,
    target_finish=NOW + timedelta(hours=1),
)


@pytest.mark.parametrize(
    ("load", "reason", "english"),
    [
        (replace(BASE, remaining=0), "done", "nothing to dial now: every lead is dialled or waits for its retry time"),
        (replace(BASE, in_flight=12), "target", "calls up now: 12; finishing the list by its target time needs 12"),
        (
            replace(BASE, in_flight=30, target_finish=NOW + timedelta(minutes=20)),
            "channels",
            "calls up now: 30, the campaign's channel cap (30)",
        ),
        (
            replace(BASE, in_flight=8, transfer_share=0.5, agents=4, agents_free=0),
            "agents",
            "calls up now: 8; more could bring more callers asking for an agent than the 4 agents of its queue take",
        ),
        (replace(BASE, cps_room=0), "cps", "the calls-per-second budget is spent for this second"),
    ],
)
def test_each_bound_is_said_with_its_numbers_in_every_language(load: AgentlessLoad, reason: str, english: str) -> None:
    decision = agentless_launches(load)
    assert decision.launch == 0
    assert decision.reason == reason
    message = agentless_reason(decision, load)
    assert message.render("en") == english
    for locale in ("ja", "zh-CN", "zh-Hant"):
        shown = message.render(locale)
        assert shown != english  # translated, not the English fallback
        assert all(str(n) in shown for n in (load.in_flight, load.max_channels, load.agents) if str(n) in english)
