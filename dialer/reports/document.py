"""The neutral pieces a report hands to the renderers besides its own figures: a chart's series.

A report says *what* to draw (labels, values, how a value reads, the scale); :mod:`dialer.reports.render.svg`
draws any series the same way."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Series:
    """One bar per label; ``None`` = no bar. ``value_format`` formats a value (axis ticks, tooltips);
    ``y_max`` fixes the scale (else the largest value); ``reference`` draws a dashed line (value, label)."""

    title: str
    labels: tuple[str, ...]
    values: tuple[float | None, ...]
    value_format: str = "{:.0%}"
    y_max: float | None = None
    reference: tuple[float, str] | None = None
