"""IVR flows on a real Asterisk (asterisk/lab): the dialer's FastAGI server runs the reminder flow for callees who
press keys (opt-in: DIALER_TEST_AMI; the lab's prompts are rendered with espeak-ng into its sounds directory,
$DIALER_LAB_ROOT/lib/sounds/en, default /tmp/dialer-asterisk-lab)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from harness.bus import first_note
from harness.lab import INBOUND_QUEUE, QUEUE, Lab, prompt_sounds
from harness.paths import REPO

from dialer.agents.registry import AgentRegistry
from dialer.ami.actions import OriginateRequest, OriginateStatus
from dialer.ami.events import AmiEvent, Hangup, UserEvent
from dialer.ami.fastagi import FastAgiServer
from dialer.contract import CALL_END_USER_EVENT, IVR_TRANSFER_USER_EVENT
from dialer.ivr.actions import TableActions
from dialer.ivr.agi import IvrAgiService, IvrCallInfo, decode_context
from dialer.ivr.executor import FlowResult
from dialer.ivr.flow import load_flow
from dialer.ivr.prompts import render_flow
from dialer.runner.bus import EventBus
from dialer.runner.inbound import InboundWatcher

pytestmark = pytest.mark.real_ami

FLOW = load_flow(REPO / "campaigns" / "ivr" / "reminder.toml")


class Results:
    def __init__(self) -> None:
        self.by_attempt: dict[str, FlowResult] = {}

    async def __call__(self, info: IvrCallInfo, result: FlowResult) -> None:
        self.by_attempt[info.attempt or info.call_ref] = result


@pytest.fixture
async def ivr() -> AsyncIterator[tuple[str, Results, TableActions]]:
    sounds = prompt_sounds()
    render_flow(FLOW, sounds)
    results, actions = Results(), TableActions()
    # the harness's Originates name campaign "lab-test": its flow is the reminder
    service = IvrAgiService(
        {FLOW.name: FLOW}, actions, results, lambda: datetime.now(UTC), flows_by_campaign={"lab-test": FLOW.name}
    )
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


async def test_the_flow_is_found_by_the_campaign_when_the_originate_names_none(
    lab: Lab, ivr: tuple[str, Results, TableActions]
) -> None:
    fastagi, results, _ = ivr
    call = await lab.originate("9982001", context="dialer-ivr", variables={"DIALER_FASTAGI": fastagi})
    await lab.wait_for(call, within=60)
    await lab.wait_until(lambda: call.attempt_id in results.by_attempt, within=10)
    result = results.by_attempt[call.attempt_id]
    assert result.flow == "reminder"
    assert result.result == "cancelled"
    assert result.keys == (("menu", "2"),)


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


async def test_inbound_caller_enters_an_account_and_reaches_an_agent_with_it(lab: Lab) -> None:
    inbound = load_flow(REPO / "campaigns" / "ivr" / "inbound.toml")
    sounds = prompt_sounds()
    render_flow(inbound, sounds)
    results = Results()
    actions = TableActions({"1234": {"account": "1234", "name": "Ann Lee", "balance": "120.00", "dob": "19800101"}})
    service = IvrAgiService({inbound.name: inbound}, actions, results, lambda: datetime.now(UTC))
    server = FastAgiServer("127.0.0.1", 0, service.routes)
    await server.start()
    registry = AgentRegistry()
    agent = lab.agent()
    registry.register("ann", agent)
    bus = EventBus()
    watcher = InboundWatcher([INBOUND_QUEUE], bus=bus, registry=registry, find_leads=no_leads)
    try:
        await lab.add_agent(agent, queue=INBOUND_QUEUE)
        with bus.subscribe("*") as notes:
            seen = len(lab.events)
            request = OriginateRequest(
                channel="Local/s@lab-inbound-ivr",
                attempt_id=f"rt-{lab.run}-ivr-in",
                context="lab-inbound-ivr-caller",
                caller_id='"Customer" <5550199>',
                variables={"_DIALER_FASTAGI": f"127.0.0.1:{server.bound_port}", "LAB_PATIENCE": "20"},
                action_id=f"rt-{lab.run}-ivr-in-a",
                channel_id=f"rt-{lab.run}-ivr-in-c",
            )
            result = await lab.ami.originate(request)
            assert result.status is OriginateStatus.QUEUED, result
            await lab.wait_until(lambda: len(results.by_attempt) == 1, within=60)
            for event in lab.events[seen:]:
                watcher.observe(event, 0.0)
            note = await first_note(notes, "screen_pop")
    finally:
        await server.stop()
        await watcher.stop()
    (flow_result,) = results.by_attempt.values()
    assert flow_result.result == "transferred"
    # (the table's actions answer no queue_wait: the wait node's "error" goes straight to the queue)
    assert flow_result.path == ("welcome", "find", "menu", "wait", "agent")
    assert flow_result.variables["account"] == "1234"
    assert flow_result.variables["acct_name"] == "Ann Lee"
    pop = note.data
    assert pop["queue"] == INBOUND_QUEUE
    assert pop["ivr"]["var_account"] == "1234"
    assert "entered account 1234" in pop["ivr_summary"]
    assert "acct name Ann Lee" in pop["ivr_summary"]
    # dialer-inbound,ivr runs [dialer-ivr], which includes [dialer-hangup]: once the call is over, the h extension
    # reports it (DialerCallEnd) before the caller's channel hangs up -- what the simulated PBX does too
    (transfer,) = [e for e in lab.events[seen:] if isinstance(e, UserEvent) and e.name == IVR_TRANSFER_USER_EVENT]
    caller = transfer.uniqueid

    def ended() -> list[AmiEvent]:
        return [
            e
            for e in lab.events[seen:]
            if getattr(e, "uniqueid", None) == caller
            and (isinstance(e, Hangup) or (isinstance(e, UserEvent) and e.name == CALL_END_USER_EVENT))
        ]

    await lab.wait_until(lambda: any(isinstance(e, Hangup) for e in ended()), within=40)
    end, hangup = ended()
    assert isinstance(end, UserEvent)
    assert isinstance(hangup, Hangup)
    # (its Attempt is the harness's: the lab's caller is originated by AMI, which names one)
    assert (end.get("Stage"), end.get("Agent")) == ("CONNECTED", agent)


async def no_leads(_number: str) -> list[tuple[str, int]]:
    return []
