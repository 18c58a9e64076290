"""`dialer dnc ...`: the do-not-call lists (global, or one campaign's)."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from dialer.campaign.phones import PhoneError, normalize
from dialer.commands.common import JsonFlag, cli_actor, fail, failing, print_json
from dialer.commands.db import run_with_database
from dialer.commands.exporting import ExportEncoding, ExportOutput, export_encoding_or_fail, run_export, write_export
from dialer.i18n import _, format_datetime
from dialer.lists.export import export_cell
from dialer.logging import mask_number
from dialer.reports.render.csv import ByteSink, EncodedStream
from dialer.store import Database
from dialer.store.audit import audit
from dialer.store.campaigns import UnknownCampaignError, get_campaign
from dialer.store.dnc import DncEntry, DncImported, add_dnc, check_dnc, dnc_pages, import_dnc, remove_dnc

app = typer.Typer(help="Do-not-call lists: add, import, remove, check numbers.", no_args_is_help=True)

CampaignOption = Annotated[
    str | None, typer.Option("--campaign", help="the campaign's own list (default: the global list)")
]
RegionOption = Annotated[
    str, typer.Option("--region", help="ISO region for numbers written without a country code (+...)")
]


def e164_or_fail(raw: str, region: str) -> str:
    parsed = normalize(raw, region.upper())
    if isinstance(parsed, PhoneError):
        fail(
            _("{number} is not a valid phone number for region {region}: {reason}").format(
                number=repr(raw), region=region.upper(), reason=parsed.detail
            )
        )
    return parsed.e164


async def _campaign_id(db: Database, name: str | None) -> int | None:
    if name is None:
        return None
    with failing(UnknownCampaignError):
        return (await get_campaign(db, name)).id


@app.command("add")
def dnc_add(
    ctx: typer.Context,
    number: Annotated[str, typer.Argument(help="phone number, E.164 (+14155550123) or national with --region")],
    campaign: CampaignOption = None,
    reason: Annotated[str | None, typer.Option("--reason", help="why (kept with the entry)")] = None,
    region: RegionOption = "US",
) -> None:
    """Never call NUMBER again (in every campaign, or in --campaign only). Its queued leads are closed."""
    e164 = e164_or_fail(number, region)

    async def work(db: Database) -> bool:
        cid = await _campaign_id(db, campaign)
        return await add_dnc(db, e164, campaign_id=cid, source="manual", reason=reason, now=datetime.now(UTC))

    added = run_with_database(ctx, work)
    scope = _("campaign {name}").format(name=campaign) if campaign else _("the global list")
    typer.echo(
        (_("{number} added to {scope}") if added else _("{number} was already on {scope}")).format(
            number=e164, scope=scope
        )
    )


@dataclass
class _NumberFile:
    numbers: list[str] = field(default_factory=list)
    invalid: list[tuple[int, str, str]] = field(default_factory=list)  # line, raw, why


def _read_numbers(path: Path, region: str) -> _NumberFile:
    """One number per line, or a CSV whose first column is the number; a header line and blanks are skipped."""
    result = _NumberFile()
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for line_no, row in enumerate(csv.reader(handle), start=1):
                raw = row[0].strip() if row else ""
                if not raw or raw.startswith("#"):
                    continue
                parsed = normalize(raw, region.upper())
                if isinstance(parsed, PhoneError):
                    if line_no == 1 and not any(ch.isdigit() for ch in raw):
                        continue  # a header such as "phone"
                    result.invalid.append((line_no, raw, str(parsed.detail)))
                else:
                    result.numbers.append(parsed.e164)
    except OSError as exc:
        fail(_("cannot read {path}: {reason}").format(path=path, reason=exc.strerror))
    except UnicodeDecodeError as exc:
        fail(
            _("{path} is not UTF-8 text ({reason} at byte {start}); nothing was imported").format(
                path=path, reason=exc.reason, start=exc.start
            )
        )
    except csv.Error as exc:
        fail(_("{path}: not a readable CSV ({error}); nothing was imported").format(path=path, error=exc))
    return result


@app.command("import")
def dnc_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="one number per line, or a CSV with the number first")],
    campaign: CampaignOption = None,
    source: Annotated[str, typer.Option("--source", help="where the list comes from (e.g. national-registry)")] = (
        "import"
    ),
    reason: Annotated[str | None, typer.Option("--reason")] = None,
    region: RegionOption = "US",
) -> None:
    """Add every number of FILE in one transaction; prints a JSON summary. Bad lines are listed, never fatal."""
    numbers = _read_numbers(file, region)

    async def work(db: Database) -> DncImported:
        cid = await _campaign_id(db, campaign)
        return await import_dnc(
            db, numbers.numbers, campaign_id=cid, source=source, reason=reason, now=datetime.now(UTC)
        )

    result = run_with_database(ctx, work)
    for line_no, raw, why in numbers.invalid[:20]:
        typer.echo(
            _("line {line}: skipped {number}: {reason}").format(
                line=line_no, number=repr(mask_number(raw)), reason=why
            ),
            err=True,
        )
    if len(numbers.invalid) > 20:
        typer.echo(_("... and {n} more invalid lines").format(n=len(numbers.invalid) - 20), err=True)
    print_json(
        {
            "added": result.added,
            "already_listed": result.already_listed,
            "invalid": len(numbers.invalid),
            "leads_closed": result.leads_archived,
        }
    )


@app.command("remove")
def dnc_remove(
    ctx: typer.Context,
    number: Annotated[str, typer.Argument(help="phone number")],
    campaign: CampaignOption = None,
    region: RegionOption = "US",
) -> None:
    """Take NUMBER off the global list (or off --campaign's list). Leads closed because of it stay closed."""
    e164 = e164_or_fail(number, region)

    async def work(db: Database) -> int:
        return await remove_dnc(db, e164, campaign_id=await _campaign_id(db, campaign))

    removed = run_with_database(ctx, work)
    scope = _("campaign {name}").format(name=campaign) if campaign else _("the global list")
    if not removed:
        fail(_("{number} is not on {scope}").format(number=e164, scope=scope))
    typer.echo(_("{number} removed from {scope}").format(number=e164, scope=scope))


def _entry_json(entry: DncEntry) -> dict[str, object]:
    return {
        "scope": entry.campaign or "global",
        "source": entry.source,
        "reason": entry.reason,
        "added_at": entry.added_at.isoformat(),
    }


@app.command("check")
def dnc_check(
    ctx: typer.Context,
    number: Annotated[str, typer.Argument(help="phone number")],
    region: RegionOption = "US",
    as_json: JsonFlag = False,
) -> None:
    """Is NUMBER on any do-not-call list? Exit status 0 either way; the output says which lists."""
    e164 = e164_or_fail(number, region)
    entries = run_with_database(ctx, lambda db: check_dnc(db, e164), create=False)
    if as_json:
        print_json({"number": e164, "listed": bool(entries), "entries": [_entry_json(e) for e in entries]})
        return
    if not entries:
        typer.echo(_("{number} is not on any do-not-call list").format(number=e164))
        return
    for e in entries:
        why = f", {e.reason}" if e.reason else ""
        scope = _("campaign {name}").format(name=e.campaign) if e.campaign else _("the global list")
        typer.echo(
            _("{number} is on {scope} (since {since}, {source}{why})").format(
                number=e164, scope=scope, since=format_datetime(e.added_at), source=e.source, why=why
            )
        )


DNC_EXPORT_HEADER = ("number", "scope", "source", "reason", "added_at")


@app.command("export")
def dnc_export(
    ctx: typer.Context,
    output: ExportOutput,
    campaign: CampaignOption = None,
    encoding: ExportEncoding = "utf-8-sig",
) -> None:
    """Write the global do-not-call list (or --campaign's) as CSV: number, scope, source, reason, added_at (UTC);
    `dialer dnc import` reads it back. Audited; a file is written whole or not at all."""
    export_encoding_or_fail(encoding)

    async def write(db: Database, cid: int | None, out: ByteSink) -> int:
        writer = csv.writer(EncodedStream(out, encoding), lineterminator="\r\n")
        writer.writerow(DNC_EXPORT_HEADER)
        n = 0
        async for page in dnc_pages(db, cid):
            writer.writerows(
                [export_cell(e.number), export_cell(e.campaign or "global"), export_cell(e.source),
                 export_cell(e.reason), export_cell(e.added_at)]
                for e in page
            )  # fmt: skip
            n += len(page)
        return n

    async def work(db: Database) -> int:
        cid = await _campaign_id(db, campaign)
        n = await write_export(output, lambda out: write(db, cid, out))
        scope = f"campaign:{campaign}" if campaign else "dnc:global"
        await audit(db, cli_actor(), "dnc.export", scope, datetime.now(UTC), numbers=n)
        return n

    run_export(ctx, output, work, _("{n} numbers written to {path}"))
