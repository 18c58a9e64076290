"""Ops tier fixtures: databases several daemons share (the worlds live in harness/ops.py and harness/servers.py)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from harness import databases
from harness.databases import BOTH_DATABASES, DbSpec, database_spec, pg_schema


@pytest.fixture
async def pg_spec() -> AsyncIterator[DbSpec]:
    async with pg_schema() as spec:
        yield spec


@pytest.fixture(params=BOTH_DATABASES)
async def any_spec(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[DbSpec]:
    """SQLite (a temporary file) and the real PostgreSQL."""
    async with database_spec(request.param, tmp_path / "ops.db") as spec:
        yield spec


@pytest.fixture
def sqlite_spec(tmp_path: Path) -> DbSpec:
    return databases.sqlite_spec(tmp_path / "ops.db")


@pytest.fixture
def notify_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> socket.socket:
    """A datagram socket bound as $NOTIFY_SOCKET (harness.systemd.next_message reads it)."""
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.setblocking(False)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    return sock
