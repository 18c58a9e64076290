"""`dialer dnc ...` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="dnc commands.", no_args_is_help=True)
