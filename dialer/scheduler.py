"""Cron-like jobs (APScheduler 3.11): campaign schedules, campaign-state sync, callback wake-ups, scheduled list
recycling (every minute the due ``recycle_schedules`` are applied at the dialer clock's time), scheduled report
mail (every minute the due ``report_schedules`` are sent: :func:`dialer.reports.delivery.deliver_due`).

The pacing loop is *not* a scheduler job: each campaign runner is its own task. The scheduler only starts and
stops campaigns on their crontab rules (in the campaign's time zone), picks up campaign-state changes made from
the CLI or by another daemon (the database is the source of truth), and wakes a runner at the moment a callback
falls due so it is dialled first.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from dialer.appkeys import DIALER, SCHEDULER
from dialer.campaign.config import CampaignConfig
from dialer.campaign.state import CampaignState
from dialer.daemon import Dialer
from dialer.logging import get_logger
from dialer.reports.calls import purge_call_records
from dialer.reports.delivery import RunResult, deliver_due
from dialer.runner.state import RunnerState
from dialer.store.alerts import delete_alerts_before
from dialer.store.campaigns import list_campaigns
from dialer.store.lists import ScheduledRecycle, run_due_recycles
from dialer.store.messages import delete_messages_before

log = get_logger(__name__)

STATE_SYNC_SECONDS = 2.0
RECYCLE_CHECK_SECONDS = 60.0
REPORT_CHECK_SECONDS = 60.0


class CampaignScheduler:
    def __init__(self, dialer: Dialer) -> None:
        self.dialer = dialer
        self.scheduler = AsyncIOScheduler(timezone=UTC)

    def _add_job(
        self,
        job: Callable[[], Awaitable[object]],
        trigger: BaseTrigger,
        job_id: str,
        *,
        misfire_grace_time: int | None = None,
    ) -> None:
        """A job of ours: never two runs of it at once, missed runs done once (``misfire_grace_time``: how late a
        run may still start; APScheduler's default when None)."""
        options: dict[str, object] = {} if misfire_grace_time is None else {"misfire_grace_time": misfire_grace_time}
        self.scheduler.add_job(job, trigger, id=job_id, max_instances=1, coalesce=True, **options)

    def start(self) -> None:
        self._add_job(self.sync_campaign_states, IntervalTrigger(seconds=STATE_SYNC_SECONDS), "campaign-state-sync")
        self._add_job(
            self.purge_call_records,
            CronTrigger(hour=3, minute=17, timezone=UTC),
            "purge-call-records",
            misfire_grace_time=3600,
        )
        self._add_job(
            self.purge_messages,
            CronTrigger(hour=3, minute=27, timezone=UTC),
            "purge-messages",
            misfire_grace_time=3600,
        )
        self._add_job(
            self.purge_alerts,
            CronTrigger(hour=3, minute=37, timezone=UTC),
            "purge-alerts",
            misfire_grace_time=3600,
        )
        self._add_job(self.run_scheduled_recycles, IntervalTrigger(seconds=RECYCLE_CHECK_SECONDS), "scheduled-recycles")
        self._add_job(self.deliver_scheduled_reports, IntervalTrigger(seconds=REPORT_CHECK_SECONDS), "report-mail")
        self.scheduler.start()

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def schedule_campaign(self, config: CampaignConfig) -> None:
        """Crontab rules in the campaign's own time zone (DST handled by zoneinfo)."""
        zone = ZoneInfo(config.timezone)
        for index, rule in enumerate(config.schedule):
            for action, expr in (("start", rule.start), ("pause", rule.stop)):
                self.scheduler.add_job(
                    self.dialer.set_campaign,
                    CronTrigger.from_crontab(expr, timezone=zone),
                    args=(config.name, action),
                    id=f"schedule:{config.name}:{index}:{action}",
                    replace_existing=True,
                    misfire_grace_time=300,
                )

    def callback_due(self, campaign: str, lead_id: int, due_at: datetime) -> None:
        """Wake the campaign's runner when the callback falls due: the claim serves due callbacks first."""
        self.scheduler.add_job(
            self._wake,
            DateTrigger(run_date=due_at),
            args=(campaign,),
            id=f"callback:{campaign}:{lead_id}",
            replace_existing=True,
            misfire_grace_time=3600,
        )

    def _wake(self, campaign: str) -> None:
        runner = self.dialer.runners.get(campaign)
        if runner is not None:
            runner.wake()

    async def purge_call_records(self) -> None:
        """Daily: delete call records older than the retention period (leads and DNC entries are kept)."""
        days = self.dialer.settings.record_retention_days
        cutoff = datetime.fromtimestamp(self.dialer.clock.now(), UTC) - timedelta(days=days)
        await self.dialer.recordings.purge(cutoff)  # a call's recording goes with its record
        deleted = await purge_call_records(self.dialer.db, older_than=cutoff)
        log.info("call_records_purged", older_than=cutoff.isoformat(), deleted=deleted)

    async def purge_messages(self) -> int:
        """Daily: delete the messages to agents (and their read receipts) older than their retention period."""
        days = self.dialer.settings.message_retention_days
        cutoff = datetime.fromtimestamp(self.dialer.clock.now(), UTC) - timedelta(days=days)
        deleted = await delete_messages_before(self.dialer.db, cutoff)
        log.info("messages_purged", older_than=cutoff.isoformat(), deleted=deleted)
        return deleted

    async def purge_alerts(self) -> int:
        """Daily: delete the cleared alerts older than their retention period (active ones stay)."""
        days = self.dialer.settings.alert_retention_days
        cutoff = datetime.fromtimestamp(self.dialer.clock.now(), UTC) - timedelta(days=days)
        deleted = await delete_alerts_before(self.dialer.db, cutoff)
        log.info("alerts_purged", older_than=cutoff.isoformat(), deleted=deleted)
        return deleted

    async def run_scheduled_recycles(self) -> list[ScheduledRecycle]:
        """Apply the lists' recycle schedules due now (dialer clock); wake the runners of campaigns that got leads."""
        now = datetime.fromtimestamp(self.dialer.clock.now(), UTC)
        runs = await run_due_recycles(self.dialer.db, now)
        for run in runs:
            log.info(
                "list_recycled_on_schedule",
                campaign=run.campaign,
                list_id=run.list_id,
                recycled=run.result.recycled,
                next_run_at=run.next_run_at.isoformat(),
            )
            if run.result.recycled:
                self._wake(run.campaign)
        return runs

    async def deliver_scheduled_reports(self) -> list[RunResult]:
        """Mail the report schedules due now (dialer clock), each claimed once across daemons and recorded."""
        now = datetime.fromtimestamp(self.dialer.clock.now(), UTC)
        return await deliver_due(self.dialer.db, self.dialer.settings, now)

    async def sync_campaign_states(self) -> None:
        """Apply states written to the database by `dialer campaign start|pause|stop` or an API call."""
        for record in await list_campaigns(self.dialer.db):
            runner = self.dialer.runners.get(record.name)
            if runner is None:
                config = CampaignConfig.model_validate(record.config)
                runner = await self.dialer.load_runner(config, record.id)
                self.schedule_campaign(config)
                log.info("campaign_loaded", campaign=record.name)
            elif record.config != runner.config.model_dump(mode="json"):
                # `dialer campaign apply` changed the file: the new rules apply from the next call on.
                runner.reconfigure(CampaignConfig.model_validate(record.config))
                self.schedule_campaign(runner.config)
            if not self.dialer.owns(record.id) and record.state is not CampaignState.STOPPED:
                continue  # another daemon runs it; the lease renewal hands it over if that daemon dies
            wanted = RunnerState.following(record.state)
            if runner.state in (RunnerState.DRAINING,) or runner.state is wanted:
                continue
            if wanted is RunnerState.RUNNING:
                runner.start()
            else:
                runner.set_state(wanted)


async def scheduler_ctx(app: web.Application) -> AsyncIterator[None]:
    scheduler = CampaignScheduler(app[DIALER])
    app[SCHEDULER] = scheduler
    scheduler.start()
    try:
        yield
    finally:
        scheduler.shutdown()
