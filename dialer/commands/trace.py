"""`dialer trace ...`: record AMI transcripts from a real Asterisk; classify them with the dialer's own parser."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from dialer.ami.recorder import RecordingError, record
from dialer.ami.recorder_monitoring import ALL_SCENARIOS as SCENARIOS
from dialer.calls.replay import classification_rows, replay_file
from dialer.commands.common import fail, print_json
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
        fail(f"{file}: no such file")
    try:
        result = replay_file(file)
    except OSError as exc:
        fail(f"{file}: {exc.strerror}")
    for row in classification_rows(result):
        print_json(row)


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
        fail(f"no scenario named {scenario!r}; known: {', '.join(sorted(SCENARIOS))}")
    host, sep, port_text = ami.rpartition(":")
    if not sep or not port_text.isdigit():
        fail(f"--ami must be host:port, got {ami!r}")
    target = out or Path("tests/fixtures/ami-traces") / f"{found.name}.txt"
    try:
        size = asyncio.run(record(found, host, int(port_text), username, secret, target, version=version))
    except OSError as exc:
        fail(f"{ami}: {exc}")
    except RecordingError as exc:
        fail(str(exc))
    print_json({"scenario": found.name, "file": str(target), "received_bytes": size})


@app.command("scenarios")
def scenarios_cmd() -> None:
    """List the named recording scenarios."""
    for found in SCENARIOS.values():
        print_json({"scenario": found.name, "description": found.description})
