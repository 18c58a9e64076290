"""`dialer leads export` end to end on a fresh SQLite database: the leads with their results, audited; the file
imported again gives the same leads; bad options and an encoding that cannot hold a name are refused whole."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from harness.cli import CAMPAIGN, run
from typer.testing import CliRunner

from dialer.store import open_database
from dialer.store.audit import audit_entries
from dialer.store.ivrcallback import Booked, Refusal, book_caller_callback

LEADS = (
    "phone,mobile,other phone,first_name,last_name,zip,email,company,id\n"
    "+1 415 555 0101,+1 415 555 0111,+1 415 555 0121,Ann,Lee,94110,ann@example.com,Acme,c-1\n"
    '4155550102,,,Bob,Ray,10001,,=HYPERLINK("x"),c-2\n'
    "+14155550103,,,山田,太郎,,,,c-3\n"
)


@pytest.fixture
def spring(cli: CliRunner, tmp_path: Path) -> Path:
    campaign = tmp_path / "spring.toml"
    campaign.write_text(CAMPAIGN, encoding="utf-8")
    assert run(cli, "campaign", "apply", str(campaign))[0] == 0
    leads = tmp_path / "leads.csv"
    leads.write_text(LEADS, encoding="utf-8")
    code, out, err = run(cli, "leads", "import", "--campaign", "spring-sale", str(leads))
    assert code == 0, err
    assert json.loads(out)["imported"] == 3
    assert run(cli, "dnc", "add", "415-555-0103", "--campaign", "spring-sale", "--reason", "asked")[0] == 0
    return tmp_path


def read_csv(path: Path, encoding: str = "utf-8-sig") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding=encoding), newline="")))


def test_the_export_holds_each_lead_and_its_result_and_is_audited(cli: CliRunner, spring: Path) -> None:
    out = spring / "out.csv"
    code, _, err = run(cli, "leads", "export", "--campaign", "spring-sale", "--output", str(out))
    assert code == 0, err
    assert "3 leads written" in err
    assert out.read_bytes().startswith(b"\xef\xbb\xbfexternal_id,phone,alt_phone,alt_phone2,first_name")
    assert out.read_bytes().count(b"\xef\xbb\xbf") == 1  # the BOM once
    rows = {r["phone"]: r for r in read_csv(out)}
    assert set(rows) == {"+14155550101", "+14155550102", "+14155550103"}  # numbers as stored, no apostrophe
    ann = rows["+14155550101"]
    assert (ann["external_id"], ann["alt_phone"], ann["alt_phone2"]) == ("c-1", "+14155550111", "+14155550121")
    assert (ann["email"], ann["company"], ann["postal_code"]) == ("ann@example.com", "Acme", "94110")
    assert (ann["dialer_status"], ann["dialer_attempts"], ann["dialer_list"]) == ("new", "0", "leads.csv")
    assert rows["+14155550102"]["company"].startswith("'=")  # a formula stays inert
    assert (rows["+14155550103"]["first_name"], rows["+14155550103"]["dialer_status"]) == ("山田", "dnc")

    dnc_only = spring / "dnc.csv"
    assert run(cli, "leads", "export", "--campaign", "spring-sale", "--status", "dnc", "-o", str(dnc_only))[0] == 0
    assert [r["phone"] for r in read_csv(dnc_only)] == ["+14155550103"]

    async def audited() -> list[tuple[str, str, dict[str, object]]]:
        async with open_database(os.environ["DIALER_DATABASE_URL"]) as db:
            _, entries = await audit_entries(db, target="campaign:spring-sale")
        return [(e.action, e.actor, e.detail) for e in entries if e.action == "leads.export"]

    exports = asyncio.run(audited())
    assert [(action, detail["leads"], detail["statuses"]) for action, _actor, detail in exports] == [
        ("leads.export", 1, ["dnc"]),
        ("leads.export", 3, None),
    ]
    assert all(actor.startswith("cli") for _action, actor, _detail in exports)


def imported_into_autumn(cli: CliRunner, spring: Path, exported: Path, leads: int) -> Path:
    """``exported`` imported (``leads`` of it) into a new campaign, autumn, whose leads are then exported: that file."""
    other = spring / "other.toml"
    other.write_text(CAMPAIGN.replace("spring-sale", "autumn"), encoding="utf-8")
    assert run(cli, "campaign", "apply", str(other))[0] == 0
    code, printed, err = run(cli, "leads", "import", "--campaign", "autumn", str(exported))
    assert code == 0, err
    assert json.loads(printed)["imported"] == leads
    again = spring / "again.csv"
    assert run(cli, "leads", "export", "--campaign", "autumn", "-o", str(again))[0] == 0
    return again


def test_an_exported_file_imports_again_as_the_same_leads(cli: CliRunner, spring: Path) -> None:
    out = spring / "out.csv"
    assert run(cli, "leads", "export", "--campaign", "spring-sale", "-o", str(out), "--status", "new")[0] == 0
    again = imported_into_autumn(cli, spring, out, 2)
    columns = ("external_id", "phone", "alt_phone", "alt_phone2", "first_name", "last_name", "postal_code", "email")
    first = {r["phone"]: {k: r[k] for k in columns} for r in read_csv(out)}
    second = {r["phone"]: {k: r[k] for k in columns} for r in read_csv(again)}
    assert second == first
    # The first export's results are skipped at the import: the new leads' are their own (one column each).
    header = next(csv.reader(io.StringIO(again.read_text(encoding="utf-8-sig"))))
    assert len(header) == len(set(header))
    ann = next(r for r in read_csv(again) if r["phone"] == "+14155550101")
    assert (ann["dialer_status"], ann["dialer_list"], ann["company"]) == ("new", "out.csv", "Acme")


def test_the_callback_a_caller_asked_for_is_exported_and_not_imported_again(cli: CliRunner, spring: Path) -> None:
    """The requested callback's source, time asked and due time are results: in the export, skipped by the import (a
    request made to one campaign is no consent another may dial on)."""
    asked_at = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)  # 10:00 in San Francisco

    async def caller_asks() -> Booked | Refusal:
        async with open_database(os.environ["DIALER_DATABASE_URL"]) as db:
            due = asked_at + timedelta(hours=1)
            return await book_caller_callback(
                db, "spring-sale", "+14155550101", due, None, asked_at, source="ivr flow s"
            )

    booked = asyncio.run(caller_asks())
    assert isinstance(booked, Booked)
    out = spring / "out.csv"
    assert run(cli, "leads", "export", "--campaign", "spring-sale", "-o", str(out))[0] == 0
    rows = {r["phone"]: r for r in read_csv(out)}
    requested = ("dialer_requested_callback_source", "dialer_requested_callback_at", "dialer_requested_callback_due")
    assert [rows["+14155550101"][c] for c in requested] == [
        "ivr flow s",
        "2026-03-02T18:00:00+00:00",
        "2026-03-02T19:00:00+00:00",
    ]
    assert (rows["+14155550101"]["dialer_status"], rows["+14155550101"]["dialer_callback_at"]) == (
        "callback",
        "2026-03-02T19:00:00+00:00",
    )
    assert [rows["+14155550102"][c] for c in requested] == ["", "", ""]
    again = imported_into_autumn(cli, spring, out, 3)
    ann = next(r for r in read_csv(again) if r["phone"] == "+14155550101")
    assert [ann[c] for c in requested] == ["", "", ""]
    assert (ann["dialer_status"], ann["dialer_callback_at"]) == ("new", "")


def test_bad_options_and_an_encoding_without_a_name_write_nothing(cli: CliRunner, spring: Path) -> None:
    out = spring / "out.csv"
    code, _, err = run(cli, "leads", "export", "--campaign", "spring-sale", "-o", str(out), "--status", "happy")
    assert (code, "not a lead status" in err) == (1, True)
    code, _, err = run(cli, "leads", "export", "--campaign", "spring-sale", "-o", str(out), "--list", "999")
    assert (code, "no lead list 999" in err) == (1, True)
    code, _, err = run(cli, "leads", "export", "--campaign", "nothing", "-o", str(out))
    assert code == 1
    # CP932 holds 山田 but not a name outside it: nothing is replaced, the file is not written.
    code, _, err = run(cli, "leads", "export", "--campaign", "spring-sale", "-o", str(out), "--encoding", "cp932")
    assert code == 0, err
    assert "山田" in out.read_text(encoding="cp932")
    out.unlink()
    code, _, err = run(cli, "leads", "export", "--campaign", "spring-sale", "-o", str(out), "--encoding", "latin-1")
    assert (code, "--encoding" in err) == (1, True)
    assert not out.exists()


def test_the_dnc_list_exports_and_imports_again(cli: CliRunner, spring: Path) -> None:
    assert run(cli, "dnc", "add", "+1 212 555 0150", "--reason", "言った")[0] == 0
    out = spring / "dnc.csv"
    code, _, err = run(cli, "dnc", "export", "-o", str(out))
    assert code == 0, err
    assert "1 numbers written" in err
    rows = read_csv(out)
    assert [(r["number"], r["scope"], r["source"], r["reason"]) for r in rows] == [
        ("+12125550150", "global", "manual", "言った")
    ]
    theirs = spring / "campaign-dnc.csv"
    assert run(cli, "dnc", "export", "--campaign", "spring-sale", "-o", str(theirs))[0] == 0
    assert [(r["number"], r["scope"]) for r in read_csv(theirs)] == [("+14155550103", "spring-sale")]
    # The file reads back (its header skipped) into another list.
    code, printed, err = run(cli, "dnc", "import", str(out), "--campaign", "spring-sale")
    assert code == 0, err
    assert json.loads(printed)["added"] == 1
    assert run(cli, "dnc", "export", "-o", str(out), "--campaign", "nothing")[0] == 1
