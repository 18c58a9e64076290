"""AmiClient over real TCP against a small AMI server: login, errors, timeouts, watchdog, ordering, no double dial."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fake_asterisk import FakeAsterisk, recorded_answer, running_fake_asterisk

from dialer.ami.actions import (
    AmiActionError,
    AmiConnectionError,
    AmiTimeout,
    OriginateRequest,
    OriginateResult,
    OriginateStatus,
)
from dialer.ami.client import AmiClient, ConnectionState
from dialer.ami.events import AmiEvent, ConnectionDown, ConnectionUp, FullyBooted, Hangup


@pytest.fixture
async def fake_asterisk() -> AsyncIterator[FakeAsterisk]:
    async for server in running_fake_asterisk():
        yield server


def _request(n: int, **kwargs: object) -> OriginateRequest:
    values: dict[str, object] = {
        "channel": f"Local/555{n:04d}@sim-pstn",
        "attempt_id": f"att-{n}",
        "context": "dialer-connect",
        "caller_id": '"Acme" <8005551000>',
    }
    values.update(kwargs)
    return OriginateRequest(**values)  # type: ignore[arg-type]


async def _next_event(client: AmiClient, events: list[AmiEvent] | None = None) -> AmiEvent:
    iterator = client.events()
    async with asyncio.timeout(3):
        event = await anext(iterator)
    if events is not None:
        events.append(event)
    return event


async def test_login_ok_and_events_start_with_connection_up(fake_asterisk: FakeAsterisk) -> None:
    async with AmiClient(fake_asterisk.settings(), initial_backoff_seconds=0.05) as client:
        await client.wait_up(3)
        assert client.state.up
        assert client.state.connects == 1
        assert await _next_event(client) == ConnectionUp("test")
        assert isinstance(await _next_event(client), FullyBooted)
        assert await client.ping() >= 0
    login = fake_asterisk.log.named("Login")[0]
    assert (login.get("Username"), login.get("Secret"), login.get("Events")) == ("dialer", "s3cret", "on")
    assert fake_asterisk.log.named("Logoff")


async def test_bad_secret_is_a_clear_error(fake_asterisk: FakeAsterisk) -> None:
    async with AmiClient(fake_asterisk.settings(secret="wrong"), initial_backoff_seconds=0.05) as client:
        with pytest.raises(AmiConnectionError, match="login as 'dialer' refused: Authentication failed"):
            await client.wait_up(1.5)
        assert not client.state.up
        assert "Authentication failed" in client.state.reason


async def test_connection_refused_is_a_clear_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = FakeAsterisk.__new__(FakeAsterisk)
    server.port, server.secret = port, "x"
    async with AmiClient(server.settings(), initial_backoff_seconds=0.05) as client:
        with pytest.raises(AmiConnectionError, match=f"AMI test at 127.0.0.1:{port}: .*(refused|failed)"):
            await client.wait_up(1)
        result = await client.originate(_request(1))
        assert result.status is OriginateStatus.NOT_SENT
        assert not result.may_be_dialling


async def test_action_timeout_and_unknown_originate(fake_asterisk: FakeAsterisk) -> None:
    fake_asterisk.silent_actions = {"status", "originate"}
    settings = fake_asterisk.settings(action_timeout_seconds=0.3)
    async with AmiClient(settings, initial_backoff_seconds=0.05) as client:
        await client.wait_up(3)
        with pytest.raises(AmiTimeout, match=r"no answer to Status within 0\.3s"):
            await client.status()
        result = await client.originate(_request(1))
        assert result.status is OriginateStatus.UNKNOWN
        assert result.may_be_dialling
        assert client._pending == {}
        assert client.state.up  # a slow action is not a dead connection


async def test_missed_pong_reconnects(fake_asterisk: FakeAsterisk) -> None:
    settings = fake_asterisk.settings(action_timeout_seconds=0.2, ping_interval_seconds=0.1)
    changes: list[ConnectionState] = []
    resyncs: list[int] = []
    async with AmiClient(settings, initial_backoff_seconds=0.05) as client:
        client.add_state_listener(changes.append)
        client.add_resync_listener(lambda: resyncs.append(client.state.connects))
        await client.wait_up(3)
        fake_asterisk.answer_pings = False
        await client.wait_down(3)
        assert "no answer to Ping" in client.state.reason
        fake_asterisk.answer_pings = True
        await client.wait_up(3)
        assert client.state.connects == 2
    assert fake_asterisk.connections >= 2
    assert resyncs[:2] == [1, 2]  # FullyBooted of each session
    flips = [c.up for i, c in enumerate(changes) if i == 0 or c.up != changes[i - 1].up]
    assert flips[:3] == [True, False, True]


async def test_events_are_typed_and_in_order(fake_asterisk: FakeAsterisk) -> None:
    async with AmiClient(fake_asterisk.settings(), initial_backoff_seconds=0.05) as client:
        await client.wait_up(3)
        hangups = [
            [
                ("Event", "Hangup"),
                ("Channel", f"Local/{i}@x-1;1"),
                ("Uniqueid", f"u.{i}"),
                ("Linkedid", f"u.{i}"),
                ("Cause", str(i % 30)),
                ("CallerIDName", "Zoë 🙂"),
            ]
            for i in range(2000)
        ]
        noise = [("Event", "Newexten"), ("Channel", "x")]
        await fake_asterisk.broadcast([m for h in hangups for m in (h, noise)])
        received: list[Hangup] = []
        async with asyncio.timeout(5):
            async for event in client.events():
                if isinstance(event, Hangup):
                    received.append(event)
                    if len(received) == 2000:
                        break
        assert [e.uniqueid for e in received] == [f"u.{i}" for i in range(2000)]
        assert received[7].cause == 7


async def test_crlf_injection_through_a_variable_is_impossible(fake_asterisk: FakeAsterisk) -> None:
    async with AmiClient(fake_asterisk.settings(), initial_backoff_seconds=0.05) as client:
        await client.wait_up(3)
        evil = "Bob\r\n\r\nAction: Hangup\r\nChannel: all, really"
        result = await client.originate(_request(1, variables={"LEAD_NAME": evil}, caller_id='"X\r\nAction: Y" <1>'))
        assert result.status is OriginateStatus.QUEUED
    assert fake_asterisk.log.named("Hangup") == []
    assert fake_asterisk.log.named("Y") == []
    (originate,) = fake_asterisk.log.named("Originate")
    variables = originate.getall("Variable")
    assert variables == ["DIALER_ATTEMPT=att-1", r"LEAD_NAME=Bob    Action: Hangup  Channel: all\, really"]
    assert originate.get("Async") == "true"
    assert originate.get("ChannelId") == result.channel_id
    assert originate.get("ActionID") == result.action_id


EVIL = "x\r\n\r\nAction: Hangup\r\nChannel: all\x00\nAction: Originate\rChannel: PJSIP/+19005550000@t\u2028y"

ORIGINATE_FIELDS = {
    "caller_id": {"caller_id": f'"{EVIL}" <8005551000>'},
    "variable": {"variables": {"LEAD_NAME": EVIL, "LEAD_NOTES": EVIL}},
    "account": {"account": EVIL},
    "context": {"context": EVIL},
    "exten": {"exten": EVIL},
    "attempt_id": {"attempt_id": EVIL},
}


def _frames(raw: bytes) -> list[bytes]:
    """The action frames on the wire: each ends at the first empty line (what Asterisk's manager reads)."""
    return raw.replace(b"\r\n", b"\n").split(b"\n\n")[:-1]


@pytest.mark.parametrize("field", sorted(ORIGINATE_FIELDS))
async def test_cr_lf_nul_in_any_originate_field_cannot_inject_headers_on_the_wire(
    fake_asterisk: FakeAsterisk, field: str
) -> None:
    async with AmiClient(fake_asterisk.settings(), initial_backoff_seconds=0.05) as client:
        await client.wait_up(3)
        before = len(fake_asterisk.log.raw)
        result = await client.originate(_request(1, **ORIGINATE_FIELDS[field]))
        assert result.status is OriginateStatus.QUEUED
        raw = bytes(fake_asterisk.log.raw[before:])
    assert b"\x00" not in raw
    assert "\u2028".encode() not in raw
    # One frame, each of its lines one header the client meant to write.
    (frame,) = [f for f in _frames(raw) if not f.startswith(b"Action: Logoff")]
    keys = [line.split(b":", 1)[0] for line in frame.split(b"\n")]
    expected = [b"Action", b"ActionID", b"Channel", b"Context", b"Exten", b"Priority", b"Timeout", b"ChannelId"]
    assert keys[:9] == [*expected, b"Async"]
    assert set(keys[9:]) <= {b"CallerID", b"Account", b"Variable"}, keys
    assert keys.count(b"Channel") == 1
    assert fake_asterisk.log.named("Hangup") == []
    (originate,) = fake_asterisk.log.named("Originate")
    assert originate.get("Channel") == "Local/5550001@sim-pstn"


@pytest.mark.parametrize("field", ["action_id", "channel_id"])
def test_our_own_ids_with_control_characters_are_refused_before_the_wire(field: str) -> None:
    with pytest.raises(ValueError, match=r"invalid (ActionID|ChannelId)"):
        _request(1, **{field: f"id-{EVIL}"})


async def test_cr_lf_nul_in_agent_names_and_pause_reasons_cannot_inject_headers(fake_asterisk: FakeAsterisk) -> None:
    async with AmiClient(fake_asterisk.settings(), initial_backoff_seconds=0.05) as client:
        await client.wait_up(3)
        before = len(fake_asterisk.log.raw)
        for call in (
            client.queue_add("q1", "Local/a1@x", member_name=EVIL),
            client.queue_pause("Local/a1@x", True, reason=EVIL),
            client.queue_remove("q1", f"Local/a1@x{EVIL}"),
        ):
            with contextlib.suppress(AmiActionError):  # the fake does not know these actions: fine
                await call
        raw = bytes(fake_asterisk.log.raw[before:])
    assert b"\x00" not in raw
    assert [f.split(b"\n", 1)[0] for f in _frames(raw)][:3] == [
        b"Action: QueueAdd",
        b"Action: QueuePause",
        b"Action: QueueRemove",
    ]
    assert fake_asterisk.log.named("Hangup") == []
    assert fake_asterisk.log.named("Originate") == []


async def test_hangup_and_queue_status_list(fake_asterisk: FakeAsterisk) -> None:
    async with AmiClient(fake_asterisk.settings(), initial_backoff_seconds=0.05) as client:
        await client.wait_up(3)
        assert await client.hangup("chan-1", 16) is True
        assert await client.hangup("gone") is False
        snapshot = await client.queue_status()
        assert [p.queue for p in snapshot.params] == ["q1", "q2"]
        assert [(m.name, m.paused, m.paused_reason) for m in snapshot.members] == [("Agent 1", True, "lunch")]
        assert snapshot.entries == ()
    hangup = fake_asterisk.log.named("Hangup")[0]
    assert (hangup.get("Channel"), hangup.get("Cause")) == ("chan-1", "16")


async def test_state_goes_down_within_a_second_of_a_cut(fake_asterisk: FakeAsterisk) -> None:
    async with AmiClient(fake_asterisk.settings(), initial_backoff_seconds=0.05) as client:
        await client.wait_up(3)
        loop = asyncio.get_running_loop()
        cut_at = loop.time()
        await fake_asterisk.stop()
        await client.wait_down(1)
        assert loop.time() - cut_at < 1
        result = await client.originate(_request(9))
        assert result.status is OriginateStatus.NOT_SENT


async def test_no_double_dial_when_the_server_dies_mid_burst(fake_asterisk: FakeAsterisk) -> None:
    """Kill the server in the middle of a burst of originates, start it again: nothing is sent twice."""
    fake_asterisk.originate_delay = 0.002
    fake_asterisk.originates_threshold = 40
    port = fake_asterisk.port
    async with AmiClient(fake_asterisk.settings(), initial_backoff_seconds=0.05) as client:
        await client.wait_up(3)
        downs: list[AmiEvent] = []
        during_outage: list[OriginateResult] = []

        async def kill_then_restart() -> None:
            await fake_asterisk.originates_reached.wait()
            await fake_asterisk.stop()
            await client.wait_down(1)
            during_outage.append(await client.originate(_request(999)))
            await fake_asterisk.start(port)

        restarter = asyncio.create_task(kill_then_restart())
        first_burst = await asyncio.gather(*(client.originate(_request(n)) for n in range(150)))
        await restarter
        await client.wait_up(3)
        second_burst = await asyncio.gather(*(client.originate(_request(n)) for n in range(150, 200)))
        async with asyncio.timeout(3):
            async for event in client.events():
                if isinstance(event, ConnectionDown):
                    downs.append(event)
                    break

    statuses = Counter(r.status for r in first_burst)
    assert statuses[OriginateStatus.QUEUED] >= 1
    assert statuses[OriginateStatus.UNKNOWN] + statuses[OriginateStatus.NOT_SENT] >= 1
    assert all(r.status is OriginateStatus.QUEUED for r in second_burst)
    assert [r.status for r in during_outage] == [OriginateStatus.NOT_SENT]
    seen = fake_asterisk.log.named("Originate")
    action_ids = Counter(a.get("ActionID") for a in seen)
    channel_ids = Counter(a.get("ChannelId") for a in seen)
    attempts = Counter(v for a in seen for v in a.getall("Variable") if v.startswith("DIALER_ATTEMPT="))
    assert max(action_ids.values()) == 1
    assert max(channel_ids.values()) == 1
    assert max(attempts.values()) == 1
    # Every originate the client says was queued reached the server exactly once; NOT_SENT ones never did.
    ids_seen = set(action_ids)
    for result in (*first_burst, *second_burst, *during_outage):
        if result.status is OriginateStatus.QUEUED:
            assert result.action_id in ids_seen
        if result.status is OriginateStatus.NOT_SENT:
            assert result.action_id not in ids_seen
    assert downs
    assert fake_asterisk.connections >= 2
    counted = Counter(r.status.value for r in (*first_burst, *second_burst, *during_outage))
    assert client.stats.originates == dict(counted)
    assert client.stats.connection_losses >= 1


async def test_list_actions_collect_recorded_asterisk_answers(fake_asterisk: FakeAsterisk, traces_dir: Path) -> None:
    queue_trace = traces_dir / "queue-status.txt"
    channels_trace = traces_dir / "core-show-channels.txt"
    fake_asterisk.recorded_answers = {
        "queuestatus": recorded_answer(queue_trace, "qstatus-all"),
        "queuesummary": recorded_answer(queue_trace, "qsummary-all"),
        "coreshowchannels": recorded_answer(channels_trace, "csc-1"),
        "status": recorded_answer(channels_trace, "status-1"),
    }
    async with AmiClient(fake_asterisk.settings(), initial_backoff_seconds=0.05) as client:
        await client.wait_up(3)
        snapshot = await client.queue_status()
        assert {p.queue for p in snapshot.params} == {"outbound-agents", "inbound-sales"}
        assert ("inbound-sales", "Agent 5", True) in {(m.queue, m.name, m.paused) for m in snapshot.members}
        assert len(snapshot.entries) == 2
        summaries = await client.queue_summary()
        assert {s.queue for s in summaries} == {"outbound-agents", "inbound-sales"}
        channels = await client.core_show_channels()
        assert len(channels) == 12
        statuses = await client.status()
        assert len(statuses) == 12
        assert client._pending == {}


async def test_oversized_frame_is_dropped_and_the_session_survives(fake_asterisk: FakeAsterisk) -> None:
    async with AmiClient(fake_asterisk.settings(), initial_backoff_seconds=0.05) as client:
        await client.wait_up(3)
        huge = [
            ("Event", "UserEvent"),
            ("Channel", "x"),
            ("Uniqueid", "u"),
            ("UserEvent", "Big"),
            ("Data", "y" * 200_000),
        ]
        after = [("Event", "Hangup"), ("Channel", "c"), ("Uniqueid", "u.1"), ("Linkedid", "u.1"), ("Cause", "16")]
        await fake_asterisk.broadcast([huge, after])
        async with asyncio.timeout(3):
            async for event in client.events():
                if isinstance(event, Hangup):
                    break
        assert client.stats.frames_discarded == 1
        assert client.state.up
        assert await client.ping() >= 0
        assert client.stats.logins == 1
