"""Scheduled report mail in the daemon on the manual clock: the scheduler's job mails a schedule when the dialer
clock reaches it (not before), through a real SMTP server in-process (aiosmtpd); the attached CSV is what
`dialer report performance --csv` prints for the same period, the calls the running campaign just made included."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time
from email.message import EmailMessage
from pathlib import Path

from harness.clock import clock_dt
from harness.e2e import make_world
from harness.smtp import smtp_server
from typer.testing import CliRunner

from dialer.cli import app
from dialer.reports.schedule import ReportSchedule
from dialer.settings import SmtpSettings
from dialer.store.report_schedules import add_report_schedule, report_schedule

# The world starts at 16:00 UTC, 23:00 in Bangkok (UTC+7, no DST): its calls are on Bangkok's 23 November, which a
# daily 00:05 run the next day (17:05 UTC) reports on as "yesterday".
BANGKOK_DAY = (datetime(2026, 11, 22, 17, 0, tzinfo=UTC), datetime(2026, 11, 23, 17, 0, tzinfo=UTC))


def without_generated_at(csv_text: str) -> list[str]:
    """The CSV's lines but the one saying when it was made (the daemon's clock against the command's)."""
    return [line for line in csv_text.split("\r\n") if ",generated_at," not in line]


async def test_the_daemon_mails_a_report_when_its_schedule_falls_due(tmp_path: Path) -> None:
    with smtp_server() as (inbox, port):
        async with make_world(tmp_path, us_leads=40, japan_leads=0, agents=4) as world:
            world.dialer.settings.smtp = SmtpSettings(
                host="127.0.0.1", port=port, tls="none", from_address="dialer@example.com"
            )
            scheduler = world.scheduler_with("report-mail")  # the job is registered with the real APScheduler ...
            schedule = ReportSchedule(
                report="performance",
                target="e2e",
                formats=("csv",),
                period="yesterday",
                cadence="daily",
                at=time(0, 5),
                recipients=("boss@example.com",),
                zone="Asia/Bangkok",
            )
            schedule_id = await add_report_schedule(world.db, schedule, clock_dt(world.clock), actor="boss")
            await world.run(240, step=1.0)  # ... and driven here by the manual clock: calls on Bangkok's 23rd
            await world.dialer.set_campaign("e2e", "pause")
            await world.run(3600, step=30.0)
            assert await scheduler.deliver_scheduled_reports() == []  # 00:04 in Bangkok: not due yet
            await world.run(120, step=1.0)
            (run,) = await scheduler.deliver_scheduled_reports()
            assert (run.status, run.recipients) == ("ok", 1)
            view = await report_schedule(world.db, schedule_id)
            assert view.last_status == "ok"
            assert view.next_run_at == datetime(2026, 11, 24, 17, 5, tzinfo=UTC)

            (message,) = inbox.messages
            assert message["Subject"] == "Performance report: e2e, yesterday (2026-11-23)"
            (attachment,) = message.iter_attachments()
            assert isinstance(attachment, EmailMessage)
            mailed = attachment.get_payload(decode=True)
            assert isinstance(mailed, bytes)
            start, end = (t.isoformat() for t in BANGKOK_DAY)
            args = ["report", "performance", "--campaign", "e2e", "--from", start, "--to", end, "--csv",
                    "--database", world.dialer.settings.database_url]  # fmt: skip
            printed = await asyncio.to_thread(CliRunner().invoke, app, args)
            assert printed.exit_code == 0, printed.output
            assert without_generated_at(mailed.decode("utf-8-sig")) == without_generated_at(
                printed.stdout_bytes.decode()
            )
            assert "attempts" in printed.stdout  # the report has the calls: not an empty day
