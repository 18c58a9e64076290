"""IVR flows on a real Asterisk (asterisk/lab): the dialer's FastAGI server runs the reminder flow for callees who
press keys (opt-in: DIALER_TEST_AMI; the lab's prompts are rendered with espeak-ng into its sounds directory,
$DIALER_LAB_ROOT/lib/sounds/en, default /tmp/dialer-asterisk-lab)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lab_harness import QUEUE, Lab

from dialer.ami.events import UserEvent
from dialer.ami.fastagi import FastAgiServer
from dialer.contract import IVR_TRANSFER_USER_EVENT
from dialer.ivr.actions import TableActions
from dialer.ivr.agi import IvrAgiService, IvrCallInfo, decode_context
from dialer.ivr.executor import FlowResult
from dialer.ivr.flow import load_flow
from dialer.ivr.prompts import render_flow

pytestmark = pytest.mark.real_ami

REPO = Path(__file__).resolve().parents[2]
FLOW = load_flow(REPO / "campaigns" / "ivr" / "reminder.toml")


class Results:
    def __init__(self) -> None:
        self.by_attempt: dict[str, FlowResult] = {}

    async def __call__(self, info: IvrCallInfo, result: FlowResult) -> None:
        self.by_attempt[info.attempt or info.call_ref] = result


@pytest.fixture
async def ivr() -> AsyncIterator[tuple[str, Results, TableActions]]:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng): the lab's prompts cannot be rendered")
    sounds = Path(os.environ.get("DIALER_LAB_ROOT", "/tmp/dialer-asterisk-lab")) / "lib" / "sounds" / "en"
    render_flow(FLOW, sounds)
    results, actions = Results(), TableActions()
    service = IvrAgiService({FLOW.name: FLOW}, actions, results, lambda: datetime.now(UTC))
    server = FastAgiServer("127.0.0.1", 0, service.routes)
    await server.start()
    try:
        yield f"127.0.0.1:{server.bound_port}", results, actions
    finally:
        await server.stop()


def ivr_variables(fastagi: str) -> dict[str, str]:
    return {"DIALER_IVR_FLOW": FLOW.name, "DIALER_FASTAGI": fastagi}


async def test_reminder_callee_presses_1_and_confirms(lab: Lab, ivr: tuple[str, Results, TableActions]) -> None:
    fastagi, results, actions = ivr
    call = await lab.originate("9981001", context="dialer-ivr", variables=ivr_variables(fastagi))
    await lab.wait_for(call, within=60)
    await lab.wait_until(lambda: call.attempt_id in results.by_attempt, within=10)
    result = results.by_attempt[call.attempt_id]
    assert result.result == "confirmed"
    assert result.path == ("greet", "menu", "confirm", "confirmed")
    assert result.keys == (("menu", "1"),)
    assert result.listened_to_end
    assert actions.answers[f"a{call.attempt_id}"] == "1"


async def test_reminder_callee_presses_3_and_reaches_an_agent_with_the_path(
    lab: Lab, ivr: tuple[str, Results, TableActions]
) -> None:
    fastagi, results, _ = ivr
    agent = lab.agent()
    await lab.add_agent(agent)
    call = await lab.originate("9983001", context="dialer-ivr", variables=ivr_variables(fastagi))
    await lab.wait_for(call, within=60)
    await lab.wait_until(lambda: call.attempt_id in results.by_attempt, within=10)
    result = results.by_attempt[call.attempt_id]
    assert result.result == "transferred"
    assert result.transferred
    assert result.variables["agent"] == agent
    assert result.path == ("greet", "menu", "agent")
    transfers = [e for e in lab.events if isinstance(e, UserEvent) and e.name == IVR_TRANSFER_USER_EVENT]
    (transfer,) = [e for e in transfers if dict(e.fields).get("Attempt") == call.attempt_id]
    fields = dict(transfer.fields)
    assert fields["Queue"] == QUEUE
    context = decode_context(fields["Context"])
    assert context["path"] == "greet>menu>agent"
    assert context["keys"] == "menu:3"
