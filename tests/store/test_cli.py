"""The CLI end to end on a fresh SQLite database: campaign apply/list, leads import/status, dnc."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest
from harness.cli import CAMPAIGN, LEADS, run
from typer.testing import CliRunner

from dialer.store import open_database
from dialer.store.audit import audit_entries


@pytest.fixture
def campaign_file(tmp_path: Path) -> Path:
    path = tmp_path / "spring.toml"
    path.write_text(CAMPAIGN, encoding="utf-8")
    return path


def test_db_upgrade_then_current(cli: CliRunner) -> None:
    assert run(cli, "db", "current", "--json")[0] == 1  # no database yet: not created (test_cli_no_database)
    assert run(cli, "db", "upgrade")[1].startswith("database migrated empty -> ")
    assert "already current" in run(cli, "db", "upgrade")[1]
    assert json.loads(run(cli, "db", "current", "--json")[1])["up_to_date"] is True


def test_campaign_apply_is_idempotent_and_reports_changes(cli: CliRunner, campaign_file: Path) -> None:
    code, out, err = run(cli, "campaign", "apply", str(campaign_file))
    assert code == 0, err
    assert out.startswith("created campaign spring-sale")
    assert run(cli, "campaign", "apply", str(campaign_file))[1].strip() == "campaign spring-sale is unchanged"
    campaign_file.write_text(CAMPAIGN.replace('"sales"', '"sales-2"') + "max_attempts = 3\n", encoding="utf-8")
    code, out, _ = run(cli, "campaign", "apply", str(campaign_file), "--json")
    assert json.loads(out) == {
        "campaign": "spring-sale",
        "created": False,
        "changed": ["max_attempts", "max_dials", "queue"],
        "state": "stopped",
    }
    listed = json.loads(run(cli, "campaign", "list", "--json")[1])
    assert [(c["name"], c["queue"], c["state"]) for c in listed] == [("spring-sale", "sales-2", "stopped")]


def test_campaign_apply_refuses_an_invalid_file(cli: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(CAMPAIGN + "ring_timeout_seconds = 5\n", encoding="utf-8")
    code, _, err = run(cli, "campaign", "apply", str(bad))
    assert code == 1
    assert "ring_timeout_seconds" in err
    assert not (tmp_path / "cli.db").exists()  # refused before the database was even opened
    assert run(cli, "db", "upgrade")[0] == 0
    assert json.loads(run(cli, "campaign", "list", "--json")[1]) == []


def test_leads_import_then_reimport_imports_nothing(cli: CliRunner, campaign_file: Path, tmp_path: Path) -> None:
    run(cli, "campaign", "apply", str(campaign_file))
    run(cli, "dnc", "add", "415-555-0103", "--reason", "asked")
    leads = tmp_path / "leads.csv"
    leads.write_text(LEADS, encoding="utf-8")

    code, out, err = run(cli, "leads", "import", "--campaign", "spring-sale", str(leads))
    assert code == 0, err
    summary = json.loads(out)
    assert {k: summary[k] for k in ("imported", "duplicates", "invalid", "dnc")} == {
        "imported": 3,
        "duplicates": 1,
        "invalid": 1,
        "dnc": 1,
    }
    errors = Path(summary["errors_file"])
    assert errors.is_file()
    assert errors.is_relative_to(tmp_path / "var")
    report = errors.read_text(encoding="utf-8")
    assert "invalid_phone" in report
    assert "duplicate" in report

    again = json.loads(run(cli, "leads", "import", "--campaign", "spring-sale", str(leads))[1])
    assert again["imported"] == 0
    assert again["duplicates"] == 4

    status = json.loads(run(cli, "leads", "status", "--campaign", "spring-sale", "--json")[1])
    assert status["total"] == 3
    assert status["by_status"] == {"new": 3}
    assert status["due_sample"]["size"] == 3
    code, out, _ = run(cli, "leads", "status", "--campaign", "spring-sale")
    assert code == 0
    assert "campaign spring-sale: 3 leads" in out


def test_leads_import_map_and_region(cli: CliRunner, campaign_file: Path, tmp_path: Path) -> None:
    run(cli, "campaign", "apply", str(campaign_file))
    leads = tmp_path / "uk.csv"
    leads.write_text("Tel;Who\n020 7946 0018;Ann\n07911 123456;Bob\n", encoding="utf-8")
    code, out, err = run(
        cli,
        "leads",
        "import",
        "--campaign",
        "spring-sale",
        str(leads),
        "--map",
        "Tel=phone",
        "--map",
        "Who=first_name",
        "--region",
        "gb",
    )
    assert code == 0, err
    assert json.loads(out)["imported"] == 2
    assert json.loads(out)["errors_file"] is None


def test_unreadable_file_is_a_clear_error_and_changes_nothing(
    cli: CliRunner, campaign_file: Path, tmp_path: Path
) -> None:
    run(cli, "campaign", "apply", str(campaign_file))
    for target in (tmp_path / "missing.csv", tmp_path):
        code, out, err = run(cli, "leads", "import", "--campaign", "spring-sale", str(target))
        assert code == 1
        assert out == ""
        assert err.startswith("error: ")
        assert "nothing was imported" in err
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert run(cli, "leads", "import", "--campaign", "spring-sale", str(empty))[0] == 1
    status = json.loads(run(cli, "leads", "status", "--campaign", "spring-sale", "--json")[1])
    assert status["total"] == 0


def test_leads_commands_name_an_unknown_campaign(cli: CliRunner, tmp_path: Path) -> None:
    assert run(cli, "db", "upgrade")[0] == 0
    code, _, err = run(cli, "leads", "status", "--campaign", "nope")
    assert code == 1
    assert "no campaign named 'nope'" in err


def test_dnc_commands(cli: CliRunner, campaign_file: Path, tmp_path: Path) -> None:
    run(cli, "campaign", "apply", str(campaign_file))
    assert run(cli, "dnc", "add", "+14155550199")[1].strip() == "+14155550199 added to the global list"
    assert "already on" in run(cli, "dnc", "add", "(415) 555-0199")[1]
    assert run(cli, "dnc", "add", "+14155550199", "--campaign", "spring-sale")[0] == 0
    check = json.loads(run(cli, "dnc", "check", "4155550199", "--json")[1])
    assert check["listed"] is True
    assert sorted(e["scope"] for e in check["entries"]) == ["global", "spring-sale"]
    assert run(cli, "dnc", "remove", "+14155550199")[0] == 0
    assert run(cli, "dnc", "remove", "+14155550199")[0] == 1  # no longer on the global list
    code, _, err = run(cli, "dnc", "add", "12")
    assert code == 1
    assert "not a valid phone number" in err

    numbers = tmp_path / "dnc.csv"
    numbers.write_text("phone\n+14155550111\n4155550112\ngarbage-123\n+14155550111\n", encoding="utf-8")
    code, out, err = run(cli, "dnc", "import", str(numbers), "--source", "registry")
    assert code == 0, err
    assert json.loads(out) == {"added": 2, "already_listed": 0, "invalid": 1, "leads_closed": 0}
    assert "line 4" in err
    assert "not on any" in run(cli, "dnc", "check", "+14155550113")[1]


def test_campaign_start_pause_stop(cli: CliRunner, campaign_file: Path) -> None:
    run(cli, "campaign", "apply", str(campaign_file))
    for command, state in (("start", "running"), ("pause", "paused"), ("stop", "stopped"), ("start", "running")):
        code, out, err = run(cli, "campaign", command, "spring-sale")
        assert code == 0, err
        assert out.startswith(f"campaign spring-sale is {state}")
    assert json.loads(run(cli, "campaign", "list", "--json")[1])[0]["state"] == "running"
    # Re-applying the file does not stop a running campaign.
    run(cli, "campaign", "apply", str(campaign_file))
    assert json.loads(run(cli, "campaign", "list", "--json")[1])[0]["state"] == "running"
    code, _, err = run(cli, "campaign", "pause", "nope")
    assert code == 1
    assert "no campaign named 'nope'" in err


def test_leads_imports_lists_imports_with_their_state(cli: CliRunner, campaign_file: Path, tmp_path: Path) -> None:
    run(cli, "campaign", "apply", str(campaign_file))
    leads = tmp_path / "leads.csv"
    leads.write_text(LEADS, encoding="utf-8")
    assert run(cli, "leads", "import", "--campaign", "spring-sale", str(leads))[0] == 0
    code, out, err = run(cli, "leads", "imports", "--campaign", "spring-sale", "--json")
    assert code == 0, err
    (only,) = json.loads(out)["imports"]
    assert (only["name"], only["state"], only["imported"], only["staged"]) == ("leads.csv", "imported", 4, 0)
    code, out, _ = run(cli, "leads", "imports")
    assert code == 0
    assert "imported   leads.csv  (6 rows: 4 imported" in out


def test_lists_show_set_and_recycle_dry_run(cli: CliRunner, campaign_file: Path, tmp_path: Path) -> None:
    assert run(cli, "campaign", "apply", str(campaign_file))[0] == 0
    leads = tmp_path / "leads.csv"
    leads.write_text(LEADS, encoding="utf-8")
    assert run(cli, "leads", "import", "--campaign", "spring-sale", str(leads))[0] == 0
    shown = json.loads(run(cli, "lists", "show", "--campaign", "spring-sale", "--json")[1])
    (only,) = shown["lists"]
    assert only["enabled"] is True
    assert only["leads"] == {"new": 4}
    code, out, err = run(cli, "lists", "set", str(only["id"]), "--disable", "--priority", "5", "--share", "2")
    assert code == 0, err
    again = json.loads(run(cli, "lists", "show", "--campaign", "spring-sale", "--json")[1])["lists"][0]
    assert (again["enabled"], again["priority"], again["share"]) == (False, 5, 2.0)
    code, out, err = run(cli, "lists", "recycle", "--campaign", "spring-sale", "--rule", "no_answer:3d", "--json")
    assert code == 0, err
    assert json.loads(out) == {"dry_run": True, "recycled": 0, "by_rule": {}, "by_list": {}}
    code, out, err = run(cli, "lists", "recycle", "--campaign", "spring-sale", "--rule", "nope:3d")
    assert code != 0
    assert "not an outcome" in err
    assert run(cli, "lists", "set", "999", "--enable")[0] == 1


def test_user_set_and_team_are_audited(cli: CliRunner) -> None:
    assert run(cli, "user", "add", "sue", "--role", "supervisor", "--password", "long-enough-1")[0] == 0
    assert run(cli, "user", "add", "ann", "--role", "agent", "--password", "long-enough-1")[0] == 0
    code, out, err = run(cli, "user", "team", "north", "--supervisor", "sue")
    assert code == 0, err
    assert "supervisors sue" in out
    code, out, err = run(cli, "user", "set", "ann", "--team", "north", "--disable")
    assert code == 0, err
    assert "disabled" in out
    assert run(cli, "user", "set", "nobody", "--enable")[0] == 1
    assert run(cli, "user", "set", "ann", "--team", "south")[0] == 1
    assert run(cli, "user", "team", "south", "--supervisor", "ann")[0] == 1  # an agent supervises nobody
    assert run(cli, "user", "token", "sue")[0] == 0

    async def entries() -> list[tuple[str, str, str]]:
        async with open_database(os.environ["DIALER_DATABASE_URL"]) as db:
            _, found = await audit_entries(db)
        return [(e.actor, e.action, e.target) for e in reversed(found)]

    assert asyncio.run(entries()) == [
        ("cli", "user.create", "user:sue"),
        ("cli", "user.create", "user:ann"),
        ("cli", "team.create", "team:north"),
        ("cli", "team.supervisors", "team:north"),
        ("cli", "user.change", "user:ann"),
        ("cli", "team.create", "team:south"),
        ("cli", "token.mint", "user:sue"),
    ]


def test_a_misspelt_environment_setting_is_warned_about(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(cli, "db", "upgrade")[0] == 0
    monkeypatch.setenv("DIALER_HTTP_PORT", "8081")
    code, out, err = run(cli, "db", "current", "--json")
    assert code == 0
    assert json.loads(out)["up_to_date"] is True
    assert err == "warning: DIALER_HTTP_PORT is not a setting and is ignored (did you mean DIALER_HTTP__PORT?)\n"


def test_status_without_a_daemon_says_so_and_exits_3(cli: CliRunner) -> None:
    """Exit 3 as an init script's status (not running), one ``error:`` line; ``--json`` says it in the document."""
    code, out, err = run(cli, "status")
    assert (code, out) == (3, "")
    assert err.startswith("error: no dialer daemon answers on ")
    assert err.count("\n") == 1
    code, out, _ = run(cli, "status", "--json")
    assert code == 3
    assert json.loads(out)["daemon"] == "not running"
