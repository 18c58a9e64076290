"""Virtual hold's ``queue_wait`` on a daemon driving two Asterisk servers: a caller waits in their own server's
app_queue, for the agents logged in to the queue there, so the estimate counts that server's callers and agents.
The server is the one whose AMI announced the caller's channel (the FastAGI request's ``agi_uniqueid``); a channel
no server announced (or one server only) counts every server, as before, and says so at DEBUG."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from harness.logs import logging_to
from harness.servers import east_west_settings

from dialer.ami.events import AgentComplete, AgentConnect, Hangup, Newchannel, QueueCallerJoin
from dialer.clock import ManualClock
from dialer.daemon import Dialer
from dialer.daemon.ivractions import DaemonActions
from dialer.ivr.agi import IvrCallInfo
from dialer.ivr.executor import LookupDone
from dialer.settings import AmiServerSettings, Settings
from dialer.store.engine import create_database

QUEUE = "inbound-sales"
EAST_PHONE, WEST_PHONE = "PJSIP/1001", "PJSIP/2001"


async def no_table(action: str, args: object, info: IvrCallInfo) -> LookupDone:
    raise AssertionError(f"{action} is the daemon's own")


@pytest.fixture
async def dialer(tmp_path: Path) -> AsyncIterator[Dialer]:
    settings = east_west_settings(tmp_path, [QUEUE])
    db = create_database(settings.database_url)
    dialer = Dialer(settings, db, clock=ManualClock(1_000.0))
    try:
        yield dialer
    finally:
        await db.dispose()


def channel(uniqueid: str) -> Newchannel:
    return Newchannel(f"PJSIP/carrier-{uniqueid}", uniqueid, uniqueid, 6, "+12025550123", "dialer-ivr", "s")


def connect(interface: str, caller: str) -> AgentConnect:
    return AgentConnect(
        f"PJSIP/c-{caller}", caller, caller, f"{interface}-1", f"{caller}.a", QUEUE, interface, "", 3, 0
    )


def complete(interface: str, caller: str) -> AgentComplete:
    return AgentComplete(
        f"PJSIP/c-{caller}", caller, caller, f"{interface}-1", f"{caller}.a", QUEUE, interface, "", 3, 60, "caller"
    )


async def test_the_estimate_counts_the_callers_and_agents_of_the_callers_own_server(dialer: Dialer) -> None:
    clock = dialer.clock
    assert isinstance(clock, ManualClock)
    registry = dialer.agents.registry
    east, west = (next(c.pump for c in dialer.connections if c.server.name == s) for s in ("east", "west"))
    for agent, phone in (("east-agent", EAST_PHONE), ("west-agent", WEST_PHONE)):
        registry.register(agent, phone)
        registry.login(agent, [QUEUE], clock.now())
        registry.ready(agent, clock.now())
    assert {a.agent_id: a.server for a in registry.agents()} == {"east-agent": "east", "west-agent": "west"}
    # east: its one agent on a call, two callers waiting; west: its agent ready, nobody waiting
    registry.apply(connect(EAST_PHONE, "talk-1"), clock.now(), "east")
    for n in range(2):
        east.handle(QueueCallerJoin(f"PJSIP/in-{n}", f"in-{n}", f"in-{n}", 6, "", "", "", QUEUE, n + 1, n + 1))
    # two IVR callers, one on each server (their channels announced by their own server's AMI)
    east.handle(channel("east-ivr"))
    west.handle(channel("west-ivr"))
    actions = DaemonActions(dialer, no_table)

    async def wait_of(uniqueid: str) -> tuple[str, dict[str, str]]:
        info = IvrCallInfo(f"i{uniqueid}", "inbound", None, None, "", uniqueid=uniqueid)
        done = await actions("queue_wait", {"queue": QUEUE, "longer_than": "90"}, info)
        return done.status, dict(done.data)

    # east's caller waits behind east's two callers for east's one agent (nothing measured: 180 s a call, the call
    # in progress memoryless); west's is answered by west's ready agent at once
    assert await wait_of("east-ivr") == ("long", {"seconds": str(3 * 180), "waiting": "2"})
    assert await wait_of("west-ivr") == ("short", {"seconds": "0", "waiting": "0"})
    # a channel no server announced: every server's, as one queue (today's estimate), said at DEBUG
    with logging_to("DEBUG") as out:
        assert await wait_of("nobody-knows") == ("short", {"seconds": "0", "waiting": "2"})
    (said,) = [json.loads(line) for line in out.getvalue().splitlines() if "queue_wait_every_server" in line]
    assert (said["why"], said["uniqueid"]) == ("server not known", "nobody-knows")
    # east's agent hangs up and announces "ready in 20 s": east's caller waits that, then two calls
    await clock.advance(60.0)
    registry.apply(complete(EAST_PHONE, "talk-1"), clock.now(), "east")
    registry.announce_ready("east-agent", 20.0, clock.now())
    assert await wait_of("east-ivr") == ("long", {"seconds": str(20 + 2 * 180), "waiting": "2"})
    # west's agent asks for a pause during a call: once it ends nobody serves west (long, as if one came back)
    registry.apply(connect(WEST_PHONE, "talk-2"), clock.now(), "west")
    registry.pause("west-agent", "break", clock.now())
    assert await wait_of("west-ivr") == ("long", {"seconds": "180", "waiting": "0"})
    # the east caller's channel hangs up: its server is forgotten
    east.handle(Hangup("PJSIP/carrier-east-ivr", "east-ivr", "east-ivr", 6, "", "dialer-ivr", "s", 16, "Normal"))
    assert dialer.inbound.channels.server_of("east-ivr") is None


async def test_one_server_counts_every_caller_and_agent_as_before(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'd.db'}",
        var_dir=tmp_path,
        ami=[AmiServerSettings(name="only", port=1)],
        inbound_queues=[QUEUE],
    )
    db = create_database(settings.database_url)
    dialer = Dialer(settings, db, clock=ManualClock(1_000.0))
    try:
        dialer.connections[0].pump.handle(channel("ivr-1"))
        info = IvrCallInfo(call_ref="i1", flow="inbound", attempt=None, campaign=None, caller="", uniqueid="ivr-1")
        with logging_to("DEBUG") as out:
            done = await DaemonActions(dialer, no_table)("queue_wait", {"queue": QUEUE, "longer_than": "90"}, info)
        assert (done.status, dict(done.data)) == ("closed", {"seconds": "91", "waiting": "0"})
        assert '"why": "one server"' in out.getvalue()
    finally:
        await db.dispose()
