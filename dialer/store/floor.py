"""The floor as each daemon sees it (``floor_views``): one row per daemon -- its agents and campaigns as its memory
holds them, and when it last said so -- so that every daemon's dashboard shows the whole floor.

Several daemons may share the database (README, "Several daemons on one PostgreSQL"): each runs some campaigns and
serves some agents' consoles, and only it knows them live. Each publishes its view every few seconds
(:func:`publish_view` when it changed, :func:`touch_view` when it did not) and removes it when it stops cleanly
(:func:`remove_view`). A row not refreshed for :data:`VIEW_FRESH_SECONDS` is *stale*: its daemon stopped
reporting (killed, hung, cut from the database); a dashboard does not show its agents as if they were live (their
sessions come back with the daemon that takes them over) but says that daemon is not reporting.

One row per daemon (not per agent): a daemon's view is one snapshot, written at once; a daemon is fresh or stale as
a whole; a dashboard reads the floor in one query over a handful of rows; a clean stop removes one row.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlmodel import Field, SQLModel

from dialer.agents.registry import Agent, AgentStatus
from dialer.store.dialect import upsert_insert
from dialer.store.engine import Database
from dialer.store.tables import metadata
from dialer.store.types import UTCDateTime, json_document

assert metadata is SQLModel.metadata

# A daemon's view not refreshed for this long (a few of its publishing periods) is stale: it is not reporting.
VIEW_FRESH_SECONDS = 10.0
PURGE_AFTER = timedelta(hours=1)  # a stale view is listed as "not reporting" for this long, then forgotten


class FloorViewRow(SQLModel, table=True):
    """A daemon's live view: its agents (:func:`agent_facts` each) and its campaigns (their dashboard rows)."""

    __tablename__ = "floor_views"

    node: str = Field(max_length=255, primary_key=True)  # the daemon (its owner id, as its leases name it)
    agents: list[dict[str, Any]] = Field(default_factory=list, sa_type=json_document())
    campaigns: list[dict[str, Any]] = Field(default_factory=list, sa_type=json_document())
    # The Asterisk servers it is connected to (None: a view an older daemon published: not known).
    servers: list[str] | None = Field(default=None, sa_type=json_document())
    changed_at: datetime = Field(sa_type=UTCDateTime)  # when the view last changed
    seen_at: datetime = Field(sa_type=UTCDateTime)  # when its daemon last published or confirmed it


floor_views_t = metadata.tables["floor_views"]


@dataclass(frozen=True, slots=True)
class PublishedAgent:
    """An agent as the daemon serving them published them: the agent, and the seconds they spent in each state
    before their current one (since the daemon started following them)."""

    agent: Agent
    spent: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class FloorView:
    """A daemon's published view."""

    node: str
    agents: tuple[PublishedAgent, ...]
    campaigns: tuple[dict[str, Any], ...]
    changed_at: datetime
    seen_at: datetime
    servers: frozenset[str] | None = None  # the Asterisk servers it is connected to (None: not known)

    def fresh(self, now: datetime) -> bool:
        """Whether its daemon is still reporting at ``now``."""
        return (now - self.seen_at).total_seconds() <= VIEW_FRESH_SECONDS


def agent_facts(agent: Agent, spent: Mapping[str, float]) -> dict[str, Any]:
    """What a daemon publishes of an agent: every fact another daemon's dashboard shows of them, none that moves by
    itself with time (their seconds in state are counted from ``since`` by whoever reads them)."""
    return {
        "agent_id": agent.agent_id,
        "interface": agent.interface,
        "member_name": agent.member_name,
        "queues": sorted(agent.queues),
        "status": agent.status.value,
        "since": agent.since,
        "pause_reason": agent.pause_reason,
        "wrapup_until": agent.wrapup_until,
        "wrapup_needs_disposition": agent.wrapup_needs_disposition,
        "pending_pause": agent.pending_pause,
        "announced_ready_at": agent.announced_ready_at,
        "call_queue": agent.call_queue,
        "calls_taken": agent.calls_taken,
        "server": agent.server,
        "spent": {state: round(seconds, 3) for state, seconds in sorted(spent.items())},
    }


def _published(facts: Mapping[str, Any]) -> PublishedAgent:
    agent = Agent(
        agent_id=str(facts["agent_id"]),
        interface=str(facts.get("interface") or ""),
        member_name=str(facts.get("member_name") or facts["agent_id"]),
        queues=frozenset(facts.get("queues") or ()),
        status=AgentStatus(facts["status"]),
        since=float(facts.get("since") or 0.0),
        pause_reason=facts.get("pause_reason"),
        wrapup_until=facts.get("wrapup_until"),
        wrapup_needs_disposition=bool(facts.get("wrapup_needs_disposition")),
        pending_pause=facts.get("pending_pause"),
        announced_ready_at=facts.get("announced_ready_at"),
        call_queue=facts.get("call_queue"),
        calls_taken=int(facts.get("calls_taken") or 0),
        server=str(facts.get("server") or ""),
    )
    spent = {str(k): float(v) for k, v in (facts.get("spent") or {}).items()}
    return PublishedAgent(agent, spent)


async def publish_view(
    db: Database,
    node: str,
    agents: Sequence[dict[str, Any]],
    campaigns: Sequence[dict[str, Any]],
    now: datetime,
    servers: Collection[str] = (),
) -> None:
    """``node``'s view is now ``agents`` (:func:`agent_facts` each) and ``campaigns``, connected to ``servers``, as
    of ``now``."""
    values = {
        "agents": list(agents),
        "campaigns": list(campaigns),
        "servers": sorted(servers),
        "changed_at": now,
        "seen_at": now,
    }
    async with db.write() as conn:
        stmt = upsert_insert(conn, floor_views_t).values(node=node, **values)
        await conn.execute(stmt.on_conflict_do_update(index_elements=["node"], set_=values))


async def touch_view(db: Database, node: str, now: datetime) -> bool:
    """``node``'s view has not changed and still holds at ``now``. False when there is no row to touch (removed,
    or purged while the daemon was away): the caller publishes its view again."""
    c = floor_views_t.c
    async with db.write() as conn:
        result = await conn.execute(update(floor_views_t).where(c.node == node).values(seen_at=now))
    return bool(result.rowcount)


async def remove_view(db: Database, node: str) -> None:
    """``node`` stops cleanly: its view goes (its agents' sessions are released to whoever takes them)."""
    async with db.write() as conn:
        await conn.execute(delete(floor_views_t).where(floor_views_t.c.node == node))


async def delete_views_before(db: Database, cutoff: datetime) -> int:
    """Forget the views of daemons silent since before ``cutoff`` (long gone: no longer worth a line on the
    dashboard)."""
    async with db.write() as conn:
        result = await conn.execute(delete(floor_views_t).where(floor_views_t.c.seen_at < cutoff))
    return result.rowcount


async def floor_views(db: Database) -> list[FloorView]:
    """Every daemon's published view (fresh or stale: :meth:`FloorView.fresh`), by daemon."""
    async with db.read() as conn:
        rows = (await conn.execute(select(floor_views_t).order_by(floor_views_t.c.node))).mappings().all()
    return [
        FloorView(
            node=row["node"],
            agents=tuple(_published(facts) for facts in row["agents"] or ()),
            campaigns=tuple(dict(c) for c in row["campaigns"] or ()),
            changed_at=row["changed_at"],
            seen_at=row["seen_at"],
            servers=frozenset(row["servers"]) if row["servers"] is not None else None,
        )
        for row in rows
    ]


async def may_be_connected(db: Database, server: str, now: datetime) -> bool:
    """Whether a daemon reporting at ``now`` may be connected to ``server``: one whose view says so, or one whose
    connections are not known (an older daemon's view)."""
    return any(view.fresh(now) and (view.servers is None or server in view.servers) for view in await floor_views(db))
