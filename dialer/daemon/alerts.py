"""The daemon's alerts (:mod:`dialer.alerts`): judged once a second on the daemon's clock (a maintenance job).

:class:`AlertKeeper` takes a snapshot of what this daemon sees (the campaigns it owns, the inbound queues, the
agents, its Asterisk servers), runs the pure evaluator, and for each alert raised or cleared writes the history and
its webhook event (``alert.raised`` / ``alert.cleared``, one transaction: :mod:`dialer.store.alerts`). Several
daemons on one database raise and clear each alert once: a daemon joins an alert another raised, and its clearing
only lets its hold go while another daemon still sees the condition (:mod:`dialer.store.alerts`). The
``dialer_alerts_active`` gauge is the floor's, as the dashboard shows it: every daemon's active alerts, read from the
history after each run that raised or cleared one here, else every :data:`FLOOR_READ_SECONDS` (every daemon reports
the same figures: a dashboard takes their ``max``, not their ``sum``; one daemon scraped alone says it all). At its
first run it takes back the alerts it held (a restart), so a condition still there is not raised twice and one gone
is cleared; every :data:`TOUCH_SECONDS` it refreshes its holds and clears the alerts no daemon holds any more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass, field
from datetime import UTC, datetime

from dialer.agents.pausecodes import pause_limits
from dialer.agents.registry import AgentStatus
from dialer.alerts.evaluator import Alert, AlertEvaluator
from dialer.alerts.readings import AgentNow, CampaignNow, ServerNow, Snapshot, readings
from dialer.alerts.rules import AlertRule
from dialer.daemon.status import StatusView
from dialer.logging import get_logger
from dialer.runner.state import RunnerState
from dialer.settings import Settings
from dialer.store.alerts import (
    HOLD_FRESH_SECONDS,
    active_alerts,
    active_by_rule,
    clear_unheld,
    record_cleared,
    record_raised,
    touch_holds,
)
from dialer.store.engine import Database

log = get_logger(__name__)
# How often a daemon refreshes its holds on the alerts it sees (well within HOLD_FRESH_SECONDS).
TOUCH_SECONDS = HOLD_FRESH_SECONDS / 4
# How often a daemon reads the floor's active alerts for the gauge when it raised and cleared none itself.
FLOOR_READ_SECONDS = 5.0


@dataclass(eq=False)
class AlertKeeper:
    """The alerts of the daemon's settings (``[[alerts]]``) over what its status view sees (``view``)."""

    view: StatusView
    _: KW_ONLY
    db: Database
    settings: Settings
    evaluator: AlertEvaluator = field(init=False)
    resumed: bool = field(init=False, default=False)
    # Per campaign: its attempts counter when last seen changing, and when (the not-dialling rule's idle time).
    _dialled: dict[str, tuple[int, float]] = field(init=False, default_factory=dict)
    # Alerts cleared whose clearing is not written yet (the database was away): written first at the next run.
    _clearing: list[tuple[int, float | None, datetime]] = field(init=False, default_factory=list)  # id, value, at
    _touched: float | None = field(init=False, default=None)
    # The floor's active alerts by rule (every daemon's), and when they were read.
    _floor: dict[str, int] = field(init=False, default_factory=dict)
    _floor_read: float | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.evaluator = AlertEvaluator(self.rules)

    @property
    def rules(self) -> Sequence[AlertRule]:
        return self.settings.alerts

    @property
    def owner(self) -> str:
        return self.view.owner

    @property
    def active(self) -> tuple[Alert, ...]:
        """The alerts active now, newest first."""
        return self.evaluator.active

    def active_by_rule(self) -> dict[str, int]:
        """How many alerts of each rule are active on the floor (every daemon's, as last read; 0 for the enabled
        rules with none): the metrics' gauge."""
        counts = {rule.name: 0 for rule in self.rules if rule.enabled}
        counts.update(self._floor)
        return counts

    def snapshot(self, now: float) -> Snapshot:
        view = self.view
        owned = view.ownership.owned
        campaigns = []
        for runner in view.runners.values():
            if runner.campaign_id not in owned:
                continue
            ctx = runner.ctx
            live_answers, abandon_rate = ctx.stats.window.seen_at(now)
            attempts = ctx.counters.attempts
            running = ctx.state is RunnerState.RUNNING
            seen = self._dialled.get(runner.name)
            if seen is None or seen[0] != attempts or not running:
                seen = self._dialled[runner.name] = (attempts, now)
            queue = ctx.config.queue
            campaigns.append(
                CampaignNow(
                    name=runner.name,
                    campaign_id=runner.campaign_id,
                    running=running,
                    abandon_rate=abandon_rate,
                    live_answers=int(live_answers),
                    abandon_cap=ctx.settings.abandon_cap,
                    why_not=ctx.why_not.code if ctx.why_not is not None else None,
                    ready_agents=sum(1 for a in view.registry.in_queue(queue) if a.status is AgentStatus.READY),
                    idle_seconds=now - seen[1],
                )
            )
        limits = pause_limits(self.settings.pause_codes)
        agents = [
            AgentNow(
                agent_id=a.agent_id,
                since=a.since,
                pause_reason=a.pause_reason if a.status is AgentStatus.PAUSED else None,
                pause_limit_seconds=limits.get(a.pause_reason or "") if a.status is AgentStatus.PAUSED else None,
                wrapup_until=a.wrapup_until if a.status is AgentStatus.WRAPUP and a.wrapup_needs_disposition else None,
            )
            for a in view.registry.agents()
            if a.logged_in
        ]
        servers = [ServerNow(c.server.name, c.client.is_up, c.client.state.reason) for c in view.connections]
        return Snapshot(
            now=now,
            campaigns=campaigns,
            queues=view.inbound_live(),
            agents=agents,
            servers=servers,
            service_level_target=self.settings.inbound_service_level.target,
        )

    async def run(self, now: float) -> None:
        """One evaluation: the alerts raised and cleared now written and announced (once across daemons). A write
        that failed (the database away) is made again at the next run: an alert raised, while it is active (one
        cleared before it was ever written is not announced at all), and a clearing."""
        if not self.resumed:
            self.evaluator.resume(record.as_alert() for record in await active_alerts(self.db, self.owner))
            self.resumed = True
        step = self.evaluator.evaluate(readings(self.rules, self.snapshot(now)), now)
        written = False  # an alert written raised or cleared here: the floor's figures read again below
        wall = datetime.fromtimestamp(now, UTC)
        for alert in step.cleared:
            log.info("alert_cleared", id=alert.id, rule=alert.rule, subject=alert.subject, value=alert.value)
            if alert.id is not None:
                self._clearing.append((alert.id, alert.value, wall))
        for alert in step.raised:
            log.warning("alert_raised", rule=alert.rule, subject=alert.subject, value=alert.value, limit=alert.limit)
        for alert in self.evaluator.active:
            if alert.id is None:
                record = await record_raised(self.db, alert, node=self.owner, now=wall)
                self.evaluator.set_id(alert.key, record.id)
                written = True
        while self._clearing:
            alert_id, value, cleared_at = self._clearing[0]
            await record_cleared(self.db, alert_id, node=self.owner, value=value, cleared_at=cleared_at)
            self._clearing.pop(0)
            written = True
        if self._touched is None or now - self._touched >= TOUCH_SECONDS:
            held = await touch_holds(self.db, self.owner, wall)
            for alert in self.evaluator.active:
                if alert.id is not None and alert.id not in held:  # cleared while this daemon's hold had lapsed
                    self.evaluator.set_id(alert.key, None)  # still seen: raised again at the next run
            for record in await clear_unheld(self.db, wall):
                log.info("alert_cleared", id=record.id, rule=record.rule, subject=record.subject, why="nobody holds it")
                written = True
            self._touched = now
        if written or self._floor_read is None or now - self._floor_read >= FLOOR_READ_SECONDS:
            self._floor = await active_by_rule(self.db)
            self._floor_read = now
