"""The simulated PBX's FastAGI client against the session recorded from the lab's Asterisk 22
(tests/fixtures/agi/ivr-session.txt): the same AGI environment (keys, order, values' form) and the same replies to
the same script -- a variable set and one not, SET VARIABLE, the script's HANGUP (then Asterisk's ``HANGUP`` line),
a command res_agi allows on a hung-up channel and one it refuses (511)."""

from __future__ import annotations

import asyncio
import re

from harness.agi_transcript import VARYING, Recorder, parse_transcript, shape
from harness.paths import REPO
from simpbx_helpers import pbx_session
from simpbx_ivr_rig import START, answering_pbx, step_until

from dialer.clock import ManualClock

FIXTURE = REPO / "tests" / "fixtures" / "agi" / "ivr-session.txt"


async def test_the_simulated_fastagi_client_sends_what_the_lab_asterisk_sent() -> None:
    recorder = Recorder(quiet_seconds=0.3)  # the simulated PBX answers in this process
    server = await asyncio.start_server(recorder.handle, "127.0.0.1", 0)
    address = f"127.0.0.1:{int(server.sockets[0].getsockname()[1])}"
    clock = ManualClock(START)
    try:
        async with pbx_session(answering_pbx(1), clock) as (pbx, probe):
            await probe.send(
                "Originate",
                ("Variable", "DIALER_ATTEMPT=rt-0abc12-1"),
                ("Variable", "DIALER_CAMPAIGN=lab-test"),
                ("Variable", "DIALER_IVR_FLOW=reminder"),
                ("Variable", f"DIALER_FASTAGI={address}"),
                Channel="Local/9981001@sim-pstn",
                Context="dialer-ivr",
                Exten="s",
                Priority="1",
                Timeout="30000",
                CallerID='"Dialer lab" <8005551000>',
                Async="true",
                ChannelId="rt-0abc12-1-c",
                ActionID="rt-0abc12-1-a",
            )
            await step_until(clock, probe, recorder.done.is_set, 120, pbx=pbx)
            async with asyncio.timeout(30):
                await recorder.done.wait()
    finally:
        server.close()

    sim = recorder.transcript
    assert sim is not None
    lab = parse_transcript(FIXTURE.read_text(encoding="utf-8"))
    assert [k for k, _ in sim.environment] == [k for k, _ in lab.environment]
    assert [(k, shape(v)) for k, v in sim.environment if k not in VARYING] == [
        (k, shape(v)) for k, v in lab.environment if k not in VARYING
    ]
    env = dict(sim.environment)
    assert env["agi_version"] == dict(lab.environment)["agi_version"]  # the recorded Asterisk's own
    assert env["agi_request"] == f"agi://{address}/ivr"
    assert env["agi_uniqueid"] == "rt-0abc12-1-c"
    assert re.fullmatch(r"Local/9981001@sim-pstn-[0-9a-f]{8};1", env["agi_channel"])
    assert env["agi_threadid"].isdigit()
    assert [(c, [shape(r) for r in rs]) for c, rs in sim.exchanges] == [
        (c, [shape(r) for r in rs]) for c, rs in lab.exchanges
    ]
