"""Lead-store benchmarks: `dialer bench import` (CSV import rate) and `dialer bench claim` (claim latency).

import: a generated lead CSV (dialer.campaign.samples, 1 M rows by default, ~1 % malformed rows) imported into a
  fresh SQLite campaign that already has a DNC list: phone parsing, per-row validation, DNC scrub, dedupe and
  the multi-row inserts, all in the single import transaction. Then the same file again (every row a duplicate).
  Target: >= 20 000 rows/s on SQLite.
import-quote: a 200 k-row and a 2 M-row CSV, each with one unclosed quote in row 2, imported in a process of its
  own (the CLI's path: streamed rows, batched staged transactions, error report streamed to disk): rows/s, rows
  imported and the process' peak RSS. Bounded memory means the same peak at both sizes; only row 2 is lost.
import-cjk: a Japanese file in Shift_JIS (cp932) and a Chinese one in GB18030 (200 k rows each, ``--rows 1000000``
  for a large centre; every 100th number bad), each imported the same way: rows/s, imported and invalid rows, the
  error report's rows (one per bad row) and the process' peak RSS.
claim: 10 M leads in one campaign (60 % new, 25 % retry -- half due, 5 % callbacks, 10 % closed), generated in
  the database; batches of 50 claimed one after another, as the runner does. p50/p99 per batch, SQLite and
  PostgreSQL (DIALER_TEST_PG_URL, or --pg-url). Target <= 5 ms. The generated databases are kept under
  var/bench/ and reused by the next run (their claimed leads are put back first).
"""

from __future__ import annotations

import asyncio
import csv
import io
import multiprocessing
import os
import resource
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, TextIO

import typer

from dialer.bench.daemon import percentile
from dialer.campaign.config import CampaignConfig, load_campaign
from dialer.campaign.leadimport import LeadCsvReader
from dialer.campaign.phones import Phone, normalize
from dialer.campaign.samples import SAMPLE_HEADER, sample_rows, write_sample_csv
from dialer.store import Database, create_database, upgrade
from dialer.store.benchdata import count_leads, generate_leads
from dialer.store.campaigns import apply_campaign
from dialer.store.claim import claim_leads, release_expired_leases
from dialer.store.dnc import import_dnc
from dialer.store.engine import delete_sqlite_files
from dialer.store.imports import ImportSummary, import_lead_csv
from dialer.store.lifecycle import claim_dialable, claim_order
from dialer.store.status import lead_status

BENCH_DIR = Path("var") / "bench"
# A fixed instant for generated data: Monday 2 March 2026, 15:00 UTC (10:00 in New York: window open).
BENCH_NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def bench_campaign(name: str = "bench") -> CampaignConfig:
    return load_campaign(
        {"name": name, "queue": "bench", "trunk": "PJSIP/{number}@carrier", "caller_id": {"number": "+14155550100"}}
    )


async def _bench_campaign_in(db: Database) -> int:
    """The schema brought up to date and the bench campaign applied (created, or kept as it is): its id."""
    await upgrade(db)
    config = bench_campaign()
    return (await apply_campaign(db, config.name, config.model_dump(mode="json"), BENCH_NOW)).campaign.id


def machine_load() -> str:
    """Figures on a shared machine mean little without the load they were taken under."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f}/{five:.1f} on {os.cpu_count()} CPUs"


# -- import -----------------------------------------------------------------------------------------------------


async def _timed_import(
    db: Database, campaign_id: int, csv_path: Path, region: str, errors: TextIO | None = None
) -> tuple[float, ImportSummary]:
    """One import of ``csv_path`` (its rejected rows reported to ``errors`` when given) and the seconds it took."""
    started = time.perf_counter()
    report = (lambda: errors) if errors is not None else None
    summary = await import_lead_csv(db, csv_path, campaign_id=campaign_id, region=region, now=BENCH_NOW, report=report)
    return time.perf_counter() - started, summary


async def _import_once(db: Database, campaign_id: int, csv_path: Path, region: str) -> tuple[float, dict[str, int]]:
    elapsed, summary = await _timed_import(db, campaign_id, csv_path, region)
    counts = {
        "rows": summary.rows,
        "imported": summary.imported,
        "duplicates": summary.duplicates,
        "invalid": summary.invalid,
        "dnc": summary.dnc,
    }
    return elapsed, counts


def prepare_import(rows: int, workdir: Path) -> tuple[Path, Path]:
    """The sample CSV (generated once, kept) and a path for a fresh database."""
    workdir.mkdir(parents=True, exist_ok=True)
    csv_path = workdir / f"leads-{rows}.csv"
    if not csv_path.is_file():
        t = time.perf_counter()
        write_sample_csv(csv_path, rows, seed=7)
        typer.echo(f"generated {csv_path} ({rows} rows) in {time.perf_counter() - t:.1f} s")
    db_path = workdir / "import.sqlite"
    delete_sqlite_files(db_path)
    return csv_path, db_path


def bench_import_at(rows: int, workdir: Path) -> None:
    csv_path, db_path = prepare_import(rows, workdir)
    asyncio.run(run_import(rows, csv_path, db_path))


async def run_import(rows: int, csv_path: Path, db_path: Path) -> None:
    db = create_database(f"sqlite+aiosqlite:///{db_path}")
    try:
        campaign_id = await _bench_campaign_in(db)
        # A DNC list of 100 000 numbers, 1 in 10 of the file's first 20 000 numbers among them.
        listed = [
            p.e164
            for i, row in enumerate(sample_rows(min(rows, 20_000), seed=7, bad_rows=False))
            if i % 10 == 0 and isinstance(p := normalize(row[3], "US"), Phone)
        ]
        listed += [f"+1646555{i:04d}" for i in range(10_000)] + [f"+4420794{i:05d}" for i in range(90_000)]
        await import_dnc(db, listed, source="bench", now=BENCH_NOW)

        t = time.perf_counter()
        parsed = sum(1 for _ in LeadCsvReader(csv_path, default_region="US"))
        parse_seconds = time.perf_counter() - t
        first, counts = await _import_once(db, campaign_id, csv_path, "US")
        again, counts_again = await _import_once(db, campaign_id, csv_path, "US")
    finally:
        await db.dispose()
    typer.echo(f"import (SQLite, {rows} rows, {len(listed)} DNC numbers; {machine_load()}):")
    typer.echo(f"  parse only            {parsed / parse_seconds:>10,.0f} rows/s  ({parse_seconds:.1f} s)")
    typer.echo(f"  first import          {rows / first:>10,.0f} rows/s  ({first:.1f} s)  {counts}")
    typer.echo(f"  same file again       {rows / again:>10,.0f} rows/s  ({again:.1f} s)  {counts_again}")
    typer.echo("  target                    20,000 rows/s")


# -- import with an unclosed quote: rows/s and peak RSS -----------------------------------------------------------


def write_unclosed_quote_csv(path: Path, rows: int) -> None:
    """``rows`` sample rows; row 2's last cell opens a quote that never closes."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(SAMPLE_HEADER)
        for i, row in enumerate(sample_rows(rows, seed=11, bad_rows=False)):
            if i == 1:
                cells = io.StringIO()
                csv.writer(cells, lineterminator="").writerow(row[:-1])
                fh.write(cells.getvalue() + ',"this note never closes\n')
            else:
                writer.writerow(row)


def _peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


async def _import_file(csv_path: Path, db_path: Path, errors_path: Path, region: str) -> dict[str, float]:
    db = create_database(f"sqlite+aiosqlite:///{db_path}")
    try:
        campaign_id = await _bench_campaign_in(db)
        with errors_path.open("w", encoding="utf-8", newline="") as stream:
            elapsed, summary = await _timed_import(db, campaign_id, csv_path, region, stream)
    finally:
        await db.dispose()
    with errors_path.open(encoding="utf-8") as report:
        reported = sum(1 for _ in report) - 1  # its header
    return {
        "rows": summary.rows,
        "imported": summary.imported,
        "invalid": summary.invalid,
        "duplicates": summary.duplicates,
        "reported": reported,
        "seconds": elapsed,
        "peak_rss_mib": _peak_rss_mib(),
    }


def _import_in_child(
    csv_path: str, db_path: str, errors_path: str, region: str, out: multiprocessing.Queue[object]
) -> None:
    try:
        out.put(asyncio.run(_import_file(Path(csv_path), Path(db_path), Path(errors_path), region)))
    except Exception as exc:  # the parent waits for one answer: a failure is one too
        out.put(f"{type(exc).__name__}: {exc}")


def import_in_a_process(csv_path: Path, region: str, workdir: Path) -> dict[str, float]:
    """``csv_path`` imported into a fresh SQLite database in a fresh process (the CLI's path: streamed rows, batched
    staged transactions, the error report streamed to disk): its figures and that process' peak RSS -- this
    import's alone."""
    db_path = workdir / "import-child.sqlite"
    delete_sqlite_files(db_path)
    ctx = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue[object] = ctx.Queue()
    errors = workdir / f"{csv_path.stem}-errors.csv"
    child = ctx.Process(target=_import_in_child, args=(str(csv_path), str(db_path), str(errors), region, queue))
    child.start()
    result = queue.get()
    child.join()
    if not isinstance(result, dict):
        raise RuntimeError(f"import of {csv_path} failed: {result}")
    return result


def _print_import(label: str, result: dict[str, float]) -> None:
    typer.echo(
        f"  {label:<18} {result['rows'] / result['seconds']:>9,.0f} rows/s  ({result['seconds']:.1f} s)  "
        f"imported {result['imported']:,}, invalid {result['invalid']:,}, duplicates {result['duplicates']:,}, "
        f"error report {result['reported']:,} rows  peak RSS {result['peak_rss_mib']:.0f} MiB"
    )


def bench_import_quote_at(sizes: tuple[int, ...], workdir: Path) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    typer.echo(f"import with one unclosed quote (SQLite, a fresh process per file; {machine_load()}):")
    for rows in sizes:
        csv_path = workdir / f"quote-{rows}.csv"
        if not csv_path.is_file():
            t = time.perf_counter()
            write_unclosed_quote_csv(csv_path, rows)
            typer.echo(f"  generated {csv_path} ({rows:,} rows) in {time.perf_counter() - t:.1f} s")
        _print_import(f"{rows:,} rows", import_in_a_process(csv_path, "US", workdir))


# -- import of Japanese and Chinese files: Shift_JIS (cp932), GB18030 ---------------------------------------------

_CJK_FILES = (
    # (encoding, region, family names, given names, a note)
    ("cp932", "JP", ("山田", "佐藤", "鈴木", "高橋"), ("太郎", "花子", "翔太", "美咲"), "折り返し希望"),
    ("gb18030", "CN", ("王", "李", "张", "刘"), ("小明", "丽娜", "建国", "晓燕"), "请下午回电"),
)


def _cjk_phone(region: str, n: int) -> str:
    """A national number, unique for n; every 100th one too short to be valid (a bad row)."""
    if n % 100 == 0:
        return "0123"
    if region == "JP":
        return f"090-{1000 + n // 10000 % 9000:04d}-{n % 10000:04d}"
    return f"138{n:08d}"


def write_cjk_csv(
    path: Path, rows: int, encoding: str, region: str, words: tuple[tuple[str, ...], tuple[str, ...], str]
) -> None:
    """``rows`` leads with names in Japanese or Chinese (``words``: family names, given names, a note), written in
    ``encoding``; every 100th number bad."""
    family, given, note = words
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(("external_id", "last_name", "first_name", "phone", "notes"))
        for n in range(1, rows + 1):
            writer.writerow((f"x{n}", family[n % len(family)], given[n // 7 % len(given)], _cjk_phone(region, n), note))


def bench_import_cjk_at(rows: int, workdir: Path) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    typer.echo(
        f"import of Japanese and Chinese files ({rows:,} rows, 1 % bad; SQLite, a process each; {machine_load()}):"
    )
    for encoding, region, family, given, note in _CJK_FILES:
        csv_path = workdir / f"leads-{encoding}-{rows}.csv"
        if not csv_path.is_file():
            write_cjk_csv(csv_path, rows, encoding, region, (family, given, note))
        _print_import(f"{encoding} ({region})", import_in_a_process(csv_path, region, workdir))


# -- claim ------------------------------------------------------------------------------------------------------


async def _prepare_claim_db(db: Database, leads: int) -> int:
    campaign_id = await _bench_campaign_in(db)
    # Leads claimed by an earlier run go back to the pool.
    await release_expired_leases(db, BENCH_NOW + timedelta(days=365))
    have = await count_leads(db, campaign_id)
    if have < leads:
        t = time.perf_counter()
        await generate_leads(db, campaign_id, leads - have, BENCH_NOW, start=have)
        typer.echo(f"  generated {leads - have:,} leads in {time.perf_counter() - t:.1f} s")
    return campaign_id


async def _time_batches(batches: int, claim: Callable[[int], Awaitable[int]]) -> tuple[list[float], int]:
    latencies: list[float] = []
    claimed = 0
    for i in range(batches):
        t = time.perf_counter()
        claimed += await claim(i)
        latencies.append((time.perf_counter() - t) * 1000)
    return latencies, claimed


def _report(label: str, latencies: list[float], claimed: int, batch: int) -> None:
    typer.echo(
        f"  {label:<34} p50 {statistics.median(latencies):6.2f} ms  p99 {percentile(latencies, 0.99):6.2f} ms  "
        f"max {max(latencies):6.2f} ms  ({len(latencies)} batches, {claimed / len(latencies):.0f}/{batch} leads)"
    )


async def run_claim_on(db: Database, label: str, leads: int, batches: int, batch: int) -> None:
    typer.echo(f"claim ({label}, {leads:,} leads, batches of {batch}; {machine_load()}):")
    campaign_id = await _prepare_claim_db(db, leads)
    config = bench_campaign()
    lease = timedelta(seconds=config.lease_seconds)
    order = claim_order(config)

    async def raw(i: int) -> int:
        got = await claim_leads(
            db, campaign_id=campaign_id, owner=f"bench-{i % 4}", limit=batch, now=BENCH_NOW, lease=lease, order=order
        )
        return len(got)

    async def with_rules(i: int) -> int:
        got = await claim_dialable(
            db, config, campaign_id=campaign_id, owner=f"bench-{i % 4}", limit=batch, now=BENCH_NOW
        )
        return len(got.leads)

    await raw(0)  # warm the cache and the pool
    async with db.checkpoints():  # as the daemon runs them: SQLite WAL checkpoints off the claim path
        latencies, claimed = await _time_batches(batches, raw)
        _report("claim (one UPDATE ... RETURNING)", latencies, claimed, batch)
        latencies, claimed = await _time_batches(batches, with_rules)
        _report("claim + rules + DNC re-check", latencies, claimed, batch)
    typer.echo("  target                             p50/p99 <= 5 ms")
    await release_expired_leases(db, BENCH_NOW + timedelta(days=365))
    t = time.perf_counter()
    report = await lead_status(db, config, campaign_id, BENCH_NOW)
    typer.echo(
        f"  `leads status` report              {time.perf_counter() - t:6.2f} s   "
        f"({report.total:,} leads, {report.due_now:,} due, sample of {report.sample_size})"
    )


def bench_claim_at(leads: int, batches: int, batch: int, backend: str, pg_url: str | None, workdir: Path) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    asyncio.run(run_claim(leads, batches, batch, backend, pg_url, workdir))


async def run_claim(leads: int, batches: int, batch: int, backend: str, pg_url: str | None, workdir: Path) -> None:
    async def run(db: Database, label: str) -> None:
        await run_claim_on(db, label, leads, batches, batch)

    await on_backends("claim", f"claim-{leads}", backend, pg_url, workdir, run)


async def on_backends(
    bench: str,
    name: str,
    backend: str,
    pg_url: str | None,
    workdir: Path,
    run: Callable[[Database, str], Awaitable[None]],
) -> None:
    """``run`` on the bench's SQLite file ``workdir/<name>.sqlite`` and/or (``backend``: sqlite, postgres or both)
    its PostgreSQL schema ``bench_<name>`` (``-`` read as ``_``), with the engine's label."""
    if backend in ("sqlite", "both"):
        db = create_database(f"sqlite+aiosqlite:///{workdir / f'{name}.sqlite'}")
        try:
            await run(db, "SQLite")
        finally:
            await db.dispose()
    if backend in ("postgres", "both"):
        pg = await postgres_bench_database(bench, pg_url, "bench_" + name.replace("-", "_"))
        if pg is None:
            return
        try:
            await run(pg, "PostgreSQL")
        finally:
            await pg.dispose()


async def postgres_bench_database(bench: str, pg_url: str | None, schema: str) -> Database | None:
    """The bench's PostgreSQL database in a schema of its own (created if missing, kept for the next run), at
    ``pg_url`` or $DIALER_TEST_PG_URL; None (and a line saying so) when neither is set."""
    url = pg_url or os.environ.get("DIALER_TEST_PG_URL")
    if not url:
        typer.echo(f'{bench} (PostgreSQL): skipped -- set DIALER_TEST_PG_URL (eval "$(bash tests/pg.sh start)")')
        return None
    admin = create_database(url)
    try:
        async with admin.write() as conn:
            await conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    finally:
        await admin.dispose()
    return create_database(url, pg_schema=schema)


# -- registration -----------------------------------------------------------------------------------------------


def register(app: typer.Typer) -> None:
    """Add `dialer bench import` and `dialer bench claim`."""

    @app.command("import")
    def bench_import(
        rows: Annotated[int, typer.Option("--rows", min=1000, help="rows in the generated CSV")] = 1_000_000,
    ) -> None:
        """Lead CSV import rate (parse, validate, DNC scrub, dedupe, insert) on SQLite."""
        bench_import_at(rows, BENCH_DIR)

    @app.command("import-quote")
    def bench_import_quote(
        rows: Annotated[list[int] | None, typer.Option("--rows", help="file sizes (repeatable)")] = None,
    ) -> None:
        """Import rows/s and peak RSS for files with one unclosed quote (default: 200 k and 2 M rows)."""
        bench_import_quote_at(tuple(rows or (200_000, 2_000_000)), BENCH_DIR)

    @app.command("import-cjk")
    def bench_import_cjk(
        rows: Annotated[int, typer.Option("--rows", min=1000, help="rows in each file")] = 200_000,
    ) -> None:
        """Import rows/s, peak RSS and the error report of a Shift_JIS and a GB18030 file (1 M rows: --rows)."""
        bench_import_cjk_at(rows, BENCH_DIR)

    @app.command("claim")
    def bench_claim(
        leads: Annotated[int, typer.Option("--leads", min=1000, help="leads in the campaign")] = 10_000_000,
        batches: Annotated[int, typer.Option("--batches", min=10, help="batches claimed per measurement")] = 500,
        batch: Annotated[int, typer.Option("--batch", min=1, help="leads per claim")] = 50,
        backend: Annotated[str, typer.Option("--backend", help="sqlite, postgres or both")] = "both",
        pg_url: Annotated[str | None, typer.Option("--pg-url", help="default: $DIALER_TEST_PG_URL")] = None,
    ) -> None:
        """Claim latency for batches of leads among millions, on SQLite and PostgreSQL."""
        if backend not in ("sqlite", "postgres", "both"):
            raise typer.BadParameter("--backend must be sqlite, postgres or both")
        bench_claim_at(leads, batches, batch, backend, pg_url, BENCH_DIR)


def run_default() -> None:
    """Every store benchmark at full size: 1 M-row import, 200 k / 2 M-row imports with an unclosed quote, claims
    among 10 M leads."""
    bench_import_at(1_000_000, BENCH_DIR)
    bench_import_quote_at((200_000, 2_000_000), BENCH_DIR)
    bench_import_cjk_at(200_000, BENCH_DIR)
    bench_claim_at(10_000_000, 500, 50, "both", None, BENCH_DIR)
