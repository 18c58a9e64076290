"""The pure parts of the store-side checks (DNC, numbers already in the campaign) and the error report of
rejected rows."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Set
from dataclasses import replace
from typing import TextIO

from dialer.campaign.leadimport.cells import neutralise_formula
from dialer.campaign.leadimport.model import ImportedLead, RowError, RowErrorReason
from dialer.i18n import N_, _


def _reject(lead: ImportedLead, reason: RowErrorReason, detail: str) -> RowError:
    return RowError(lead.row, lead.line, reason, detail, (lead.phone, lead.first_name, lead.last_name))


def scrub_dnc(leads: Iterable[ImportedLead], dnc_numbers: Set[str]) -> tuple[list[ImportedLead], list[RowError]]:
    """Split leads whose number (or any alternative) is on DNC. Alternatives on DNC are dropped from a lead whose
    primary number is fine."""
    keep: list[ImportedLead] = []
    rejected: list[RowError] = []
    for lead in leads:
        if lead.phone in dnc_numbers:
            rejected.append(_reject(lead, RowErrorReason.DNC, _("number is on a do-not-call list")))
            continue
        if any(a in dnc_numbers for a in lead.alt_phones):
            alts = tuple(a for a in lead.alt_phones if a not in dnc_numbers)
            lead = replace(lead, alt_phones=alts, flags=(*lead.flags, "dnc_alt_phone"))
        keep.append(lead)
    return keep, rejected


def dedupe_against(
    leads: Iterable[ImportedLead], existing_numbers: Set[str]
) -> tuple[list[ImportedLead], list[RowError]]:
    """Split leads whose primary number is already a lead of the campaign."""
    keep: list[ImportedLead] = []
    rejected: list[RowError] = []
    for lead in leads:
        if lead.phone in existing_numbers:
            rejected.append(_reject(lead, RowErrorReason.ALREADY_IN_CAMPAIGN, _("number already in the campaign")))
        else:
            keep.append(lead)
    return keep, rejected


# -- error report -----------------------------------------------------------------------------------------------


# i18n: the column headers of the rejected-rows CSV (the file's own columns follow as they were)
_REPORT_COLUMNS = (N_("row"), N_("line"), N_("reason"), N_("detail"))


class ErrorReportWriter:
    """Rejected rows as CSV, written as they come (an import never holds its errors in memory): row, line,
    reason, detail, then the original columns. Every cell is neutralised against formula injection. The headers
    and the details are in the importer's language (the request's, the command line's); ``reason`` is the code."""

    def __init__(self, stream: TextIO, header: Iterable[str]) -> None:
        self._writer = csv.writer(stream, lineterminator="\r\n")
        self._writer.writerow([*map(_, _REPORT_COLUMNS), *(neutralise_formula(h) for h in header)])
        self.rows = 0

    def add(self, e: RowError) -> None:
        self._writer.writerow(
            [e.row, e.line, e.reason.value, neutralise_formula(e.detail), *(neutralise_formula(c) for c in e.raw)]
        )
        self.rows += 1


def write_error_report(stream: TextIO, errors: Iterable[RowError], header: Iterable[str]) -> int:
    """Write rejected rows as CSV (see ErrorReportWriter). Returns the number of rows written."""
    report = ErrorReportWriter(stream, header)
    for e in errors:
        report.add(e)
    return report.rows
