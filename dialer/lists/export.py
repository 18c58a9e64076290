"""A lead export, pure: the CSV columns and one row per lead.

What a campaign manager sends back to whoever gave the list (each lead's result) and what can be imported again
(into another campaign, after a clean-up in a spreadsheet):

* the lead's own columns first, under names the importer recognises (``dialer.campaign.leadimport.model``):
  ``external_id``, ``phone``, one ``alt_phone`` column per alternative number (``alt_phone``, ``alt_phone2``, …),
  ``first_name``, ``last_name``, ``name_reading``, ``postal_code``, ``priority``, ``consent_source``,
  ``consent_at``, then every custom field of the exported leads (``email`` among them), sorted;
* then the dialer's results, each column named ``dialer_…`` (``dialer_status``, ``dialer_attempts``,
  ``dialer_last_outcome``, ``dialer_last_disposition``, ``dialer_last_attempt_at``, …, the callback the called
  party asked for: ``dialer_requested_callback_source``, ``_at``, ``_due``): imported again, they are skipped (the
  new leads' results start afresh; a request is no consent another campaign may use);
* times in UTC, ISO 8601; a cell a spreadsheet would run as a formula is neutralised (a leading apostrophe), a phone
  number or a signed number is left as it is (it is no formula, and it must read back as the same number).

:func:`write_leads_csv` reads the leads twice from the pages it is given (the columns first, then the rows), so an
export of any size is never held at once. Every export is audited (``leads.export``:
:func:`dialer.store.lead_export.audit_export`): it carries personal data out of the dialer.
"""

from __future__ import annotations

import csv
import json
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dialer.campaign.leadimport.cells import looks_like_formula
from dialer.campaign.leadimport.model import EXPORT_RESULT_COLUMNS
from dialer.reports.render.csv import ByteSink, EncodedStream

LEAD_COLUMNS = ("external_id", "phone")
NAME_COLUMNS = ("first_name", "last_name", "name_reading", "postal_code", "priority", "consent_source", "consent_at")
RESULT_COLUMNS = EXPORT_RESULT_COLUMNS  # named where the importer skips them again
# Custom fields that are columns of their own above (the importer keeps the external id among the fields).
_OWN_COLUMNS = frozenset({"external_id"})


@dataclass(frozen=True, slots=True)
class ExportedLead:
    """What an export writes of one lead (as stored)."""

    id: int
    list_name: str | None
    phone: str
    alt_phones: Sequence[str]
    first_name: str | None
    last_name: str | None
    name_reading: str | None
    postal_code: str | None
    priority: int
    consent_source: str | None
    consent_at: datetime | None
    fields: Mapping[str, Any]
    status: str
    attempts: int
    dials: int
    last_outcome: str | None
    last_disposition: str | None
    last_attempt_at: datetime | None
    next_dialable_at: datetime | None
    callback_at: datetime | None
    requested_callback_source: str | None
    requested_callback_at: datetime | None
    requested_callback_due: datetime | None
    archive_reason: str | None


@dataclass(frozen=True, slots=True)
class ExportShape:
    """The columns an export needs for the leads it writes: how many alternative numbers at most, which custom
    fields (gathered over the leads before the first row is written)."""

    alt_phones: int = 0
    fields: tuple[str, ...] = ()

    def widened(self, leads: Iterable[ExportedLead]) -> ExportShape:
        """This shape grown to hold ``leads`` too."""
        most = self.alt_phones
        keys = set(self.fields)
        for lead in leads:
            most = max(most, len(lead.alt_phones))
            keys.update(k for k in lead.fields if k not in _OWN_COLUMNS)
        return ExportShape(most, tuple(sorted(keys)))

    def header(self) -> list[str]:
        alts = [alt_phone_column(i) for i in range(self.alt_phones)]
        return [*LEAD_COLUMNS, *alts, *NAME_COLUMNS, *self.fields, *RESULT_COLUMNS]

    def row(self, lead: ExportedLead) -> list[str | int]:
        alts = [lead.alt_phones[i] if i < len(lead.alt_phones) else None for i in range(self.alt_phones)]
        cells: list[object] = [
            lead.fields.get("external_id"),
            lead.phone,
            *alts,
            lead.first_name,
            lead.last_name,
            lead.name_reading,
            lead.postal_code,
            lead.priority,
            lead.consent_source,
            lead.consent_at,
            *(lead.fields.get(k) for k in self.fields),
            lead.id,
            lead.list_name,
            lead.status,
            lead.attempts,
            lead.dials,
            lead.last_outcome,
            lead.last_disposition,
            lead.last_attempt_at,
            lead.next_dialable_at,
            lead.callback_at,
            lead.requested_callback_source,
            lead.requested_callback_at,
            lead.requested_callback_due,
            lead.archive_reason,
        ]
        return [export_cell(c) for c in cells]


def alt_phone_column(index: int) -> str:
    """The column of the ``index``-th alternative number (0-based): ``alt_phone``, ``alt_phone2``, …"""
    return "alt_phone" if index == 0 else f"alt_phone{index + 1}"


def export_cell(value: object) -> str | int:
    """A cell as written: None empty, booleans true/false, numbers as numbers, times ISO 8601, lists and documents
    as JSON-like text; text a spreadsheet would run as a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else str(value)
    return "'" + text if looks_like_formula(text) else text


async def write_leads_csv(
    pages: Callable[[], AsyncIterator[list[ExportedLead]]], out: ByteSink, *, encoding: str
) -> int:
    """Every lead ``pages()`` gives as CSV into ``out`` in ``encoding`` (one of
    ``dialer.reports.render.csv.CSV_ENCODINGS``; UTF-8 with BOM: the BOM first). Returns how many leads. A character
    the encoding lacks stops it with :class:`dialer.reports.render.csv.CsvEncodingError` (``out`` then holds a
    part)."""
    shape = ExportShape()
    async for page in pages():
        shape = shape.widened(page)
    writer = csv.writer(EncodedStream(out, encoding), lineterminator="\r\n")
    writer.writerow(shape.header())
    n = 0
    async for page in pages():
        # (a lead imported between the two passes may bring a field the header lacks: that cell is left out)
        writer.writerows(shape.row(lead) for lead in page)
        n += len(page)
    return n
