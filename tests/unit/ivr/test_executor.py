"""The flow executor as a pure state machine: every node type, retries, timeouts, opt-out, machines, hang-ups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from harness.paths import REPO

from dialer.ivr.executor import (
    CallerHangup,
    Collect,
    DigitsEntered,
    EnterQueue,
    FlowExecutor,
    Hangup,
    Lookup,
    LookupDone,
    OptOut,
    Play,
    PromptDone,
    QueueLeft,
)
from dialer.ivr.flow import load_flow, parse_flow

T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def reminder() -> FlowExecutor:
    return FlowExecutor(load_flow(REPO / "campaigns" / "ivr" / "reminder.toml"), {"caller": "+14155550101"})


def names(commands: list[Any]) -> list[str]:
    return [type(c).__name__ + (f":{c.name}" if isinstance(c, Play | Collect) else "") for c in commands]


def test_confirm_path() -> None:
    ex = reminder()
    assert names(ex.start(T0)) == ["Play:greet"]
    assert names(ex.handle(PromptDone(), at(4))) == ["Collect:menu"]
    cmds = ex.handle(DigitsEntered("1"), at(9))
    assert cmds == [Lookup("set_lead_result", {"result": "1"}, 3.0)]
    assert names(ex.handle(LookupDone("ok"), at(9.2))) == ["Play:confirmed"]
    assert ex.handle(PromptDone(), at(12)) == [Hangup()]
    r = ex.result()
    assert ex.finished
    assert r.result == "confirmed"
    assert r.path == ("greet", "menu", "confirm", "confirmed")
    assert r.keys == (("menu", "1"),)
    assert r.listened_to_end
    assert r.contained
    assert not r.transferred
    assert not r.opted_out
    assert r.hung_up_at is None
    assert r.seconds == 12
    assert [s.exit for s in r.steps] == ["next", "1", "ok", "end"]
    assert r.steps[1].seconds == 5


def test_invalid_entries_are_retried_then_fail() -> None:
    ex = reminder()
    ex.start(T0)
    ex.handle(PromptDone(), at(1))
    assert names(ex.handle(DigitsEntered("7"), at(2))) == ["Play:invalid"]
    assert names(ex.handle(PromptDone(), at(3))) == ["Collect:menu"]
    assert names(ex.handle(DigitsEntered(""), at(10))) == ["Collect:menu"]  # timeout: no timeout_prompt
    assert names(ex.handle(DigitsEntered("5"), at(12))) == ["Play:goodbye"]  # third failure: on_failure
    ex.handle(PromptDone(), at(14))
    r = ex.result()
    assert r.result == "no_choice"
    assert not r.contained
    assert r.keys == (("menu", "7"), ("menu", "5"))
    assert r.steps[1].exit == "invalid"


def test_a_silent_caller_is_timed_out_by_the_clock() -> None:
    ex = reminder()
    ex.start(T0)
    (collect,) = ex.handle(PromptDone(), at(4))
    assert isinstance(collect, Collect)
    assert ex.deadline is not None
    assert ex.tick(ex.deadline - timedelta(seconds=0.1)) == []
    assert names(ex.tick(ex.deadline)) == ["Collect:menu"]
    assert names(ex.tick(ex.deadline)) == ["Collect:menu"]  # the second retry
    assert names(ex.tick(ex.deadline)) == ["Play:goodbye"]
    assert ex.result().steps[1].exit == "timeout"


def test_opt_out_during_a_prompt_and_during_a_menu() -> None:
    ex = reminder()
    ex.start(T0)
    cmds = ex.handle(PromptDone(key="9"), at(2))
    assert names(cmds) == ["OptOut", "Play:optout-bye"]
    assert isinstance(cmds[1], Play)
    assert cmds[1].barge_in == ""
    assert ex.handle(PromptDone(), at(5)) == [Hangup()]
    r = ex.result()
    assert r.opted_out
    assert r.result == "opted_out"
    assert r.path == ("greet",)

    ex = reminder()
    ex.start(T0)
    ex.handle(PromptDone(), at(4))
    assert names(ex.handle(DigitsEntered("9"), at(6))) == ["OptOut", "Play:optout-bye"]
    assert ex.result().keys == (("menu", "9"),)


def test_play_offers_the_opt_out_key_as_barge_in() -> None:
    (play,) = reminder().start(T0)
    assert isinstance(play, Play)
    assert play.barge_in == "9"


def test_agent_transfer_carries_the_context() -> None:
    ex = reminder()
    ex.start(T0)
    ex.handle(PromptDone(), at(4))
    assert names(ex.handle(DigitsEntered("3"), at(6))) == ["Play:connecting"]
    (enter,) = ex.handle(PromptDone(), at(8))
    assert isinstance(enter, EnterQueue)
    assert enter.queue == "outbound-agents"
    assert enter.max_wait_seconds == 30
    assert enter.context["path"] == "greet>menu>agent"
    assert enter.context["keys"] == "menu=3"
    assert enter.context["var_choice"] == "3"
    assert enter.context["seconds"] == "8"
    assert ex.handle(QueueLeft(answered=True, agent="PJSIP/agent01"), at(12)) == []
    r = ex.result()
    assert ex.finished
    assert r.transferred
    assert r.result == "transferred"
    assert not r.contained
    assert r.variables["agent"] == "PJSIP/agent01"


def test_queue_timeout_plays_a_message_never_silence() -> None:
    ex = reminder()
    ex.start(T0)
    ex.handle(PromptDone(), at(4))
    ex.handle(DigitsEntered("3"), at(6))
    ex.handle(PromptDone(), at(8))
    assert names(ex.handle(QueueLeft(answered=False), at(38))) == ["Play:nobody"]
    ex.handle(PromptDone(), at(43))
    assert ex.result().result == "queue_timeout"


def test_caller_hangup_records_the_step() -> None:
    ex = reminder()
    ex.start(T0)
    ex.handle(PromptDone(), at(4))
    assert ex.handle(CallerHangup(), at(6)) == []
    r = ex.result()
    assert r.result == "hung_up"
    assert r.hung_up_at == "menu"
    assert r.hung_up_step == 2
    assert not r.listened_to_end
    assert r.steps[-1].exit == "hangup"
    assert ex.handle(DigitsEntered("1"), at(7)) == []  # a late event: nothing


def test_hangup_during_the_last_prompt_keeps_the_result_but_not_listened() -> None:
    ex = reminder()
    ex.start(T0)
    ex.handle(PromptDone(), at(4))
    ex.handle(DigitsEntered("2"), at(5))
    ex.handle(LookupDone("ok"), at(5))
    ex.handle(CallerHangup(), at(6))
    r = ex.result()
    assert r.result == "cancelled"
    assert not r.listened_to_end
    assert r.hung_up_at is None


def test_machines_get_the_message_and_no_menu() -> None:
    ex = reminder()
    cmds = ex.start(T0, machine=True)
    assert names(cmds) == ["Play:machine"]
    assert isinstance(cmds[0], Play)
    assert cmds[0].barge_in == ""
    assert ex.handle(PromptDone(), at(9)) == [Hangup()]
    r = ex.result()
    assert r.machine
    assert r.result == "machine_message"
    assert r.listened_to_end
    assert r.path == ()


# A collect of 4 to 6 digits, no retry: on to b, or c on a failure.
COLLECT_4_TO_6: dict[str, Any] = {
    "type": "collect",
    "prompt": "p",
    "min_digits": 4,
    "max_digits": 6,
    "next": "b",
    "on_failure": "c",
    "retries": 0,
}


def small_flow(**nodes: dict[str, Any]) -> FlowExecutor:
    flow = parse_flow({"name": "t", "start": "a", "prompts": {"p": {"text": "x", "seconds": 2}}, "nodes": nodes})
    return FlowExecutor(flow, {"caller": "+1"})


def test_collect_with_pattern_store_and_next() -> None:
    ex = small_flow(
        a={**COLLECT_4_TO_6, "pattern": "[0-9]+", "store": "account"},
        b={
            "type": "lookup",
            "action": "find_account",
            "args": {"account": "account"},
            "store": "acct",
            "on": {"found": "d"},
            "next": "c",
        },
        c={"type": "hangup", "result": "failed", "contained": False},
        d={"type": "branch", "variable": "acct_tier", "cases": {"gold": "e"}, "default": "c"},
        e={"type": "hangup", "result": "gold"},
    )
    (collect,) = ex.start(T0)
    assert isinstance(collect, Collect)
    assert collect.max_digits == 6
    cmds = ex.handle(DigitsEntered("1234"), at(3))
    assert cmds == [Lookup("find_account", {"account": "1234"}, 3.0)]
    assert ex.handle(LookupDone("found", {"tier": "gold", "name": "Ann"}), at(4)) == [Hangup()]
    r = ex.result()
    assert r.result == "gold"
    assert r.contained
    assert r.listened_to_end
    assert r.variables["acct"] == "found"
    assert r.variables["acct_name"] == "Ann"
    assert r.path == ("a", "b", "d", "e")
    assert [s.exit for s in r.steps] == ["valid", "found", "gold", "end"]


def test_too_short_entry_fails_without_retries() -> None:
    ex = small_flow(
        a=COLLECT_4_TO_6,
        b={"type": "hangup", "result": "ok"},
        c={"type": "hangup", "result": "failed"},
    )
    ex.start(T0)
    assert ex.handle(DigitsEntered("12"), at(3)) == [Hangup()]
    assert ex.result().result == "failed"


def test_lookup_timeout_and_unhandled_status() -> None:
    ex = small_flow(
        a={"type": "lookup", "action": "find_lead", "on": {"found": "b", "timeout": "c"}},
        b={"type": "hangup", "result": "ok"},
        c={"type": "hangup", "result": "slow"},
    )
    ex.start(T0)
    assert ex.tick(at(2.9)) == []
    assert ex.tick(at(3)) == [Hangup()]
    assert ex.result().result == "slow"

    ex = small_flow(a={"type": "lookup", "action": "find_lead", "on": {"found": "b"}}, b={"type": "hangup"})
    ex.start(T0)
    assert ex.handle(LookupDone("error"), at(1)) == [Hangup()]
    assert ex.result().result == "lookup_error"


def test_a_queue_without_prompt_and_the_step_bound() -> None:
    ex = small_flow(a={"type": "queue", "queue": "q1", "max_wait_seconds": 5, "on_timeout": "a"})
    (enter,) = ex.start(T0)
    assert isinstance(enter, EnterQueue)
    for i in range(199):  # 200 nodes entered in all (max_steps)
        assert isinstance(ex.handle(QueueLeft(answered=False), at(i))[0], EnterQueue)
    assert ex.handle(QueueLeft(answered=False), at(999)) == [Hangup()]
    assert ex.result().result == "too_many_steps"


def test_events_for_another_phase_are_ignored() -> None:
    ex = reminder()
    ex.start(T0)
    assert ex.handle(DigitsEntered("1"), at(1)) == []
    assert ex.handle(QueueLeft(answered=True), at(1)) == []
    assert ex.handle(LookupDone("ok"), at(1)) == []
    assert OptOut() not in ex.handle(PromptDone(), at(2))
