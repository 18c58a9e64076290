"""Scheduled report delivery: build a schedule's report for its period, render it (:func:`render`, the one way),
mail it (:mod:`dialer.reports.mail`) and record the run (:mod:`dialer.store.report_schedules`).

:func:`deliver_due` is the daemon's scheduler job (every minute, the dialer clock's ``now``): it claims the due
schedules once across daemons, sends each in a worker thread (smtplib blocks), and records the outcome -- sent,
retried later for the same period (``[smtp] max_attempts``, backoff ``retry_base_seconds`` x1, x4, x16 ...), or
failed after the last try; never dropped without a record. :func:`deliver_now` is ``run-now``: the period before now,
sent at once, recorded, the schedule's next run left as it is.

Each recipient gets a message of their own (:func:`dialer.reports.mail.send`); the run's record keeps what the server
answered each. A run some recipients were refused is ``partial`` and is tried again (the same backoff) for those
recipients only: the schedule keeps who already has the slot's mail (``slot_sent``).

The report and the mail are made in the schedule's language (``language``: its creator's when it was added) with
times shown in its zone. Logs at INFO carry the schedule's id, report, status and recipient count: never an
address, a password or a report's content.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from dialer.i18n import M_, use_locale, use_zone
from dialer.logging import get_logger
from dialer.reports.common import ReportRange
from dialer.reports.compliance_scan import compliance_report
from dialer.reports.inbound import inbound_report
from dialer.reports.ivr import build_ivr_report
from dialer.reports.mail import MailError, Sent, compose, send
from dialer.reports.output import Format, Report, render
from dialer.reports.performance_scan import performance_report
from dialer.reports.schedule import CAMPAIGN_REPORTS, ReportKind, ReportSchedule, ReportScheduleError, after_send
from dialer.settings import Settings
from dialer.store.campaigns import campaign_zone, get_campaign
from dialer.store.engine import Database
from dialer.store.inbound_calls import inbound_queue_names
from dialer.store.ivr_results import ivr_results
from dialer.store.report_schedules import (
    ClaimedRun,
    ReportScheduleView,
    claim_due_runs,
    finish_run,
    record_run_now,
    report_schedule,
)

log = get_logger(__name__)

CLAIM_LEASE = timedelta(minutes=15)  # a run its daemon did not finish is another daemon's after this


@dataclass(frozen=True, slots=True)
class RunResult:
    """One run this process made: its schedule, status (ok, partial, retrying, failed), error and recipients."""

    schedule_id: int
    status: str
    error: str | None
    recipients: int
    next_run_at: datetime | None = None


async def target_zone(db: Database, settings: Settings, report: ReportKind, target: str | None) -> str:
    """Check a schedule's campaign (or inbound queue) exists; the zone its times are read in unless one is given:
    the campaign's ``timezone``, UTC for the inbound queues. Raises UnknownCampaignError, ReportScheduleError."""
    if report in CAMPAIGN_REPORTS:
        if target is None:
            raise ReportScheduleError(M_("the compliance, performance and ivr reports need a campaign"))
        await get_campaign(db, target)
        return await campaign_zone(db, target) or "UTC"
    if target is not None and target not in settings.inbound_queues and target not in await inbound_queue_names(db):
        raise ReportScheduleError(M_("no inbound queue {queue}", queue=target))
    return "UTC"


async def build_report(
    db: Database, settings: Settings, schedule: ReportSchedule, span: ReportRange, now: datetime
) -> Report:
    """The schedule's report over ``span`` (raises UnknownCampaignError, ReportError)."""
    if schedule.report == "compliance":
        assert schedule.target is not None
        return await compliance_report(db, schedule.target, span, now=now)
    if schedule.report == "performance":
        assert schedule.target is not None
        return await performance_report(db, schedule.target, span, now=now)
    if schedule.report == "ivr":
        assert schedule.target is not None
        record = await get_campaign(db, schedule.target)
        records = await ivr_results(db, campaign_id=record.id, since=span.start, until=span.end)
        return build_ivr_report(records, span, title=schedule.target)
    return await inbound_report(
        db,
        span,
        settings.inbound_service_level.rule(),
        queue=schedule.target,
        queues=sorted(settings.inbound_queues),
        zone=schedule.zone,
    )


async def _mail_once(
    db: Database,
    settings: Settings,
    view: ReportScheduleView,
    start: datetime,
    end: datetime,
    now: datetime,
    recipients: Sequence[str],
) -> Sent:
    """Build, render and compose one run's mail and send it to each of ``recipients`` (a message each). Raises
    MailError (a report that cannot be built too)."""
    schedule = view.schedule
    with use_locale(schedule.language), use_zone(schedule.zone):
        try:
            report = await build_report(db, settings, schedule, ReportRange(start, end), now)
            page: tuple[Format, ...] = ("html",) if schedule.html_body and "html" not in schedule.formats else ()
            rendered: dict[str, str] = {fmt: render(report, fmt) for fmt in (*schedule.formats, *page)}
        except (LookupError, ValueError) as exc:
            raise MailError(f"the report could not be made: {exc}") from exc
        message = compose(schedule, view.id, rendered, start=start, end=end, sender=settings.smtp.from_address, now=now)
    return await asyncio.to_thread(send, settings.smtp, message, recipients)


async def deliver_due(db: Database, settings: Settings, now: datetime) -> list[RunResult]:
    """Send every report schedule due at ``now`` that this process claims; each run recorded and audited."""
    results = []
    for run in await claim_due_runs(db, now, CLAIM_LEASE):
        results.append(await _deliver(db, settings, run, now))
    return results


async def _deliver(db: Database, settings: Settings, run: ClaimedRun, now: datetime) -> RunResult:
    schedule = run.view.schedule
    start, end = schedule.period_of(run.slot_at)
    # A retry of a slot goes to the recipients still without its mail: nobody gets a report twice.
    pending = [r for r in schedule.recipients if r not in run.view.slot_sent]
    error: str | None = None
    sent = Sent(())
    try:
        if pending:
            sent = await _mail_once(db, settings, run.view, start, end, now, pending)
    except MailError as exc:
        error = str(exc)
    except Exception as exc:  # a fault of ours (the database ...): recorded and retried like a refusal, not lost
        log.exception("report_mail_error", schedule=run.view.id)
        error = f"not sent: {type(exc).__name__}"
    error = sent.refused or error
    have = {*run.view.slot_sent, *sent.delivered_to}
    outcome = after_send(
        schedule,
        run.slot_at,
        run.view.failures,
        sent=bool(have),
        partial=any(r not in have for r in schedule.recipients),
        now=now,
        delays=settings.smtp.retry_delays(),
    )
    recipients = sent.accepted
    await finish_run(
        db,
        run,
        outcome,
        now=now,
        error=error,
        recipients=recipients,
        answers=[a.document() for a in sent.answers],
        slot_sent=[r for r in schedule.recipients if r in have],
    )
    fields = {
        "schedule": run.view.id,
        "report": schedule.report,
        "status": outcome.status,
        "recipients": recipients,
        "next_run_at": outcome.next_run_at.isoformat(),
    }
    if outcome.status in ("ok", "partial"):
        log.info("report_mailed", **fields)
    else:
        log.warning("report_mail_failed", error=error, attempt=run.view.failures + 1, **fields)
    return RunResult(run.view.id, outcome.status, error, recipients, outcome.next_run_at)


async def deliver_now(db: Database, settings: Settings, schedule_id: int, now: datetime, *, actor: str) -> RunResult:
    """Send the schedule's report for the period before ``now`` at once (no retry), recorded and audited as
    ``actor``. Raises UnknownReportScheduleError."""
    view = await report_schedule(db, schedule_id)
    start, end = view.schedule.period_of(now)
    error: str | None
    sent = Sent(())
    try:
        sent = await _mail_once(db, settings, view, start, end, now, view.schedule.recipients)
    except MailError as exc:
        status, error, recipients = "failed", str(exc), 0
    else:
        status = "ok" if not sent.refused else "partial" if sent.accepted else "failed"
        error, recipients = sent.refused or None, sent.accepted
    await record_run_now(
        db,
        schedule_id,
        now=now,
        status=status,
        error=error,
        recipients=recipients,
        actor=actor,
        answers=[a.document() for a in sent.answers],
    )
    log.info(
        "report_mailed_now", schedule=schedule_id, report=view.schedule.report, status=status, recipients=recipients
    )
    return RunResult(schedule_id, status, error, recipients)
