"""What operators see of a running daemon against the simulated PBX: the Prometheus series it feeds, the log lines
it writes, and the AMI bytes it sends when lead data tries to inject headers."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from pathlib import Path
from typing import Any

from harness.e2e import World, make_world
from harness.stepping import wait_real

from dialer.ami.protocol import AmiMessage, AmiParser
from dialer.sim.pbx import SimulatedPbx

AMD_WORLD = {"outbound": {"machine_share": 0.25}, "amd": {"enabled": True}}


def sample(world: World, name: str, **labels: str) -> float:
    value = world.dialer.metrics.registry.get_sample_value(name, labels)
    assert value is not None, f"{name}{labels} is not exposed"
    return value


def samples(world: World, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """Every sample of one series, keyed by its labels, from the rendered /metrics text."""
    from prometheus_client.parser import text_string_to_metric_families

    found: dict[tuple[tuple[str, str], ...], float] = {}
    for family in text_string_to_metric_families(world.dialer.metrics.render().decode()):
        for s in family.samples:
            if s.name == name:
                found[tuple(sorted(s.labels.items()))] = s.value
    return found


async def test_every_listed_series_is_fed_by_the_running_daemon(tmp_path: Path) -> None:
    async with make_world(
        tmp_path, campaign={"amd": {"enabled": True}}, world=AMD_WORLD, us_leads=300, japan_leads=0
    ) as world:
        await world.run(200)
        runner = world.dialer.runner("e2e")
        agents = {dict(k)["state"]: v for k, v in samples(world, "dialer_agents").items()}
        assert set(agents) == {"paused", "ready", "ringing", "talking", "wrapup"}
        assert sum(agents.values()) == 20
        busy = sum(1 for a in world.dialer.agents.registry.agents() if a.status.value in ("talking", "wrapup"))
        assert agents["talking"] + agents["wrapup"] == busy > 0
        await world.run(600)
        c = runner.counters
        assert c.attempts > 50
        assert sample(world, "dialer_dials_total", campaign="e2e", server="sim") == c.attempts
        outcomes = {dict(k)["outcome"]: v for k, v in samples(world, "dialer_outcomes_total").items()}
        assert outcomes == {k: float(v) for k, v in c.outcomes.items()}
        assert {"connected", "machine", "no_answer"} <= set(outcomes)
        live = sample(world, "dialer_live_answers_total", campaign="e2e")
        assert live == c.connected + c.abandoned > 0
        assert sample(world, "dialer_abandons_total", campaign="e2e") == c.abandoned
        verdicts = {dict(k)["verdict"]: v for k, v in samples(world, "dialer_amd_verdicts_total").items()}
        assert verdicts["human"] > 0
        assert verdicts["machine"] > 0
        # the pacer learnt how long AMD listens (from answer to verdict), to time a person's arrival in the queue
        assert runner.stats.amd_seconds is not None
        assert 0.0 < runner.stats.amd_seconds < 10.0
        assert sample(world, "dialer_calls_in_flight", campaign="e2e") == len(runner.in_flight)
        # Enough live answers for the predictive pacer to leave its immature-estimates fallback.
        assert runner.last_decision is not None
        level = runner.last_decision.explanation.applied_level or 0.0
        assert sample(world, "dialer_pacing_level", campaign="e2e") == level
        assert sample(world, "dialer_amd_paused", campaign="e2e") == 0  # US rules: AMD's false positives not counted
        assert sample(world, "dialer_abandon_rate", campaign="e2e", window="720h") == runner.stats.window.rate()
        assert sample(world, "dialer_abandon_rate", campaign="e2e", window="24h") >= 0.0
        assert sample(world, "dialer_ami_connected", server="sim") == 1
        assert sample(world, "dialer_ami_reconnects_total", server="sim") == 0

        await world.pbx.kill()
        assert await wait_real(lambda: sample(world, "dialer_ami_connected", server="sim") == 0)
        await world.pbx.restart()
        assert await wait_real(world.dialer.pool.any_up)
        assert sample(world, "dialer_ami_connected", server="sim") == 1
        assert sample(world, "dialer_ami_reconnects_total", server="sim") == 1


def lead_phones(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as f:
        return [row["phone"] for row in csv.DictReader(f)]


async def test_info_log_lines_are_json_with_ids_and_carry_no_number_or_secret(
    tmp_path: Path, json_log: io.StringIO
) -> None:
    secret = "ami-pa55-Xq81"
    async with make_world(tmp_path, us_leads=120, japan_leads=0, agents=8, ami_secret=secret) as world:
        await world.run(300)
        assert world.dialer.runner("e2e").counters.connected > 0
        phones = lead_phones(tmp_path / "leads.csv")
    records = [json.loads(line) for line in json_log.getvalue().splitlines()]
    events = {r["event"] for r in records}
    assert {"originate", "call_connected", "call_ended", "ami_connected"} <= events, events
    text = json_log.getvalue()
    assert secret not in text
    for phone in phones:
        # E.164, the digits alone, and the national number (the dial string carries one of them).
        for form in (phone, phone.lstrip("+"), phone[2:]):
            assert form not in text, f"{form} logged in full"
    for r in records:
        if r["event"] in ("originate", "call_connected", "call_ended"):
            assert r["campaign"] == "e2e", r
            assert isinstance(r["attempt_id"], int), r
            assert isinstance(r["lead_id"], int), r
        if r["event"] == "originate":
            assert re.fullmatch(r"\+121\*+\d\d", r["number"]), r


class RecordingProxy:
    """A TCP relay in front of the simulated PBX that keeps every byte the daemon sends."""

    def __init__(self) -> None:
        self.sent = bytearray()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, pbx: SimulatedPbx) -> int:
        async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, keep: bool) -> None:
            try:
                while data := await reader.read(65536):
                    if keep:
                        self.sent += data
                    writer.write(data)
                    await writer.drain()
            except ConnectionError:
                pass
            finally:
                writer.close()

        async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", pbx.port)
            for task in (
                asyncio.create_task(pipe(reader, up_writer, True)),
                asyncio.create_task(pipe(up_reader, writer, False)),
            ):
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

        self._server = await asyncio.start_server(accept, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    def actions(self) -> list[AmiMessage]:
        return AmiParser(expect_banner=False).feed(bytes(self.sent))

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()


# A CSV with NUL bytes is refused as binary at import (tests/hostile); NUL on the wire is covered by the AMI tests.
EVIL = "Bob\r\n\r\nAction: Hangup\r\nChannel: all\nAction: Originate\rChannel: PJSIP/+19005550000@trunk"
ORIGINATE_HEADERS = {"Action", "ActionID", "Channel", "Context", "Exten", "Priority", "Timeout", "ChannelId", "Async"}


def evil_leads(path: Path) -> None:
    """Every column of every row carries CR, LF and NUL, except the (valid) phone number."""
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["first_name", "last_name", "phone", "company", "email", "notes", "account"])
        for i in range(40):
            out.writerow([EVIL, EVIL, f"+1212555{1000 + i:04d}", EVIL, f"a{i}@example.com\r\nX: y", EVIL, EVIL])


async def test_lead_data_cannot_inject_ami_headers_on_the_wire(tmp_path: Path) -> None:
    proxy = RecordingProxy()
    try:
        async with make_world(
            tmp_path, us_leads=0, japan_leads=0, agents=5, leads=evil_leads, ami_port=proxy.start
        ) as world:
            await world.run(120)
            runner = world.dialer.runner("e2e")
            assert runner.counters.attempts >= 5
            truth = list(world.pbx.truth.originates)
        actions = proxy.actions()
    finally:
        await proxy.stop()
    names = [a.get("Action") for a in actions]
    assert "Hangup" not in names
    originates = [a for a in actions if a.get("Action") == "Originate"]
    # Exactly the Originates the PBX saw, each with only the headers the dialer writes.
    assert len(originates) == len(truth) == runner.counters.attempts
    for action in originates:
        keys = {k for k, _ in action.headers}
        assert ORIGINATE_HEADERS <= keys <= {*ORIGINATE_HEADERS, "CallerID", "Variable"}, keys
        assert len(action.getall("Channel")) == 1
        assert re.fullmatch(r"Local/\+1212555\d{4}@sim-pstn", action.get("Channel") or "")
        for _, value in action.headers:
            assert not any(ch in value for ch in "\r\n\x00"), value
    assert all(a.get("Channel") != "PJSIP/+19005550000@trunk" for a in actions)
    variables: dict[str, Any] = {}
    for action in originates:
        for v in action.getall("Variable"):
            name, _, value = v.partition("=")
            variables.setdefault(name, set()).add(value)
    assert set(variables) == {"DIALER_ATTEMPT", "DIALER_CAMPAIGN", "DIALER_QUEUE", "DIALER_AMD"}
