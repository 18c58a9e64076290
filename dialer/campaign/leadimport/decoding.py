"""A lead file's encoding and delimiter, found from its first bytes; binary files refused as a whole."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter

from charset_normalizer import from_bytes

from dialer.campaign.leadimport.model import DELIMITERS, LeadFileError
from dialer.i18n import M_
from dialer.i18n.library import decode_reason

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
            raise LeadFileError(M_("{name}: this is {what}, not a CSV lead list", name=name, what=what))
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return
    if sample.count(0) > max(8, len(sample) // 100):
        raise LeadFileError(M_("{name}: binary data (NUL bytes), not a CSV lead list", name=name))


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
        M_(
            "{name}: cannot tell the file's encoding (candidates: {listed}); name it with --encoding (e.g. "
            "--encoding {example})",
            name=name,
            listed=listed,
            example=candidates[0] if candidates else "cp932",
        )
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


def decode_sample(head: bytes, encoding: str) -> str:
    decoder = codecs.getincrementaldecoder(encoding)(errors="dialer-cp1252-fallback")
    try:
        return decoder.decode(head, final=False)
    except UnicodeDecodeError as exc:
        raise LeadFileError(
            M_(
                "the file is not {encoding}: {reason}; name its encoding with --encoding",
                encoding=encoding,
                reason=decode_reason(exc.reason),
            )
        ) from None
