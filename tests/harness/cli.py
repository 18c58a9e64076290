"""The ``dialer`` command line run in-process (typer's CliRunner; the ``cli`` fixture of tests/conftest.py gives
one pointed at the test's own settings), or as a process of its own (:func:`dialer_process`)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import typer.main
import typer.testing
from typer.testing import CliRunner

from dialer.cli import app

# The campaign the CLI tests apply, and a leads file with good, bad, duplicate and multi-line rows.
CAMPAIGN = """
name = "spring-sale"
queue = "sales"
trunk = "PJSIP/{number}@carrier"
caller_id = { number = "+14155550100", name = "Acme" }
"""

LEADS = (
    "phone,first_name,last_name,zip,company\n"
    "+1 415 555 0101,Ann,Lee,94110,Acme\n"
    "4155550102,Bob,Ray,10001,Bcorp\n"
    "not a phone,X,Y,1,\n"
    "(415) 555-0101,Dup,Licate,94110,\n"
    "+14155550103,Cy,Do,,\n"
    '"+1 212 555 0104","Multi\nLine",Name,10001,"=HYPERLINK(""x"")"\n'
)


def build_commands_once() -> None:
    """typer's CliRunner builds the click command from the Typer app on every ``invoke`` (a fifth of a second for
    dialer's: it reads every command's signature and type hints), the most of a CLI test's time. The command is the
    same each time (help and messages are translated as they are shown, not when it is built): built once per app
    (tests/conftest.py calls this before any test)."""
    built: dict[int, tuple[typer.Typer, Any]] = {}

    def get_command(app: typer.Typer) -> Any:
        known = built.get(id(app))
        if known is None or known[0] is not app:
            known = built[id(app)] = (app, typer.main.get_command(app))
        return known[1]

    typer.testing._get_command = get_command  # type: ignore[attr-defined,assignment]  # what invoke calls


def run(cli: CliRunner, *args: str) -> tuple[int, str, str]:
    """``dialer ARGS...``: its exit code, standard output and standard error."""
    result = cli.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def apply_spring_sale(cli: CliRunner, where: Path) -> str:
    """:data:`CAMPAIGN` applied from a file written in ``where``; its name."""
    path = where / "spring.toml"
    path.write_text(CAMPAIGN, encoding="utf-8")
    code, _, err = run(cli, "campaign", "apply", str(path))
    assert code == 0, err
    return "spring-sale"


def dialer_process(
    args: Sequence[str], *, cwd: Path, env: Mapping[str, str], timeout: float = 180.0
) -> subprocess.CompletedProcess[str]:
    """``python -m dialer ARGS...`` as a process of its own, in ``cwd`` with exactly ``env``: its exit code and
    its output as text (never raising for a failed command)."""
    return subprocess.run(
        [sys.executable, "-m", "dialer", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=dict(env),
        timeout=timeout,
        check=False,
    )
