"""Exports from the command line (`dialer leads export`, `dialer dnc export`): the options they share, the file
written whole or not at all, and the one line saying how many items went where."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated

import typer

from dialer.commands.common import fail, failing, write_failed
from dialer.commands.db import run_with_database
from dialer.i18n import _
from dialer.private_files import private_file_opener
from dialer.reports.render.csv import CSV_ENCODINGS, ByteSink, CsvEncodingError
from dialer.store import Database

ExportOutput = Annotated[str, typer.Option("--output", "-o", help="the CSV file to write, or - for standard output")]
ExportEncoding = Annotated[
    str, typer.Option("--encoding", help="utf-8-sig (UTF-8 with BOM, for Excel: the default), utf-8 or cp932")
]


async def write_export(output: str, write: Callable[[ByteSink], Awaitable[int]]) -> int:
    """An export's bytes to ``output`` (``-``: standard output), by ``write`` (returns how many items it wrote). A
    file is written whole or not at all (a ``.partial`` file renamed at the end); a character the chosen encoding
    lacks ends the command (:class:`CsvEncodingError`)."""
    with failing(CsvEncodingError):
        if output == "-":
            return await write(sys.stdout.buffer)
        target = Path(output)
        partial = target.with_name(target.name + ".partial")
        try:
            # owner-only: people's numbers; opened on the loop as before (a local file, written by ``write``)
            with open(partial, "wb", opener=private_file_opener) as out:  # noqa: ASYNC230
                n = await write(out)
            partial.replace(target)
        except OSError as exc:  # (said here: an OSError leaving the database's work would be taken for its own)
            write_failed(output, exc)
        finally:
            partial.unlink(missing_ok=True)
        return n


def export_encoding_or_fail(encoding: str) -> None:
    """``--encoding`` of an export: one of the CSV encodings, else the command ends saying which."""
    if encoding not in CSV_ENCODINGS:
        fail(_("--encoding: one of {choices}").format(choices=", ".join(CSV_ENCODINGS)))


def run_export(ctx: typer.Context, output: str, work: Callable[[Database], Awaitable[int]], written: str) -> None:
    """Run an export's ``work`` (returns how many items it wrote) against the database (a file that cannot be
    written ends the command saying why: :func:`write_export`); ``written`` (with ``{n}`` and ``{path}``, in the
    user's language) is said on standard error when the export went to a file."""
    n = run_with_database(ctx, work, create=False)
    if output != "-":
        typer.echo(written.format(n=n, path=output), err=True)
