"""Benchmark module (see dialer/commands/bench.py for the contract)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's command(s) to `dialer bench`."""


def run_default() -> None:
    """Run at the default size and print the figures."""
