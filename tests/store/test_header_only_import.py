"""A lead file with a header and no rows is refused ("no leads in FILE"): no list is left behind -- from the
store (SQLite and PostgreSQL), the CLI and the web upload's parse alike."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from harness.cli import apply_spring_sale, run
from harness.lists import NOW, make_campaign
from sqlalchemy import func, select
from typer.testing import CliRunner

from dialer.campaign.leadimport import LeadFileError
from dialer.i18n import message_of, render
from dialer.store import Database
from dialer.store.imports import import_lead_csv
from dialer.store.tables import lead_lists_t, leads_t
from dialer.web.api.leadlists import UploadRefused, parse_upload

HEADER_ONLY = "phone,first_name,last_name\n\n\n"


async def _count(db: Database, table: object) -> int:
    async with db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())  # type: ignore[arg-type]


async def test_a_header_only_file_imports_nothing_and_leaves_no_list(db: Database, tmp_path: Path) -> None:
    campaign_id, config = await make_campaign(db)
    path = tmp_path / "empty-list.csv"
    path.write_text(HEADER_ONLY, encoding="utf-8")
    with pytest.raises(LeadFileError) as refused:
        await import_lead_csv(db, path, campaign_id=campaign_id, region=config.default_region, now=NOW)
    assert render(message_of(refused.value), "en") == f"no leads in {path}"
    assert await _count(db, lead_lists_t) == 0
    assert await _count(db, leads_t) == 0


def test_the_cli_refuses_it_in_one_line(cli: CliRunner, tmp_path: Path) -> None:
    campaign = apply_spring_sale(cli, tmp_path)
    path = tmp_path / "march.csv"
    path.write_text(HEADER_ONLY, encoding="utf-8")
    code, out, err = run(cli, "leads", "import", str(path), "--campaign", campaign)
    assert (code, out) == (1, "")
    assert err == f"error: no leads in {path}; nothing was imported\n"
    code, out, _ = run(cli, "lists", "show", "--campaign", campaign, "--json")
    assert code == 0
    assert "march.csv" not in out
    assert json.loads(out) in ([], {"lists": []})


def test_the_web_upload_refuses_it(tmp_path: Path) -> None:
    path = tmp_path / "upload.csv"
    path.write_text(HEADER_ONLY, encoding="utf-8")
    refused = parse_upload(str(path), str(tmp_path / "spool"), "US", {}, None)
    assert isinstance(refused, UploadRefused)
    assert render(refused.detail, "en") == f"no leads in {path}"
