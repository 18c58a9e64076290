"""The ``dialer`` command line run in-process (typer's CliRunner; the ``cli`` fixture of tests/conftest.py gives
one pointed at the test's own settings)."""

from __future__ import annotations

from typer.testing import CliRunner

from dialer.cli import app


def run(cli: CliRunner, *args: str) -> tuple[int, str, str]:
    """``dialer ARGS...``: its exit code, standard output and standard error."""
    result = cli.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr
