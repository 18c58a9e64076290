"""Streaming lead-list parsing for `dialer leads import` (pure: bytes in, typed records out).

The package by stage: model (limits, fields, a lead, a rejected row), decoding (encoding, delimiter), records
(bounded CSV records), cells (sanitising, formulas), reader (LeadCsvReader), rejects (DNC/dedupe splits, the error
report). Import from the package: the names below are its interface.

What a real lead list throws at us, and what happens:
- encoding: UTF-8 (with or without BOM), UTF-16 (BOM: Excel's "Unicode text"), CP932/Shift_JIS, GB18030, EUC-JP and
  Windows-1252, detected with charset-normalizer; when the detector is unsure the file is refused with the
  candidates and ``--encoding``; bytes that are not UTF-8 inside an otherwise UTF-8 file are read as cp1252 one by
  one rather than failing the import; binary files (images, workbooks, NUL bytes) are refused as a whole;
- line endings: LF, CRLF and CR-only (Excel for Mac) alike;
- delimiter: ``,`` ``;`` tab or ``|``, sniffed from the first records (quotes respected); header row detected;
- column mapping: common header names are recognised (phone, mobile, first name, zip, ...), ``--map col=field``
  overrides (col: header name or 1-based index; field: a lead field, ``skip``, or any other name = custom field);
- quoted fields may span lines; CR/LF and other control characters inside values become spaces (values end up in
  AMI headers and the UI); a cell longer than MAX_CELL_CHARS rejects the row with a reason;
- malformed records cost that record only: records are assembled line by line with a bound on lines and characters
  (MAX_RECORD_LINES, MAX_CELL_CHARS, MAX_LINE_CHARS); a quote left open past the bound (or to the end of the file)
  rejects the record's first line as ``malformed`` and reading resumes on the next line, so memory stays bounded
  whatever the file;
- phone extensions (``ext 5``, ``x12``, ``;ext=9``, ``#12``) are kept in the lead's ``phone_extension`` field;
- values that look like spreadsheet formulas (``=cmd|...``, ``@SUM(...)``) are kept as data, flagged, and
  neutralised when written back to CSV (`write_error_report`, `neutralise_formula`);
- duplicates within the file (same E.164 number) are reported against the first occurrence;
- every rejected row becomes a RowError with the row number, the file line, a reason code and the raw cells.

DNC scrubbing and dedupe against the campaign need the store; `scrub_dnc` and `dedupe_against` are the pure parts.
"""

from dialer.campaign.leadimport.cells import looks_like_formula, neutralise_formula, sanitise
from dialer.campaign.leadimport.decoding import detect_encoding, refuse_binary, sniff_delimiter
from dialer.campaign.leadimport.model import (
    EXTENSION_FIELD,
    MAX_CELL_CHARS,
    MAX_LINE_CHARS,
    MAX_RECORD_LINES,
    ImportedLead,
    ImportStats,
    LeadField,
    LeadFileError,
    RowError,
    RowErrorReason,
)
from dialer.campaign.leadimport.reader import LeadCsvReader, parse_consent_time
from dialer.campaign.leadimport.rejects import ErrorReportWriter, dedupe_against, scrub_dnc, write_error_report

__all__ = [
    "EXTENSION_FIELD",
    "MAX_CELL_CHARS",
    "MAX_LINE_CHARS",
    "MAX_RECORD_LINES",
    "ErrorReportWriter",
    "ImportStats",
    "ImportedLead",
    "LeadCsvReader",
    "LeadField",
    "LeadFileError",
    "RowError",
    "RowErrorReason",
    "dedupe_against",
    "detect_encoding",
    "looks_like_formula",
    "neutralise_formula",
    "parse_consent_time",
    "refuse_binary",
    "sanitise",
    "scrub_dnc",
    "sniff_delimiter",
    "write_error_report",
]
