"""Streaming lead-list parsing for `dialer leads import` (pure: bytes in, typed records out).

What a real lead list throws at us, and what happens:
- encoding: UTF-8, UTF-8 with BOM, or Windows-1252/Latin-1 (Excel exports); bytes that are not UTF-8 inside an
  otherwise UTF-8 file are read as cp1252 one by one rather than failing the import;
- delimiter: ``,`` ``;`` tab or ``|``, sniffed from the first records (quotes respected); header row detected;
- column mapping: common header names are recognised (phone, mobile, first name, zip, ...), ``--map col=field``
  overrides (col: header name or 1-based index; field: a lead field, ``skip``, or any other name = custom field);
- quoted fields may span lines; CR/LF and other control characters inside values become spaces (values end up in
  AMI headers and the UI); a cell longer than MAX_CELL_CHARS rejects the row with a reason;
- values that look like spreadsheet formulas (``=cmd|...``, ``@SUM(...)``) are kept as data, flagged, and
  neutralised when written back to CSV (`write_error_report`, `neutralise_formula`);
- duplicates within the file (same E.164 number) are reported against the first occurrence;
- every rejected row becomes a RowError with the row number, the file line, a reason code and the raw cells.

DNC scrubbing and dedupe against the campaign need the store; `scrub_dnc` and `dedupe_against` are the pure parts.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Set
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO, TextIO

from dialer.campaign.phones import Phone, PhoneRejection, normalize, postal_code_zones

MAX_CELL_CHARS = 32_768  # a longer cell is not lead data (runaway quote, pasted file): reject the row
MAX_RECORD_LINES = 50  # a quoted value spanning more lines is an unclosed quote, not a note
RAW_KEEP_CHARS = 1_000  # cells kept in a RowError are cut to this length for the error report
SNIFF_BYTES = 64 * 1024
READ_BUFFER = 1024 * 1024
DELIMITERS = (",", ";", "\t", "|")
# The csv module's own limit (128 KiB) raises mid-file; ours is checked per cell, so lift the module's.
csv.field_size_limit(64 * 1024 * 1024)


class LeadFileError(ValueError):
    """The file as a whole cannot be imported (unreadable, empty, no phone column, bad mapping)."""


class RowErrorReason(StrEnum):
    MISSING_PHONE = "missing_phone"
    INVALID_PHONE = "invalid_phone"
    DUPLICATE = "duplicate"  # same number earlier in the file
    FIELD_TOO_LONG = "field_too_long"
    TOO_MANY_COLUMNS = "too_many_columns"  # usually an unquoted delimiter inside a value: columns shifted
    BAD_PRIORITY = "bad_priority"
    MALFORMED = "malformed"  # the CSV parser could not read the record
    # set by the store layer with the helpers below
    DNC = "dnc"
    ALREADY_IN_CAMPAIGN = "already_in_campaign"


class LeadField(StrEnum):
    PHONE = "phone"
    ALT_PHONE = "alt_phone"  # may be mapped from several columns
    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    NAME = "name"  # full name, split into first/last when those are absent
    EMAIL = "email"
    POSTAL_CODE = "postal_code"
    PRIORITY = "priority"
    EXTERNAL_ID = "external_id"
    SKIP = "skip"


def _norm_header(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


HEADER_ALIASES: dict[str, LeadField] = {
    **dict.fromkeys(
        ("phone", "phonenumber", "telephone", "tel", "telno", "number", "phone1", "primaryphone", "msisdn", "e164"),
        LeadField.PHONE,
    ),
    **dict.fromkeys(
        (
            "mobile",
            "mobilephone",
            "cell",
            "cellphone",
            "phone2",
            "phone3",
            "altphone",
            "alternatephone",
            "otherphone",
            "homephone",
            "workphone",
            "businessphone",
        ),
        LeadField.ALT_PHONE,
    ),
    **dict.fromkeys(("firstname", "first", "givenname", "fname", "forename"), LeadField.FIRST_NAME),
    **dict.fromkeys(("lastname", "last", "surname", "familyname", "lname"), LeadField.LAST_NAME),
    **dict.fromkeys(("name", "fullname", "contactname", "contact"), LeadField.NAME),
    **dict.fromkeys(("email", "emailaddress", "mail"), LeadField.EMAIL),
    **dict.fromkeys(("zip", "zipcode", "postcode", "postalcode", "postal", "zip5"), LeadField.POSTAL_CODE),
    **dict.fromkeys(("priority", "prio"), LeadField.PRIORITY),
    **dict.fromkeys(("id", "externalid", "leadid", "customerid", "crmid", "ref", "reference"), LeadField.EXTERNAL_ID),
}


@dataclass(frozen=True, slots=True)
class ImportedLead:
    row: int  # 1-based data row (header excluded)
    line: int  # physical line of the file where the record starts
    phone: str  # E.164
    alt_phones: tuple[str, ...]
    tz_candidates: tuple[str, ...]  # zones of `phone`
    postal_code: str | None
    postal_zones: tuple[str, ...]  # zones of the postal code (US ZIP / CA postal district), empty when unknown
    first_name: str
    last_name: str
    email: str
    priority: int
    external_id: str | None
    fields: dict[str, str]  # custom fields, header name → value (sanitised)
    flags: tuple[str, ...] = ()  # e.g. "formula:notes", "sanitised:company", "bad_alt_phone:mobile"


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    line: int
    reason: RowErrorReason
    detail: str
    raw: tuple[str, ...]  # the row's cells as read (long cells cut to RAW_KEEP_CHARS)
    phone_reason: PhoneRejection | None = None


@dataclass(slots=True)
class ImportStats:
    rows: int = 0
    imported: int = 0
    blank_lines: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    flags: Counter[str] = field(default_factory=Counter)


# -- decoding ---------------------------------------------------------------------------------------------------


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: decode a byte that is not UTF-8 as Windows-1252 (Latin-1 for its 5 holes)."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start : exc.start + 1]
    try:
        return bad.decode("cp1252"), exc.start + 1
    except UnicodeDecodeError:
        return bad.decode("latin-1"), exc.start + 1


codecs.register_error("dialer-cp1252-fallback", _cp1252_fallback)


_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def detect_encoding(sample: bytes) -> str:
    """utf-8-sig for a BOM; utf-8 when the sample decodes (a cut multibyte tail is fine) or mixes real UTF-8
    sequences with stray bytes (those are then read as cp1252 one by one); cp1252 otherwise."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise LeadFileError("the file is UTF-16; save it as UTF-8 (or CSV in Excel) and import again")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return "utf-8" if _UTF8_MULTIBYTE.search(sample) else "cp1252"
    return "utf-8"


def sniff_delimiter(sample: str) -> str:
    """The candidate delimiter that splits the first records into the most consistent, widest rows."""
    best, best_score = ",", (-1.0, 0)
    lines = sample.splitlines(keepends=True)
    if len(lines) > 1 and not sample.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample may cut the last record
    text = "".join(lines[:50])
    for delim in DELIMITERS:
        try:
            widths = [len(r) for r in csv.reader(io.StringIO(text), delimiter=delim) if r]
        except csv.Error:
            continue
        if not widths:
            continue
        common, count = Counter(widths).most_common(1)[0]
        if common < 2:
            continue
        score = (count / len(widths), common)
        if score > best_score:
            best, best_score = delim, score
    return best


# -- cells ------------------------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d[\d\s.,]*$")


def sanitise(value: str) -> str:
    """Control characters (CR, LF, tab, NUL, ...) become one space; outer whitespace stripped."""
    return _CONTROL.sub(" ", value).strip()


def looks_like_formula(value: str) -> bool:
    """Would a spreadsheet execute this cell? (signed plain numbers and phone numbers are not formulas)."""
    return value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(value)


def neutralise_formula(value: str) -> str:
    """Make a cell inert for spreadsheets (OWASP CSV injection): prefix a quote to formula-looking text."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _cut(cells: Iterable[str]) -> tuple[str, ...]:
    return tuple(c if len(c) <= RAW_KEEP_CHARS else c[:RAW_KEEP_CHARS] + f"…[{len(c)} chars]" for c in cells)


# -- the reader -------------------------------------------------------------------------------------------------


def _looks_like_phone(cell: str) -> bool:
    digits = sum(ch.isdigit() for ch in cell)
    return digits >= 7 and digits >= len(cell.strip()) * 0.6


class LeadCsvReader:
    """Iterate a lead CSV as ImportedLead | RowError; opening reads only the first 64 KiB to sniff the format.

    ``source``: a path or a binary stream. ``default_region``: ISO region for numbers without a country code
    (the campaign's ``default_region``). ``mapping``: column (header name or 1-based index) → field.
    """

    def __init__(
        self,
        source: Path | str | BinaryIO,
        *,
        default_region: str | None,
        mapping: Mapping[str, str] | None = None,
        encoding: str | None = None,
        delimiter: str | None = None,
        has_header: bool | None = None,
    ) -> None:
        self._own = False
        if isinstance(source, str | Path):
            try:
                self._binary: BinaryIO = open(source, "rb", buffering=READ_BUFFER)  # noqa: SIM115 - see close()
            except OSError as exc:
                raise LeadFileError(f"{source}: cannot open: {exc.strerror}") from None
            self._own = True
            self.name = str(source)
        else:
            self._binary = source
            self.name = getattr(source, "name", "<stream>")
        try:
            head = self._binary.peek(SNIFF_BYTES)[:SNIFF_BYTES] if hasattr(self._binary, "peek") else b""
            if not head:
                buffered = io.BufferedReader(self._binary, buffer_size=READ_BUFFER)  # type: ignore[type-var]
                self._binary = buffered
                head = buffered.peek(SNIFF_BYTES)[:SNIFF_BYTES]
        except OSError as exc:
            self.close()
            raise LeadFileError(f"{self.name}: cannot read: {exc}") from None
        if not head.strip():
            self.close()
            raise LeadFileError(f"{self.name}: the file is empty")
        self.encoding = encoding or detect_encoding(head)
        try:
            sample = head.decode(self.encoding, errors="dialer-cp1252-fallback")
        except LookupError:
            self.close()
            raise LeadFileError(f"unknown encoding {encoding!r}") from None
        if delimiter is not None and len(delimiter) != 1:
            self.close()
            raise LeadFileError(f"the delimiter must be one character, not {delimiter!r}")
        self.delimiter = delimiter or sniff_delimiter(sample)
        self._text: TextIO = io.TextIOWrapper(
            self._binary, encoding=self.encoding, errors="dialer-cp1252-fallback", newline=""
        )
        self._reader = csv.reader(self._text, delimiter=self.delimiter, quotechar='"', doublequote=True, strict=False)
        first_rows = list(csv.reader(io.StringIO(sample), delimiter=self.delimiter))[:20]
        self.default_region = default_region
        self.stats = ImportStats()
        first = first_rows[0] if first_rows else []
        self.has_header = has_header if has_header is not None else not any(_looks_like_phone(c) for c in first)
        if self.has_header:
            try:
                header_row = next(self._reader)
            except (csv.Error, StopIteration) as exc:
                self.close()
                raise LeadFileError(f"{self.name}: cannot read the header row: {exc}") from None
            self.header = tuple(sanitise(c) or f"column{i + 1}" for i, c in enumerate(header_row))
        else:
            width = max((len(r) for r in first_rows), default=1)
            self.header = tuple(f"column{i + 1}" for i in range(width))
        self._header_lines = self._reader.line_num
        self.field_map = self._build_field_map(mapping or {}, first_rows[1:] if self.has_header else first_rows)

    # -- mapping ----------------------------------------------------------------------------------------------

    def _column_index(self, column: str) -> int:
        if column.isdigit():
            i = int(column) - 1
            if not 0 <= i < len(self.header):
                raise LeadFileError(f"--map {column}=...: the file has columns 1..{len(self.header)}")
            return i
        wanted = _norm_header(column)
        for i, h in enumerate(self.header):
            if h == column or _norm_header(h) == wanted:
                return i
        raise LeadFileError(f"--map {column}=...: no column {column!r} (columns: {', '.join(self.header)})")

    def _build_field_map(self, mapping: Mapping[str, str], sample_rows: list[list[str]]) -> dict[int, str]:
        """Column index → LeadField value or custom field name."""
        fmap: dict[int, str] = {}
        if self.has_header:
            for i, h in enumerate(self.header):
                alias = HEADER_ALIASES.get(_norm_header(h))
                fmap[i] = alias.value if alias else h
        else:
            for i, h in enumerate(self.header):
                fmap[i] = h
            # No header: the column whose cells mostly look like phone numbers is the phone.
            for i in range(len(self.header)):
                cells = [r[i] for r in sample_rows if len(r) > i and r[i].strip()]
                if cells and sum(_looks_like_phone(c) for c in cells) >= 0.8 * len(cells):
                    fmap[i] = LeadField.PHONE.value
                    break
        for column, target in mapping.items():
            i = self._column_index(column)
            fmap[i] = target.strip() or LeadField.SKIP.value
        known = {f.value for f in LeadField}
        used: set[str] = set()
        for i in sorted(fmap):  # two columns with the same custom name keep both values: "notes", "notes_2"
            name = fmap[i]
            if name in known:
                continue
            unique, n = name, 1
            while unique in used:
                n += 1
                unique = f"{name}_{n}"
            used.add(unique)
            fmap[i] = unique
        phones = [i for i, f in fmap.items() if f == LeadField.PHONE]
        if not phones:
            alts = [i for i, f in sorted(fmap.items()) if f == LeadField.ALT_PHONE]
            if not alts:
                raise LeadFileError(
                    f"{self.name}: no phone column found (columns: {', '.join(self.header)}); "
                    "map one with --map <column>=phone"
                )
            fmap[alts[0]] = LeadField.PHONE.value
        elif len(phones) > 1:
            for i in phones[1:]:
                fmap[i] = LeadField.ALT_PHONE.value
        return fmap

    # -- iteration --------------------------------------------------------------------------------------------

    def close(self) -> None:
        if self._own:
            self._binary.close()

    def __enter__(self) -> LeadCsvReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[ImportedLead | RowError]:
        fmap = self.field_map
        phone_col = next(i for i, f in fmap.items() if f == LeadField.PHONE)
        alt_cols = tuple(i for i, f in sorted(fmap.items()) if f == LeadField.ALT_PHONE)
        single: dict[str, int] = {}
        for i, f in fmap.items():
            if f in (
                LeadField.FIRST_NAME,
                LeadField.LAST_NAME,
                LeadField.NAME,
                LeadField.EMAIL,
                LeadField.POSTAL_CODE,
                LeadField.PRIORITY,
                LeadField.EXTERNAL_ID,
            ):
                single.setdefault(str(f), i)
        single_items = tuple(single.items())
        header = self.header
        known = {f.value for f in LeadField}
        custom = tuple((i, f) for i, f in sorted(fmap.items()) if f not in known)
        width = len(self.header)
        region = self.default_region
        seen: dict[str, int] = {}
        stats = self.stats
        reader = self._reader
        row_no = 0
        prev_line = self._header_lines
        control = _CONTROL
        max_chars = MAX_CELL_CHARS

        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                row_no += 1
                stats.rows += 1
                line = prev_line + 1
                prev_line = reader.line_num
                stats.errors[RowErrorReason.MALFORMED] += 1
                yield RowError(row_no, line, RowErrorReason.MALFORMED, str(exc), ())
                continue
            line = prev_line + 1
            prev_line = reader.line_num
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                stats.blank_lines += 1
                continue
            row_no += 1
            stats.rows += 1

            if prev_line - line >= MAX_RECORD_LINES:
                err = RowError(
                    row_no,
                    line,
                    RowErrorReason.MALFORMED,
                    f"one record spans lines {line}-{prev_line}: an unclosed quote swallowed the lines after it",
                    _cut(cells),
                )
                stats.errors[err.reason] += 1
                yield err
                continue
            if len(cells) > width and any(c.strip() for c in cells[width:]):
                err = RowError(
                    row_no,
                    line,
                    RowErrorReason.TOO_MANY_COLUMNS,
                    f"{len(cells)} cells, the header has {width} (an unquoted '{self.delimiter}' in a value?)",
                    _cut(cells),
                )
                stats.errors[err.reason] += 1
                yield err
                continue
            if max(map(len, cells)) > max_chars:
                too_long = next(i for i, c in enumerate(cells) if len(c) > max_chars)
                size = len(cells[too_long])
                col = self.header[too_long] if too_long < width else f"column{too_long + 1}"
                runaway = " (an unclosed quote?)" if cells[too_long].count("\n") > 2 else ""
                err = RowError(
                    row_no,
                    line,
                    RowErrorReason.FIELD_TOO_LONG,
                    f"{col}: {size} characters, at most {max_chars}{runaway}",
                    _cut(cells),
                )
                stats.errors[err.reason] += 1
                yield err
                continue

            raw_phone = cells[phone_col] if phone_col < len(cells) else ""
            parsed = normalize(raw_phone, region)
            if not isinstance(parsed, Phone):
                reason = (
                    RowErrorReason.MISSING_PHONE
                    if parsed.reason is PhoneRejection.MISSING
                    else RowErrorReason.INVALID_PHONE
                )
                shown = sanitise(raw_phone)[:40]
                detail = parsed.detail if reason is RowErrorReason.MISSING_PHONE else f"{shown!r}: {parsed.detail}"
                err = RowError(row_no, line, reason, detail, _cut(cells), parsed.reason)
                stats.errors[reason] += 1
                yield err
                continue
            e164 = parsed.e164
            first_row = seen.get(e164)
            if first_row is not None:
                err = RowError(row_no, line, RowErrorReason.DUPLICATE, f"same number as row {first_row}", _cut(cells))
                stats.errors[err.reason] += 1
                yield err
                continue

            flags: list[str] = []
            values: dict[str, str] = {}
            dirty = control.search("".join(cells)) is not None
            ncells = len(cells)
            for f, i in single_items:
                v = cells[i] if i < ncells else ""
                if dirty and control.search(v):
                    v = control.sub(" ", v)
                    flags.append(f"sanitised:{header[i]}")
                values[f] = v.strip()
            priority = 0
            prio_text = values.get("priority", "")
            if prio_text:
                try:
                    priority = int(prio_text)
                except ValueError:
                    err = RowError(
                        row_no,
                        line,
                        RowErrorReason.BAD_PRIORITY,
                        f"priority {prio_text[:20]!r} is not a whole number",
                        _cut(cells),
                    )
                    stats.errors[err.reason] += 1
                    yield err
                    continue

            alt: list[str] = []
            for i in alt_cols:
                if i >= ncells or not cells[i].strip():
                    continue
                other = normalize(cells[i], region)
                if isinstance(other, Phone):
                    if other.e164 != e164 and other.e164 not in alt:
                        alt.append(other.e164)
                else:
                    flags.append(f"bad_alt_phone:{header[i]}")

            extra: dict[str, str] = {}
            for i, name in custom:
                if i >= ncells:
                    continue
                v = cells[i]
                if dirty and control.search(v):
                    v = control.sub(" ", v)
                    flags.append(f"sanitised:{name}")
                v = v.strip()
                if v and v[0] in "=+-@" and looks_like_formula(v):
                    flags.append(f"formula:{name}")
                extra[name] = v
            for f, v in values.items():
                if v and v[0] in "=+-@" and looks_like_formula(v):
                    flags.append(f"formula:{f}")

            first_name = values.get("first_name", "")
            last_name = values.get("last_name", "")
            full = values.get("name", "")
            if full and not first_name and not last_name:
                first_name, _, last_name = full.rpartition(" ") if " " in full else (full, "", "")
            postal = values.get("postal_code") or None
            postal_zones = postal_code_zones(postal, parsed.region) if postal else ()
            seen[e164] = row_no
            stats.imported += 1
            if flags:
                for flag in flags:
                    stats.flags[flag.partition(":")[0]] += 1
            yield ImportedLead(
                row=row_no,
                line=line,
                phone=e164,
                alt_phones=tuple(alt),
                tz_candidates=parsed.zones,
                postal_code=postal,
                postal_zones=postal_zones,
                first_name=first_name,
                last_name=last_name,
                email=values.get("email", ""),
                priority=priority,
                external_id=values.get("external_id") or None,
                fields=extra,
                flags=tuple(flags),
            )


# -- store-side helpers (pure) ----------------------------------------------------------------------------------


def _reject(lead: ImportedLead, reason: RowErrorReason, detail: str) -> RowError:
    return RowError(lead.row, lead.line, reason, detail, (lead.phone, lead.first_name, lead.last_name))


def scrub_dnc(leads: Iterable[ImportedLead], dnc_numbers: Set[str]) -> tuple[list[ImportedLead], list[RowError]]:
    """Split leads whose number (or any alternative) is on DNC. Alternatives on DNC are dropped from a lead whose
    primary number is fine."""
    keep: list[ImportedLead] = []
    rejected: list[RowError] = []
    for lead in leads:
        if lead.phone in dnc_numbers:
            rejected.append(_reject(lead, RowErrorReason.DNC, "number is on a do-not-call list"))
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
            rejected.append(_reject(lead, RowErrorReason.ALREADY_IN_CAMPAIGN, "number already in the campaign"))
        else:
            keep.append(lead)
    return keep, rejected


# -- error report -----------------------------------------------------------------------------------------------


def write_error_report(stream: TextIO, errors: Iterable[RowError], header: Iterable[str]) -> int:
    """Write rejected rows as CSV: row, line, reason, detail, then the original columns. Every cell is
    neutralised against formula injection. Returns the number of rows written."""
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(["row", "line", "reason", "detail", *(neutralise_formula(h) for h in header)])
    n = 0
    for e in errors:
        writer.writerow(
            [e.row, e.line, e.reason.value, neutralise_formula(e.detail), *(neutralise_formula(c) for c in e.raw)]
        )
        n += 1
    return n
