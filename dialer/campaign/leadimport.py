"""Streaming lead-list parsing for `dialer leads import` (pure: bytes in, typed records out).

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

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Mapping, Set
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO, TextIO
from zoneinfo import ZoneInfo

from charset_normalizer import from_bytes

from dialer.campaign.names import clean_name, display_name, split_full_name
from dialer.campaign.phones import Phone, PhoneRejection, fold_width, known_region, normalize, postal_code_zones

MAX_CELL_CHARS = 32_768  # a longer cell is not lead data (runaway quote, pasted file): reject the row
MAX_RECORD_LINES = 50  # a quoted value spanning more lines is an unclosed quote, not a note
MAX_LINE_CHARS = 2 * MAX_CELL_CHARS  # a longer physical line is read in pieces and rejected, never held whole
# Numbers remembered to point a repeated number at its first row; past this many, the store's unique
# (campaign, phone) index still refuses the repeat (counted as a duplicate), so memory stays bounded.
SEEN_LIMIT = 100_000
RAW_KEEP_CHARS = 1_000  # cells kept in a RowError are cut to this length for the error report
SNIFF_BYTES = 64 * 1024
READ_BUFFER = 1024 * 1024
DELIMITERS = (",", ";", "\t", "|")
# Records reach the csv module already bounded (MAX_RECORD_LINES lines of at most MAX_LINE_CHARS each).
csv.field_size_limit(max(csv.field_size_limit(), MAX_RECORD_LINES * MAX_LINE_CHARS))
EXTENSION_FIELD = "phone_extension"  # custom field holding the extension of the lead's number
# Encodings the detector chooses among (beyond UTF-8/UTF-16, which are recognised by their BOM or validity).
DETECTED_ENCODINGS = ("cp932", "gb18030", "euc_jp", "cp1252")
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (an .xlsx workbook? save it as CSV)"),
    (b"\xd0\xcf\x11\xe0", "an Office document (an .xls workbook? save it as CSV)"),
    (b"\x1f\x8b", "a gzip archive"),
)


class LeadFileError(ValueError):
    """The file as a whole cannot be imported (unreadable, empty, no phone column, bad mapping)."""


class RowErrorReason(StrEnum):
    MISSING_PHONE = "missing_phone"
    INVALID_PHONE = "invalid_phone"
    DUPLICATE = "duplicate"  # same number earlier in the file
    FIELD_TOO_LONG = "field_too_long"
    TOO_MANY_COLUMNS = "too_many_columns"  # usually an unquoted delimiter inside a value: columns shifted
    BAD_PRIORITY = "bad_priority"
    BAD_CONSENT_TIME = "bad_consent_time"  # consent_at given but not a date and time
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
    NAME_READING = "name_reading"  # furigana / pinyin of the name, for sorting
    CONSENT_SOURCE = "consent_source"  # CN: where the called party consented
    CONSENT_AT = "consent_at"  # CN: when (ISO 8601, or "YYYY-MM-DD HH:MM" in the number's zone)
    EMAIL = "email"
    POSTAL_CODE = "postal_code"
    PRIORITY = "priority"
    EXTERNAL_ID = "external_id"
    SKIP = "skip"


def _norm_header(name: str) -> str:
    """Case, width and punctuation folded; letters of every script kept (``電話番号`` stays ``電話番号``)."""
    return re.sub(r"[\W_]", "", unicodedata.normalize("NFKC", name).casefold())


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
    # Japanese and Chinese exports
    **dict.fromkeys(("電話番号", "電話", "tel番号", "电话", "电话号码", "联系电话"), LeadField.PHONE),
    **dict.fromkeys(("携帯", "携帯電話", "携帯番号", "手机", "手机号", "手机号码"), LeadField.ALT_PHONE),
    **dict.fromkeys(("氏名", "名前", "姓名", "名称"), LeadField.NAME),
    **dict.fromkeys(("姓",), LeadField.LAST_NAME),
    **dict.fromkeys(
        (
            "namereading",
            "reading",
            "furigana",
            "kana",
            "pinyin",
            "フリガナ",
            "ふりがな",
            "氏名カナ",
            "カナ",
            "よみ",
            "読み",
            "拼音",
        ),
        LeadField.NAME_READING,
    ),
    **dict.fromkeys(
        ("consentsource", "consent", "同意取得元", "同意元", "同意来源", "授权来源"), LeadField.CONSENT_SOURCE
    ),
    **dict.fromkeys(
        ("consentat", "consenttime", "consentdate", "同意日時", "同意取得日時", "同意时间", "授权时间"),
        LeadField.CONSENT_AT,
    ),
    **dict.fromkeys(("名",), LeadField.FIRST_NAME),
    **dict.fromkeys(("メール", "メールアドレス", "電子メール", "邮箱", "电子邮件"), LeadField.EMAIL),
    **dict.fromkeys(("郵便番号", "邮编", "邮政编码"), LeadField.POSTAL_CODE),
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
    first_name: str  # given name
    last_name: str  # family name
    email: str
    priority: int
    external_id: str | None
    fields: dict[str, str]  # custom fields, header name → value (sanitised)
    flags: tuple[str, ...] = ()  # e.g. "formula:notes", "sanitised:company", "bad_alt_phone:mobile"
    display_name: str = ""  # "山田 太郎" / "John Smith" (dialer.campaign.names)
    name_reading: str = ""
    consent_source: str = ""
    consent_at: datetime | None = None


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
_CHAOS_CLEAR = 0.2  # charset-normalizer's "mess" ratio under which a decoding reads as text
_CHAOS_MARGIN = 0.1
_DETECTOR_THRESHOLD = 0.5  # how much worse the runner-up must read for the best guess to be taken without asking


def refuse_binary(sample: bytes, name: str) -> None:
    """Raise LeadFileError when the file is an image, an archive, a workbook or other binary data."""
    for magic, what in _MAGIC:
        if sample.startswith(magic):
            raise LeadFileError(f"{name}: this is {what}, not a CSV lead list")
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return
    if sample.count(0) > max(8, len(sample) // 100):
        raise LeadFileError(f"{name}: binary data (NUL bytes), not a CSV lead list")


def _utf16_without_bom(sample: bytes) -> str | None:
    """UTF-16 text without a BOM shows as a NUL in every other byte (ASCII digits and delimiters)."""
    even, odd = sample[0:4096:2], sample[1:4096:2]
    if len(even) < 8:
        return None
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def detect_encoding(sample: bytes, name: str = "the file") -> str:
    """The encoding of a file from its first bytes.

    A BOM decides (utf-8-sig, utf-16); then valid UTF-8 (a cut multibyte tail is fine) is utf-8, and a UTF-8 file
    with a few stray bytes stays utf-8 (those bytes are read as cp1252 one by one); otherwise charset-normalizer
    chooses among DETECTED_ENCODINGS. When no candidate reads as text, or two read about as well, LeadFileError
    lists the candidates and asks for ``--encoding``."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    utf16 = _utf16_without_bom(sample)
    if utf16 is not None:
        return utf16
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    stray = sample.decode("utf-8", errors="replace").count("\ufffd")
    if len(_UTF8_MULTIBYTE.findall(sample)) >= stray:
        return "utf-8"
    # The detector's own cut-off (0.2 in any chunk) drops real files (full-width digits and minus signs in phone
    # numbers read as "mess"); its mean chaos is judged here instead.
    found = from_bytes(sample, cp_isolation=list(DETECTED_ENCODINGS), threshold=_DETECTOR_THRESHOLD)
    matches = sorted(found, key=lambda m: m.chaos)
    readable = [m for m in matches if m.chaos < _CHAOS_CLEAR]
    if readable and (len(readable) == 1 or readable[1].chaos - readable[0].chaos >= _CHAOS_MARGIN):
        return codecs.lookup(readable[0].encoding).name
    candidates = [codecs.lookup(m.encoding).name for m in readable]
    if not candidates:
        anywhere = from_bytes(sample, threshold=_DETECTOR_THRESHOLD)
        candidates = [codecs.lookup(m.encoding).name for m in sorted(anywhere, key=lambda m: m.chaos)][:5]
    listed = ", ".join(candidates) if candidates else "none recognised"
    raise LeadFileError(
        f"{name}: cannot tell the file's encoding (candidates: {listed}); "
        f"name it with --encoding (e.g. --encoding {candidates[0] if candidates else 'cp932'})"
    )


def sniff_delimiter(sample: str) -> str:
    """The candidate delimiter that splits the first records into the most consistent, widest rows."""
    best, best_score = ",", (-1.0, 0)
    lines = sample.replace("\r\n", "\n").replace("\r", "\n").splitlines(keepends=True)
    if len(lines) > 1 and not lines[-1].endswith("\n"):
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


# -- records ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _LongLine:
    head: str  # the first MAX_LINE_CHARS characters
    length: int  # characters in the whole line


@dataclass(frozen=True, slots=True)
class _Record:
    first_line: int
    last_line: int
    cells: list[str]


@dataclass(frozen=True, slots=True)
class _BadRecord:
    first_line: int
    reason: RowErrorReason
    detail: str
    cells: list[str]
    column: int | None = None  # the over-long cell, when known


def _quote_open_after(line: str, delimiter: str, in_quote: bool) -> bool:
    """Is a quoted value still open at the end of ``line``? The csv module's rules: a quote opens a value only at
    the start of a field, ``""`` inside a quoted value is a literal quote, other quotes are literal."""
    i = 0
    n = len(line)
    while True:
        q = line.find('"', i)
        if in_quote:
            if q < 0:
                return True
            if q + 1 < n and line[q + 1] == '"':
                i = q + 2
                continue
            in_quote = False
            i = q + 1
            continue
        if q < 0:
            return False
        if q == 0 or line[q - 1] == delimiter:
            in_quote = True
        i = q + 1


class _RecordSource:
    """CSV records from decoded text, line by line, each bounded: a physical line longer than MAX_LINE_CHARS is
    read in pieces and reported; a quoted value still open after MAX_RECORD_LINES lines or MAX_CELL_CHARS
    characters (or at the end of the file) costs its first line only -- the lines after it are read again as
    records of their own. Memory is bounded by those limits whatever the file holds."""

    def __init__(self, text: TextIO, delimiter: str) -> None:
        self._text = text
        self._delimiter = delimiter
        self._pending: deque[tuple[int, str | _LongLine]] = deque()
        self._line = 0  # physical lines read from the stream

    def _next_line(self) -> tuple[int, str | _LongLine] | None:
        if self._pending:
            return self._pending.popleft()
        try:
            line = self._text.readline(MAX_LINE_CHARS)
        except UnicodeDecodeError as exc:
            raise LeadFileError(
                f"bytes after line {self._line} are not {self._text.encoding}: {exc.reason}; "
                "name the file's encoding with --encoding"
            ) from None
        if not line:
            return None
        self._line += 1
        if len(line) < MAX_LINE_CHARS or line.endswith("\n"):
            return self._line, line
        length = len(line)
        while True:  # skip the rest of the over-long line without holding it
            more = self._text.readline(MAX_LINE_CHARS)
            length += len(more)
            if not more or more.endswith("\n"):
                break
        return self._line, _LongLine(line, length)

    def _split(self, text: str) -> list[str]:
        return next(csv.reader([text], delimiter=self._delimiter, strict=False), [])

    def next_record(self, width: int | None) -> _Record | _BadRecord | None:
        """The next record, or None at the end of the file. ``width``: the header's width (a multi-line record
        with more cells than that is an unclosed quote that met another quote later)."""
        item = self._next_line()
        if item is None:
            return None
        first, line = item
        delim = self._delimiter
        if isinstance(line, _LongLine):
            cells = self._split(line.head)
            return _BadRecord(
                first,
                RowErrorReason.FIELD_TOO_LONG,
                f"the line has {line.length} characters",
                cells,
                column=max(len(cells) - 1, 0),
            )
        if '"' not in line:
            return _Record(first, first, line.rstrip("\r\n").split(delim))
        if not _quote_open_after(line, delim, False):
            return _Record(first, first, self._split(line))
        parts = [line]
        consumed: list[tuple[int, str | _LongLine]] = []
        chars = len(line)
        while len(parts) < MAX_RECORD_LINES and chars <= MAX_CELL_CHARS:
            nxt = self._next_line()
            if nxt is None:
                break
            consumed.append(nxt)
            if isinstance(nxt[1], _LongLine):
                break
            parts.append(nxt[1])
            chars += len(nxt[1])
            if not _quote_open_after(nxt[1], delim, True):
                cells = next(csv.reader(parts, delimiter=delim, strict=False), [])
                if width is None or len(cells) <= width or not any(c.strip() for c in cells[width:]):
                    return _Record(first, nxt[0], cells)
                break
        self._pending.extendleft(reversed(consumed))
        return _BadRecord(
            first,
            RowErrorReason.MALFORMED,
            f"unclosed quote: the quoted value opened on line {first} does not close within {MAX_RECORD_LINES} "
            f"lines or {MAX_CELL_CHARS} characters; line {first} was skipped and reading resumed at the next line",
            line.rstrip("\r\n").split(delim),
        )


# -- the reader -------------------------------------------------------------------------------------------------


def _looks_like_phone(cell: str) -> bool:
    digits = sum(ch.isdigit() for ch in cell)
    return digits >= 7 and digits >= len(cell.strip()) * 0.6


def _decode_sample(head: bytes, encoding: str) -> str:
    decoder = codecs.getincrementaldecoder(encoding)(errors="dialer-cp1252-fallback")
    try:
        return decoder.decode(head, final=False)
    except UnicodeDecodeError as exc:
        raise LeadFileError(f"the file is not {encoding}: {exc.reason}; name its encoding with --encoding") from None


class LeadCsvReader:
    """Iterate a lead CSV as ImportedLead | RowError; opening reads only the first 64 KiB to sniff the format.

    ``source``: a path or a binary stream. ``default_region``: ISO region for numbers without a country code
    (the campaign's ``default_region``). ``mapping``: column (header name or 1-based index) → field.
    ``encoding``: a Python codec name; None detects it (see `detect_encoding`).
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
        if default_region is not None and not known_region(default_region):
            raise LeadFileError(
                f"unknown region {default_region!r}: use an ISO 3166 code with numbering data (US, GB, DE, JP, CN, ...)"
            )
        default_region = default_region.upper() if default_region is not None else None
        self._own = False
        self.notices: list[str] = []  # what the importer decided for the user to know (shown by the CLI)
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
            self._open(default_region, mapping, encoding, delimiter, has_header)
        except LeadFileError:
            self.close()
            raise
        except OSError as exc:
            self.close()
            raise LeadFileError(f"{self.name}: cannot read: {exc}") from None

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
            raise LeadFileError(f"{self.name}: the file is empty")
        if encoding is not None:
            try:
                encoding = codecs.lookup(encoding).name
            except LookupError:
                raise LeadFileError(f"unknown encoding {encoding!r} (e.g. utf-8, cp932, gb18030, euc_jp)") from None
        else:
            refuse_binary(head, self.name)
            encoding = detect_encoding(head, self.name)
        if encoding in ("utf-8", "utf-16") and head.startswith(codecs.BOM_UTF8):
            encoding = "utf-8-sig"
        self.encoding = encoding
        sample = _decode_sample(head, encoding)
        if sample.startswith("\ufeff"):
            sample = sample[1:]
        controls = sum(1 for ch in sample[:8192] if ch < " " and ch not in "\t\r\n")
        if controls > max(8, len(sample[:8192]) // 100):
            raise LeadFileError(f"{self.name}: binary data (control characters), not a CSV lead list")
        if delimiter is not None and len(delimiter) != 1:
            raise LeadFileError(f"the delimiter must be one character, not {delimiter!r}")
        self.delimiter = delimiter or sniff_delimiter(sample)
        # Universal newlines: LF, CRLF and CR-only (Excel for Mac) files all read line by line.
        errors = "dialer-cp1252-fallback" if encoding.startswith("utf-8") else "strict"
        self._text: TextIO = io.TextIOWrapper(self._binary, encoding=encoding, errors=errors, newline=None)
        self._records = _RecordSource(self._text, self.delimiter)
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
            while isinstance(record, _Record) and not any(c.strip() for c in record.cells):
                record = self._records.next_record(None)  # blank lines before the header
            if not isinstance(record, _Record):
                raise LeadFileError(f"{self.name}: cannot read the header row")
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
                raise LeadFileError(f"--map {column}=...: the file has columns 1..{len(self.header)}")
            return i
        exact = [i for i, h in enumerate(self.header) if h == column]
        wanted = _norm_header(column)
        matches = exact or ([i for i, h in enumerate(self.header) if _norm_header(h) == wanted] if wanted else [])
        if len(matches) == 1:
            return matches[0]
        if matches:
            numbers = " and ".join(str(i + 1) for i in matches)
            raise LeadFileError(
                f"--map {column}=...: columns {numbers} are all named {column!r}; map by number (--map N=FIELD)"
            )
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
        for i in sorted(fmap):
            name = fmap[i]
            if name != self.header[i] and self.header.count(self.header[i]) > 1 and name not in known:
                self.notices.append(f"column {i + 1} repeats the header {self.header[i]!r}: its values go to {name!r}")
        singles = (f.value for f in LeadField if f not in (LeadField.PHONE, LeadField.ALT_PHONE, LeadField.SKIP))
        for single in singles:
            columns = [i for i, f in sorted(fmap.items()) if f == single]
            if len(columns) > 1:
                named = ", ".join(f"{i + 1} ({self.header[i]!r})" for i in columns)
                raise LeadFileError(
                    f"{self.name}: columns {named} are all read as {single}; keep one with "
                    f"--map {columns[-1] + 1}=skip (or map it to another field)"
                )
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
                self.notices.append(f"column {i + 1} ({self.header[i]!r}) is a second phone column: read as alt_phone")
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
        control = _CONTROL
        max_chars = MAX_CELL_CHARS

        while True:
            record = records.next_record(width)
            if record is None:
                return
            line = record.first_line
            if isinstance(record, _BadRecord):
                row_no += 1
                stats.rows += 1
                detail = record.detail
                if record.column is not None:
                    col = self.header[record.column] if record.column < width else f"column{record.column + 1}"
                    detail = f"{col}: more than {max_chars} characters, at most {max_chars} ({detail})"
                err = RowError(row_no, line, record.reason, detail, _cut(record.cells))
                stats.errors[err.reason] += 1
                yield err
                continue
            cells = record.cells
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                stats.blank_lines += 1
                continue
            row_no += 1
            stats.rows += 1

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
            consent_text = values.get("consent_at", "")
            consent_at = parse_consent_time(consent_text, parsed.zones) if consent_text else None
            if consent_text and consent_at is None:
                err = RowError(
                    row_no,
                    line,
                    RowErrorReason.BAD_CONSENT_TIME,
                    f"consent time {consent_text[:30]!r} is not a date and time (YYYY-MM-DD HH:MM)",
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

            first_name = clean_name(values.get("first_name", ""))
            last_name = clean_name(values.get("last_name", ""))
            full = values.get("name", "")
            if full and not first_name and not last_name:
                last_name, first_name = split_full_name(full)
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


class ErrorReportWriter:
    """Rejected rows as CSV, written as they come (an import never holds its errors in memory): row, line,
    reason, detail, then the original columns. Every cell is neutralised against formula injection."""

    def __init__(self, stream: TextIO, header: Iterable[str]) -> None:
        self._writer = csv.writer(stream, lineterminator="\r\n")
        self._writer.writerow(["row", "line", "reason", "detail", *(neutralise_formula(h) for h in header)])
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
