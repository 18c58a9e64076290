"""Alerts held once across daemons (dialer.store.alerts), on SQLite and PostgreSQL: two daemons -- two evaluators,
each with its own connection to one database -- seeing the same condition raise one alert (one ``alert.raised``);
the first to stop seeing it does not clear it while the other still sees it; the last one clears it (one
``alert.cleared``). Raised at the same moment by both, still one. A hold not refreshed (its daemon stopped) does not
keep an alert active, and an alert nobody holds any more is cleared once. The floor's count of active alerts by
rule (the gauge's) counts each once, whichever daemon reads it. The migration to one active alert per rule
and subject."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from harness.databases import DbSpec
from sqlalchemy import text

from dialer.alerts.evaluator import Alert, AlertEvaluator, Reading
from dialer.alerts.rules import AlertKind, AlertRule, Severity
from dialer.store import Database, upgrade
from dialer.store import alerts as history
from dialer.store.webhooks import create_subscription, outbox_rows
from dialer.webhooks.core import WILDCARD

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
T0 = NOW.timestamp()
RULE = AlertRule(name="server_down", kind=AlertKind.SERVER_DOWN, severity=Severity.CRITICAL)


@dataclass
class Daemon:
    """One daemon's side of the alerts: its evaluator and its own connection to the shared database (as
    dialer.daemon.alerts.AlertKeeper writes them)."""

    node: str
    db: Database
    evaluator: AlertEvaluator

    async def sees(self, down: bool, at: float) -> None:
        reading = Reading(RULE, "server:pbx1", 1.0 if down else 0.0, 0.0, detail="refused" if down else None)
        step = self.evaluator.evaluate([reading], at)
        wall = datetime.fromtimestamp(at, UTC)
        for alert in step.raised:
            record = await history.record_raised(self.db, alert, node=self.node, now=wall)
            self.evaluator.set_id(alert.key, record.id)
        for alert in step.cleared:
            assert alert.id is not None
            await history.record_cleared(self.db, alert.id, node=self.node, value=alert.value, cleared_at=wall)


@pytest.fixture
async def daemons(db: Database, db_target: DbSpec) -> AsyncIterator[tuple[Daemon, Daemon]]:
    other = db_target.open()
    try:
        yield Daemon("a", db, AlertEvaluator([RULE])), Daemon("b", other, AlertEvaluator([RULE]))
    finally:
        await other.dispose()


async def events(db: Database) -> list[str]:
    return [r.event_type for r in sorted(await outbox_rows(db), key=lambda r: r.id)]


async def test_two_daemons_raise_one_alert_and_the_last_to_see_it_clears_it(
    db: Database, daemons: tuple[Daemon, Daemon]
) -> None:
    a, b = daemons
    await create_subscription(db, campaign_id=None, url="http://127.0.0.1:9/h", events=[WILDCARD], secret="s", now=NOW)
    await a.sees(True, T0)
    await b.sees(True, T0 + 1)
    (alert,) = (await history.list_alerts(db, history.AlertFilter()))[1]
    assert (alert.active, alert.node, alert.raised_at) == (True, "a", NOW)  # the first daemon's
    assert [r.id for r in await history.active_alerts(db, "a")] == [alert.id]
    assert [r.id for r in await history.active_alerts(b.db, "b")] == [alert.id]  # b holds the same alert
    assert b.evaluator.active[0].id == alert.id
    assert await events(db) == ["alert.raised"]
    assert await history.active_by_rule(db) == await history.active_by_rule(b.db) == {"server_down": 1}  # once

    await a.sees(False, T0 + 10)  # a's server is back; b's still sees it down
    assert not a.evaluator.active
    (still,) = (await history.list_alerts(db, history.AlertFilter()))[1]
    assert still.active
    assert await history.active_alerts(db, "a") == []
    assert await events(db) == ["alert.raised"]
    assert await history.active_by_rule(db) == {"server_down": 1}  # the floor's, though a no longer sees it

    await b.sees(False, T0 + 20)
    (over,) = (await history.list_alerts(db, history.AlertFilter()))[1]
    assert (over.id, over.active, over.cleared_at) == (alert.id, False, NOW + timedelta(seconds=20))
    assert await events(db) == ["alert.raised", "alert.cleared"]
    assert await history.active_by_rule(db) == {}

    await a.sees(True, T0 + 30)  # down again: a new alert
    _, found = await history.list_alerts(db, history.AlertFilter(active=True))
    assert [r.id for r in found] != [alert.id]
    assert len(found) == 1


async def test_raised_by_both_at_the_same_moment_is_one_alert(db: Database, daemons: tuple[Daemon, Daemon]) -> None:
    a, b = daemons
    await create_subscription(db, campaign_id=None, url="http://127.0.0.1:9/h", events=[WILDCARD], secret="s", now=NOW)
    await asyncio.gather(a.sees(True, T0), b.sees(True, T0))
    _, found = await history.list_alerts(db, history.AlertFilter())
    assert len(found) == 1
    assert await events(db) == ["alert.raised"]
    await asyncio.gather(a.sees(False, T0 + 5), b.sees(False, T0 + 5))
    _, found = await history.list_alerts(db, history.AlertFilter(active=False))
    assert len(found) == 1
    assert await events(db) == ["alert.raised", "alert.cleared"]


def _server_down(at: float) -> Alert:
    return Alert("server_down", AlertKind.SERVER_DOWN, Severity.CRITICAL, "server:pbx1", 1.0, 0.0, at, at)


async def test_a_stopped_daemons_hold_lapses_and_an_alert_nobody_holds_is_cleared_once(db: Database) -> None:
    stale = NOW + timedelta(seconds=history.HOLD_FRESH_SECONDS + 1)
    gone = await history.record_raised(db, _server_down(T0), node="stopped", now=NOW)
    kept = await history.record_raised(db, _server_down(T0), node="running", now=NOW)
    assert kept.id == gone.id
    # "stopped" never comes back: "running" lets go after its hold lapsed, and the alert clears.
    cleared = await history.record_cleared(db, kept.id, node="running", value=0.0, cleared_at=stale)
    assert cleared is not None
    assert cleared.cleared_at == stale

    other = await history.record_raised(db, _server_down(T0 + 500), node="stopped", now=NOW + timedelta(seconds=500))
    assert other.id != gone.id
    later = NOW + timedelta(seconds=500)
    assert await history.touch_holds(db, "stopped", later + timedelta(seconds=60)) == {other.id}
    assert (
        await history.clear_unheld(db, later + timedelta(seconds=60 + history.HOLD_FRESH_SECONDS - 1)) == []
    )  # touched: held
    (swept,) = await history.clear_unheld(db, later + timedelta(seconds=60 + history.HOLD_FRESH_SECONDS + 1))
    assert (swept.id, swept.active) == (other.id, False)
    assert await history.clear_unheld(db, later + timedelta(seconds=1000)) == []
    assert await history.active_alerts(db, "stopped") == []
    assert (
        await history.touch_holds(db, "stopped", later + timedelta(seconds=1000)) == set()
    )  # it holds nothing any more


async def test_the_migration_keeps_one_active_alert_per_rule_and_subject_held_by_its_daemons(
    db_target: DbSpec,
) -> None:
    """Before 0032 two daemons could each raise the same alert: the oldest stays active, held by both; the copy is
    cleared (without an event); an alert of one daemon is held by it."""
    db = db_target.open()
    try:
        await upgrade(db, "0031_wallboard_tokens")
        insert = text(
            "INSERT INTO alerts (rule, kind, severity, subject, threshold, node, started_at, raised_at) "
            "VALUES (:rule, :rule, 'critical', :subject, 0, :node, :at, :at)"
        )
        async with db.write() as conn:
            for rule, subject, node in (
                ("server_down", "server:pbx1", "a"),
                ("server_down", "server:pbx1", "b"),
                ("caller_waiting", "queue:sales", "b"),
            ):
                await conn.execute(insert, {"rule": rule, "subject": subject, "node": node, "at": NOW})
        await upgrade(db)
        _, active = await history.list_alerts(db, history.AlertFilter(active=True))
        assert sorted((r.rule, r.node) for r in active) == [("caller_waiting", "b"), ("server_down", "a")]
        server = next(r for r in active if r.rule == "server_down")
        assert [r.id for r in await history.active_alerts(db, "a")] == [server.id]
        assert sorted(r.rule for r in await history.active_alerts(db, "b")) == ["caller_waiting", "server_down"]
        _, copies = await history.list_alerts(db, history.AlertFilter(active=False))
        assert [(r.rule, r.node) for r in copies] == [("server_down", "b")]
        assert await outbox_rows(db) == []
        # Joined from now on: one more daemon seeing the server down raises nothing new.
        assert (await history.record_raised(db, _server_down(T0), node="c", now=NOW)).id == server.id
    finally:
        await db.dispose()
