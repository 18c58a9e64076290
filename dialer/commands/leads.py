"""`dialer leads ...`: import lead lists into a campaign, see where the leads stand and why they are not dialled."""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, TextIO

import typer

from dialer.campaign.leadimport import LeadFileError
from dialer.campaign.rules import LeadStatus
from dialer.commands.common import (
    CampaignOption,
    JsonFlag,
    cli_actor,
    cli_context,
    fail,
    failing,
    print_json,
    stored_campaign,
)
from dialer.commands.db import run_with_database
from dialer.commands.exporting import ExportEncoding, ExportOutput, export_encoding_or_fail, run_export, write_export
from dialer.i18n import _, format_datetime
from dialer.lists.export import write_leads_csv
from dialer.private_files import make_private_dir, private_file_opener
from dialer.store import Database
from dialer.store.imports import ImportSummary, LeadImport, import_lead_csv, lead_imports, recover_interrupted_imports
from dialer.store.lead_export import LeadExportFilter, audit_export, check_lists, exported_leads
from dialer.store.lists import UnknownListError
from dialer.store.status import StatusReport, lead_status

app = typer.Typer(help="Leads: import lists, show status.", no_args_is_help=True)


def _parse_map(pairs: list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for pair in pairs:
        column, sep, target = pair.partition("=")
        if not sep or not column.strip() or not target.strip():
            fail(
                _("--map {pair}: expected COLUMN=FIELD (column: header name or 1-based index)").format(pair=repr(pair))
            )
        mapping[column.strip()] = target.strip()
    return mapping


def _errors_path(var_dir: Path, campaign: str, source: Path, now: datetime) -> Path:
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", source.stem)[:60] or "leads"
    return var_dir / "import-errors" / f"{campaign}-{stem}-{now:%Y%m%dT%H%M%S}.csv"


@app.command("import")
def leads_import(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(help="lead list (CSV: , ; tab or |; UTF-8, UTF-16, CP932, GB18030, EUC-JP or Windows-1252)"),
    ],
    campaign: CampaignOption,
    mapping: Annotated[
        list[str] | None,
        typer.Option("--map", help="COLUMN=FIELD, e.g. --map Mobile=alt_phone --map 3=phone (repeatable)"),
    ] = None,
    region: Annotated[
        str | None, typer.Option("--region", help="region for numbers without +country (default: the campaign's)")
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(
            "--encoding",
            help="the file's encoding (utf-8, utf-16, cp932, gb18030, euc_jp, cp1252, ...); default: detected",
        ),
    ] = None,
) -> None:
    """Import FILE into a campaign; prints {"imported", "duplicates", "invalid", "dnc", "errors_file"}.

    Numbers the campaign already has (or repeated in the file) are duplicates; numbers on a DNC list are not
    imported; malformed rows are written to the errors file. An unreadable file imports nothing."""
    settings = cli_context(ctx).settings()
    column_map = _parse_map(mapping or [])
    now = datetime.now(UTC)
    errors_file = _errors_path(settings.var_dir, campaign, file, now)
    reported = False

    def report() -> TextIO:  # opened at the first rejected row
        nonlocal reported
        reported = True
        make_private_dir(errors_file.parent)  # lead names and numbers: owner-only (dialer.private_files)
        return stack.enter_context(open(errors_file, "w", encoding="utf-8-sig", newline="", opener=private_file_opener))

    async def work(db: Database) -> ImportSummary:
        record, config = await stored_campaign(db, campaign)
        try:
            return await import_lead_csv(
                db,
                file,
                campaign_id=record.id,
                region=region or config.default_region,
                now=now,
                mapping=column_map,
                encoding=encoding,
                source_file=str(file.resolve()),
                on_notice=lambda notice: typer.echo(_("note: {note}").format(note=notice), err=True),
                report=report,
            )
        except LeadFileError as exc:
            fail(_("{error}; nothing was imported").format(error=exc))
        except OSError as exc:
            fail(
                _("{path}: read failed ({reason}); nothing was imported").format(path=file, reason=exc.strerror or exc)
            )

    with contextlib.ExitStack() as stack:
        summary = run_with_database(ctx, work)
    print_json(summary.as_json(errors_file if reported else None))


def _print_report(report: StatusReport) -> None:
    """The human form, in the command line's language (codes such as ``no_consent`` stay as they are: they are
    the keys of ``--json`` and of the API)."""
    typer.echo(
        _("campaign {campaign}: {total} leads at {at}").format(
            campaign=report.campaign, total=report.total, at=format_datetime(report.now)
        )
    )
    for status, count in report.by_status.items():
        typer.echo(f"  {status:<10} {count:>10}")
    next_due = _(", next due {at}").format(at=format_datetime(report.next_due_at)) if report.next_due_at else ""
    typer.echo(_("due now: {due}   waiting: {waiting}").format(due=report.due_now, waiting=report.waiting) + next_due)
    if report.not_dialable:
        typer.echo(_("not dialable, by reason:"))
        for reason, count in report.not_dialable.items():
            typer.echo(f"  {reason:<22} {count:>10}")
    if report.sample_size:
        typer.echo(
            _("next {n} due leads: {dialable} dialable now").format(
                n=report.sample_size, dialable=report.sample_dialable
            )
            + ("" if not report.sample_reasons else _(", the rest:"))
        )
        for reason, count in report.sample_reasons.items():
            typer.echo(f"  {reason:<22} {count:>10}")
    elif report.due_now == 0:
        typer.echo(_("nothing is due now: the dialer has no lead to call"))


@app.command("status")
def leads_status(
    ctx: typer.Context,
    campaign: CampaignOption,
    as_json: JsonFlag = False,
    sample: Annotated[int, typer.Option("--sample", min=0, max=100_000, help="due leads checked by the rules")] = 500,
) -> None:
    """Lead counts by status, and why leads are not being dialled (calling windows, retries, DNC, budgets)."""

    async def work(db: Database) -> StatusReport:
        record, config = await stored_campaign(db, campaign)
        return await lead_status(db, config, record.id, datetime.now(UTC), sample=sample)

    report = run_with_database(ctx, work, create=False)
    if as_json:
        print_json(report.as_json())
    else:
        _print_report(report)


@app.command("imports")
def leads_imports(
    ctx: typer.Context,
    campaign: Annotated[str | None, typer.Option("--campaign", help="only this campaign's imports")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Lead imports and their state: importing (with the leads staged so far), imported, or failed (interrupted:
    the importing process died; its staged leads were deleted). Dead imports are recovered first."""

    async def work(db: Database) -> list[LeadImport]:
        campaign_id = None
        if campaign is not None:
            record, _ = await stored_campaign(db, campaign)
            campaign_id = record.id
        await recover_interrupted_imports(db, datetime.now(UTC))
        return await lead_imports(db, campaign_id)

    imports = run_with_database(ctx, work, create=False)
    if as_json:
        print_json({"imports": [i.as_json() for i in imports]})
        return
    if not imports:
        typer.echo(_("no imports"))
    for i in imports:
        if i.state == "importing":
            detail = _("{n} leads staged so far, by {owner}").format(n=i.staged, owner=i.owner)
        elif i.state == "failed":
            detail = _("{failure}: {n} leads kept").format(failure=i.failure or _("failed"), n=i.imported)
        else:
            detail = _(
                "{rows} rows: {imported} imported, {duplicates} duplicates, {invalid} invalid, {dnc} dnc"
            ).format(rows=i.rows_read, imported=i.imported, duplicates=i.duplicates, invalid=i.invalid, dnc=i.dnc)
        typer.echo(f"{i.list_id:>6}  {format_datetime(i.started_at)}  {i.state:<9}  {i.name}  ({detail})")


@app.command("export")
def leads_export(
    ctx: typer.Context,
    campaign: CampaignOption,
    output: ExportOutput,
    list_id: Annotated[list[int] | None, typer.Option("--list", help="only this list's leads (repeatable)")] = None,
    status: Annotated[
        list[str] | None, typer.Option("--status", help="only leads in this status, e.g. done, dnc (repeatable)")
    ] = None,
    encoding: ExportEncoding = "utf-8-sig",
) -> None:
    """Write the campaign's leads with their results as CSV (the columns the importer reads, then the dialer's
    dialer_status, dialer_attempts, dialer_last_outcome, ...); audited. A file is written whole or not at all."""
    export_encoding_or_fail(encoding)
    statuses = set(status or ())
    if unknown := sorted(statuses - {s.value for s in LeadStatus}):
        fail(
            _("--status {status}: not a lead status ({choices})").format(
                status=unknown[0], choices=", ".join(s.value for s in LeadStatus)
            )
        )

    async def work(db: Database) -> int:
        record, _config = await stored_campaign(db, campaign)
        where = LeadExportFilter(record.id, list_ids=set(list_id) if list_id else None, statuses=statuses or None)
        with failing(UnknownListError):
            if where.list_ids:
                await check_lists(db, record.id, where.list_ids)
        now = datetime.now(UTC)
        n = await write_export(
            output, lambda out: write_leads_csv(lambda: exported_leads(db, where), out, encoding=encoding)
        )
        await audit_export(db, cli_actor(), record.name, where, n, now)
        return n

    run_export(ctx, output, work, _("{n} leads written to {path}"))
