"""`dialer report schedule add|list|remove|run-now`: a schedule added (the campaign's zone, the user's language),
listed with its next and last run, sent at once through a real SMTP server (aiosmtpd, the [smtp] settings from the
environment), removed; what it refuses is one line on stderr, in the CLI's language."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness.cli import CAMPAIGN, run
from harness.smtp import Mailbox, smtp_server
from typer.testing import CliRunner


@pytest.fixture
def inbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Mailbox]:
    with smtp_server() as (handler, port):
        for key, value in {
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "TLS": "none",
            "FROM_ADDRESS": "d@example.com",
        }.items():
            monkeypatch.setenv(f"DIALER_SMTP__{key}", value)
        yield handler


def test_report_schedules_from_the_command_line(cli: CliRunner, tmp_path: Path, inbox: Mailbox) -> None:
    (tmp_path / "c.toml").write_text(CAMPAIGN + 'timezone = "America/Chicago"\n', encoding="utf-8")
    assert run(cli, "campaign", "apply", str(tmp_path / "c.toml"))[0] == 0
    assert run(cli, "report", "schedule", "list")[1].strip() == "no report schedules"

    code, out, err = run(cli, "report", "schedule", "add", "--report", "performance", "--campaign", "spring-sale",
                         "--to", "boss@example.com", "--to", "qa@example.com", "--attach", "csv", "--attach", "json",
                         "--weekly", "mon@07:30", "--period", "last_7_days")  # fmt: skip
    assert code == 0, err
    assert out.startswith("report schedule 1 added, next run ")
    (shown,) = json.loads(run(cli, "report", "schedule", "list", "--json")[1])["schedules"]
    assert (shown["zone"], shown["weekday"], shown["at"], shown["language"]) == (
        "America/Chicago",
        "mon",
        "07:30",
        "en",
    )
    assert shown["formats"] == ["csv", "json"]

    code, out, err = run(cli, "report", "schedule", "run-now", "1")
    assert code == 0, err
    assert out.strip() == "report schedule 1 sent to 2 recipients"
    assert inbox.recipients == [["boss@example.com"], ["qa@example.com"]]  # a message each
    listing = run(cli, "report", "schedule", "list")[1]
    assert "Performance report: spring-sale, the last 7 days  weekly mon 07:30 America/Chicago" in listing
    assert ": sent, 2 recipients" in listing

    code, _out, err = run(cli, "--locale", "ja", "report", "schedule", "add", "--report", "compliance",
                          "--campaign", "spring-sale", "--to", "nobody", "--daily", "07:00")  # fmt: skip
    assert code == 1
    assert "'nobody' はメールアドレスではありません" in err
    code, _out, err = run(cli, "report", "schedule", "add", "--report", "compliance", "--campaign", "nope",
                          "--to", "a@example.com", "--daily", "07:00")  # fmt: skip
    assert code == 1
    assert "no campaign named 'nope'" in err
    code, _out, err = run(cli, "report", "schedule", "add", "--report", "compliance", "--campaign", "spring-sale",
                          "--to", "a@example.com", "--daily", "07:00", "--monthly", "1@07:00")  # fmt: skip
    assert code == 1
    assert "give one of --daily" in err

    assert run(cli, "report", "schedule", "remove", "1")[0] == 0
    code, _out, err = run(cli, "report", "schedule", "remove", "1")
    assert code == 1
    assert "no report schedule 1" in err
    assert run(cli, "report", "schedule", "run-now", "1")[0] == 1
