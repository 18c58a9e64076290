"""The CLI's DNC commands announce opt-outs (``optout.added`` through the outbox), and `dialer lists schedule`
sets and removes a list's scheduled recycling, audited as cli."""

from __future__ import annotations

import asyncio
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from harness.cli import CAMPAIGN, LEADS, run
from typer.testing import CliRunner

from dialer.store import open_database
from dialer.store.audit import audit_entries
from dialer.store.webhooks import create_subscription, outbox_rows
from dialer.webhooks.core import EventType


@pytest.fixture
def cli(settings_env: Path) -> CliRunner:
    return CliRunner()


def in_db(work):  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        async with open_database(os.environ["DIALER_DATABASE_URL"]) as db:
            return await work(db)

    return asyncio.run(go())


def test_dnc_add_and_import_announce_each_new_opt_out(cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text(CAMPAIGN, encoding="utf-8")
    assert run(cli, "campaign", "apply", str(tmp_path / "c.toml"))[0] == 0

    async def subscribe(db):  # type: ignore[no-untyped-def]
        await create_subscription(
            db, campaign_id=None, url="http://127.0.0.1:9/hook", events=[EventType.OPTOUT_ADDED], secret="x",
            now=datetime.now(UTC),
        )  # fmt: skip

    in_db(subscribe)
    assert run(cli, "dnc", "add", "+14155550199", "--reason", "letter")[0] == 0
    assert run(cli, "dnc", "add", "+14155550199")[0] == 0  # already listed: announced once
    numbers = tmp_path / "dnc.csv"
    numbers.write_text("+14155550111\n+14155550112\n", encoding="utf-8")
    assert run(cli, "dnc", "import", str(numbers), "--campaign", "spring-sale", "--source", "registry")[0] == 0
    rows = in_db(outbox_rows)
    docs = sorted((json.loads(r.payload)["data"] for r in rows), key=lambda d: d["number"])
    assert [(d["number"], d["scope"], d["source"]) for d in docs] == [
        ("+14155550111", "campaign", "registry"),
        ("+14155550112", "campaign", "registry"),
        ("+14155550199", "global", "manual"),
    ]


def test_lists_schedule_sets_and_removes_a_schedule(cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text(CAMPAIGN, encoding="utf-8")
    assert run(cli, "campaign", "apply", str(tmp_path / "c.toml"))[0] == 0
    (tmp_path / "leads.csv").write_text(LEADS, encoding="utf-8")
    assert run(cli, "leads", "import", "--campaign", "spring-sale", str(tmp_path / "leads.csv"))[0] == 0
    (only,) = json.loads(run(cli, "lists", "show", "--campaign", "spring-sale", "--json")[1])["lists"]
    assert only["recycle_schedule"] is None
    code, out, err = run(cli, "lists", "schedule", str(only["id"]), "--rule", "no_answer:3d", "--rule", "busy:1h",
                         "--every", "6h")  # fmt: skip
    assert code == 0, err
    assert "recycled every 6h" in out
    (shown,) = json.loads(run(cli, "lists", "show", "--campaign", "spring-sale", "--json")[1])["lists"]
    assert shown["recycle_schedule"]["every_minutes"] == 360
    assert shown["recycle_schedule"]["rules"] == [
        {"outcome": "no_answer", "older_than_minutes": 3 * 24 * 60},
        {"outcome": "busy", "older_than_minutes": 60},
    ]
    code, _, err = run(cli, "lists", "schedule", str(only["id"]), "--rule", "no_answer:3d", "--every", "1m")
    assert code == 1
    assert "between 5 minutes" in err
    assert run(cli, "lists", "schedule", str(only["id"]), "--every", "1h")[0] == 1  # no rule
    code, out, err = run(cli, "lists", "schedule", str(only["id"]), "--rule", "busy:1h", "--at", "0 9 * * mon-fri",
                         "--zone", "Europe/Paris")  # fmt: skip
    assert code == 0, err
    assert "recycled at '0 9 * * mon-fri' (Europe/Paris)" in out
    (shown,) = json.loads(run(cli, "lists", "show", "--campaign", "spring-sale", "--json")[1])["lists"]
    assert (shown["recycle_schedule"]["at"], shown["recycle_schedule"]["zone"]) == ("0 9 * * mon-fri", "Europe/Paris")
    assert shown["recycle_schedule"]["every_minutes"] is None
    code, _, err = run(cli, "lists", "schedule", str(only["id"]), "--rule", "busy:1h", "--at", "0 25 * * *")
    assert code == 1
    assert "is not a crontab line" in err
    assert (
        run(cli, "lists", "schedule", str(only["id"]), "--rule", "busy:1h", "--at", "0 9 * * *", "--every", "1h")[0]
        == 1
    )  # (one of them)
    assert run(cli, "lists", "schedule", "999", "--off")[0] == 1
    assert run(cli, "lists", "schedule", str(only["id"]), "--off")[0] == 0
    (gone,) = json.loads(run(cli, "lists", "show", "--campaign", "spring-sale", "--json")[1])["lists"]
    assert gone["recycle_schedule"] is None

    async def entries(db):  # type: ignore[no-untyped-def]
        _, found = await audit_entries(db, target=f"list:{only['id']}")
        return [(e.actor.split(":")[0], e.action) for e in found]

    assert in_db(entries) == [("cli", "list.recycle_schedule")] * 3


def test_user_team_campaigns_are_set_and_audited(cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text(CAMPAIGN, encoding="utf-8")
    assert run(cli, "campaign", "apply", str(tmp_path / "c.toml"))[0] == 0
    code, out, err = run(cli, "user", "team", "north", "--campaign", "spring-sale")
    assert code == 0, err
    assert "campaigns spring-sale" in out
    code, _, err = run(cli, "user", "team", "north", "--campaign", "nope")
    assert code == 1
    assert "no campaign named 'nope'" in err

    async def entries(db):  # type: ignore[no-untyped-def]
        _, found = await audit_entries(db, target="team:north")
        return [(e.action, e.detail.get("campaigns")) for e in reversed(found)]

    assert in_db(entries) == [("team.create", None), ("team.campaigns", ["spring-sale"])]


def test_lists_schedule_at_reads_the_line_in_the_campaigns_zone_unless_zone_is_given(
    cli: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / "c.toml").write_text(CAMPAIGN + 'timezone = "Asia/Tokyo"\n', encoding="utf-8")
    assert run(cli, "campaign", "apply", str(tmp_path / "c.toml"))[0] == 0
    (tmp_path / "leads.csv").write_text(LEADS, encoding="utf-8")
    assert run(cli, "leads", "import", "--campaign", "spring-sale", str(tmp_path / "leads.csv"))[0] == 0
    (only,) = json.loads(run(cli, "lists", "show", "--campaign", "spring-sale", "--json")[1])["lists"]
    code, out, err = run(cli, "lists", "schedule", str(only["id"]), "--rule", "busy:1h", "--at", "0 9 * * mon-fri")
    assert code == 0, err
    assert "(Asia/Tokyo)" in out
    (shown,) = json.loads(run(cli, "lists", "show", "--campaign", "spring-sale", "--json")[1])["lists"]
    assert shown["recycle_schedule"]["zone"] == "Asia/Tokyo"
    code, out, err = run(cli, "lists", "schedule", str(only["id"]), "--rule", "busy:1h", "--at", "0 9 * * mon-fri",
                         "--zone", "UTC")  # fmt: skip
    assert code == 0, err
    assert "(UTC)" in out
    code, _, err = run(cli, "lists", "schedule", "999", "--rule", "busy:1h", "--at", "0 9 * * *")
    assert code == 1
