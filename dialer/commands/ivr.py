"""`dialer ivr ...`: IVR flows (check a flow file before a campaign uses it)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from dialer.commands.common import failing, print_json
from dialer.commands.report import campaign_id_or_all, run_report
from dialer.i18n import _
from dialer.ivr.actions import ACTIONS
from dialer.ivr.check import Severity, check_flow
from dialer.ivr.flow import FlowError, load_flow
from dialer.ivr.prompts import TtsUnavailableError, render_flow
from dialer.reports.render.csv import write_csv
from dialer.store import Database
from dialer.store.ivr_results import IvrResultRecord, ivr_results

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
    with failing(FlowError):
        flow = load_flow(file)
    problems = check_flow(flow, sounds_dir=sounds, actions=ACTIONS)
    has_errors = any(p.severity is Severity.ERROR for p in problems)
    if json_output:
        print_json(
            {
                "flow": flow.name,
                "ok": not has_errors,
                "problems": [
                    {"severity": p.severity, "node": p.node, "field": p.field, "message": p.message.english}
                    for p in problems
                ],
            }
        )
    else:
        for p in problems:
            typer.echo(f"{file}: {p}", err=p.severity is Severity.ERROR)
        if not has_errors:
            typer.echo(
                _("{file}: flow {flow} ok ({nodes} nodes, {warnings} warnings)").format(
                    file=file, flow=repr(flow.name), nodes=len(flow.nodes), warnings=len(problems)
                )
            )
    if has_errors:
        raise typer.Exit(1)


@app.command("render")
def ivr_render(
    file: Annotated[Path, typer.Argument(help="a flow file (TOML), or a campaign file with an [ivr] table")],
    sounds: Annotated[Path, typer.Option("--sounds", help="Asterisk's sounds/<language> directory")],
) -> None:
    """Render the flow's text prompts to 8 kHz audio with the local TTS (espeak-ng), under SOUNDS/dialer/ivr/."""
    with failing(FlowError, TtsUnavailableError):
        flow = load_flow(file)
        rendered = render_flow(flow, sounds)
    print_json(
        {
            "flow": flow.name,
            "prompts": [{"prompt": r.prompt, "file": str(r.path), "seconds": round(r.seconds, 2)} for r in rendered],
        }
    )


@app.command("results")
def ivr_results_export(
    ctx: typer.Context,
    campaign: Annotated[str | None, typer.Option("--campaign", help="Only this campaign's calls.")] = None,
    flow: Annotated[str | None, typer.Option("--flow", help="Only this flow.")] = None,
    database: Annotated[str | None, typer.Option("--database", help="Database URL to read.")] = None,
) -> None:
    """Export every stored flow result as CSV: attempt, number, result, keys, listened to the end, transferred,
    hung up at step N, opted out, machine, path, time."""

    async def work(db: Database) -> list[IvrResultRecord]:
        return await ivr_results(db, campaign_id=await campaign_id_or_all(db, campaign), flow=flow)

    records = run_report(ctx, database, work)
    header = [
        "call",
        "attempt",
        "flow",
        "phone",
        "result",
        "keys",
        "listened_to_end",
        "transferred",
        "contained",
        "opted_out",
        "machine",
        "hung_up_at",
        "hung_up_step",
        "path",
        "started_at",
        "seconds",
    ]
    rows = [
        [
            r.call_ref,
            r.attempt_id,
            r.flow,
            r.phone,
            r.result,
            " ".join(f"{node}={digits}" for node, digits in r.keys),
            r.listened_to_end,
            r.transferred,
            r.contained,
            r.opted_out,
            r.machine,
            r.hung_up_at,
            r.hung_up_step,
            ">".join(r.path),
            r.started_at,
            None if r.ended_at is None else round((r.ended_at - r.started_at).total_seconds(), 1),
        ]
        for r in records
    ]
    write_csv(sys.stdout, header, rows)
    sys.stdout.flush()
