"""What every report shares: the date range, formula-safe CSV, HTML escaping and hand-written SVG bar charts."""

from __future__ import annotations

import csv
import html
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TextIO

from dialer.campaign.leadimport import neutralise_formula


class ReportError(ValueError):
    """A report cannot be built as asked (bad range, unknown campaign ...); the message says why."""


@dataclass(frozen=True, slots=True)
class ReportRange:
    """Attempts started in ``[start, end)``; None = unbounded. Both tz-aware."""

    start: datetime | None = None
    end: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if value is not None and value.utcoffset() is None:
                raise ReportError(f"{name} {value.isoformat()} has no time zone")
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ReportError(f"the range ends ({self.end.isoformat()}) before it starts ({self.start.isoformat()})")

    def widened(self, before: timedelta) -> ReportRange:
        """The same range starting ``before`` earlier (history a rule looks back on)."""
        return ReportRange(None if self.start is None else self.start - before, self.end)

    def as_json(self) -> dict[str, str | None]:
        return {"from": iso(self.start), "to": iso(self.end)}


# Dates a report may name: later arithmetic (the day after an end date, time zones) stays inside datetime's range.
REPORT_YEARS = (1970, 2999)


def parse_when(value: str | None, *, end: bool) -> datetime | None:
    """A date (``YYYY-MM-DD``: the whole day, so an end date includes that day) or an ISO 8601 date-time; UTC when
    no zone is given. Raises ReportError."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            day = datetime.combine(date.fromisoformat(text), time(0), UTC)
            parsed = day + timedelta(days=1) if end else day
        else:
            parsed = datetime.fromisoformat(text)
    except OverflowError:  # 9999-12-31 as an end date: its day after does not exist
        parsed = datetime.max.replace(tzinfo=UTC)
    except ValueError:
        raise ReportError(
            f"{'to' if end else 'from'} {value!r}: expected YYYY-MM-DD or an ISO 8601 date-time"
        ) from None
    if not REPORT_YEARS[0] <= parsed.year <= REPORT_YEARS[1]:
        raise ReportError(f"{'to' if end else 'from'} {value!r}: outside the years {REPORT_YEARS[0]}-{REPORT_YEARS[1]}")
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def parse_report_range(start: str | None, end: str | None) -> ReportRange:
    """The range of ``--from``/``--to`` (or ``?from=&to=`` query parameters). Raises ReportError."""
    return ReportRange(parse_when(start, end=False), parse_when(end, end=True))


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def ratio(part: float, whole: float) -> float | None:
    """part ÷ whole, or None when there is nothing to divide by (never a misleading 0 %)."""
    return part / whole if whole else None


def seconds_between(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max((end - start).total_seconds(), 0.0)


# -- CSV --------------------------------------------------------------------------------------------------------

Cell = str | int | float | bool | None


def safe_cell(value: Cell | datetime) -> str | int | float:
    """A CSV cell a spreadsheet will not execute: text starting with = + - @ tab or CR is quoted with a leading
    apostrophe (OWASP CSV injection); numbers stay numbers, None is empty, datetimes are ISO 8601."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            return ""
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return neutralise_formula(value)


def write_csv(stream: TextIO, header: Sequence[str], rows: Iterable[Sequence[Cell | datetime]]) -> int:
    """Formula-safe CSV (RFC 4180 line ends). Returns the number of data rows."""
    csv.writer(stream, lineterminator="\r\n").writerow([safe_cell(h) for h in header])
    return write_rows(stream, rows)


def write_rows(stream: TextIO, rows: Iterable[Sequence[Cell | datetime]]) -> int:
    """More formula-safe data rows (after a header written by :func:`write_csv`)."""
    writer = csv.writer(stream, lineterminator="\r\n")
    n = 0
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
        n += 1
    return n


# -- HTML -------------------------------------------------------------------------------------------------------

PRINT_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#111}
h1{font-size:1.5em;margin:0 0 .2em}h2{font-size:1.15em;margin:1.4em 0 .4em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.4em 0}td,th{border:1px solid #bbb;padding:.2em .6em;text-align:left}
th{background:#eee}td.n{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#075;font-weight:600}.bad{color:#b00;font-weight:700}.note{color:#555;font-size:.9em}
@media print{body{margin:1cm}h2{break-after:avoid}table{break-inside:avoid}}
"""


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def html_page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title><style>{PRINT_CSS}</style></head><body>\n{body}\n</body></html>\n"
    )


def html_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = []
        for v in row:
            numeric = isinstance(v, int | float) and not isinstance(v, bool)
            cells.append(f'<td class="n">{esc(v)}</td>' if numeric else f"<td>{esc(v)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def pct(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value * 100:.{digits}f} %"


def verdict(ok: bool | None) -> str:
    if ok is None:
        return '<span class="note">not measurable</span>'
    return '<span class="ok">PASS</span>' if ok else '<span class="bad">FAIL</span>'


# -- SVG --------------------------------------------------------------------------------------------------------


def svg_bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    value_format: str = "{:.0%}",
    y_max: float | None = None,
    width: int = 720,
    height: int = 320,
    reference: tuple[float, str] | None = None,
) -> str:
    """A self-contained SVG bar chart (no dependencies, no scripts): one bar per label, None = no bar."""
    margin_left, margin_right, margin_top, margin_bottom = 48, 16, 36, 48
    plot_w = width - margin_left - margin_right
    plot_h = height - margin_top - margin_bottom
    present = [v for v in values if v is not None]
    top = y_max if y_max is not None else max([*present, reference[0] if reference else 0.0, 0.0]) or 1.0
    n = max(len(labels), 1)
    slot = plot_w / n
    bar = min(slot * 0.7, 64.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        f"<title>{esc(title)}</title>",
        f'<rect width="{width}" height="{height}" fill="#fff"/>',
        f'<text x="{width / 2:.1f}" y="20" text-anchor="middle" font-size="14">{esc(title)}</text>',
        f'<line x1="{margin_left}" y1="{margin_top + plot_h}" x2="{margin_left + plot_w}" '
        f'y2="{margin_top + plot_h}" stroke="#333"/>',
        f'<line x1="{margin_left}" y1="{margin_top}" x2="{margin_left}" y2="{margin_top + plot_h}" stroke="#333"/>',
    ]
    for k in range(5):
        tick = top * k / 4
        y = margin_top + plot_h - plot_h * k / 4
        parts.append(
            f'<text x="{margin_left - 4}" y="{y + 4:.1f}" text-anchor="end">{esc(value_format.format(tick))}</text>'
            f'<line x1="{margin_left}" y1="{y:.1f}" x2="{margin_left + plot_w}" y2="{y:.1f}" stroke="#eee"/>'
        )
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = margin_left + slot * i + (slot - bar) / 2
        if value is not None:
            h = plot_h * min(value / top, 1.0) if top else 0.0
            y = margin_top + plot_h - h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="#3b6ea5">'
                f"<title>{esc(label)}: {esc(value_format.format(value))}</title></rect>"
            )
        parts.append(
            f'<text x="{x + bar / 2:.1f}" y="{margin_top + plot_h + 14}" text-anchor="middle">{esc(label)}</text>'
        )
    if reference is not None:
        ref_value, ref_label = reference
        y = margin_top + plot_h - plot_h * min(ref_value / top, 1.0)
        parts.append(
            f'<line x1="{margin_left}" y1="{y:.1f}" x2="{margin_left + plot_w}" y2="{y:.1f}" stroke="#b00" '
            f'stroke-dasharray="4 3"/><text x="{margin_left + plot_w}" y="{y - 4:.1f}" text-anchor="end" '
            f'fill="#b00">{esc(ref_label)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
