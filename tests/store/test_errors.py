"""The store's error and URL API (no caller outside dialer/store names a database driver), and what the CLI makes
of a database it cannot use: one line naming the database without its password, no traceback."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from harness.ports import free_port
from sqlalchemy import text
from typer.testing import CliRunner

from dialer.cli import app
from dialer.store import open_database
from dialer.store.errors import database_unreachable, is_database_error
from dialer.store.urls import redacted_url, url_with_password


async def test_a_failed_statement_is_a_database_error(tmp_path: Path) -> None:
    async with open_database(f"sqlite+aiosqlite:///{tmp_path / 'e.db'}") as db:
        with pytest.raises(Exception, match="no_such_table") as raised:
            async with db.read() as conn:
                await conn.execute(text("SELECT * FROM no_such_table"))
    assert is_database_error(raised.value)
    assert not database_unreachable(ValueError("bad input"))


def test_what_is_and_is_not_a_database_error() -> None:
    assert is_database_error(sqlite3.OperationalError("database is locked"))
    assert not is_database_error(ValueError("bad input"))
    assert not is_database_error(KeyError("x"))


def test_urls_hide_or_set_the_password() -> None:
    url = "postgresql+asyncpg://dialer:s3cret@db:5432/dialer"
    assert "s3cret" not in redacted_url(url)
    assert redacted_url(url) == "postgresql+asyncpg://dialer:***@db:5432/dialer"
    with_secret = url_with_password("postgresql+asyncpg://dialer@db/dialer", "p@ss/word")
    assert with_secret.startswith("postgresql+asyncpg://dialer:")
    assert redacted_url(with_secret) == "postgresql+asyncpg://dialer:***@db/dialer"


def test_the_cli_reports_an_unreachable_database_in_one_line(monkeypatch: pytest.MonkeyPatch, cli: CliRunner) -> None:
    url = f"postgresql+asyncpg://dialer:s3cret@127.0.0.1:{free_port()}/dialer"
    monkeypatch.setenv("DIALER_DATABASE_URL", url)  # over the test's own (the cli fixture's)
    result = cli.invoke(app, ["campaign", "list"])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert "s3cret" not in result.output
    assert "database postgresql+asyncpg://dialer:***@127.0.0.1:" in result.output


async def test_time_statements_reports_every_statement(tmp_path: Path) -> None:
    seen: list[tuple[str, float]] = []
    async with open_database(f"sqlite+aiosqlite:///{tmp_path / 't.db'}") as db:
        db.time_statements(lambda statement, seconds: seen.append((statement, seconds)))
        async with db.write() as conn:
            await conn.execute(text("CREATE TABLE t (x INTEGER)"))
            await conn.execute(text("INSERT INTO t VALUES (1)"))
    statements = [s for s, _ in seen]
    assert "CREATE TABLE t (x INTEGER)" in statements
    assert "INSERT INTO t VALUES (1)" in statements
    assert any(s.startswith("BEGIN IMMEDIATE") for s in statements)  # SQLite writes wait for the lock here
    assert all(seconds >= 0 for _, seconds in seen)
