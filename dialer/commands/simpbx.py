"""`dialer sim-pbx`: run the simulated Asterisk (AMI over TCP) on its own."""

from __future__ import annotations

import typer


def sim_pbx(ctx: typer.Context) -> None:
    """Run the simulated PBX."""
    raise typer.Exit(1)
