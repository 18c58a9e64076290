"""The alert history in the store (dialer.store.alerts), on SQLite and PostgreSQL: an alert raised and cleared is
written and announced (alert.raised, alert.cleared through the outbox, in order), cleared once only; the active
alerts of a node (resumed after a restart); acknowledging (the first kept, audited); the listings (active or not,
a supervisor's scope); the retention purge of cleared alerts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from dialer.alerts.evaluator import Alert
from dialer.alerts.rules import AlertKind, Severity
from dialer.store import Database
from dialer.store.alerts import (
    AlertFilter,
    acknowledge,
    active_alerts,
    delete_alerts_before,
    get_alert,
    list_alerts,
    record_cleared,
    record_raised,
)
from dialer.store.audit import audit_entries
from dialer.store.webhooks import create_subscription, outbox_rows
from dialer.webhooks.core import WILDCARD

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
T0 = NOW.timestamp()


def _alert(subject: str, agent: str | None = None, *, at: float = T0) -> Alert:
    kind = AlertKind.PAUSE_OVERDUE if agent else AlertKind.SERVER_DOWN
    return Alert(
        rule=kind.value,
        kind=kind,
        severity=Severity.WARNING,
        subject=subject,
        value=12.5,
        limit=0.0,
        started_at=at - 30,
        raised_at=at,
        agent=agent,
        detail="break" if agent else "connection refused",
    )


async def test_raised_and_cleared_are_written_and_announced_in_order(db: Database) -> None:
    await create_subscription(db, campaign_id=None, url="http://127.0.0.1:9/h", events=[WILDCARD], secret="s", now=NOW)
    raised = await record_raised(db, _alert("agent:ann", "ann"), node="n1", now=NOW)
    assert raised.active
    assert (raised.rule, raised.agent, raised.value, raised.started_at) == (
        "pause_overdue",
        "ann",
        12.5,
        NOW - timedelta(seconds=30),
    )
    assert [r.id for r in await active_alerts(db, "n1")] == [raised.id]
    assert await active_alerts(db, "n2") == []
    later = NOW + timedelta(minutes=3)
    cleared = await record_cleared(db, raised.id, node="n1", value=-5.0, cleared_at=later)
    assert cleared is not None
    assert (cleared.active, cleared.cleared_at, cleared.value) == (False, later, -5.0)
    assert await record_cleared(db, raised.id, node="n1", value=0.0, cleared_at=later) is None  # once only
    assert await active_alerts(db, "n1") == []
    rows = sorted(await outbox_rows(db), key=lambda r: r.id)
    assert [r.event_type for r in rows] == ["alert.raised", "alert.cleared"]
    assert len({r.order_key for r in rows}) == 1  # delivered in order
    bodies = [json.loads(r.payload) for r in rows]
    assert bodies[0]["data"]["subject"] == "agent:ann"
    assert bodies[0]["data"]["active"] is True
    assert bodies[1]["data"]["cleared_at"] == later.isoformat()
    assert (raised.as_alert().started_at, raised.as_alert().id) == (T0 - 30, raised.id)  # as resumed


async def test_acknowledging_keeps_the_first_and_is_audited(db: Database) -> None:
    raised = await record_raised(db, _alert("server:pbx1"), node="n1", now=NOW)
    acked = await acknowledge(db, raised.id, "sue", NOW + timedelta(minutes=1))
    assert acked is not None
    assert (acked.acked_by, acked.acked_at) == ("sue", NOW + timedelta(minutes=1))
    again = await acknowledge(db, raised.id, "boss", NOW + timedelta(minutes=2))
    assert again is not None
    assert again.acked_by == "sue"
    assert await acknowledge(db, raised.id + 100, "sue", NOW) is None
    entries = [e for e in (await audit_entries(db))[1] if e.action == "alert.ack"]
    assert [(e.actor, e.target) for e in entries] == [("sue", f"alert:{raised.id}")]


async def test_listings_active_cleared_and_scoped(db: Database) -> None:
    ann = await record_raised(db, _alert("agent:ann", "ann"), node="n1", now=NOW)
    bob = await record_raised(db, _alert("agent:bob", "bob", at=T0 + 60), node="n1", now=NOW)
    server = await record_raised(db, _alert("server:pbx1", at=T0 + 120), node="n1", now=NOW)
    await record_cleared(db, ann.id, node="n1", value=0.0, cleared_at=NOW + timedelta(minutes=5))

    async def ids(where: AlertFilter) -> list[int]:
        total, found = await list_alerts(db, where)
        assert total == len(found)
        return [a.id for a in found]

    assert await ids(AlertFilter()) == [server.id, bob.id, ann.id]  # newest first
    assert await ids(AlertFilter(active=True)) == [server.id, bob.id]
    assert await ids(AlertFilter(active=False)) == [ann.id]
    assert await ids(AlertFilter(agents={"ann", "sue"})) == [server.id, ann.id]  # their agents' and no agent's
    found = await get_alert(db, bob.id)
    assert found is not None
    assert found.as_json()["active"] is True


async def test_the_purge_deletes_cleared_alerts_past_retention_only(db: Database) -> None:
    old = await record_raised(db, _alert("agent:ann", "ann"), node="n1", now=NOW)
    await record_cleared(db, old.id, node="n1", value=0.0, cleared_at=NOW)
    recent = await record_raised(db, _alert("agent:bob", "bob"), node="n1", now=NOW)
    await record_cleared(db, recent.id, node="n1", value=0.0, cleared_at=NOW + timedelta(days=3))
    still = await record_raised(db, _alert("server:pbx1"), node="n1", now=NOW)
    assert await delete_alerts_before(db, NOW + timedelta(days=1)) == 1
    _, left = await list_alerts(db, AlertFilter())
    assert sorted(a.id for a in left) == sorted([recent.id, still.id])
