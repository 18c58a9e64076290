"""`dialer run` that cannot start (its database unreachable, its HTTP port taken) says why in one line and exits 1:
no traceback, no password, nothing left half-started."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from harness.cli import dialer_process
from harness.ports import free_port


def _env(tmp_path: Path, **settings: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DIALER_")}
    return {
        **base,
        "DIALER_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'run.db'}",
        "DIALER_VAR_DIR": str(tmp_path / "var"),
        "DIALER_FASTAGI__PORT": str(free_port()),
        "DIALER_AMI__0__PORT": str(free_port()),
        "DIALER_HTTP__PORT": str(free_port()),
        **settings,
    }


def test_an_unreachable_database_is_one_line_without_its_password(tmp_path: Path) -> None:
    url = f"postgresql+asyncpg://dialer:hunter2secret@127.0.0.1:{free_port()}/dialer"
    result = dialer_process(["run"], cwd=tmp_path, env=_env(tmp_path, DIALER_DATABASE_URL=url), timeout=120)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "hunter2secret" not in result.stderr + result.stdout
    assert result.stderr.strip().splitlines()[-1].startswith("error: database postgresql+asyncpg://dialer:***@")


def test_an_http_port_in_use_is_one_line_and_everything_started_is_stopped(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = dialer_process(["run"], cwd=tmp_path, env=_env(tmp_path, DIALER_HTTP__PORT=str(port)), timeout=120)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "asynchronous generator" not in result.stderr  # (the database and AMI contexts were closed)
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: cannot listen: ")
    assert str(port) in last
    assert "[http] port" in last
