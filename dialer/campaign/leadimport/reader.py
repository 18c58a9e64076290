"""The streaming reader: a lead file in, ImportedLead or RowError out, one record at a time.

Why one module (over 500 lines): ``LeadCsvReader`` is one pass over one byte stream -- decoding, record framing,
the header's mapping and each row's checks share the reader's position and counters (the row and line numbers every
RowError carries); the cell rules and the encoding detection it calls already live in ``cells`` and ``decoding``.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, TextIO
from zoneinfo import ZoneInfo

from dialer.campaign.leadimport.cells import CONTROL, cut_cells, looks_like_formula, sanitise
from dialer.campaign.leadimport.decoding import decode_sample, detect_encoding, refuse_binary, sniff_delimiter
from dialer.campaign.leadimport.model import (
    EXTENSION_FIELD,
    HEADER_ALIASES,
    MAX_CELL_CHARS,
    MAX_LINE_CHARS,
    MAX_RECORD_LINES,
    READ_BUFFER,
    SEEN_LIMIT,
    SNIFF_BYTES,
    ImportedLead,
    ImportStats,
    LeadField,
    LeadFileError,
    RowError,
    RowErrorReason,
    norm_header,
)
from dialer.campaign.leadimport.records import BadRecord, Record, RecordSource
from dialer.campaign.names import clean_name, display_name, split_full_name
from dialer.campaign.phones import Phone, PhoneRejection, fold_width, known_region, normalize, postal_code_zones
from dialer.i18n import M_, _
from dialer.i18n.library import os_error_text

csv.field_size_limit(max(csv.field_size_limit(), MAX_RECORD_LINES * MAX_LINE_CHARS))


def _looks_like_phone(cell: str) -> bool:
    digits = sum(ch.isdigit() for ch in cell)
    return digits >= 7 and digits >= len(cell.strip()) * 0.6


class LeadCsvReader:
    """Iterate a lead CSV as ImportedLead | RowError; opening reads only the first 64 KiB to sniff the format.

    ``source``: a path or a binary stream. ``default_region``: ISO region for numbers without a country code
    (the campaign's ``default_region``). ``mapping``: column (header name or 1-based index) → field.
    ``encoding``: a Python codec name; None detects it (see `detect_encoding`). ``name``: what the messages call
    the file (default: its path, or the stream's name) -- an upload's own file name, not the server's spool path.
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
        name: str | None = None,
    ) -> None:
        if default_region is not None and not known_region(default_region):
            raise LeadFileError(
                M_(
                    "unknown region {region}: use an ISO 3166 code with numbering data (US, GB, DE, JP, CN, ...)",
                    region=repr(default_region),
                )
            )
        default_region = default_region.upper() if default_region is not None else None
        self._own = False
        self.notices: list[str] = []  # what the importer decided for the user to know (shown by the CLI)
        if isinstance(source, str | Path):
            try:
                self._binary: BinaryIO = open(source, "rb", buffering=READ_BUFFER)  # noqa: SIM115 - see close()
            except OSError as exc:
                raise LeadFileError(
                    M_("{source}: cannot open: {reason}", source=name or source, reason=os_error_text(exc.strerror))
                ) from None
            self._own = True
            self.name = name or str(source)
        else:
            self._binary = source
            self.name = name or str(getattr(source, "name", "<stream>"))
        try:
            self._open(default_region, mapping, encoding, delimiter, has_header)
        except LeadFileError:
            self.close()
            raise
        except OSError as exc:
            self.close()
            raise LeadFileError(
                M_("{name}: cannot read: {exc}", name=self.name, exc=os_error_text(exc.strerror) or str(exc))
            ) from None

    def _open(
        self,
        default_region: str | None,
        mapping: Mapping[str, str] | None,
        encoding: str | None,
        delimiter: str | None,
        has_header: bool | None,
    ) -> None:
        head = self._binary.peek(SNIFF_BYTES)[:SNIFF_BYTES] if hasattr(self._binary, "peek") else b""
        if not head:
            buffered = io.BufferedReader(self._binary, buffer_size=READ_BUFFER)  # type: ignore[type-var]
            self._binary = buffered
            head = buffered.peek(SNIFF_BYTES)[:SNIFF_BYTES]
        if not head.strip():
            raise LeadFileError(M_("{name}: the file is empty", name=self.name))
        if encoding is not None:
            try:
                encoding = codecs.lookup(encoding).name
            except LookupError:
                raise LeadFileError(
                    M_("unknown encoding {encoding} (e.g. utf-8, cp932, gb18030, euc_jp)", encoding=repr(encoding))
                ) from None
        else:
            refuse_binary(head, self.name)
            encoding = detect_encoding(head, self.name)
        if encoding in ("utf-8", "utf-16") and head.startswith(codecs.BOM_UTF8):
            encoding = "utf-8-sig"
        self.encoding = encoding
        sample = decode_sample(head, encoding)
        if sample.startswith("\ufeff"):
            sample = sample[1:]
        controls = sum(1 for ch in sample[:8192] if ch < " " and ch not in "\t\r\n")
        if controls > max(8, len(sample[:8192]) // 100):
            raise LeadFileError(M_("{name}: binary data (control characters), not a CSV lead list", name=self.name))
        if delimiter is not None and len(delimiter) != 1:
            raise LeadFileError(M_("the delimiter must be one character, not {delimiter}", delimiter=repr(delimiter)))
        self.delimiter = delimiter or sniff_delimiter(sample)
        # Universal newlines: LF, CRLF and CR-only (Excel for Mac) files all read line by line.
        errors = "dialer-cp1252-fallback" if encoding.startswith("utf-8") else "strict"
        self._text: TextIO = io.TextIOWrapper(self._binary, encoding=encoding, errors=errors, newline=None)
        self._records = RecordSource(self._text, self.delimiter)
        normalised = sample.replace("\r\n", "\n").replace("\r", "\n")
        first_rows = list(csv.reader(io.StringIO(normalised), delimiter=self.delimiter, strict=False))[:20]
        first_rows = [r for r in first_rows if r and any(c.strip() for c in r)]
        self.default_region = default_region
        self.stats = ImportStats()
        first = first_rows[0] if first_rows else []
        self.has_header = has_header if has_header is not None else not any(_looks_like_phone(c) for c in first)
        self._header_lines = 0
        if self.has_header:
            record = self._records.next_record(None)
            while isinstance(record, Record) and not any(c.strip() for c in record.cells):
                record = self._records.next_record(None)  # blank lines before the header
            if not isinstance(record, Record):
                raise LeadFileError(M_("{name}: cannot read the header row", name=self.name))
            self.header = tuple(sanitise(c).lstrip("\ufeff") or f"column{i + 1}" for i, c in enumerate(record.cells))
            self._header_lines = record.last_line
        else:
            width = max((len(r) for r in first_rows), default=1)
            self.header = tuple(f"column{i + 1}" for i in range(width))
        self.field_map = self._build_field_map(mapping or {}, first_rows[1:] if self.has_header else first_rows)

    # -- mapping ----------------------------------------------------------------------------------------------

    def _column_index(self, column: str) -> int:
        if column.isdigit():
            i = int(column) - 1
            if not 0 <= i < len(self.header):
                raise LeadFileError(
                    M_("--map {column}=...: the file has columns 1..{n}", column=column, n=len(self.header))
                )
            return i
        exact = [i for i, h in enumerate(self.header) if h == column]
        wanted = norm_header(column)
        matches = exact or ([i for i, h in enumerate(self.header) if norm_header(h) == wanted] if wanted else [])
        if len(matches) == 1:
            return matches[0]
        if matches:
            numbers = " and ".join(str(i + 1) for i in matches)
            raise LeadFileError(
                M_(
                    "--map {column}=...: columns {numbers} are all named {name}; map by number (--map N=FIELD)",
                    column=column,
                    numbers=numbers,
                    name=repr(column),
                )
            )
        raise LeadFileError(
            M_(
                "--map {column}=...: no column {name} (columns: {columns})",
                column=column,
                name=repr(column),
                columns=", ".join(self.header),
            )
        )

    def _build_field_map(self, mapping: Mapping[str, str], sample_rows: list[list[str]]) -> dict[int, str]:
        """Column index → LeadField value or custom field name."""
        fmap: dict[int, str] = {}
        if self.has_header:
            for i, h in enumerate(self.header):
                alias = HEADER_ALIASES.get(norm_header(h))
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
        for i in sorted(fmap):
            name = fmap[i]
            if name != self.header[i] and self.header.count(self.header[i]) > 1 and name not in known:
                self.notices.append(
                    _("column {n} repeats the header {header}: its values go to {name}").format(
                        n=i + 1, header=repr(self.header[i]), name=repr(name)
                    )
                )
        singles = (f.value for f in LeadField if f not in (LeadField.PHONE, LeadField.ALT_PHONE, LeadField.SKIP))
        for single in singles:
            columns = [i for i, f in sorted(fmap.items()) if f == single]
            if len(columns) > 1:
                named = ", ".join(f"{i + 1} ({self.header[i]!r})" for i in columns)
                raise LeadFileError(
                    M_(
                        "{name}: columns {named} are all read as {single}; keep one with --map {n}=skip (or map it to "
                        "another field)",
                        name=self.name,
                        named=named,
                        single=single,
                        n=columns[-1] + 1,
                    )
                )
        phones = [i for i, f in fmap.items() if f == LeadField.PHONE]
        if not phones:
            alts = [i for i, f in sorted(fmap.items()) if f == LeadField.ALT_PHONE]
            if not alts:
                raise LeadFileError(
                    M_(
                        "{name}: no phone column found (columns: {columns}); map one with --map <column>=phone",
                        name=self.name,
                        columns=", ".join(self.header),
                    )
                )
            fmap[alts[0]] = LeadField.PHONE.value
        elif len(phones) > 1:
            for i in phones[1:]:
                fmap[i] = LeadField.ALT_PHONE.value
                self.notices.append(
                    _("column {n} ({header}) is a second phone column: read as alt_phone").format(
                        n=i + 1, header=repr(self.header[i])
                    )
                )
        return fmap

    # -- iteration --------------------------------------------------------------------------------------------

    def close(self) -> None:
        if self._own:
            self._binary.close()

    def __enter__(self) -> LeadCsvReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _reject(
        self,
        row: int,
        line: int,
        reason: RowErrorReason,
        detail: str,
        cells: Sequence[str],
        phone_reason: PhoneRejection | None = None,
    ) -> RowError:
        """Row ``row`` (file line ``line``) rejected for ``reason``, counted in the import's stats."""
        self.stats.errors[reason] += 1
        return RowError(row, line, reason, detail, cut_cells(cells), phone_reason)

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
                LeadField.NAME_READING,
                LeadField.CONSENT_SOURCE,
                LeadField.CONSENT_AT,
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
        records = self._records
        row_no = 0
        control = CONTROL
        max_chars = MAX_CELL_CHARS

        while True:
            record = records.next_record(width)
            if record is None:
                if stats.rows == 0:  # a header and nothing else (blank lines aside): no list is made of it
                    raise LeadFileError(M_("no leads in {name}", name=self.name))
                return
            line = record.first_line
            if isinstance(record, BadRecord):
                row_no += 1
                stats.rows += 1
                detail = record.detail
                if record.column is not None:
                    col = self.header[record.column] if record.column < width else f"column{record.column + 1}"
                    detail = _("{column}: more than {max} characters, at most {max} ({detail})").format(
                        column=col, max=max_chars, detail=detail
                    )
                yield self._reject(row_no, line, record.reason, detail, record.cells)
                continue
            cells = record.cells
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                stats.blank_lines += 1
                continue
            row_no += 1
            stats.rows += 1

            if len(cells) > width and any(c.strip() for c in cells[width:]):
                yield self._reject(
                    row_no,
                    line,
                    RowErrorReason.TOO_MANY_COLUMNS,
                    _("{n} cells, the header has {width} (an unquoted '{delimiter}' in a value?)").format(
                        n=len(cells), width=width, delimiter=self.delimiter
                    ),
                    cells,
                )
                continue
            if max(map(len, cells)) > max_chars:
                too_long = next(i for i, c in enumerate(cells) if len(c) > max_chars)
                size = len(cells[too_long])
                col = self.header[too_long] if too_long < width else f"column{too_long + 1}"
                runaway = " " + _("(an unclosed quote?)") if cells[too_long].count("\n") > 2 else ""
                yield self._reject(
                    row_no,
                    line,
                    RowErrorReason.FIELD_TOO_LONG,
                    _("{column}: {size} characters, at most {max}").format(column=col, size=size, max=max_chars)
                    + runaway,
                    cells,
                )
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
                detail = str(parsed.detail) if reason is RowErrorReason.MISSING_PHONE else f"{shown!r}: {parsed.detail}"
                yield self._reject(row_no, line, reason, detail, cells, parsed.reason)
                continue
            e164 = parsed.e164
            first_row = seen.get(e164)
            if first_row is not None:
                yield self._reject(
                    row_no,
                    line,
                    RowErrorReason.DUPLICATE,
                    _("same number as row {row}").format(row=first_row),
                    cells,
                )
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
                    yield self._reject(
                        row_no,
                        line,
                        RowErrorReason.BAD_PRIORITY,
                        _("priority {value} is not a whole number").format(value=repr(prio_text[:20])),
                        cells,
                    )
                    continue

            consent_text = values.get("consent_at", "")
            consent_at = parse_consent_time(consent_text, parsed.zones) if consent_text else None
            if consent_text and consent_at is None:
                yield self._reject(
                    row_no,
                    line,
                    RowErrorReason.BAD_CONSENT_TIME,
                    _("consent time {value} is not a date and time (YYYY-MM-DD HH:MM)").format(
                        value=repr(consent_text[:30])
                    ),
                    cells,
                )
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

            first_name = clean_name(values.get("first_name", ""))
            last_name = clean_name(values.get("last_name", ""))
            full = values.get("name", "")
            if full and not first_name and not last_name:
                last_name, first_name = split_full_name(full, parsed.region)
            postal = values.get("postal_code") or None
            postal_zones = postal_code_zones(postal, parsed.region) if postal else ()
            if parsed.extension is not None:
                extra[EXTENSION_FIELD] = parsed.extension
            if len(seen) < SEEN_LIMIT:
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
                display_name=display_name(last_name, first_name),
                name_reading=clean_name(values.get("name_reading", "")),
                consent_source=values.get("consent_source", ""),
                consent_at=consent_at,
            )


_CONSENT_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
)


def parse_consent_time(text: str, zones: tuple[str, ...]) -> datetime | None:
    """A consent time: ISO 8601 with an offset, or a local "YYYY-MM-DD[ HH:MM[:SS]]" (``/`` allowed) read in the
    number's zone (UTC when the number has none or several). None when it is not a date."""
    text = " ".join(fold_width(text).replace("T", " ").split())
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        for fmt in _CONSENT_FORMATS:
            try:
                t = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        else:
            return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=ZoneInfo(zones[0] if len(zones) == 1 else "UTC"))
    return t
