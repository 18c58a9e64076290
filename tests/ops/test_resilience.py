"""Failures injected into a running daemon: AMI connection cut, garbage from the PBX, database unreachable."""

from __future__ import annotations

import asyncio
from pathlib import Path

import structlog.testing
from harness.databases import DbSpec
from harness.ops import OpsWorld, ops_world
from harness.stepping import wait_real


def members(world: OpsWorld) -> set[str]:
    return set(world.pbx.queues[world.config.queue].members)


async def test_ami_cut_stops_dialling_at_once_and_resumes_with_agents_re_added(
    tmp_path: Path, sqlite_spec: DbSpec
) -> None:
    async with ops_world(tmp_path, sqlite_spec, leads=200, agents=5) as world:
        daemon = await world.start_daemon("solo")
        dialer = daemon.dialer
        runner = dialer.runner(world.config.name)
        await world.run(40, step=1.0)
        assert runner.counters.attempts > 0
        agents = {f"Local/agent{n:02d}@sim-agents" for n in range(1, 6)}
        assert members(world) == agents

        await world.pbx.kill()
        assert await wait_real(lambda: not dialer.pool.any_up())
        await world.run(1.0, step=0.5)
        assert runner.why_not is not None
        assert runner.why_not.code == "ami_down"
        sent_before = len(world.pbx.truth.originates)
        attempts_before = runner.counters.attempts
        await world.run(20, step=1.0)
        # Nothing was dialled (nor queued to be sent later) while the PBX was away.
        assert runner.counters.attempts == attempts_before
        assert runner.why_not.code == "ami_down"

        await world.pbx.restart()
        restarted_at = world.clock.now()
        assert members(world) == set()  # a restarted Asterisk forgets dynamic queue members
        assert await wait_real(dialer.pool.any_up)
        await world.run(10, step=0.5)
        # Reconciliation after the reconnect put every logged-in agent back in the queue.
        assert await wait_real(lambda: members(world) == agents)
        await world.run(40, step=1.0)
        assert runner.counters.attempts > attempts_before
        assert len(world.pbx.truth.originates) > sent_before
        new = list(world.pbx.truth.originates)[sent_before:]
        assert all(r.received_at >= restarted_at for r in new)
        assert world.pbx.truth.duplicates() == {}
        assert dialer.metrics.registry.get_sample_value("dialer_ami_reconnects_total", {"server": "sim"}) >= 1


GARBAGE = [
    b"\x00\xff\xfe binary noise \x80\x81\r\n\r\n",
    b"no colon on this line at all\r\n\r\n",
    b"Event: Hangup\r\nUniqueid: nonsense\r\nCause: not-a-number\r\nChannel: \r\n\r\n",
    b"Event: QueueMemberStatus\r\nQueue: outbound-agents\r\nPaused: maybe\r\nStatus: x\r\n\r\n",
    b"Event: NoSuchEventEver\r\nFoo: bar\r\n\r\n",
    b"Response: Success\r\nActionID: nobody-sent-this\r\n\r\n",
    b"A" * 300_000 + b"\r\n\r\n",  # one frame far beyond any real event
]


async def test_garbage_from_the_pbx_is_logged_and_skipped(tmp_path: Path, sqlite_spec: DbSpec) -> None:
    async with ops_world(tmp_path, sqlite_spec, leads=200, agents=5) as world:
        daemon = await world.start_daemon("solo")
        dialer = daemon.dialer
        runner = dialer.runner(world.config.name)
        await world.run(20, step=1.0)
        connects = dialer.connections[0].client.state.connects
        attempts = runner.counters.attempts
        with structlog.testing.capture_logs() as logs:
            for session in list(world.pbx.sessions):
                for junk in GARBAGE:
                    session.write(junk)
            await asyncio.sleep(0.2)
            await world.run(40, step=1.0)
        assert dialer.pool.any_up()
        # The session survived: the junk was skipped, not treated as a broken connection.
        assert dialer.connections[0].client.state.connects == connects
        assert runner.counters.attempts > attempts
        assert world.pbx.truth.duplicates() == {}
        events = {entry["event"] for entry in logs}
        expected = {
            "ami_frame_too_long_discarded",
            "ami_frame_without_headers_skipped",
            "ami_event_malformed_skipped",
            "ami_unmatched_response",
        }
        assert expected <= events, sorted(events)
