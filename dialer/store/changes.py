"""The columns an update changes, from keyword arguments: an argument not given leaves its column as it is.

``not_none`` for the settings whose None means "unchanged"; ``not_unset`` for nullable ones, where None clears
the column and ``UNSET`` (the default of such a keyword) leaves it.
"""

from __future__ import annotations

from typing import Any

UNSET: Any = object()  # the default of a keyword whose None clears a column


def not_none(**values: object) -> dict[str, object]:
    """The values given (None: unchanged)."""
    return {name: value for name, value in values.items() if value is not None}


def not_unset(**values: object) -> dict[str, object]:
    """The values given (UNSET: unchanged; None clears the column)."""
    return {name: value for name, value in values.items() if value is not UNSET}
