"""Reports: whatever :mod:`dialer.reports` provides (built by another engineer), listed for the dashboard."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import dialer.reports


def available_reports() -> list[dict[str, Any]]:
    """Each module of dialer.reports with its docstring's first line (the dashboard links what exists)."""
    found = []
    for module in pkgutil.iter_modules(dialer.reports.__path__):
        if module.name.startswith("_"):
            continue
        try:
            mod = importlib.import_module(f"dialer.reports.{module.name}")
        except Exception as exc:  # a report module under construction must not break the API
            found.append({"name": module.name, "summary": f"unavailable: {exc}"})
            continue
        doc = (mod.__doc__ or "").strip().splitlines()
        found.append({"name": module.name, "summary": doc[0] if doc else ""})
    return found
