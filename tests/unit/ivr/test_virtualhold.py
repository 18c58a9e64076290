"""Virtual hold: the estimated wait of an inbound queue (the one pure function behind ``queue_wait``), the flow's
fixed lookup arguments (``values``), and the shipped inbound flow's callback offer driven through its executor."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from harness.paths import REPO
from hypothesis import given
from hypothesis import strategies as st

from dialer.ami.recorder import IVR_VIRTUAL_HOLD_ANSWERS, SCENARIOS
from dialer.ivr.actions import ACTIONS
from dialer.ivr.check import Severity, check_flow
from dialer.ivr.executor import (
    Collect,
    DigitsEntered,
    EnterQueue,
    FlowExecutor,
    Hangup,
    Lookup,
    LookupDone,
    Play,
    PromptDone,
)
from dialer.ivr.flow import FlowError, LookupNode, load_flow, parse_flow
from dialer.ivr.virtualhold import (
    DEFAULT_HANDLE_SECONDS,
    MAX_SHAPE_POINTS,
    MIN_LONGER_SAMPLES,
    MIN_TALK_SAMPLES,
    BadArgument,
    BusyAgent,
    OnCall,
    QueueNow,
    WaitStatus,
    WrappingUp,
    callback_due,
    estimate_wait,
    remaining_talk,
    talk_shape,
    whole_number,
)

INBOUND = REPO / "campaigns" / "ivr" / "inbound.toml"
T0 = datetime(2026, 12, 6, 15, 0, tzinfo=UTC)
NOW = 1_000_000.0  # the daemon's clock when the lookup is asked


def q(waiting: int = 0, logged_in: int = 2, serving: int = 2, ready: int = 0, handle: float | None = 120.0) -> QueueNow:
    """``serving`` agents, ``ready`` of them free, the others on calls nothing is known of (memoryless)."""
    busy = tuple(OnCall(NOW) for _ in range(serving - ready))
    return QueueNow(waiting=waiting, logged_in=logged_in, ready=ready, busy=busy, mean_handle_seconds=handle)


@pytest.mark.parametrize(
    ("queue", "longer_than", "status", "seconds"),
    [
        # an agent serving the queue is ready: no wait, whoever is waiting
        (q(waiting=0, ready=1), 90, WaitStatus.SHORT, 0),
        (q(waiting=4, ready=1), 0, WaitStatus.SHORT, 0),
        # nobody ready: (waiting + 1) x mean handle / serving agents
        (q(waiting=0), 90, WaitStatus.SHORT, 60),
        (q(waiting=2), 90, WaitStatus.LONG, 180),
        (q(waiting=2), 180, WaitStatus.SHORT, 180),  # "longer than": equal is short
        (q(waiting=1, serving=1, logged_in=3), 90, WaitStatus.LONG, 240),  # paused agents serve nobody
        (q(waiting=1, handle=100.5, serving=3, logged_in=3), 60, WaitStatus.LONG, 67),  # rounded up: 201 / 3
        # not measured (no visit ended in the last hour): the default handle time
        (q(waiting=0, serving=1, logged_in=1, handle=None), 90, WaitStatus.LONG, int(DEFAULT_HANDLE_SECONDS)),
        (q(waiting=0, serving=1, logged_in=1, handle=0.0), 200, WaitStatus.SHORT, int(DEFAULT_HANDLE_SECONDS)),
        # logged in, every one paused: as if one came back, and long whatever the number
        (q(waiting=0, serving=0, logged_in=2, handle=30.0), 90, WaitStatus.LONG, 30),
        # nobody logged in: closed, longer than the threshold
        (q(waiting=3, logged_in=0, serving=0), 90, WaitStatus.CLOSED, 91),
    ],
)
def test_the_estimated_wait(queue: QueueNow, longer_than: int, status: WaitStatus, seconds: int) -> None:
    """Agents whose progress says nothing (memoryless): (callers waiting + 1) x mean handle / serving agents."""
    estimate = estimate_wait(queue, longer_than, NOW)
    assert (estimate.status, estimate.seconds) == (status, seconds)
    assert estimate.data() == {"seconds": str(seconds), "waiting": str(queue.waiting)}


# Measured talk times 10, 20, ... 400 s (mean 205 s): enough to use their shape.
UNIFORM = tuple(float(t) for t in range(10, 410, 10))


def busy(*agents: BusyAgent, waiting: int = 0, handle: float | None = 205.0, offered: int = 0) -> QueueNow:
    return QueueNow(
        waiting=waiting,
        logged_in=len(agents),
        ready=0,
        busy=agents,
        mean_handle_seconds=handle,
        talk_seconds=UNIFORM,
        being_offered=offered,
    )


@pytest.mark.parametrize(
    ("queue", "seconds"),
    [
        # in wrap-up: ready again at the announced time (or the timer's end); then a call of the mean handle time each
        (busy(WrappingUp(NOW + 10)), 10),
        (busy(WrappingUp(NOW + 10), waiting=2, handle=100.0), 210),
        (busy(WrappingUp(NOW - 5)), 0),  # (past its time: free at once)
        # two in wrap-up, one caller ahead: the second one's time (a hair less: the first, back at 10 s, may be free)
        (busy(WrappingUp(NOW + 10), WrappingUp(NOW + 20), waiting=1, handle=180.0), 20),
        (busy(WrappingUp(NOW + 10), WrappingUp(NOW + 10), waiting=1, handle=180.0), 10),
        # on a call: the measured calls longer than this one, less its age (of 310 ... 400 s: 10 ... 100 s more)
        (busy(OnCall(NOW)), 205),  # just started: the measured mean
        (busy(OnCall(NOW - 300)), 55),
        (busy(OnCall(NOW - 300), waiting=1), 55 + 205),  # then the caller ahead's call
        # longer than all but 1 (< MIN_LONGER_SAMPLES) measured calls: memoryless, the mean handle time
        (busy(OnCall(NOW - 390)), 205),
        # two just started: the sooner of two such calls, E[min] = 10 + 390 / 3
        (busy(OnCall(NOW), OnCall(NOW)), 139),
        # an agent being rung for the caller ahead takes them: the caller waits for the other agent only
        (busy(OnCall(NOW), WrappingUp(NOW + 30), waiting=1, offered=1), 30),
        # not rung: the caller ahead takes the first agent free (29.25 s: the sooner of the two), the caller the
        # next (109.8 s more: the sooner of the rest of that call and the other agent's next one)
        (busy(OnCall(NOW), WrappingUp(NOW + 30), waiting=1), 140),
    ],
)
def test_the_estimate_uses_what_the_agents_are_doing(queue: QueueNow, seconds: int) -> None:
    estimate = estimate_wait(queue, 90, NOW)
    assert estimate.seconds == seconds
    assert estimate.status is (WaitStatus.LONG if seconds > 90 else WaitStatus.SHORT)


def test_a_calls_remaining_time_from_the_measured_talk_times() -> None:
    assert remaining_talk(300.0, UNIFORM) == tuple(float(t) for t in range(10, 110, 10))
    assert remaining_talk(395.0, UNIFORM) == ()  # (one measured call longer: too few to tell)
    assert len(remaining_talk(400.0 - 10 * MIN_LONGER_SAMPLES, UNIFORM)) == MIN_LONGER_SAMPLES
    assert remaining_talk(0.0, UNIFORM[: MIN_TALK_SAMPLES - 1]) == ()  # too few measured: memoryless
    # too few measured: the memoryless mean handle time, however old the call
    few = QueueNow(1, 1, 0, (OnCall(NOW - 100),), 120.0, UNIFORM[: MIN_TALK_SAMPLES - 1])
    assert estimate_wait(few, 90, NOW).seconds == 240
    # thinned to evenly spaced quantiles, sorted, bad values left out
    many = [float(t % 1000) for t in range(10 * MAX_SHAPE_POINTS)] + [math.nan, -1.0, math.inf]
    shape = talk_shape(many)
    assert len(shape) == MAX_SHAPE_POINTS
    assert list(shape) == sorted(shape)
    assert shape[0] < 10
    assert shape[-1] > 990


agents = st.one_of(
    st.builds(OnCall, st.floats(NOW - 1000.0, NOW)),
    st.builds(WrappingUp, st.floats(NOW - 30.0, NOW + 300.0)),
)
queues = st.builds(
    QueueNow,
    waiting=st.integers(0, 500),
    logged_in=st.integers(0, 50),
    ready=st.integers(0, 3),
    busy=st.lists(agents, max_size=8).map(tuple),
    mean_handle_seconds=st.none() | st.floats(0.5, 3600.0),
    talk_seconds=st.lists(st.floats(0.0, 2000.0), max_size=60).map(tuple),
    being_offered=st.integers(0, 3),
).filter(lambda x: x.serving <= x.logged_in)


@given(queues, st.integers(0, 1000), st.integers(1, 20))
def test_the_estimate_never_falls_as_more_callers_wait(queue: QueueNow, longer_than: int, more: int) -> None:
    before = estimate_wait(queue, longer_than, NOW)
    after = estimate_wait(replace(queue, waiting=queue.waiting + more), longer_than, NOW)
    assert after.seconds >= before.seconds >= 0
    assert (after.status is WaitStatus.LONG) or before.status is not WaitStatus.LONG


@given(queues, st.integers(0, 1000))
def test_a_ready_agent_means_no_wait_and_nobody_logged_in_means_closed(queue: QueueNow, longer_than: int) -> None:
    estimate = estimate_wait(queue, longer_than, NOW)
    assert estimate.seconds >= 0
    if queue.logged_in == 0:
        assert estimate.status is WaitStatus.CLOSED
        assert estimate.seconds > longer_than
    elif queue.ready > 0:
        assert (estimate.status, estimate.seconds) == (WaitStatus.SHORT, 0)
    else:
        assert (estimate.status is WaitStatus.LONG) == (estimate.seconds > longer_than or queue.serving == 0)


def test_arguments_and_the_due_time() -> None:
    assert whole_number("90", "longer_than") == 90
    assert whole_number(" ", "delay_minutes", default=0) == 0
    for bad in ("", "-1", "1.5", "ninety"):
        with pytest.raises(BadArgument):
            whole_number(bad, "longer_than")
    with pytest.raises(BadArgument):
        whole_number("20000", "delay_minutes", default=0, most=10080)
    assert callback_due(T0, 0) == T0
    assert callback_due(T0, 30) == T0 + timedelta(minutes=30)


def test_a_lookup_takes_fixed_values_and_variables_but_not_the_same_argument_twice() -> None:
    data = {
        "name": "f",
        "start": "a",
        "nodes": {
            "a": {
                "type": "lookup",
                "action": "queue_wait",
                "values": {"queue": "sales", "longer_than": "90"},
                "args": {"who": "caller"},
                "next": "b",
            },
            "b": {"type": "hangup"},
        },
    }
    executor = FlowExecutor(parse_flow(data), {"caller": "+12025550123"})
    assert executor.start(T0) == [
        Lookup("queue_wait", {"queue": "sales", "longer_than": "90", "who": "+12025550123"}, 3.0)
    ]
    data["nodes"]["a"]["args"] = {"queue": "caller"}  # type: ignore[index]
    with pytest.raises(FlowError, match="argument 'queue' is given both in args and in values"):
        parse_flow(data)


def test_the_shipped_inbound_flow_checks_clean_with_the_daemon_actions() -> None:
    assert {"queue_wait", "book_callback"} <= set(ACTIONS)
    problems = check_flow(load_flow(INBOUND), actions=ACTIONS)
    assert [p for p in problems if p.severity is Severity.ERROR] == []


def _to_the_wait(executor: FlowExecutor) -> list[object]:
    """Through the shipped flow to its queue_wait: a caller who keys nothing at the account prompt."""
    commands: list[object] = list(executor.start(T0))
    while True:
        command = commands[-1]
        if isinstance(command, Lookup):
            return commands
        if isinstance(command, Collect):
            commands = list(executor.handle(DigitsEntered(""), T0))
        elif isinstance(command, Play):
            commands = list(executor.handle(PromptDone(None), T0))
        else:
            raise AssertionError(commands)


def test_the_shipped_inbound_flow_offers_a_callback_when_the_wait_is_long() -> None:
    flow = load_flow(INBOUND)
    # short: straight to the queue
    executor = FlowExecutor(flow, {"caller": "+12025550123"})
    (wait,) = _to_the_wait(executor)[-1:]
    assert wait == Lookup("queue_wait", {"queue": "inbound-sales", "longer_than": "90"}, 3.0)
    assert isinstance(wait, Lookup)
    (hold,) = executor.handle(LookupDone("short", {"seconds": "0", "waiting": "0"}), T0)
    assert isinstance(hold, Play)
    (queued,) = executor.handle(PromptDone(None), T0)
    assert isinstance(queued, EnterQueue)
    assert queued.queue == "inbound-sales"
    assert queued.context["var_wait"] == "short"
    # long: the offer; 1 books the callback and the flow ends with it
    executor = FlowExecutor(flow, {"caller": "+12025550123"})
    _to_the_wait(executor)
    (offer,) = executor.handle(LookupDone("long", {"seconds": "300", "waiting": "4"}), T0)
    assert isinstance(offer, Collect)
    assert offer.name == "wait-offer"
    (book,) = executor.handle(DigitsEntered("1"), T0)
    assert isinstance(book, Lookup)
    assert book.action == "book_callback"
    assert "campaign" not in book.args  # the daemon's [fastagi] callback_campaign: the demo's, in every language
    (bye,) = executor.handle(LookupDone("booked", {"when": T0.isoformat(), "moved": "no"}), T0)
    assert isinstance(bye, Play)
    assert bye.name == "callback-booked"
    assert isinstance(executor.handle(PromptDone(None), T0)[0], Hangup)
    result = executor.result()
    assert result.result == "callback_booked"
    assert result.path[-5:] == ("wait", "offer", "book", "booked-when", "callback-booked")
    assert result.variables["wait_seconds"] == "300"
    assert result.variables["callback_when"] == T0.isoformat()
    # booked for later (outside the calling window where the caller lives): the caller is told it will not be at once
    executor = FlowExecutor(flow, {"caller": "+12025550123"})
    _to_the_wait(executor)
    executor.handle(LookupDone("long", {"seconds": "300", "waiting": "4"}), T0)
    executor.handle(DigitsEntered("1"), T0)
    tomorrow = (T0 + timedelta(hours=10)).isoformat()
    (later,) = executor.handle(LookupDone("booked", {"when": tomorrow, "moved": "yes"}), T0)
    assert isinstance(later, Play)
    assert later.name == "callback-booked-later"
    assert isinstance(executor.handle(PromptDone(None), T0)[0], Hangup)
    result = executor.result()
    assert (result.result, result.path[-2:]) == ("callback_booked", ("booked-when", "callback-booked-later"))
    assert result.variables["callback_when"] == tomorrow
    # closed (nobody logged in) offers it too; a refused booking goes to the queue with a message
    executor = FlowExecutor(flow, {"caller": "unknown"})
    _to_the_wait(executor)
    executor.handle(LookupDone("closed", {"seconds": "91", "waiting": "0"}), T0)
    executor.handle(DigitsEntered("1"), T0)
    (sorry,) = executor.handle(LookupDone("refused", {"reason": "no_number"}), T0)
    assert isinstance(sorry, Play)
    assert sorry.name == "callback-refused"
    (hold,) = executor.handle(PromptDone(None), T0)
    assert isinstance(hold, Play)
    assert isinstance(executor.handle(PromptDone(None), T0)[0], EnterQueue)
    # 2 holds
    executor = FlowExecutor(flow, {"caller": "+12025550123"})
    _to_the_wait(executor)
    executor.handle(LookupDone("long", {"seconds": "300", "waiting": "4"}), T0)
    (hold,) = executor.handle(DigitsEntered("2"), T0)
    assert isinstance(hold, Play)
    assert hold.name == "hold"


def test_the_recorders_virtual_hold_answers_are_the_daemons_for_the_labs_queue() -> None:
    """The recording ivr-inbound-callback (and the simulated PBX replaying it) answers ``queue_wait`` with a script,
    having no daemon behind it: the script is what the daemon answers for the lab's queue then (its one member
    paused, nobody waiting, nothing measured) against the shipped flow's 90 s."""
    flow = load_flow(Path(__file__).resolve().parents[3] / "campaigns" / "ivr" / "inbound.toml")
    wait = flow.nodes["wait"]
    assert isinstance(wait, LookupNode)
    assert wait.action == "queue_wait"
    estimate = estimate_wait(
        QueueNow(waiting=0, logged_in=1, ready=0, mean_handle_seconds=None), int(wait.values["longer_than"]), NOW
    )
    status, data = IVR_VIRTUAL_HOLD_ANSWERS["queue_wait"]
    assert (status, dict(data)) == (estimate.status.value, estimate.data())
    assert IVR_VIRTUAL_HOLD_ANSWERS["book_callback"][0] == "booked"
    assert SCENARIOS["ivr-inbound-callback"].ivr_answers == IVR_VIRTUAL_HOLD_ANSWERS
