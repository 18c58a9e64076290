"""Read-only queries behind the reports (dialer/reports): typed rows out, no arithmetic beyond counting.

Every query is bounded by campaign and by ``[start, end)`` on ``attempts.started_at`` (the
``ix_attempts_campaign_started`` index), and reads in keyset pages so a five-year export never holds one huge
result set in the driver. The report arithmetic itself lives in the pure modules of dialer/reports.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, delete, func, null, or_, select

from dialer.store.engine import Database
from dialer.store.evaluations import evaluations_t
from dialer.store.imports import split_importing, staged_counts
from dialer.store.records import RecordReader, as_tuple, in_period
from dialer.store.tables import attempts_t, call_legs_t, callbacks_t, dnc_t, lead_lists_t, leads_t, metadata

PAGE_SIZE = 5000


@dataclass(frozen=True, slots=True)
class ReportAttempt:
    """One call record with what the reports need of its lead (zones for the calling-window check)."""

    id: int
    lead_id: int
    phone: str
    caller_id: str | None
    started_at: datetime
    answered_at: datetime | None
    connected_at: datetime | None
    ended_at: datetime | None
    outcome: str | None
    hangup_cause: int | None
    amd_status: str | None
    agent: str | None
    disposition: str | None
    notes: str | None
    abandoned: bool
    ring_seconds: float | None
    trunk: str | None
    server: str | None
    # The lead as it is now: its current phone and that phone's zones (an attempt may have dialled an alt phone).
    lead_phone: str
    lead_tz_candidates: tuple[str, ...]
    lead_postal_zones: tuple[str, ...]
    # Closed from inferred evidence (the call ended while no daemon listened), not as the PBX reported it.
    outcome_inferred: bool = False


_report_attempt = RecordReader(ReportAttempt, lead_tz_candidates=as_tuple, lead_postal_zones=as_tuple)
# The lead's columns a report attempt carries; the others are the attempt's own.
_OF_LEAD = {
    "lead_phone": leads_t.c.phone,
    "lead_tz_candidates": leads_t.c.tz_candidates,
    "lead_postal_zones": leads_t.c.postal_zones,
}
_ATTEMPT_COLUMNS = tuple(name for name in _report_attempt.columns if name not in _OF_LEAD)


def _attempts_select(campaign_id: int, start: datetime | None, end: datetime | None, agent: str | None) -> Select[Any]:
    a = attempts_t.c
    stmt = select(
        *(a[name] for name in _ATTEMPT_COLUMNS), *(column.label(name) for name, column in _OF_LEAD.items())
    ).select_from(attempts_t.join(leads_t, leads_t.c.id == a.lead_id))
    stmt = stmt.where(a.campaign_id == campaign_id)
    stmt = stmt.where(*in_period(a.started_at, start, end))
    if agent is not None:
        stmt = stmt.where(a.agent == agent)
    return stmt


async def iter_report_attempts(
    db: Database,
    campaign_id: int,
    start: datetime | None,
    end: datetime | None,
    *,
    agent: str | None = None,
    page_size: int = PAGE_SIZE,
) -> AsyncIterator[list[ReportAttempt]]:
    """The campaign's attempts started in ``[start, end)``, oldest first, in pages (keyset on started_at, id)."""
    a = attempts_t.c
    after: tuple[datetime, int] | None = None
    while True:
        stmt = _attempts_select(campaign_id, start, end, agent)
        if after is not None:
            at, last_id = after
            stmt = stmt.where(or_(a.started_at > at, and_(a.started_at == at, a.id > last_id)))
        stmt = stmt.order_by(a.started_at, a.id).limit(page_size)
        async with db.read() as conn:
            rows = (await conn.execute(stmt)).mappings().all()
        if not rows:
            return
        page = [_report_attempt(r) for r in rows]
        yield page
        if len(page) < page_size:
            return
        after = (page[-1].started_at, page[-1].id)


# -- leads ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LeadListCounts:
    list_id: int | None
    name: str
    total: int
    dialled: int  # leads dialled at least once
    by_status: dict[str, int]


@dataclass(frozen=True, slots=True)
class LeadTotals:
    total: int
    dialled: int
    by_status: dict[str, int]
    lists: tuple[LeadListCounts, ...]


async def lead_totals(db: Database, campaign_id: int) -> LeadTotals:
    """Leads per list and status, and how many were ever dialled (penetration), as they stand now."""
    ld = leads_t.c
    dialled = func.sum(case((ld.dials > 0, 1), else_=0))
    stmt = (
        select(ld.list_id, ld.status, func.count(), dialled)
        .where(ld.campaign_id == campaign_id)
        .group_by(ld.list_id, ld.status)
    )
    async with db.read() as conn:
        rows = (await conn.execute(stmt)).all()
        staged = await staged_counts(conn, campaign_id)  # (leads of a running import: "importing", not archived)
        names = dict(
            (
                await conn.execute(
                    select(lead_lists_t.c.id, lead_lists_t.c.name).where(lead_lists_t.c.campaign_id == campaign_id)
                )
            ).all()
        )
    per_list: dict[int | None, dict[str, Any]] = {}
    for list_id, status, count, n_dialled in rows:
        entry = per_list.setdefault(list_id, {"total": 0, "dialled": 0, "by_status": {}})
        entry["total"] += int(count)
        entry["dialled"] += int(n_dialled or 0)
        entry["by_status"][status] = entry["by_status"].get(status, 0) + int(count)
    lists = tuple(
        LeadListCounts(
            list_id=list_id,
            name=names.get(list_id, "(no list)") if list_id is not None else "(no list)",
            total=e["total"],
            dialled=e["dialled"],
            by_status=dict(sorted(split_importing(e["by_status"], staged.get(list_id, 0)).items())),
        )
        for list_id, e in sorted(per_list.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
    )
    by_status: dict[str, int] = {}
    for lst in lists:
        for status, count in lst.by_status.items():
            by_status[status] = by_status.get(status, 0) + count
    return LeadTotals(
        total=sum(lst.total for lst in lists),
        dialled=sum(lst.dialled for lst in lists),
        by_status=dict(sorted(by_status.items())),
        lists=lists,
    )


# -- callbacks --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CallbackFact:
    id: int
    lead_id: int
    due_at: datetime
    agent: str | None
    state: str
    created_at: datetime
    carried_to: int | None = None  # its promise carried over to that callback (its call found the number dead)


async def callbacks_due(
    db: Database, campaign_id: int, start: datetime | None, end: datetime | None
) -> list[CallbackFact]:
    """Callbacks of the campaign due in ``[start, end)``."""
    c = callbacks_t.c
    stmt = select(c.id, c.lead_id, c.due_at, c.agent, c.state, c.created_at, c.carried_to).where(
        c.campaign_id == campaign_id
    )
    stmt = stmt.where(*in_period(c.due_at, start, end))
    async with db.read() as conn:
        rows = (await conn.execute(stmt.order_by(c.due_at, c.id))).mappings().all()
    return [CallbackFact(**dict(r)) for r in rows]


# -- DNC --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DncFacts:
    scrubbed_at_import: int  # rows refused at import because their number was on a DNC list (lead_lists.dnc)
    leads_set_aside: int  # leads now in status dnc (opt-out by the called party, or found on DNC when claimed)
    campaign_entries: int  # the campaign's own DNC list size
    campaign_entries_added: int  # ... of which added in the report range (agents' DNC dispositions, opt-outs)
    global_entries: int  # the shared (national / internal) DNC list size


async def dnc_facts(db: Database, campaign_id: int, start: datetime | None, end: datetime | None) -> DncFacts:
    d = dnc_t.c
    added = select(func.count()).select_from(dnc_t).where(d.campaign_id == campaign_id)
    added = added.where(*in_period(d.added_at, start, end))
    async with db.read() as conn:
        scrubbed = (
            await conn.execute(
                select(func.coalesce(func.sum(lead_lists_t.c.dnc), 0)).where(lead_lists_t.c.campaign_id == campaign_id)
            )
        ).scalar_one()
        set_aside = (
            await conn.execute(
                select(func.count())
                .select_from(leads_t)
                .where(leads_t.c.campaign_id == campaign_id, leads_t.c.status == "dnc")
            )
        ).scalar_one()
        campaign_entries = (
            await conn.execute(select(func.count()).select_from(dnc_t).where(d.campaign_id == campaign_id))
        ).scalar_one()
        added_in_range = (await conn.execute(added)).scalar_one()
        global_entries = (
            await conn.execute(select(func.count()).select_from(dnc_t).where(d.campaign_id.is_(None)))
        ).scalar_one()
    return DncFacts(int(scrubbed), int(set_aside), int(campaign_entries), int(added_in_range), int(global_entries))


async def dnc_listed_since(db: Database, campaign_id: int, numbers: Sequence[str]) -> dict[str, datetime]:
    """For each of ``numbers`` on a DNC list that applies to the campaign (global or its own): since when."""
    d = dnc_t.c
    found: dict[str, datetime] = {}
    unique = sorted(set(numbers))
    async with db.read() as conn:
        for i in range(0, len(unique), 500):
            chunk = unique[i : i + 500]
            rows = await conn.execute(
                select(d.number, func.min(d.added_at))
                .where(d.number.in_(chunk), or_(d.campaign_id.is_(None), d.campaign_id == campaign_id))
                .group_by(d.number)
            )
            for number, since in rows.all():
                found[number] = since
    return found


# -- agent state history ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AgentEventFact:
    agent: str
    at: datetime
    status: str  # the AgentStatus value entered
    reason: str | None
    queues: tuple[str, ...] | None = None  # the queues signed in to after it (None: not recorded)


def agent_history_recorded() -> bool:
    """Does the schema have the daemon's agent state history (table ``agent_events``)?"""
    table = metadata.tables.get("agent_events")
    return table is not None and {"agent", "at", "status"} <= set(table.c.keys())


async def agent_events(
    db: Database, start: datetime | None, end: datetime | None, *, agents: Collection[str] | None = None
) -> list[AgentEventFact] | None:
    """Agent state changes in ``[start, end)`` (plus each agent's last change before ``start``, its state at the
    start), oldest first, of ``agents`` (None: everybody); None when the schema records no agent history."""
    if not agent_history_recorded():
        return None
    t = metadata.tables["agent_events"]
    reason = t.c.reason if "reason" in t.c else None
    queues = t.c.queues if "queues" in t.c else None
    columns = [
        t.c.agent,
        t.c.at,
        t.c.status,
        reason if reason is not None else null().label("reason"),
        queues if queues is not None else null().label("queues"),
    ]
    stmt = select(*columns)
    stmt = stmt.where(*in_period(t.c.at, start, end))
    if agents is not None:
        stmt = stmt.where(t.c.agent.in_(sorted(agents)))
    async with db.read() as conn:
        rows = (await conn.execute(stmt.order_by(t.c.at))).all()
        before: list[Any] = []
        if start is not None:
            last = select(t.c.agent, func.max(t.c.at).label("at")).where(t.c.at < start).group_by(t.c.agent)
            if agents is not None:
                last = last.where(t.c.agent.in_(sorted(agents)))
            sub = last.subquery()
            before = list(
                (
                    await conn.execute(select(*columns).join(sub, and_(sub.c.agent == t.c.agent, sub.c.at == t.c.at)))
                ).all()
            )
    return [AgentEventFact(r[0], r[1], r[2], r[3], None if r[4] is None else tuple(r[4])) for r in [*before, *rows]]


# -- retention --------------------------------------------------------------------------------------------------


async def delete_attempts_before(db: Database, cutoff: datetime, *, batch: int = 10_000) -> int:
    """Delete call records started before ``cutoff`` (retention), with their call legs and quality evaluations,
    in batches so a big purge never holds one long write lock. Leads, callbacks and DNC entries are kept. Returns
    the number deleted."""
    a = attempts_t.c
    total = 0
    while True:
        async with db.write() as conn:
            ids = (
                (await conn.execute(select(a.id).where(a.started_at < cutoff).order_by(a.id).limit(batch)))
                .scalars()
                .all()
            )
            if not ids:
                return total
            await conn.execute(delete(call_legs_t).where(call_legs_t.c.attempt_id.in_(ids)))
            await conn.execute(delete(evaluations_t).where(evaluations_t.c.attempt_id.in_(ids)))
            await conn.execute(delete(attempts_t).where(a.id.in_(ids)))
        total += len(ids)


async def count_attempts_before(db: Database, cutoff: datetime) -> int:
    async with db.read() as conn:
        n = (
            await conn.execute(select(func.count()).select_from(attempts_t).where(attempts_t.c.started_at < cutoff))
        ).scalar_one()
    return int(n)
