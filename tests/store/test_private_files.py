"""Files holding people's names and numbers are owner-only: import error reports, exports, report pages and the
SQLite database (0600), in the folders the dialer creates for them (0700); an operator's tighter umask stays."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness.cli import LEADS, apply_spring_sale, run
from typer.testing import CliRunner

from dialer.demo import demo_settings
from dialer.private_files import create_private_file, make_private_dir, private_file_opener
from dialer.settings import Settings


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def applied(cli: CliRunner, tmp_path: Path) -> str:
    return apply_spring_sale(cli, tmp_path)


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask (files 0644 by default): what the dialer writes must not follow it."""
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def test_the_sqlite_database_and_its_wal_files_are_owner_only(
    cli: CliRunner, applied: str, tmp_path: Path, umask_022: None
) -> None:
    database = tmp_path / "cli.db"
    assert mode(database) == 0o600
    for companion in (tmp_path / "cli.db-wal", tmp_path / "cli.db-shm"):
        if companion.exists():
            assert mode(companion) == 0o600


def test_a_new_database_folder_is_owner_only(tmp_path: Path, umask_022: None) -> None:
    created = create_private_file(tmp_path / "a" / "b" / "dialer.db")
    assert created
    assert (mode(tmp_path / "a"), mode(tmp_path / "a" / "b")) == (0o700, 0o700)
    assert mode(tmp_path / "a" / "b" / "dialer.db") == 0o600
    assert not create_private_file(tmp_path / "a" / "b" / "dialer.db")  # there already: left as it is


def test_the_import_error_report_and_its_folders_are_owner_only(
    cli: CliRunner, applied: str, tmp_path: Path, umask_022: None
) -> None:
    leads = tmp_path / "leads.csv"
    leads.write_text(LEADS, encoding="utf-8")
    code, out, _ = run(cli, "leads", "import", str(leads), "--campaign", applied)
    assert code == 0
    errors_file = Path(json.loads(out)["errors_file"])
    assert mode(errors_file) == 0o600
    assert mode(errors_file.parent) == 0o700  # var/import-errors
    assert mode(tmp_path / "var") == 0o700  # the var dir, created for it


@pytest.mark.parametrize(
    "args",
    [
        ("leads", "export", "--campaign", "spring-sale", "-o", "{out}"),
        ("dnc", "export", "-o", "{out}"),
        ("report", "compliance", "--campaign", "spring-sale", "--html", "{out}"),
        ("report", "performance", "--campaign", "spring-sale", "--chart", "{out}"),
        ("report", "agents", "--html", "{out}"),
    ],
)
def test_exports_and_report_pages_are_owner_only(
    cli: CliRunner, applied: str, tmp_path: Path, umask_022: None, args: tuple[str, ...]
) -> None:
    out = tmp_path / "out.file"
    code, _, stderr = run(cli, *(a.format(out=out) for a in args))
    assert code == 0, stderr
    assert mode(out) == 0o600


def test_a_tighter_umask_stays(tmp_path: Path) -> None:
    before = os.umask(0o277)
    try:
        make_private_dir(tmp_path / "d")
        with open(tmp_path / "d" / "f", "w", opener=private_file_opener) as f:
            f.write("x")
        modes = mode(tmp_path / "d"), mode(tmp_path / "d" / "f")
    finally:
        os.umask(before)
        (tmp_path / "d").chmod(0o700)
    assert modes == (0o500, 0o400)


def test_the_demos_var_folder_is_owner_only(tmp_path: Path, umask_022: None) -> None:
    var = tmp_path / "fresh" / "var"
    demo_settings(Settings(var_dir=var), 5038)
    assert (mode(tmp_path / "fresh"), mode(var)) == (0o700, 0o700)
