"""Every inbound caller's visit is stored with how it ended, and the live dashboard and the inbound report count
the service level from them: end to end against the simulated PBX (which plays Asterisk 22's recorded queue
events, tests/fixtures/ami-traces/lab/inbound-*.txt)."""

from __future__ import annotations

from pathlib import Path

from harness.e2e import World, make_world
from harness.stepping import eventually

from dialer.inbound.calls import InboundOutcome
from dialer.reports.common import ReportRange
from dialer.reports.inbound import inbound_report
from dialer.reports.output import render
from dialer.runner.samples import dialer_sample
from dialer.sim.pbx.probe import AmiProbe
from dialer.store.inbound_calls import inbound_calls

Q = "inbound-sales"


async def call_in(world: World, probe: AmiProbe, n: int, patience: int, **variables: str) -> None:
    """A caller who holds on ``patience`` seconds; ``variables``: the call's channel variables (the queue's bound)."""
    extra = {"Variable": ",".join(f"{k}={v}" for k, v in variables.items())} if variables else {}
    await probe.send(
        "Originate",
        ActionID=f"in-{n}",
        Channel="Local/s@sim-inbound",
        Application="Wait",
        Data=str(patience),
        CallerID=f'"Caller {n}" <+1212555{n:04d}>',
        Async="true",
        **extra,
    )
    await probe.response(f"in-{n}")  # the PBX has the call (over real TCP) before the clock moves on
    await world.run(1)


def ended(world: World) -> int:
    """Visits that ended in the last hour, as the daemon saw them."""
    return sum(q.last_hour.offered for q in world.dialer.inbound_live())


async def paused_in_the_pbx(world: World) -> None:
    """Every member of the queue paused in the PBX (the pause goes over real TCP)."""
    members = world.pbx.core.queues.queues[Q].members
    await eventually(lambda: members and all(m.paused for m in members.values()), 30)


async def test_answered_and_abandoned_callers_make_the_service_level(tmp_path: Path) -> None:
    async with make_world(
        tmp_path, us_leads=5, japan_leads=0, agents=2, inbound_queues=(Q,), crew=False, state="paused"
    ) as world:
        dialer = world.dialer
        for agent in ("agent01", "agent02"):
            await dialer.agents.pause(agent, "meeting")
        await paused_in_the_pbx(world)
        async with AmiProbe.connect(world.pbx.port) as probe:
            await probe.send("Login", Username="dialer", Secret="dialer", ActionID="l")
            await probe.response("l")
            await call_in(world, probe, 1, 3)  # gives up after 3 s: a short abandon
            await call_in(world, probe, 2, 30)  # gives up after 30 s
            await world.run(20, until=lambda: ended(world) == 1)
            (live,) = dialer.inbound_live()
            assert live.waiting == 1
            assert live.longest_waiting_seconds is not None
            assert live.longest_waiting_seconds >= 1  # the second caller, since it joined
            await world.run(60, until=lambda: ended(world) == 2)
            await call_in(world, probe, 3, 300)  # waits, then an agent gets ready and takes it
            await world.run(8)
            await dialer.agents.ready("agent01")
            members = world.pbx.core.queues.queues[Q].members
            await eventually(lambda: any(not m.paused for m in members.values()), 30)  # (over real TCP)
            await world.run(400, until=lambda: ended(world) == 3)  # answered, and the conversation ended
        await dialer.inbound_calls.flush()

        stored = await inbound_calls(world.db, queue=Q)
        assert [v.outcome for v in stored] == [
            InboundOutcome.ABANDONED,
            InboundOutcome.ABANDONED,
            InboundOutcome.ANSWERED,
        ]
        short, long_, answered = stored
        assert short.wait_seconds < 5
        assert short.caller.endswith("0001")
        assert 28 <= long_.wait_seconds <= 33
        assert 7 <= answered.wait_seconds <= 14
        assert answered.agent == "agent01"
        assert answered.talk_seconds is not None
        assert answered.talk_seconds > 0

        live = {q["queue"]: q for q in [q.as_json() for q in dialer.inbound_live()]}
        hour = live[Q]["last_hour"]
        assert (hour["offered"], hour["answered"], hour["abandoned"], hour["short_abandoned"]) == (3, 1, 1, 1)
        assert hour["service_level"] == 1 / 2  # 1 answered within 20 s of 2 (the short abandon left out)

        # The metrics' counters (since the daemon started) say the same.
        (sample,) = dialer_sample(dialer).inbound
        assert (sample.visits["answered"], sample.visits["abandoned"]) == (1, 2)
        assert (sample.answered_in_target, sample.short_abandons) == (1, 1)
        assert sample.service_level == 1 / 2

        report = await inbound_report(world.db, ReportRange(), dialer.service_level_rule, queues=[Q])
        (queue,) = report.queues
        for key in ("offered", "answered", "answered_within", "abandoned", "short_abandoned", "service_level"):
            assert queue.total.as_json()[key] == hour[key], key
        assert [a.agent for a in queue.agents] == ["agent01"]
        page = render(report, "html")
        assert "inbound-sales" in page
        assert "50" in page


async def test_timed_out_and_refused_callers_are_not_served(tmp_path: Path) -> None:
    async with make_world(
        tmp_path, us_leads=5, japan_leads=0, agents=1, inbound_queues=(Q,), crew=False, state="paused"
    ) as world:
        dialer = world.dialer
        await dialer.agents.pause("agent01", "meeting")
        await paused_in_the_pbx(world)
        async with AmiProbe.connect(world.pbx.port) as probe:
            await probe.send("Login", Username="dialer", Secret="dialer", ActionID="l")
            await probe.response("l")
            # The queue's bound (DIALER_INBOUND_MAX_WAIT) reached while the only member is paused: the apology.
            await call_in(world, probe, 1, 120, DIALER_INBOUND_MAX_WAIT="8")
            await world.run(20)
            # Nobody left in the queue: the next caller is turned away at the door.
            await dialer.agents.logout("agent01")
            members = world.pbx.core.queues.queues[Q].members
            await eventually(lambda: not members, 30)  # (the PBX has the removal: over real TCP)
            await call_in(world, probe, 2, 120)

            async def both_ended() -> bool:
                await world.run(0.5)
                return sum(q.last_hour.offered for q in dialer.inbound_live()) == 2

            await eventually(both_ended, 30)  # (the PBX's events reach the daemon over real TCP)
        await dialer.inbound_calls.flush()
        stored = await inbound_calls(world.db, queue=Q)
        assert [(v.outcome, v.queue_status) for v in stored] == [
            (InboundOutcome.TIMED_OUT, "TIMEOUT"),
            (InboundOutcome.REFUSED, "JOINEMPTY"),
        ]
        assert 7 <= stored[0].wait_seconds <= 10
        assert stored[1].wait_seconds == 0
        (live,) = dialer.inbound_live()
        assert (live.last_hour.offered, live.last_hour.timed_out, live.last_hour.refused) == (2, 1, 1)
        assert live.last_hour.service_level == 0.0
