"""Scheduled report mail end to end, with a real SMTP server in-process (aiosmtpd) on the synthetic history: the due
schedule is claimed, its report built and rendered, mailed and recorded; each recipient receives a message of their
own (their address alone: none sees the others), the subject in the schedule's language and attachments equal to
what `dialer report ... --csv/--json` prints for the same range. A server that refuses the mail, or none at all,
gives a recorded error, a retry for the same period, then a failed run and the next slot -- never a silent loss; a
recipient refused while others were not is retried alone, and nobody gets the mail twice."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from harness.ports import free_port
from harness.smtp import Mailbox, smtp_server
from reports_history import DAY1, DAY2, History
from typer.testing import CliRunner

from dialer.cli import app
from dialer.reports.delivery import deliver_due, deliver_now
from dialer.reports.schedule import ReportSchedule
from dialer.settings import Settings, SmtpSettings
from dialer.store import Database
from dialer.store.report_schedules import (
    add_report_schedule,
    report_deliveries,
    report_schedule,
)


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    with smtp_server() as server:
        yield server


def settings_for(port: int, **smtp: Any) -> Settings:
    values = {"host": "127.0.0.1", "port": port, "tls": "none", "from_address": "reports@example.com", **smtp}
    return Settings(smtp=SmtpSettings.model_validate(values))


def daily(**changes: Any) -> ReportSchedule:
    values: dict[str, Any] = {
        "report": "compliance",
        "target": "ukspring",
        "formats": ("csv", "json"),
        "period": "yesterday",
        "cadence": "daily",
        "at": time(7, 0),
        "recipients": ("boss@example.com", "qa@example.org"),
        "zone": "Europe/London",
    }
    return ReportSchedule(**(values | changes))


FIRST_TRY = DAY2 + timedelta(hours=7, seconds=5)  # the daily 07:00 (London) run of DAY2, just due


async def retried(
    history: History, port: int, schedule: ReportSchedule, *, attempts: int
) -> tuple[Database, Settings, int]:
    """The database, settings sending through ``port`` with ``attempts`` tries a minute apart (then x4 ...), and
    ``schedule`` added the evening before DAY2."""
    settings = settings_for(port, max_attempts=attempts, retry_base_seconds=60)
    schedule_id = await add_report_schedule(history.db, schedule, DAY1 + timedelta(hours=20), actor="manager1")
    return history.db, settings, schedule_id


async def cli_report(history: History, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    """``dialer report ARGS --database URL`` (in a thread: the command runs its own event loop)."""
    monkeypatch.setenv("DIALER_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("DIALER_CONFIG", raising=False)
    result = await asyncio.to_thread(CliRunner().invoke, app, ["report", *args, "--database", history.url])
    assert result.exit_code in (0, 2), result.output  # 2: the planted violations fail the compliance report
    return result.stdout_bytes.decode()  # as written (``stdout`` turns the CSV's CRLF into LF)


def attachments(message: EmailMessage) -> dict[str, bytes]:
    out = {}
    for part in message.iter_attachments():
        assert isinstance(part, EmailMessage)
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        out[str(part.get_filename())] = payload
    return out


async def test_a_due_schedule_mails_the_report_the_cli_renders(
    sqlite_history: History, mailbox: tuple[Mailbox, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler, port = mailbox
    db, settings = sqlite_history.db, settings_for(port)
    schedule_id = await add_report_schedule(db, daily(), DAY1 + timedelta(hours=20), actor="manager1")
    assert await deliver_due(db, settings, DAY2 + timedelta(hours=6)) == []  # 07:00 London has not come

    due = DAY2 + timedelta(hours=7, seconds=20)
    (result,) = await deliver_due(db, settings, due)
    assert (result.status, result.recipients, result.error) == ("ok", 2, None)
    assert await deliver_due(db, settings, due + timedelta(minutes=1)) == []  # sent once

    # A message each, its recipient's address alone in it: a manager's recipients never see each other.
    assert [(rcpt, m["To"]) for rcpt, m in handler.received] == [
        (["boss@example.com"], "boss@example.com"),
        (["qa@example.org"], "qa@example.org"),
    ]
    assert "qa@example.org" not in handler.received[0][1].as_string()
    assert "boss@example.com" not in handler.received[1][1].as_string()
    assert handler.received[0][1]["Message-ID"] != handler.received[1][1]["Message-ID"]
    message = handler.received[0][1]
    assert message["From"] == "reports@example.com"
    assert message["Subject"] == "Compliance report: ukspring, yesterday (2026-03-02)"
    body = message.get_body(("html",))
    assert body is not None
    assert "Compliance report — ukspring" in body.get_content()
    files = attachments(message)
    assert sorted(files) == ["compliance-ukspring-2026-03-02.csv", "compliance-ukspring-2026-03-02.json"]
    span = ("--from", "2026-03-02", "--to", "2026-03-02")
    csv_text = await cli_report(
        sqlite_history, tmp_path, monkeypatch, "compliance", "--campaign", "ukspring", *span, "--csv"
    )
    assert files["compliance-ukspring-2026-03-02.csv"].startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, as downloads
    assert files["compliance-ukspring-2026-03-02.csv"].decode("utf-8-sig") == csv_text
    as_json = await cli_report(
        sqlite_history, tmp_path, monkeypatch, "compliance", "--campaign", "ukspring", *span, "--json"
    )
    mailed, printed = json.loads(files["compliance-ukspring-2026-03-02.json"]), json.loads(as_json)
    mailed.pop("generated_at"), printed.pop("generated_at")
    assert mailed == printed

    view = await report_schedule(db, schedule_id)
    assert (view.last_status, view.last_recipients, view.last_run_at) == ("ok", 2, due)
    assert view.next_run_at == datetime(2026, 3, 4, 7, 0, tzinfo=UTC)
    (delivery,) = await report_deliveries(db, schedule_id)
    assert (delivery.status, delivery.recipients) == ("ok", 2)
    assert delivery.answers == (
        {"to": "boss@example.com", "accepted": True, "reply": "250 OK"},
        {"to": "qa@example.org", "accepted": True, "reply": "250 OK"},
    )


async def test_the_mail_is_in_the_schedules_language(sqlite_history: History, mailbox: tuple[Mailbox, int]) -> None:
    handler, port = mailbox
    db = sqlite_history.db
    schedule = daily(report="performance", formats=("csv",), html_body=False, language="ja")
    schedule_id = await add_report_schedule(db, schedule, DAY1, actor="manager1")
    result = await deliver_now(db, settings_for(port), schedule_id, DAY2 + timedelta(hours=9), actor="manager1")
    assert (result.status, result.recipients) == ("ok", 2)
    _rcpt, message = handler.received[0]
    assert len(handler.received) == 2
    assert message["Subject"].startswith("パフォーマンスレポート: ukspring")
    assert message.get_body(("html",)) is None  # a plain text body
    text = message.get_body(("plain",))
    assert text is not None
    assert "dialer report schedule remove" in text.get_content()
    view = await report_schedule(db, schedule_id)
    assert view.last_status == "ok"
    assert view.next_run_at == datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


async def test_a_refused_mail_is_retried_then_recorded_as_failed(
    sqlite_history: History, mailbox: tuple[Mailbox, int]
) -> None:
    handler, port = mailbox
    handler.refuse = "554 5.7.1 Message rejected by policy"
    db, settings, schedule_id = await retried(sqlite_history, port, daily(), attempts=3)
    first_try = FIRST_TRY

    said = "554 5.7.1 Message rejected by policy"
    refused = f"boss@example.com: {said}; qa@example.org: {said}"
    (result,) = await deliver_due(db, settings, first_try)
    assert (result.status, result.error) == ("retrying", refused)
    view = await report_schedule(db, schedule_id)
    assert (view.last_status, view.failures, view.next_run_at) == ("retrying", 1, first_try + timedelta(seconds=60))
    assert await deliver_due(db, settings, first_try + timedelta(seconds=59)) == []  # backing off

    second_try = first_try + timedelta(seconds=60)
    (result,) = await deliver_due(db, settings, second_try)
    assert result.status == "retrying"
    assert (await report_schedule(db, schedule_id)).next_run_at == second_try + timedelta(seconds=240)

    (result,) = await deliver_due(db, settings, second_try + timedelta(seconds=240))
    assert (result.status, result.error) == ("failed", refused)
    view = await report_schedule(db, schedule_id)
    assert (view.last_status, view.failures) == ("failed", 0)
    assert view.next_run_at == view.slot_at == datetime(2026, 3, 4, 7, 0, tzinfo=UTC)  # on to the next day
    deliveries = await report_deliveries(db, schedule_id)
    assert [d.status for d in deliveries] == ["failed", "retrying", "retrying"]
    assert {d.slot_at for d in deliveries} == {datetime(2026, 3, 3, 7, 0, tzinfo=UTC)}  # one period, three tries
    assert handler.received == []

    handler.refuse = None  # the server takes it again: the next day's run goes out
    (result,) = await deliver_due(db, settings, datetime(2026, 3, 4, 7, 0, 30, tzinfo=UTC))
    assert result.status == "ok"
    assert handler.received[0][1]["Subject"].endswith("(2026-03-03)")


async def test_no_server_listening_is_a_recorded_error(sqlite_history: History) -> None:
    db = sqlite_history.db
    settings = settings_for(free_port(), max_attempts=2, timeout_seconds=5)
    schedule_id = await add_report_schedule(db, daily(), DAY1 + timedelta(hours=20), actor="manager1")
    (result,) = await deliver_due(db, settings, DAY2 + timedelta(hours=8))
    assert result.status == "retrying"
    assert result.error is not None
    assert result.error.startswith("could not reach 127.0.0.1:")
    (result,) = await deliver_due(db, settings, DAY2 + timedelta(hours=8, minutes=1))
    assert result.status == "failed"
    view = await report_schedule(db, schedule_id)
    assert view.last_status == "failed"
    assert view.last_error is not None
    assert "could not reach" in view.last_error


async def test_without_an_smtp_host_a_run_is_recorded_as_not_sent(sqlite_history: History) -> None:
    db = sqlite_history.db
    schedule_id = await add_report_schedule(db, daily(), DAY1, actor="manager1")
    result = await deliver_now(db, Settings(), schedule_id, DAY2, actor="manager1")
    assert result.status == "failed"
    assert result.error == "no SMTP server: set [smtp] host in the settings"
    assert (await report_schedule(db, schedule_id)).last_status == "failed"


async def test_logs_carry_no_address_and_no_password(
    sqlite_history: History, mailbox: tuple[Mailbox, int], json_log: io.StringIO
) -> None:
    _handler, port = mailbox
    db = sqlite_history.db
    await add_report_schedule(db, daily(), DAY1 + timedelta(hours=20), actor="manager1")
    await add_report_schedule(db, daily(report="performance"), DAY1 + timedelta(hours=20), actor="manager1")
    sent = await deliver_due(db, settings_for(port), DAY2 + timedelta(hours=8))
    assert [r.status for r in sent] == ["ok", "ok"]
    # A login the server does not offer: the run fails, its error says so, and the password appears nowhere.
    secret = "s3cret-Pa55word"
    with_login = settings_for(port, username="reports", password=secret)
    failed, _other = await deliver_due(db, with_login, DAY2 + timedelta(days=1, hours=8))
    assert failed.status == "retrying"
    assert failed.error is not None
    assert "AUTH" in failed.error
    assert secret not in failed.error
    assert secret not in repr(with_login)
    ours = [line for line in json_log.getvalue().splitlines() if json.loads(line).get("logger") != "mail.log"]
    log = "\n".join(ours)  # (mail.log: the test's SMTP server logging what it received)
    events = [json.loads(line)["event"] for line in ours]
    assert events.count("report_mailed") == 2
    assert "report_mail_failed" in events
    for private in (secret, "boss@example.com", "qa@example.org"):
        assert private not in log


async def test_a_report_that_cannot_be_made_is_a_recorded_error(
    sqlite_history: History, mailbox: tuple[Mailbox, int]
) -> None:
    handler, port = mailbox
    db = sqlite_history.db
    schedule_id = await add_report_schedule(db, daily(target="gone"), DAY1, actor="manager1")  # no such campaign
    (result,) = await deliver_due(db, settings_for(port), DAY2 + timedelta(hours=8))
    assert result.status == "retrying"
    assert result.error is not None
    assert result.error.startswith("the report could not be made: no campaign named 'gone'")
    assert (await report_schedule(db, schedule_id)).last_error == result.error
    assert handler.received == []


async def test_a_refused_recipient_is_retried_alone_and_nobody_gets_the_mail_twice(
    sqlite_history: History, mailbox: tuple[Mailbox, int]
) -> None:
    handler, port = mailbox
    handler.refuse_rcpt["qa@example.org"] = "450 4.2.2 Mailbox full"
    schedule = daily(recipients=("boss@example.com", "qa@example.org", "ops@example.net"))
    db, settings, schedule_id = await retried(sqlite_history, port, schedule, attempts=3)
    first_try = FIRST_TRY

    (result,) = await deliver_due(db, settings, first_try)
    assert (result.status, result.recipients) == ("partial", 2)
    assert result.error == "qa@example.org: 450 4.2.2 Mailbox full"
    assert [rcpt for rcpt, _m in handler.received] == [["boss@example.com"], ["ops@example.net"]]
    view = await report_schedule(db, schedule_id)
    assert (view.last_status, view.failures, view.next_run_at) == ("partial", 1, first_try + timedelta(seconds=60))
    (delivery,) = await report_deliveries(db, schedule_id)
    assert delivery.answers == (
        {"to": "boss@example.com", "accepted": True, "reply": "250 OK"},
        {"to": "qa@example.org", "accepted": False, "reply": "450 4.2.2 Mailbox full"},
        {"to": "ops@example.net", "accepted": True, "reply": "250 OK"},
    )

    # Still full: only qa is tried again; then the mailbox has room and qa alone gets the same period's report.
    (result,) = await deliver_due(db, settings, first_try + timedelta(seconds=60))
    assert (result.status, result.recipients) == ("partial", 0)
    del handler.refuse_rcpt["qa@example.org"]
    (result,) = await deliver_due(db, settings, first_try + timedelta(seconds=300))
    assert (result.status, result.recipients, result.error) == ("ok", 1, None)
    assert [rcpt for rcpt, _m in handler.received] == [["boss@example.com"], ["ops@example.net"], ["qa@example.org"]]
    assert {m["Subject"] for _r, m in handler.received} == {"Compliance report: ukspring, yesterday (2026-03-02)"}
    view = await report_schedule(db, schedule_id)
    assert (view.last_status, view.failures, view.slot_sent) == ("ok", 0, ())
    assert view.next_run_at == datetime(2026, 3, 4, 7, 0, tzinfo=UTC)
    runs = await report_deliveries(db, schedule_id)
    assert [(d.status, [a["to"] for a in d.answers]) for d in runs] == [
        ("ok", ["qa@example.org"]),
        ("partial", ["qa@example.org"]),
        ("partial", ["boss@example.com", "qa@example.org", "ops@example.net"]),
    ]

    # The next day's run goes to everyone again.
    (result,) = await deliver_due(db, settings, datetime(2026, 3, 4, 7, 0, 30, tzinfo=UTC))
    assert (result.status, result.recipients) == ("ok", 3)


async def test_a_recipient_refused_at_every_try_leaves_the_run_partial(
    sqlite_history: History, mailbox: tuple[Mailbox, int]
) -> None:
    handler, port = mailbox
    handler.refuse_rcpt["qa@example.org"] = "550 5.1.1 No such user"
    db, settings, schedule_id = await retried(sqlite_history, port, daily(), attempts=2)
    first_try = FIRST_TRY
    (first,) = await deliver_due(db, settings, first_try)
    (last,) = await deliver_due(db, settings, first_try + timedelta(seconds=60))
    assert [first.status, last.status] == ["partial", "partial"]
    assert last.error == "qa@example.org: 550 5.1.1 No such user"
    assert [rcpt for rcpt, _m in handler.received] == [["boss@example.com"]]  # never twice
    view = await report_schedule(db, schedule_id)
    assert (view.last_status, view.failures, view.slot_sent) == ("partial", 0, ())
    assert view.next_run_at == view.slot_at == datetime(2026, 3, 4, 7, 0, tzinfo=UTC)  # on to the next day


async def test_run_now_mails_each_recipient_and_records_each_answer(
    sqlite_history: History, mailbox: tuple[Mailbox, int]
) -> None:
    handler, port = mailbox
    handler.refuse_rcpt["boss@example.com"] = "550 5.7.1 Relaying denied"
    db = sqlite_history.db
    schedule_id = await add_report_schedule(db, daily(), DAY1, actor="manager1")
    result = await deliver_now(db, settings_for(port), schedule_id, DAY2 + timedelta(hours=9), actor="manager1")
    assert (result.status, result.recipients) == ("partial", 1)
    assert [(rcpt, m["To"]) for rcpt, m in handler.received] == [(["qa@example.org"], "qa@example.org")]
    (delivery,) = await report_deliveries(db, schedule_id)
    assert [(a["to"], a["accepted"], a["reply"]) for a in delivery.answers] == [
        ("boss@example.com", False, "550 5.7.1 Relaying denied"),
        ("qa@example.org", True, "250 OK"),
    ]
