"""Leads sent as JSON (the lead API) read by the CSV importer itself, so they get exactly its validation,
normalisation, header aliases, in-batch dedupe and row numbers: each lead object becomes one CSV row, its keys
the header (the union of every lead's keys, in order of first appearance)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

from dialer.campaign.leadimport import LeadCsvReader, LeadField

JsonCell = str | int | float | bool | None
# A column every row has (ignored by the import): no row is ever blank, so row numbers are list positions.
ROW_COLUMN = "__api_row__"


def _cell(value: JsonCell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def json_leads_reader(
    leads: Sequence[Mapping[str, JsonCell]],
    *,
    default_region: str | None,
    mapping: Mapping[str, str] | None = None,
) -> LeadCsvReader:
    """A :class:`LeadCsvReader` over ``leads`` (row n = ``leads[n - 1]``). ``mapping``: key → field, as for a CSV
    column. Raises LeadFileError as the importer does (no phone key, a field named twice, unknown region)."""
    header: dict[str, None] = {}
    for lead in leads:
        header.update(dict.fromkeys(lead))
    header.pop(ROW_COLUMN, None)
    columns = [*header, ROW_COLUMN]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(columns)
    for n, lead in enumerate(leads, 1):
        writer.writerow([*(_cell(lead.get(c)) for c in columns[:-1]), str(n)])
    data = io.BytesIO(text.getvalue().encode("utf-8"))
    data.name = "request"
    return LeadCsvReader(
        data,
        default_region=default_region,
        mapping={**(mapping or {}), ROW_COLUMN: LeadField.SKIP.value},
        encoding="utf-8",
        delimiter=",",
        has_header=True,
    )
