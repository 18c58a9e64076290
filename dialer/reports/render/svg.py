"""The SVG renderer: hand-written, self-contained bar charts (no dependencies, no scripts) of the reports' series."""

from __future__ import annotations

from dialer.reports.document import Series
from dialer.reports.render.markup import esc


def bar_chart(series: Series, *, width: int = 720, height: int = 320) -> str:
    """A self-contained SVG bar chart (no dependencies, no scripts): one bar per label, None = no bar."""
    title, labels, values = series.title, series.labels, series.values
    value_format, y_max, reference = series.value_format, series.y_max, series.reference
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
