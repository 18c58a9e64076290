"""`dialer bench scale`: a large centre's data, and what the manager's pages, the dashboard and the reports cost on it.

One campaign with 200 000 leads (``--leads``; a large centre: 1 000 000), a month of call records (600 000,
``--attempts``; a large centre: 5 000 000) by 200 agents, and 200 000 audit log entries, generated in the database
(dialer.store.benchdata) on SQLite and on PostgreSQL (DIALER_TEST_PG_URL, or --pg-url). The databases are kept under
var/bench/ and reused by the next run. Then the store functions behind the pages, each run five times: the median
time, and whether a query of it reads a whole table (``SCAN`` / ``Seq Scan``: the plan of the statements it really
sent, dialer.store.plans) -- a page of a big table should look its rows up through an index, not read them all:

* the supervisor dashboard's agent figures (the last 24 hours, refreshed every 5 s) and its "why not dialling";
* an agent's calls and leads (the agent console, ``GET /api/agents/{id}/calls``, ``GET /api/leads?agent=``);
* the leads search (a page of new leads; by phone digits), the audit log (page 1; one agent's entries), the
  lead lists with their counts, the callbacks;
* a report's read of the call records of the last 7 days (``--report-days 30``: a month), in keyset pages of
  5 000: records/s (its memory is one page, by construction).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from dialer.bench.store import (
    BENCH_DIR,
    BENCH_NOW,
    _bench_campaign_in,
    bench_campaign,
    machine_load,
    on_backends,
)
from dialer.store import Database
from dialer.store.audit import audit_entries
from dialer.store.benchdata import (
    count_attempts,
    count_audit_entries,
    count_leads,
    delete_attempts,
    generate_attempts,
    generate_audit,
    generate_leads,
)
from dialer.store.console import LeadQuery, agent_figures, attempts_of_agent, list_callbacks, search_leads
from dialer.store.lists import list_views
from dialer.store.plans import captured_statements, query_plans, scans_whole
from dialer.store.reports import PAGE_SIZE, iter_report_attempts
from dialer.store.status import lead_status

AGENTS = 200
AUDIT_ENTRIES = 200_000
RUNS = 5
_TABLES = ("leads", "attempts", "audit_log", "callbacks", "lead_lists")


async def _prepare(db: Database, leads: int, attempts: int) -> int:
    campaign_id = await _bench_campaign_in(db)
    t = time.perf_counter()
    have = await count_leads(db, campaign_id)
    if have < leads:
        await generate_leads(db, campaign_id, leads - have, BENCH_NOW, start=have)
    if await count_attempts(db) < attempts:
        await delete_attempts(db)
        await generate_attempts(db, campaign_id, attempts, BENCH_NOW, agents=AGENTS)
    if await count_audit_entries(db) < AUDIT_ENTRIES:
        await generate_audit(db, AUDIT_ENTRIES, BENCH_NOW, agents=AGENTS)
    if (spent := time.perf_counter() - t) > 1:
        typer.echo(f"  data generated in {spent:.1f} s")
    return campaign_id


async def _measure(db: Database, label: str, run: Callable[[], Awaitable[object]]) -> None:
    async with captured_statements(db) as sent:
        await run()
    plans = await query_plans(db, sent)
    whole = sorted({table for plan in plans for table in _TABLES if scans_whole(plan, table)})
    times = []
    for _ in range(RUNS):
        t = time.perf_counter()
        await run()
        times.append((time.perf_counter() - t) * 1000)
    reads = f"scans {', '.join(whole)}" if whole else "index look-ups only"
    typer.echo(f"  {label:<44} {statistics.median(times):9.1f} ms  {reads}")


async def _report_read(db: Database, campaign_id: int, days: int) -> int:
    rows = 0
    async for page in iter_report_attempts(db, campaign_id, BENCH_NOW - timedelta(days=days), BENCH_NOW):
        rows += len(page)
    return rows


async def run_scale_on(db: Database, label: str, leads: int, attempts: int, report_days: int) -> None:
    typer.echo(
        f"scale ({label}, {leads:,} leads, {attempts:,} call records over 30 days by {AGENTS} agents, "
        f"{AUDIT_ENTRIES:,} audit entries; {machine_load()}):"
    )
    campaign_id = await _prepare(db, leads, attempts)
    config = bench_campaign()
    since = BENCH_NOW - timedelta(hours=24)
    measures: list[tuple[str, Callable[[], Awaitable[object]]]] = [
        ("dashboard: agent figures (24 h)", lambda: agent_figures(db, since)),
        (
            "dashboard: why not dialling (sample 100)",
            lambda: lead_status(db, config, campaign_id, BENCH_NOW, sample=100),
        ),
        ("an agent's calls (page of 50)", lambda: attempts_of_agent(db, "agent-007", 50, 0)),
        ("an agent's leads (page of 50)", lambda: search_leads(db, LeadQuery(agent="agent-007"))),
        ("leads: new, page of 50", lambda: search_leads(db, LeadQuery(campaign_id=campaign_id, status="new"))),
        ("leads: by phone digits", lambda: search_leads(db, LeadQuery(campaign_id=campaign_id, text="2000012345"))),
        ("audit log: page of 100", lambda: audit_entries(db, limit=100)),
        ("audit log: one agent's entries", lambda: audit_entries(db, target="agent:agent-007", limit=20)),
        ("lead lists with their counts", lambda: list_views(db, campaign_id)),
        ("callbacks: page of 50", lambda: list_callbacks(db, limit=50)),
    ]
    for name, run in measures:
        await _measure(db, name, run)
    t = time.perf_counter()
    rows = await _report_read(db, campaign_id, report_days)
    spent = time.perf_counter() - t
    read = f"report read of {report_days} days ({rows:,} records)"
    typer.echo(f"  {read:<44} {spent:9.1f} s   {rows / spent:,.0f} records/s, in pages of {PAGE_SIZE:,}")


async def run_scale(
    leads: int, attempts: int, report_days: int, backend: str, pg_url: str | None, workdir: Path
) -> None:
    async def run(db: Database, label: str) -> None:
        await run_scale_on(db, label, leads, attempts, report_days)

    await on_backends("scale", f"scale-{leads}", backend, pg_url, workdir, run)


def bench_scale_at(
    leads: int, attempts: int, report_days: int, backend: str, pg_url: str | None, workdir: Path
) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    asyncio.run(run_scale(leads, attempts, report_days, backend, pg_url, workdir))


def register(app: typer.Typer) -> None:
    """Add `dialer bench scale`."""

    @app.command("scale")
    def bench_scale(
        leads: Annotated[int, typer.Option("--leads", min=1000, help="leads in the campaign")] = 200_000,
        attempts: Annotated[int, typer.Option("--attempts", min=1000, help="call records over 30 days")] = 600_000,
        report_days: Annotated[
            int, typer.Option("--report-days", min=1, max=30, help="days a report reads (30: a month)")
        ] = 7,
        backend: Annotated[str, typer.Option("--backend", help="sqlite, postgres or both")] = "both",
        pg_url: Annotated[str | None, typer.Option("--pg-url", help="default: $DIALER_TEST_PG_URL")] = None,
    ) -> None:
        """The manager's pages, the dashboard and a report's read on a large centre's data (--leads 1000000
        --attempts 5000000 for a large centre)."""
        if backend not in ("sqlite", "postgres", "both"):
            raise typer.BadParameter("--backend must be sqlite, postgres or both")
        bench_scale_at(leads, attempts, report_days, backend, pg_url, BENCH_DIR)


def run_default() -> None:
    """200 000 leads, 600 000 call records, a week's report read, on SQLite and PostgreSQL."""
    bench_scale_at(200_000, 600_000, 7, "both", None, BENCH_DIR)
