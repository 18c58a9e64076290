"""`dialer service install`: the shipped systemd unit, filled in, accepted by `systemd-analyze verify`."""

from __future__ import annotations

import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dialer.cli import app
from dialer.commands.service import UnitOptions, render_unit


@pytest.fixture(autouse=True)
def _no_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DIALER_CONFIG", raising=False)
    monkeypatch.setenv("DIALER_DRAIN_TIMEOUT_SECONDS", "200")


def directives(unit: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in unit.splitlines():
        if line and not line.startswith(("#", "[")) and "=" in line:
            key, value = line.split("=", 1)
            found.setdefault(key, []).append(value)
    return found


def dry_run(*args: str) -> str:
    result = CliRunner().invoke(app, ["service", "install", "--dry-run", "--prefix", sys.prefix, *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_dry_run_prints_a_notify_unit_with_watchdog_and_hardening() -> None:
    d = directives(dry_run())
    assert d["Type"] == ["notify"]
    assert d["NotifyAccess"] == ["main"]
    assert d["WatchdogSec"] == ["30"]
    assert d["Restart"] == ["on-failure"]
    assert d["ExecStart"] == [f"{Path(sys.prefix).absolute()}/bin/dialer run"]
    assert d["EnvironmentFile"] == ["-/etc/dialer/dialer.env"]
    assert d["User"] == ["dialer"]
    # systemd must wait longer than the drain before it SIGKILLs (drain 200 s here).
    assert int(d["TimeoutStopSec"][0]) > 200
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ReadWritePaths": "/var/lib/dialer",
        "PrivateTmp": "yes",
        "ProtectHome": "yes",
        "CapabilityBoundingSet": "",
    }.items():
        assert d[key] == [value], key


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path) -> None:
    unit = tmp_path / "dialer.service"
    unit.write_text(dry_run(), encoding="utf-8")
    run = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60, check=False
    )
    # verify exits 0 on unknown keys or bad values (it only warns): any line about our unit is a failure.
    complaints = [line for line in (run.stdout + run.stderr).splitlines() if "dialer.service" in line]
    assert run.returncode == 0, run.stdout + run.stderr
    assert not complaints, run.stdout + run.stderr


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_the_verify_check_catches_a_broken_unit(tmp_path: Path) -> None:
    unit = tmp_path / "dialer.service"
    unit.write_text(dry_run().replace("WatchdogSec=30", "WatchdogSec=thirty"), encoding="utf-8")
    run = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, check=False)
    assert "dialer.service" in run.stdout + run.stderr


def test_install_writes_the_unit_and_a_starting_config(tmp_path: Path) -> None:
    units, config = tmp_path / "units", tmp_path / "etc"
    result = CliRunner().invoke(
        app,
        ["service", "install", "--prefix", sys.prefix, "--unit-dir", str(units), "--config-dir", str(config)],
    )
    assert result.exit_code == 0, result.output
    unit = units / "dialer.service"
    assert directives(unit.read_text())["Type"] == ["notify"]
    assert stat.S_IMODE(unit.stat().st_mode) == 0o644
    assert (config / "dialer.toml").read_text().startswith("# dialer.example.toml")
    # A second install keeps the operator's edited settings.
    (config / "dialer.toml").write_text("log_level = 'DEBUG'\n")
    again = CliRunner().invoke(
        app,
        ["service", "install", "--prefix", sys.prefix, "--unit-dir", str(units), "--config-dir", str(config)],
    )
    assert again.exit_code == 0, again.output
    assert (config / "dialer.toml").read_text() == "log_level = 'DEBUG'\n"


def test_install_refuses_a_prefix_without_the_dialer(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["service", "install", "--prefix", str(tmp_path), "--unit-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "not an executable" in result.output
    assert not (tmp_path / "dialer.service").exists()


def test_values_that_would_break_the_unit_are_refused() -> None:
    with pytest.raises(ValueError, match="user"):
        render_unit(UnitOptions(executable=Path("/usr/bin/dialer"), user="dialer\nExecStartPre=/bin/sh"))
    with pytest.raises(ValueError, match="absolute"):
        render_unit(UnitOptions(executable=Path("bin/dialer")))
