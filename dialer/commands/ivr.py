"""`dialer ivr ...`: IVR flows (check a flow file before a campaign uses it)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dialer.commands.common import fail, print_json
from dialer.ivr.actions import ACTIONS
from dialer.ivr.check import Severity, check_flow
from dialer.ivr.flow import FlowError, load_flow
from dialer.ivr.prompts import TtsUnavailableError, render_flow

app = typer.Typer(help="IVR flows: check a flow file.", no_args_is_help=True)


@app.command("check")
def ivr_check(
    file: Annotated[Path, typer.Argument(help="a flow file (TOML), or a campaign file with an [ivr] table")],
    sounds: Annotated[Path | None, typer.Option("--sounds", help="directory the prompt sound files must be in")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="print the problems as JSON")] = False,
) -> None:
    """Validate a flow: targets and prompts exist, every node is reachable, no loop without exit.

    Exits 1 when the flow has an error (warnings alone exit 0).
    """
    try:
        flow = load_flow(file)
    except FlowError as exc:
        fail(str(exc))
    problems = check_flow(flow, sounds_dir=sounds, actions=ACTIONS)
    has_errors = any(p.severity is Severity.ERROR for p in problems)
    if json_output:
        print_json(
            {
                "flow": flow.name,
                "ok": not has_errors,
                "problems": [
                    {"severity": p.severity, "node": p.node, "field": p.field, "message": p.message} for p in problems
                ],
            }
        )
    else:
        for p in problems:
            typer.echo(f"{file}: {p}", err=p.severity is Severity.ERROR)
        if not has_errors:
            typer.echo(f"{file}: flow {flow.name!r} ok ({len(flow.nodes)} nodes, {len(problems)} warnings)")
    if has_errors:
        raise typer.Exit(1)


@app.command("render")
def ivr_render(
    file: Annotated[Path, typer.Argument(help="a flow file (TOML), or a campaign file with an [ivr] table")],
    sounds: Annotated[Path, typer.Option("--sounds", help="Asterisk's sounds/<language> directory")],
) -> None:
    """Render the flow's text prompts to 8 kHz audio with the local TTS (espeak-ng), under SOUNDS/dialer/ivr/."""
    try:
        flow = load_flow(file)
        rendered = render_flow(flow, sounds)
    except (FlowError, TtsUnavailableError) as exc:
        fail(str(exc))
    print_json(
        {
            "flow": flow.name,
            "prompts": [{"prompt": r.prompt, "file": str(r.path), "seconds": round(r.seconds, 2)} for r in rendered],
        }
    )
