"""`dialer leads ...` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="leads commands.", no_args_is_help=True)
