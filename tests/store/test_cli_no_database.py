"""A command that only reads (``db current``, reports, exports, lists and statuses) on a SQLite path where there
is no database (a mistyped path) says so in one line and exits 1: it creates no empty database there."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness.cli import run
from typer.testing import CliRunner


@pytest.mark.parametrize(
    "args",
    [
        ("db", "current"),
        ("db", "current", "--json"),
        ("report", "agents"),
        ("report", "compliance", "--campaign", "spring-sale"),
        ("leads", "export", "--campaign", "spring-sale", "-o", "-"),
        ("leads", "status", "--campaign", "spring-sale"),
        ("leads", "imports"),
        ("dnc", "export", "-o", "-"),
        ("dnc", "check", "+14155550101"),
        ("lists", "show", "--campaign", "spring-sale"),
        ("campaign", "list"),
        ("user", "list"),
        ("report", "schedule", "list"),
    ],
)
def test_a_read_only_command_creates_no_database(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    typo = tmp_path / "typo" / "dialr.db"
    monkeypatch.setenv("DIALER_DATABASE_URL", f"sqlite+aiosqlite:///{typo}")
    code, out, err = run(cli, *args)
    assert (code, out) == (1, "")
    assert err == f"error: no database at {typo} (`dialer db upgrade` creates one)\n"
    assert not typo.exists()
    assert not typo.parent.exists()


def test_the_reports_database_option_is_not_created_either(cli: CliRunner, tmp_path: Path) -> None:
    typo = tmp_path / "old.db"
    code, _, err = run(cli, "report", "agents", "--database", f"sqlite+aiosqlite:///{typo}")
    assert code == 1
    assert err == f"error: no database at {typo} (`dialer db upgrade` creates one)\n"
    assert not typo.exists()


def test_db_upgrade_still_creates_it(cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    new = tmp_path / "new.db"
    monkeypatch.setenv("DIALER_DATABASE_URL", f"sqlite+aiosqlite:///{new}")
    assert run(cli, "db", "upgrade")[0] == 0
    code, out, _ = run(cli, "db", "current")
    assert code == 0
    assert "up to date" in out
