"""Recording, supervisor monitoring and agent scripts through the API, against the whole dialer and the simulated
PBX (which records with MixMonitor and spies with ChanSpy as Asterisk 22 does, and writes the files)."""

from __future__ import annotations

import wave
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from harness.paths import REPO
from harness.stepping import eventually
from harness.web import WebWorld, problem, supervise, supervisor, web_world

from dialer.appkeys import DATABASE
from dialer.store.attempts import AttemptRecord, get_attempt
from dialer.store.auth import update_user
from dialer.store.floor import publish_view, remove_view
from dialer.store.monitoring import get_supervision, supervision_started
from dialer.supervision.service import LISTING_GRACE_SECONDS

SUPERVISOR_PHONE = "Local/boss@sim-supervisors"


@pytest.fixture
async def recorded_world(tmp_path: Path) -> AsyncIterator[WebWorld]:
    async with web_world(tmp_path, write_recordings=True) as w:
        yield w


# An hour: the call outlasts the test. Drawn from the demo scenario, a call talks 60 s on average (3 real seconds
# at the world's speed) while each state a test waits for takes a recording batch (1 s) and the polling: a short call
# (or a loaded machine) hung up under the test, its row became "done" and the wait for the next state timed out.
# (The recorded call of the first test is left to end: it waits for its recording to be done.)
LONG_CALL_SECONDS = 3600.0


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[WebWorld]:
    """The API tier's world (tests/api/conftest.py) whose answered calls talk for an hour (simulated): the agent's
    call these tests supervise or script is still there when they act on it."""
    async with web_world(tmp_path, agent_talk_seconds=LONG_CALL_SECONDS) as w:
        yield w


@pytest.fixture
async def recorded_long_calls_world(tmp_path: Path) -> AsyncIterator[WebWorld]:
    """``recorded_world`` whose answered calls talk for an hour (simulated): they end only with the test."""
    async with web_world(tmp_path, write_recordings=True, agent_talk_seconds=LONG_CALL_SECONDS) as w:
        yield w


async def _record_every_call(client: Any, world: WebWorld) -> None:
    text = 'recording = "all"\n' + (REPO / "campaigns/demo.toml").read_text(encoding="utf-8")
    resp = await client.put(
        "/api/campaigns/demo", data=text, headers={**world.auth("boss"), "Content-Type": "application/toml"}
    )
    assert resp.status == 200, await resp.text()


async def _alice_on_a_call(client: Any, world: WebWorld, name: str = "alice") -> dict[str, Any]:
    """``name`` (alice unless said) signs in to the queue, goes ready and takes a call: the call."""
    alice = world.auth(name)
    resp = await client.post(f"/api/agents/{name}/login", json={"queues": ["outbound-agents"]}, headers=alice)
    assert resp.status == 200, await resp.text()
    await client.post(f"/api/agents/{name}/ready", headers=alice)

    async def talking() -> dict[str, Any] | None:
        agent = await (await client.get(f"/api/agents/{name}", headers=alice)).json()
        if agent["status"] != "talking":
            return None
        body = await (await client.get(f"/api/agents/{name}/call", headers=alice)).json()
        return body["call"] if body["call"] else None

    call: dict[str, Any] = await eventually(talking, 30)
    return call


async def test_a_recorded_call_is_searchable_playable_and_only_its_agent_or_a_manager_hears_it(
    recorded_world: WebWorld, aiohttp_client: Any
) -> None:
    world = recorded_world
    client = await aiohttp_client(world.app)
    await _record_every_call(client, world)
    call = await _alice_on_a_call(client, world)
    attempt = call["attempt"]["id"]
    alice, bob, boss = world.auth("alice"), world.auth("bob"), world.auth("boss")
    # Card number read out: the agent pauses the recording and resumes it; on-demand start is refused here.
    assert (await client.post("/api/agents/alice/recording", json={"action": "pause"}, headers=alice)).status == 200
    assert (await client.post("/api/agents/alice/recording", json={"action": "resume"}, headers=alice)).status == 200
    await problem(await client.post("/api/agents/alice/recording", json={"action": "start"}, headers=alice), 409)
    await problem(await client.post("/api/agents/bob/recording", json={"action": "pause"}, headers=alice), 403)

    async def finished() -> dict[str, Any] | None:
        resp = await client.get(f"/api/recordings/{attempt}", headers=boss)
        if resp.status != 200:
            return None
        body: dict[str, Any] = await resp.json()
        return body if body["state"] == "done" else None

    rec = await eventually(finished, 60)
    assert rec["agent"] == "alice"
    assert rec["audio_url"] == f"/api/recordings/{attempt}/audio"
    # The file Asterisk (here the simulated PBX) wrote, named by the attempt id, as long as the talk time.
    path = world.settings.recording.directory / f"{attempt}.wav"
    with wave.open(str(path)) as audio:
        seconds = audio.getnframes() / audio.getframerate()
    assert seconds > 0
    # Playback: whole file, a Range for seeking, a download; bob (another agent) gets 403, alice her own.
    whole = await client.get(rec["audio_url"], headers=boss)
    assert whole.status == 200
    assert whole.headers["Content-Type"] == "audio/wav"
    data = await whole.read()
    assert data[:4] == b"RIFF"
    part = await client.get(rec["audio_url"], headers={**boss, "Range": "bytes=0-99"})
    assert part.status == 206
    assert part.headers["Content-Range"].startswith("bytes 0-99/")
    assert len(await part.read()) == 100
    download = await client.get(rec["download_url"], headers=boss)
    assert download.headers["Content-Disposition"].startswith("attachment")
    await problem(await client.get(rec["audio_url"], headers=bob), 403)
    await problem(await client.get(f"/api/recordings/{attempt}", headers=bob), 403)
    assert (await client.get(rec["audio_url"], headers=alice)).status == 200
    # Search: by campaign, agent, number, date; agents only find their own.
    phone = call["attempt"]["phone"]
    today = datetime.now(UTC).date().isoformat()
    found = await (
        await client.get(
            f"/api/recordings?campaign=demo&agent=alice&phone={phone[-6:]}&date_to=2099-01-01", headers=boss
        )
    ).json()
    assert [i["attempt_id"] for i in found["items"]] == [attempt]
    assert found["items"][0]["campaign"] == "demo"
    assert (await (await client.get("/api/recordings?agent=alice", headers=bob)).json()).get("status") == 403
    assert (await (await client.get("/api/recordings", headers=bob)).json())["total"] == 0
    none = await (await client.get("/api/recordings?disposition=nothing-like-this", headers=boss)).json()
    assert none["total"] == 0
    assert today  # the date filter takes ISO days
    await problem(await client.get("/api/recordings/999999999", headers=boss), 404)
    # The call record links to its recording (the lead's history, the agent's calls).
    lead = await (await client.get(f"/api/leads/{call['lead']['id']}", headers=boss)).json()
    assert [h["recording_url"] for h in lead["history"] if h["id"] == attempt] == [rec["call_url"]]
    mine = await (await client.get("/api/agents/alice/calls", headers=alice)).json()
    assert {i["id"]: i["recording_url"] for i in mine["items"]}[attempt] == rec["call_url"]


async def test_a_supervisor_whispers_then_barges_and_each_session_is_audited(world: WebWorld, client: Any) -> None:
    boss = world.auth("boss")
    await problem(await client.post("/api/supervision", json={"agent": "alice", "mode": "listen"}, headers=boss), 404)
    await update_user(world.app[DATABASE], "boss", datetime.now(UTC), phone=SUPERVISOR_PHONE)
    await _alice_on_a_call(client, world)
    await problem(
        await client.post("/api/supervision", json={"agent": "alice", "mode": "listen"}, headers=world.auth("bob")),
        403,
    )
    whisper = await supervise(client, boss, "boss", "alice", "whisper")
    assert whisper["attempt_id"] is not None
    barge = await supervise(client, boss, "boss", "alice", "barge")

    async def audit() -> list[dict[str, Any]] | None:
        items: list[dict[str, Any]] = (await (await client.get("/api/supervision", headers=boss)).json())["items"]
        states = {i["id"]: i["state"] for i in items}
        return items if states.get(whisper["id"]) == "ended" else None

    items = await eventually(audit, 20)
    assert [(i["mode"], i["agent"]) for i in items] == [("barge", "alice"), ("whisper", "alice")]
    # The PBX saw a supervisor leg spying on alice's channel (ChanSpy), for each mode.
    # Stopping answers what happened: the supervisor's leg hung up (its Hangup ends the audit row), as the audit says.
    stopped = await client.delete(f"/api/supervision/{barge['id']}", headers=boss)
    assert stopped.status == 200, await stopped.text()
    answer = await stopped.json()
    assert (answer["id"], answer["state"]) == (barge["id"], "ended")
    assert answer["ended_at"]
    items = (await (await client.get("/api/supervision?agent=alice", headers=boss)).json())["items"]
    assert [(i["id"], i["state"], i["ended_at"]) for i in items if i["id"] == barge["id"]] == [
        (barge["id"], "ended", answer["ended_at"])
    ]
    assert all(i["state"] == "ended" and i["ended_at"] for i in items)
    # Stopping it again changes nothing and says so.
    again = await client.delete(f"/api/supervision/{barge['id']}", headers=boss)
    assert (again.status, (await again.json())["state"]) == (200, "ended")
    await problem(await client.post("/api/supervision", json={"agent": "bob", "mode": "listen"}, headers=boss), 404)


async def test_a_team_supervisor_monitors_their_own_teams_agents_only(world: WebWorld, client: Any) -> None:
    boss = world.auth("boss")
    sue = await supervisor(world, client)  # team north: alice; bob has no team
    db = world.app[DATABASE]
    for user in ("sue", "boss"):
        await update_user(db, user, datetime.now(UTC), phone=SUPERVISOR_PHONE)
    await _alice_on_a_call(client, world)
    await _alice_on_a_call(client, world, "bob")
    on_bob = await supervise(client, boss, "boss", "bob", "listen")  # a manager: any agent
    listen = await supervise(client, sue, "sue", "alice", "listen")
    refused = await problem(
        await client.post("/api/supervision", json={"agent": "bob", "mode": "whisper"}, headers=sue), 403
    )
    assert "bob is not in a team you supervise" in refused["detail"]
    # The audit she reads is her teams' agents' (anyone's sessions on them); bob's is not hers to see.
    mine = (await (await client.get("/api/supervision", headers=sue)).json())["items"]
    assert [(i["id"], i["agent"]) for i in mine] == [(listen["id"], "alice")]
    everyone = (await (await client.get("/api/supervision", headers=boss)).json())["items"]
    assert {i["id"] for i in everyone} == {listen["id"], on_bob["id"]}
    await problem(await client.get("/api/supervision?agent=bob", headers=sue), 403)
    # She stops her own session, not the manager's.
    await problem(await client.delete(f"/api/supervision/{on_bob['id']}", headers=sue), 403)
    stopped = await client.delete(f"/api/supervision/{listen['id']}", headers=sue)
    assert stopped.status == 200, await stopped.text()
    assert (await stopped.json())["state"] in ("ending", "ended")


async def test_the_script_is_escaped_and_opens_with_the_identification(world: WebWorld, client: Any) -> None:
    alice = world.auth("alice")
    assert (await (await client.get("/api/agents/alice/script", headers=alice)).json()) == {"script": None}
    call = await _alice_on_a_call(client, world)
    lead_id = call["lead"]["id"]
    resp = await client.patch(
        f"/api/leads/{lead_id}", json={"first_name": "<img src=x onerror=alert(1)>"}, headers=alice
    )
    assert resp.status == 200, await resp.text()
    script = (await (await client.get("/api/agents/alice/script", headers=alice)).json())["script"]
    assert "<img" not in script["html"]
    assert "&lt;img src=x onerror=alert(1)&gt;" in script["html"]
    assert script["text"].startswith("Hello, may I speak with <img src=x onerror=alert(1)>")
    assert "My name is alice" in script["text"]
    await problem(await client.get("/api/agents/alice/script", headers=world.auth("bob")), 403)
    template = await (await client.get("/api/campaigns/demo/script", headers=world.auth("boss"))).json()
    assert template["preset"] is True


async def test_dial_mode_and_level_change_live(world: WebWorld, client: Any) -> None:
    boss = world.auth("boss")
    resp = await client.patch(
        "/api/campaigns/demo/dialing", json={"dial_mode": "power", "power_ratio": 2.5}, headers=boss
    )
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["dial_mode"] == "power"
    assert body["pacing"]["power_ratio"] == 2.5
    assert world.dialer.runners["demo"].config.dial_mode.value == "power"
    await problem(await client.patch("/api/campaigns/demo/dialing", json={"power_ratio": 99}, headers=boss), 422)
    await problem(
        await client.patch("/api/campaigns/demo/dialing", json={"dial_mode": "power"}, headers=world.auth("alice")),
        403,
    )


async def test_an_on_demand_recording_starts_muted_and_the_agent_starts_and_stops_it(
    recorded_long_calls_world: WebWorld, aiohttp_client: Any
) -> None:
    world = recorded_long_calls_world
    client = await aiohttp_client(world.app)
    text = 'recording = "on_demand"\n' + (REPO / "campaigns/demo.toml").read_text(encoding="utf-8")
    resp = await client.put(
        "/api/campaigns/demo", data=text, headers={**world.auth("boss"), "Content-Type": "application/toml"}
    )
    assert resp.status == 200, await resp.text()
    call = await _alice_on_a_call(client, world)
    attempt = call["attempt"]["id"]
    alice, boss = world.auth("alice"), world.auth("boss")

    async def state(wanted: str) -> bool:
        resp = await client.get(f"/api/recordings/{attempt}", headers=boss)
        return resp.status == 200 and (await resp.json())["state"] == wanted

    await eventually(lambda: state("paused"), 20)  # muted by the dialer as soon as the PBX started it
    assert (await client.post("/api/agents/alice/recording", json={"action": "start"}, headers=alice)).status == 200
    await eventually(lambda: state("recording"), 20)
    assert (await client.post("/api/agents/alice/recording", json={"action": "stop"}, headers=alice)).status == 200
    await eventually(lambda: state("paused"), 20)


async def _started_elsewhere(world: WebWorld, server: str, leg: str, at: datetime) -> int:
    """The audit row of boss listening to alice on ``server`` with the leg ``leg``, as another daemon (or this one
    before a restart) wrote it: its id."""
    return await supervision_started(
        world.app[DATABASE],
        supervisor="boss",
        agent="alice",
        mode="listen",
        attempt_id=None,
        phone=SUPERVISOR_PHONE,
        server=server,
        channel_id=leg,
        at=at,
    )


async def test_a_session_this_daemon_did_not_start_is_hung_up_on_its_server_or_refused(
    world: WebWorld, client: Any
) -> None:
    """Sessions another daemon started (or this one before a restart): one on a server this daemon reaches is hung
    up there (its leg already gone: ended at once, so audited); one on a server it has no connection to is a 409
    and stays started while another daemon reporting is connected to that server (its leg may still be listening:
    stop it there); once no daemon reporting is, stopping it ends it, audited as such."""
    boss = world.auth("boss")
    db = world.app[DATABASE]
    server = world.dialer.connections[0].server.name
    at = datetime.now(UTC)
    rows = {}
    for where, leg in ((server, "spy-gone-since"), ("pbx-nowhere", "spy-far-away")):
        rows[where] = await _started_elsewhere(world, where, leg, at)
    # Daemon B, reporting, is connected to pbx-nowhere: the leg may be listening there.
    await publish_view(db, "daemon-b", [], [], datetime.fromtimestamp(world.clock.now(), UTC), ["pbx-nowhere"])
    refused = await problem(await client.delete(f"/api/supervision/{rows['pbx-nowhere']}", headers=boss), 409)
    assert "pbx-nowhere" in refused["detail"]
    far = await get_supervision(db, rows["pbx-nowhere"])
    assert far is not None
    assert (far.state, far.ended_at, far.end_reason) == ("started", None, None)
    stopped = await client.delete(f"/api/supervision/{rows[server]}", headers=boss)
    assert stopped.status == 200, await stopped.text()
    assert ((body := await stopped.json())["state"], body["end_reason"]) == ("ended", "leg_gone")
    assert not world.dialer.supervision.following
    # B stops cleanly: no daemon is connected to pbx-nowhere any more, nobody can hang that leg up or see it end.
    await remove_view(db, "daemon-b")
    ended = await client.delete(f"/api/supervision/{rows['pbx-nowhere']}", headers=boss)
    assert ended.status == 200, await ended.text()
    body = await ended.json()
    assert (body["state"], body["end_reason"]) == ("ended", "server_not_connected")
    assert body["ended_at"]


async def test_a_stale_session_on_a_server_nobody_is_connected_to_does_not_block_the_next_listen(
    world: WebWorld, client: Any
) -> None:
    """The supervisor's session on a server removed from the settings (its daemon gone) stays started in the audit;
    their next listen stops it first: ended, audited as such, and the listen starts. Its Hangup then ends it as
    the PBX's word."""
    boss = world.auth("boss")
    db = world.app[DATABASE]
    await update_user(db, "boss", datetime.now(UTC), phone=SUPERVISOR_PHONE)
    stale = await _started_elsewhere(world, "pbx-removed", "spy-on-a-removed-server", datetime.now(UTC))
    await _alice_on_a_call(client, world)
    listen = await supervise(client, boss, "boss", "alice", "listen")
    old = await get_supervision(db, stale)
    assert old is not None
    assert (old.state, old.end_reason) == ("ended", "server_not_connected")
    assert old.ended_at is not None
    stopped = await client.delete(f"/api/supervision/{listen['id']}", headers=boss)
    assert stopped.status == 200, await stopped.text()
    assert ((body := await stopped.json())["state"], body["end_reason"]) == ("ended", "hangup")


async def test_a_recording_search_whose_last_day_is_before_its_first_is_refused(world: WebWorld, client: Any) -> None:
    """Not "0 recordings": the range the manager typed the wrong way round is refused, in their language."""
    boss = world.auth("boss")
    reversed_days = "/api/recordings?date_from=2026-12-10&date_to=2026-12-01"
    refused = await problem(await client.get(reversed_days, headers=boss), 422)
    assert "the range ends (2026-12-01) before it starts (2026-12-10)" in refused["detail"]
    japanese = await problem(await client.get(reversed_days, headers={**boss, "Accept-Language": "ja"}), 422)
    assert "2026-12-01" in japanese["detail"]
    assert japanese["detail"].isascii() is False
    one_day = await client.get("/api/recordings?date_from=2026-12-10&date_to=2026-12-10", headers=boss)
    assert one_day.status == 200


async def test_a_supervisor_leg_whose_hangup_was_missed_ends_at_the_reconnect(world: WebWorld, client: Any) -> None:
    """The supervisor's phone hangs up while the daemon's AMI connection is down (its Hangup lost): the channel
    listing after the reconnect no longer has the leg, so the session ends as its Hangup would have ended it,
    audited "lost", and the daemon no longer follows it. A listing that still has the leg changes nothing."""
    boss = world.auth("boss")
    db = world.app[DATABASE]
    await update_user(db, "boss", datetime.now(UTC), phone=SUPERVISOR_PHONE)
    await _alice_on_a_call(client, world)
    listen = await supervise(client, boss, "boss", "alice", "listen")
    session = await get_supervision(db, listen["id"])
    assert session is not None
    leg, service, pump = session.channel_id, world.dialer.supervision, world.dialer.connections[0].pump
    started = world.clock.now()
    await eventually(lambda: world.clock.now() - started > LISTING_GRACE_SECONDS, 10)
    await pump.resync()  # a listing with the leg up (past the grace): it stays
    assert leg in service.following

    sessions = list(world.pbx.sessions)
    for ami in sessions:  # the PBX's events stop reaching the daemon...
        world.pbx.detach(ami)
    assert world.pbx.core.hangup(leg, 16)  # ...as the supervisor's leg hangs up
    await eventually(lambda: not world.pbx.core.channel_list(leg), 10)
    assert leg in service.following  # its Hangup was missed
    resyncs = pump.resyncs
    for ami in sessions:  # the connection drops; the daemon reconnects and lists the channels
        ami.abort()
    await eventually(lambda: pump.resyncs > resyncs, 30)
    assert leg not in service.following
    await service.flush()
    ended = await get_supervision(db, listen["id"])
    assert ended is not None
    assert (ended.state, ended.end_reason) == ("ended", "lost")
    assert ended.ended_at is not None


async def test_a_call_whose_hangup_was_missed_ends_as_lost_at_the_reconnect(world: WebWorld, client: Any) -> None:
    """The customer hangs up while the daemon's AMI connection is down (the Hangup lost): after the reconnect, the
    channel listing no longer has the call, so the tracker ends it through the one end path, recorded as a lost
    call (its agent was connected), and QueueStatus frees its agent -- nothing is left held until a restart."""
    await _alice_on_a_call(client, world)
    dialer = world.dialer
    alice = dialer.agents.registry.get("alice")
    assert alice is not None
    customer = alice.call_uniqueid
    assert customer is not None
    tracker, pump = dialer.connections[0].server.tracker, dialer.connections[0].pump
    attempt_id = tracker.attempt_for_uniqueid(customer)
    assert attempt_id is not None
    runner = dialer.runner("demo")
    lost = runner.counters.lost

    sessions = list(world.pbx.sessions)
    for ami in sessions:  # the PBX's events stop reaching the daemon...
        world.pbx.detach(ami)
    assert world.pbx.core.hangup(customer, 16)  # ...as the customer hangs up
    await eventually(lambda: not world.pbx.core.channel_list(customer), 10)
    assert tracker.attempt_for_uniqueid(customer) is not None  # its Hangup was missed
    resyncs = pump.resyncs
    for ami in sessions:  # the connection drops; the daemon reconnects and lists the channels and queues
        ami.abort()
    await eventually(lambda: pump.resyncs > resyncs, 30)
    assert tracker.attempt_for_uniqueid(customer) is None
    await eventually(lambda: runner.counters.lost > lost, 10)

    # Its end unseen, its outcome is the conservative count, and the call record says it was inferred (written just
    # after the runner counts the call lost).
    async def closed() -> AttemptRecord | None:
        attempt = await get_attempt(world.app[DATABASE], int(attempt_id))
        return attempt if attempt is not None and attempt.outcome is not None else None

    attempt = await eventually(closed, 10)
    assert (attempt.outcome, attempt.outcome_inferred) == ("connected", True)
    after = dialer.agents.registry.get("alice")
    assert after is not None
    assert after.call_uniqueid != customer
