"""`dialer service install`: the systemd unit shipped with the package, filled in for this installation.

The unit (dialer/ops/dialer.service) runs `dialer run` as Type=notify with a watchdog, restarts on failure, waits
longer than the drain timeout on stop (a drain cut short, EXIT_DRAIN_CUT_SHORT, is a stop, not a failure), reads
/etc/dialer/dialer.toml and /etc/dialer/dialer.env, and is hardened (read-only system, writable /var/lib/dialer only,
no capabilities).
"""

from __future__ import annotations

import math
import os
import shutil
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from dialer.commands.common import cli_context, fail, failing
from dialer.i18n import _
from dialer.ops.shutdown import EXIT_DRAIN_CUT_SHORT

app = typer.Typer(help="Run the dialer under systemd.", no_args_is_help=True)

UNIT_NAME = "dialer.service"
# Seconds systemd waits beyond the drain deadline before SIGKILL: interrupting left-over calls and closing up.
STOP_MARGIN_SECONDS = 30


@dataclass(frozen=True, slots=True)
class UnitOptions:
    executable: Path
    user: str = "dialer"
    group: str = "dialer"
    stop_timeout_seconds: int = 150


def unit_template() -> str:
    return resources.files("dialer.ops").joinpath(UNIT_NAME).read_text(encoding="utf-8")


def render_unit(options: UnitOptions) -> str:
    """The unit with this installation's values; refuses values that would break the unit's syntax."""
    for label, value in (("executable", str(options.executable)), ("user", options.user), ("group", options.group)):
        if not value or any(ch.isspace() or ch in "\"'\\%$;" for ch in value):
            raise ValueError(f"{label} {value!r} cannot go into a systemd unit (no spaces, quotes, %, $ or ;)")
    if not options.executable.is_absolute():
        raise ValueError(f"executable {options.executable} must be an absolute path")
    return (
        unit_template()
        .replace("@EXEC@", str(options.executable))
        .replace("@USER@", options.user)
        .replace("@GROUP@", options.group)
        .replace("@STOP_TIMEOUT@", str(options.stop_timeout_seconds))
        .replace("@DRAIN_CUT_SHORT@", str(EXIT_DRAIN_CUT_SHORT))
    )


def stop_timeout_for(drain_timeout_seconds: float) -> int:
    return math.ceil(drain_timeout_seconds) + STOP_MARGIN_SECONDS


@app.command("install")
def install(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the unit and the planned steps; write nothing.")
    ] = False,
    prefix: Annotated[
        Path | None,
        typer.Option(help="Installation prefix holding bin/dialer (default: this Python environment)."),
    ] = None,
    unit_dir: Annotated[Path, typer.Option(help="Where the unit file goes.")] = Path("/etc/systemd/system"),
    config_dir: Annotated[Path, typer.Option(help="Where dialer.toml and dialer.env live.")] = Path("/etc/dialer"),
    user: Annotated[str, typer.Option(help="System user the daemon runs as.")] = "dialer",
    group: Annotated[str | None, typer.Option(help="Its group (default: same as --user).")] = None,
) -> None:
    """Install the systemd unit (and a starting /etc/dialer/dialer.toml when there is none)."""
    settings = cli_context(ctx).settings()
    root = (prefix or Path(sys.prefix)).absolute()
    executable = root / "bin" / "dialer"
    if not dry_run and not os.access(executable, os.X_OK):
        fail(
            _("{path} is not an executable: pass --prefix with the environment the dialer is installed in").format(
                path=executable
            )
        )
    with failing(ValueError):
        unit = render_unit(
            UnitOptions(
                executable=executable,
                user=user,
                group=group or user,
                stop_timeout_seconds=stop_timeout_for(settings.drain_timeout_seconds),
            )
        )
    unit_path = unit_dir / UNIT_NAME
    config_path = config_dir / "dialer.toml"
    if dry_run:
        sys.stdout.write(unit)
        steps = [_("would write {path}").format(path=unit_path)]
        if not config_path.exists():
            steps.append(_("would write {path} (from the example settings)").format(path=config_path))
        for step in steps:
            typer.echo(f"# {step}", err=True)
        return
    try:
        unit_dir.mkdir(parents=True, exist_ok=True)
        unit_path.write_text(unit, encoding="utf-8")
        unit_path.chmod(0o644)
        if not config_path.exists():
            config_dir.mkdir(parents=True, exist_ok=True)
            example = resources.files("dialer").joinpath("dialer.example.toml")
            with resources.as_file(example) as source:
                shutil.copyfile(source, config_path)
            config_path.chmod(0o640)
            typer.echo(_("wrote {path} (edit database_url and the [[ami]] servers)").format(path=config_path))
    except OSError as exc:
        fail(_("cannot install the unit: {error}").format(error=exc))
    typer.echo(_("wrote {path}").format(path=unit_path))
    typer.echo(
        _("next:") + "\n"
        f"  useradd --system --home-dir /var/lib/dialer --shell /usr/sbin/nologin {user}   # once\n"
        f"  chgrp {group or user} {config_path}\n"
        "  systemctl daemon-reload && systemctl enable --now dialer\n"
        "  journalctl -u dialer -f"
    )
