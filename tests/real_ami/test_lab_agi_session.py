"""What a real Asterisk sends a FastAGI server (asterisk/lab): the AGI environment of ``AGI(agi://host:port/ivr)`` in
[dialer-ivr], and its replies to a scripted session -- a variable that is set, one that is not, a SET VARIABLE, the
script's HANGUP, and two commands on the hung-up channel (one res_agi allows there, one it refuses).

With ``DIALER_RECORD_AGI=1`` the session is written to tests/fixtures/agi/ivr-session.txt (the simulated PBX's
FastAGI client is compared with that file: tests/sim/pbx/test_simpbx_agi_session.py); without it, the live session
is compared with the file (the same environment keys in the same order, the same replies). See
tests/fixtures/agi/README.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from harness.agi_transcript import VARYING, Recorder, parse_transcript, shape
from harness.lab import Lab
from harness.paths import REPO

pytestmark = pytest.mark.real_ami

FIXTURE = REPO / "tests" / "fixtures" / "agi" / "ivr-session.txt"


@pytest.fixture
async def recorder() -> AsyncIterator[tuple[str, Recorder]]:
    rec = Recorder()
    server = await asyncio.start_server(rec.handle, "127.0.0.1", 0)
    port = int(server.sockets[0].getsockname()[1])
    try:
        yield f"127.0.0.1:{port}", rec
    finally:
        server.close()
        with contextlib.suppress(Exception):
            await server.wait_closed()


async def test_a_fastagi_session_from_dialer_ivr_as_asterisk_sends_it(lab: Lab, recorder: tuple[str, Recorder]) -> None:
    address, rec = recorder
    call = await lab.originate(
        "9981001", context="dialer-ivr", variables={"DIALER_FASTAGI": address, "DIALER_IVR_FLOW": "reminder"}
    )
    async with asyncio.timeout(60):
        await rec.done.wait()
    await lab.wait_for(call, within=30)
    live = rec.transcript
    assert live is not None
    env = dict(live.environment)
    assert env["agi_network"] == "yes"
    assert env["agi_network_script"] == "ivr"
    assert env["agi_request"] == f"agi://{address}/ivr"
    assert env["agi_uniqueid"] == call.channel_id
    assert env["agi_context"] == "dialer-ivr"
    replies = dict(live.exchanges)
    assert replies["GET VARIABLE DIALER_ATTEMPT"][0] == f"200 result=1 ({call.attempt_id})"
    assert replies["GET VARIABLE DIALER_NO_SUCH_VARIABLE"] == ["200 result=0"]

    if os.environ.get("DIALER_RECORD_AGI") == "1":
        FIXTURE.parent.mkdir(parents=True, exist_ok=True)
        header = (
            f"AGI session: [dialer-ivr] AGI(agi://${{DIALER_FASTAGI}}/ivr) of an answered Originate (lab callee "
            f"9981001), recorded {datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')} from asterisk/lab (Asterisk 22) "
            "with DIALER_RECORD_AGI=1 pytest tests/real_ami/test_lab_agi_session.py"
        )
        FIXTURE.write_text(live.render(header), encoding="utf-8")
        return
    recorded = parse_transcript(FIXTURE.read_text(encoding="utf-8"))
    assert [k for k, _ in live.environment] == [k for k, _ in recorded.environment]
    assert [(k, shape(v)) for k, v in live.environment if k not in VARYING] == [
        (k, shape(v)) for k, v in recorded.environment if k not in VARYING
    ]
    assert [(c, [shape(r) for r in rs]) for c, rs in live.exchanges] == [
        (c, [shape(r) for r in rs]) for c, rs in recorded.exchanges
    ]
