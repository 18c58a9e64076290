"""Cross-check: the daemon's call tracker, fed the simulated PBX's AMI stream, concludes for every attempt the
outcome the PBX knows it produced (its ground truth)."""

from __future__ import annotations

import pytest
from simpbx_helpers import originate, pbx_session, scenario

from dialer.ami.parsing import parse_event
from dialer.calls.outcome import Outcome
from dialer.calls.tracker import CallEnded, CallTracker, CallUpdate, OriginateRecord
from dialer.sim.pbx import PbxConfig

WORLD = scenario(
    outbound={"answer_probability": 0.4, "machine_share": 0.15, "busy_share": 0.15, "congestion_share_of_busy": 0.3},
    amd={"enabled": True, "false_positive_rate": 0.05},
    agents={"connect_delay_seconds": 0.5},
    handle={"talk_mean_seconds": 20.0, "talk_sd_seconds": 5.0},
)


@pytest.mark.parametrize(
    ("amd", "channel", "seed", "expected"),
    [
        (True, "Local/{}@sim-pstn", 11, {Outcome.CONNECTED, Outcome.ABANDONED, Outcome.BUSY, Outcome.NO_ANSWER}),
        (False, "Local/{}@sim-pstn", 11, {Outcome.CONNECTED, Outcome.ABANDONED, Outcome.BUSY, Outcome.NO_ANSWER}),
        (True, "PJSIP/{}@carrier", 11, {Outcome.CONNECTED, Outcome.ABANDONED, Outcome.BUSY, Outcome.NO_ANSWER}),
        # The model world dialled over an IAX2 trunk (tests/sim/pbx/test_simpbx_trunk_traces.py compares that
        # trunk with the lab's recordings).
        (True, "IAX2/carrier/{}", 12, {Outcome.CONNECTED, Outcome.BUSY, Outcome.NO_ANSWER, Outcome.UNALLOCATED}),
    ],
    ids=["local-amd", "local", "trunk-amd", "iax2-trunk-amd"],
)
async def test_tracker_outcomes_equal_the_ground_truth(
    amd: bool, channel: str, seed: int, expected: set[Outcome]
) -> None:
    """The world (busy, congestion, bad numbers, no answer, AMD, opt-outs, calls the Originate order varies) dialled
    through the given channel: the daemon's tracker, fed the simulated PBX's AMI stream, concludes for every attempt
    the outcome the PBX knows it produced, and nothing is left behind."""
    config = PbxConfig(
        scenario=WORLD,
        seed=seed,
        unallocated_share=0.05,
        invalid_share=0.03,
        early_hangup_share=0.05,
        opt_out_share=0.2,
        vary_order=True,
        read_classes=("system", "call", "agent", "user"),
    )
    tracker = CallTracker()
    ended: dict[str, Outcome] = {}

    def collect(updates: list[CallUpdate]) -> None:
        ended.update({u.attempt_id: u.outcome for u in updates if isinstance(u, CallEnded)})

    async with pbx_session(config) as (pbx, ami):
        clock = pbx.manual_clock
        for i in range(3):
            await ami.send("QueueAdd", Queue="outbound-agents", Interface=f"PJSIP/10{i:02d}", ActionID=f"q{i}")
        for i in range(60):
            number = f"555{i:04d}"
            repeated, named = originate(number, str(i), amd=amd)
            named["Channel"] = channel.format(number)
            tracker.register(
                OriginateRecord(
                    named["ActionID"], str(i), named["Channel"], number, clock.now(), named["ChannelId"], 22.0
                )
            )
            await ami.send("Originate", *repeated, **named)
            if i % 10 == 9:
                await clock.advance(3.0)
        for _ in range(240):
            await clock.advance(1.0)
            for message in await ami.drain(within=0.001):
                event = parse_event(message)
                if event is not None:
                    collect(list(tracker.feed(event, clock.now())))
            collect(tracker.sweep(clock.now()))
        truth = {r.attempt: r.outcome for r in pbx.truth.originates}
        engine = pbx.core.engine
        # Every call is over and nothing is left behind (channels, owners, timers, queue callers, device legs).
        assert not engine.channels
        assert not engine.owners
        assert not engine.by_uniqueid
        assert engine.pending_timers == 0
        assert not any(q.callers for q in pbx.queues.values())
        assert not any(d.leg for d in pbx.core.queues.devices.values())
    assert len(truth) == 60
    assert ended == truth
    assert expected <= set(truth.values())
