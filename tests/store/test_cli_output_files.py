"""A file a command writes (an export, a report's page or chart) that cannot be written ends the command naming
that file -- not the database, and without a traceback -- and the report is not printed half."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness.cli import apply_spring_sale, run
from typer.testing import CliRunner


@pytest.fixture
def applied(cli: CliRunner, tmp_path: Path) -> str:
    return apply_spring_sale(cli, tmp_path)


@pytest.mark.parametrize(
    ("args", "written"),
    [
        (("leads", "export", "--campaign", "spring-sale", "-o", "{out}"), "{out}"),
        (("dnc", "export", "-o", "{out}"), "{out}"),
        (("report", "compliance", "--campaign", "spring-sale", "--html", "{out}"), "{out}"),
        (("report", "performance", "--campaign", "spring-sale", "--html", "{out}"), "{out}"),
        (("report", "performance", "--campaign", "spring-sale", "--chart", "{out}"), "{out}"),
        (("report", "agents", "--html", "{out}"), "{out}"),
    ],
)
def test_an_unwritable_output_file_is_named_in_one_line(
    cli: CliRunner, applied: str, tmp_path: Path, args: tuple[str, ...], written: str
) -> None:
    out = str(tmp_path / "no-such-dir" / "out.file")
    code, stdout, stderr = run(cli, *(a.format(out=out) for a in args))
    assert code == 1
    assert stderr == f"error: {written.format(out=out)}: write failed (no such file or directory)\n"
    assert stdout == ""
    assert not (tmp_path / "no-such-dir").exists()


def test_why_the_file_cannot_be_written_is_said_in_the_users_language(
    cli: CliRunner, applied: str, tmp_path: Path
) -> None:
    out = tmp_path / "no-such-dir" / "page.html"
    code, _, stderr = run(cli, "--locale", "ja", "report", "compliance", "--campaign", applied, "--html", str(out))
    assert code == 1
    assert stderr == f"エラー: {out}: 書き込みに失敗しました（そのようなファイルやディレクトリはありません）\n"
