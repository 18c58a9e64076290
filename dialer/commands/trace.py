"""`dialer trace ...`: look at recorded AMI transcripts with the dialer's own parser and call tracker."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dialer.calls.replay import classification_rows, replay_file
from dialer.commands.common import fail, print_json
from dialer.logging import configure_logging

app = typer.Typer(help="Recorded AMI transcripts: classify the calls in them.", no_args_is_help=True)


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
