"""`dialer trace ...`: record AMI transcripts from a real Asterisk; classify them with the dialer's own parser."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from dialer.ami.fastagi import FastAgiServer
from dialer.ami.recorder import RecordingError, Scenario, record
from dialer.ami.recorder_monitoring import ALL_SCENARIOS as SCENARIOS
from dialer.calls.replay import classification_rows, replay_file
from dialer.commands.common import fail, print_json
from dialer.i18n import _
from dialer.ivr.actions import ScriptedActions, TableActions
from dialer.ivr.agi import IvrAgiService, IvrCallInfo
from dialer.ivr.executor import FlowResult
from dialer.ivr.flow import load_flow
from dialer.logging import configure_logging

app = typer.Typer(
    help="Recorded AMI transcripts: record them from a real AMI, classify the calls in them.", no_args_is_help=True
)


@app.command("classify")
def classify(
    file: Annotated[Path, typer.Argument(help="A transcript in the ami-traces format (#>> SENT markers).")],
) -> None:
    """Print one JSON line per originated call: action_id, channel_id, outcome, cause, agent, amd.

    A call the transcript does not finish has outcome null and a "lost" field saying why.
    """
    configure_logging("WARNING")  # malformed frames are reported on stderr; stdout stays pure JSON lines
    if not file.is_file():
        fail(_("{file}: no such file").format(file=file))
    try:
        result = replay_file(file)
    except OSError as exc:
        fail(_("{file}: {reason}").format(file=file, reason=exc.strerror))
    for row in classification_rows(result):
        print_json(row)


async def _record(
    scenario: Scenario, host: str, port: int, username: str, secret: str, target: Path, version: str
) -> int:
    """Record; an IVR scenario runs the dialer's FastAGI server with its flow (campaigns/ivr/<flow>.toml) meanwhile,
    its lookups answered by the scenario's table and, for the daemon's own actions, its scripted answers."""
    if scenario.ivr_flow is None:
        return await record(scenario, host, port, username, secret, target, version=version)
    flow = load_flow(Path("campaigns/ivr") / f"{scenario.ivr_flow}.toml")
    actions = ScriptedActions(scenario.ivr_answers, TableActions(scenario.ivr_accounts))
    service = IvrAgiService({flow.name: flow}, actions, _discard, lambda: datetime.now(UTC))
    server = FastAgiServer("127.0.0.1", 0, service.routes)
    await server.start()
    try:
        fastagi = f"127.0.0.1:{server.bound_port}"
        return await record(scenario, host, port, username, secret, target, version=version, fastagi=fastagi)
    finally:
        await server.stop()


async def _discard(info: IvrCallInfo, result: FlowResult) -> None:
    print_json({"call": info.call_ref, "flow": result.flow, "result": str(result.result), "path": list(result.path)})


@app.command("record")
def record_cmd(
    scenario: Annotated[str, typer.Argument(help="A named scenario (see `dialer trace scenarios`).")],
    ami: Annotated[str, typer.Option(help="host:port of the AMI to record from.")] = "127.0.0.1:5038",
    username: Annotated[str, typer.Option(help="AMI user.")] = "dialer",
    secret: Annotated[
        str, typer.Option(help="AMI secret (written into the transcript's Login action).")
    ] = "dialer-lab",  # noqa: S107 (asterisk/lab's documented secret)
    out: Annotated[
        Path | None, typer.Option(help="Output file (default tests/fixtures/ami-traces/<scenario>.txt).")
    ] = None,
    version: Annotated[str, typer.Option(help="What `asterisk -V` says, for the header.")] = "unknown",
) -> None:
    """Log in to a real AMI, run a named scenario, write the raw session byte for byte (transcript format)."""
    found = SCENARIOS.get(scenario)
    if found is None:
        fail(
            _("no scenario named {scenario}; known: {known}").format(
                scenario=repr(scenario), known=", ".join(sorted(SCENARIOS))
            )
        )
    host, sep, port_text = ami.rpartition(":")
    if not sep or not port_text.isdigit():
        fail(_("--ami must be host:port, got {ami}").format(ami=repr(ami)))
    target = out or Path("tests/fixtures/ami-traces") / f"{found.name}.txt"
    try:
        size = asyncio.run(_record(found, host, int(port_text), username, secret, target, version))
    except OSError as exc:
        fail(_("{ami}: {error}").format(ami=ami, error=exc))
    except RecordingError as exc:
        fail(str(exc))
    print_json({"scenario": found.name, "file": str(target), "received_bytes": size})


@app.command("scenarios")
def scenarios_cmd() -> None:
    """List the named recording scenarios."""
    for found in SCENARIOS.values():
        print_json({"scenario": found.name, "description": found.description})
