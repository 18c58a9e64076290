"""`dialer campaign ...`: create or update campaigns from their TOML files, list them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from dialer.campaign.config import CampaignConfigError, load_campaign_file
from dialer.campaign.state import CampaignState
from dialer.commands.common import JsonFlag, failing, print_json
from dialer.commands.db import run_with_database
from dialer.i18n import _
from dialer.ivr.campaign import campaign_flow
from dialer.ivr.flow import FlowError
from dialer.ivr.prompts import TtsUnavailableError, render_flow
from dialer.store import Database
from dialer.store.campaigns import (
    CampaignApplied,
    CampaignRecord,
    UnknownCampaignError,
    apply_campaign,
    list_campaigns,
    set_campaign_state,
)

app = typer.Typer(help="Campaigns: apply a campaign file, list, start, pause, stop.", no_args_is_help=True)


@app.command("apply")
def campaign_apply(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="campaign TOML file (see campaigns/example.toml)")],
    as_json: JsonFlag = False,
    sounds: Annotated[
        Path | None,
        typer.Option("--sounds", help="agentless: render the flow's text prompts here (Asterisk sounds/<lang>)"),
    ] = None,
) -> None:
    """Create the campaign or update it to match FILE. Applying the same file again changes nothing.

    An agentless campaign's flow is checked (errors refuse the file) and stored with the campaign."""
    with failing(CampaignConfigError, FlowError):
        config = load_campaign_file(file)
        found = campaign_flow(config, file)
    document = config.model_dump(mode="json")
    if found is not None:
        flow, document["ivr"] = found
        if sounds is not None:
            with failing(TtsUnavailableError):
                render_flow(flow, sounds)

    async def work(db: Database) -> CampaignApplied:
        return await apply_campaign(db, config.name, document, datetime.now(UTC), actor="cli")

    applied = run_with_database(ctx, work)
    if as_json:
        print_json(
            {
                "campaign": config.name,
                "created": applied.created,
                "changed": list(applied.changed),
                "state": applied.campaign.state,
            }
        )
    elif applied.created:
        typer.echo(
            _("created campaign {name} ({mode}, regime {regime})").format(
                name=config.name, mode=config.dial_mode.value, regime=config.regime.value
            )
        )
    elif applied.changed:
        typer.echo(
            _("updated campaign {name}: {n} setting(s) changed").format(name=config.name, n=len(applied.changed))
        )
        for path in applied.changed:
            typer.echo(f"  {path}")
    else:
        typer.echo(_("campaign {name} is unchanged").format(name=config.name))


def _row(record: CampaignRecord) -> dict[str, object]:
    cfg = record.config
    return {
        "name": record.name,
        "state": record.state,
        "dial_mode": cfg.get("dial_mode"),
        "regime": cfg.get("regime"),
        "queue": cfg.get("queue"),
        "created_at": record.created_at.isoformat(),
        "updated_at": record.updated_at.isoformat(),
    }


@app.command("list")
def campaign_list(
    ctx: typer.Context,
    as_json: JsonFlag = False,
) -> None:
    """List the campaigns with their state and dial mode."""
    records = run_with_database(ctx, list_campaigns, create=False)
    rows = [_row(r) for r in records]
    if as_json:
        print_json(rows)
        return
    if not rows:
        typer.echo(_("no campaigns yet: `dialer campaign apply FILE` creates one"))
        return
    header = ("NAME", "STATE", "MODE", "REGIME", "QUEUE", "UPDATED")
    table = [header] + [
        (str(r["name"]), str(r["state"]), str(r["dial_mode"]), str(r["regime"]), str(r["queue"]), str(r["updated_at"]))
        for r in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    for line in table:
        typer.echo("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())


def _set_state(ctx: typer.Context, name: str, state: CampaignState) -> None:
    async def work(db: Database) -> CampaignRecord:
        with failing(UnknownCampaignError):
            return await set_campaign_state(db, name, state, datetime.now(UTC), actor="cli")

    record = run_with_database(ctx, work)
    typer.echo(
        _("campaign {name} is {state} (a running daemon applies it within a few seconds)").format(
            name=record.name, state=record.state
        )
    )


NameArgument = Annotated[str, typer.Argument(help="campaign name (see `dialer campaign list`)")]


@app.command("start")
def campaign_start(ctx: typer.Context, name: NameArgument) -> None:
    """Let the daemon dial this campaign."""
    _set_state(ctx, name, CampaignState.RUNNING)


@app.command("pause")
def campaign_pause(ctx: typer.Context, name: NameArgument) -> None:
    """Stop placing new calls; calls in progress finish normally."""
    _set_state(ctx, name, CampaignState.PAUSED)


@app.command("stop")
def campaign_stop(ctx: typer.Context, name: NameArgument) -> None:
    """Stop the campaign: no new calls; calls in progress finish normally."""
    _set_state(ctx, name, CampaignState.STOPPED)
