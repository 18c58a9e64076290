"""`dialer report ivr` and `dialer ivr results` on a fresh SQLite database holding an agentless campaign's results."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import tomllib
from pathlib import Path

from harness.ivr import NOW, ivr_calls, reminder_run
from harness.paths import REPO
from typer.testing import CliRunner

from dialer.cli import app
from dialer.sim.ivr import CallerBehaviour
from dialer.store import create_database, upgrade
from dialer.store.campaigns import apply_campaign
from dialer.store.ivr_results import record_ivr_results


async def seed(url: str) -> int:
    db = create_database(url)
    try:
        await upgrade(db)
        config = tomllib.loads((REPO / "campaigns" / "reminder.toml").read_text()) | {"name": "remind"}
        cid = (await apply_campaign(db, "remind", config, NOW)).campaign.id
        report = reminder_run(
            60,
            seed=9,
            max_channels=10,
            calls_per_second=2,
            behaviour=CallerBehaviour(keys={"1": 0.7, "2": 0.3}),
            agents=1,
        )
        flows = ivr_calls(report, cid)
        await record_ivr_results(db, flows, now=NOW)
        return len(flows)
    finally:
        await db.dispose()


def test_report_and_export(settings_env: Path, tmp_path: Path) -> None:
    calls = asyncio.run(seed(f"sqlite+aiosqlite:///{settings_env / 'cli.db'}"))
    runner = CliRunner()
    res = runner.invoke(app, ["report", "ivr", "--campaign", "remind", "--json", "--chart", str(tmp_path / "f.svg")])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    (flow,) = doc["flows"]
    assert flow["calls"] == calls
    assert flow["nodes"][0]["node"] == "greet"
    assert (tmp_path / "f-reminder.svg").read_text().startswith("<svg")
    res = runner.invoke(app, ["ivr", "results", "--campaign", "remind"])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert len(rows) == calls
    confirmed = [r for r in rows if r["result"] == "confirmed"]
    assert confirmed
    assert confirmed[0]["keys"] == "menu=1"
    assert confirmed[0]["path"] == "greet>menu>confirm>confirmed"
    res = runner.invoke(app, ["report", "ivr", "--campaign", "nope"])
    assert res.exit_code == 1


def test_apply_checks_and_stores_the_flow(settings_env: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["campaign", "apply", str(REPO / "campaigns" / "reminder.toml"), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["created"] is True
    res = runner.invoke(app, ["campaign", "apply", str(REPO / "campaigns" / "reminder.toml"), "--json"])
    assert json.loads(res.stdout)["changed"] == []
    (tmp_path / "ivr").mkdir()
    (tmp_path / "ivr" / "spin.toml").write_text(
        'name = "spin"\nstart = "a"\n[prompts]\np = { text = "hi" }\n'
        '[nodes.a]\ntype = "play"\nprompt = "p"\nnext = "a"\n'
    )
    campaign = (REPO / "campaigns" / "reminder.toml").read_text().replace('flow = "reminder"', 'flow = "spin"')
    (tmp_path / "spin.toml").write_text(campaign.replace('name = "reminder"', 'name = "spin"'))
    res = runner.invoke(app, ["campaign", "apply", str(tmp_path / "spin.toml")])
    assert res.exit_code == 1
    assert "loop without exit" in res.output
