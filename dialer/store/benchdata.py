"""Bulk synthetic leads for the benchmarks, generated inside the database (millions of rows in seconds).

SQLite: a recursive CTE feeding one INSERT ... SELECT, with the lead indexes dropped during the load and rebuilt
after (a sorted build is several times faster than maintaining four B-trees row by row). PostgreSQL:
generate_series, same idea. The mix: 60 % new, 25 % retry (half of them due, half later today), 5 % callbacks,
10 % closed; priorities 0-4; every lead in US Eastern time. New leads are due in row order, as after real imports
(one list = consecutive rows, all due from the import time on); retries and callbacks are due in scattered order,
as after real calls, so claiming them touches scattered table pages.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select, text
from sqlalchemy.schema import CreateIndex, DropIndex

from dialer.store.engine import Database
from dialer.store.tables import leads_t

_SELECT_BODY = """
    :campaign_id, '+1' || {digits}, '[]', '["America/New_York"]', '[]', '{{}}',
    CASE WHEN n % 20 < 12 THEN 'new' WHEN n % 20 < 17 THEN 'retry' WHEN n % 20 = 17 THEN 'callback'
         ELSE 'done' END,
    CASE WHEN n % 20 < 12 THEN 0 ELSE 1 + n % 3 END,
    CASE WHEN n % 20 < 12 THEN 0 ELSE 1 + n % 3 END,
    {due},
    n % 5,
    {now}, {now}
"""

_COLUMNS = (
    "campaign_id, phone, alt_phones, tz_candidates, postal_zones, fields, status, attempts, dials, "
    "next_dialable_at, priority, created_at, updated_at"
)


async def count_leads(db: Database, campaign_id: int) -> int:
    async with db.read() as conn:
        return int((await conn.execute(select(func.count()).where(leads_t.c.campaign_id == campaign_id))).scalar_one())


# The SQL below is assembled from constants only (no caller input): hence the S608 waivers.
async def generate_leads(db: Database, campaign_id: int, count: int, now: datetime, *, start: int = 0) -> None:
    """Insert ``count`` synthetic leads numbered from ``start`` into the campaign, in one transaction."""
    epoch = int(now.astimezone(UTC).timestamp())
    indexes = sorted(leads_t.indexes, key=lambda i: i.name or "")
    async with db.write() as conn:
        for index in indexes:
            await conn.execute(DropIndex(index, if_exists=True))
        if db.is_sqlite:
            # SQLite stores UTCDateTime as 'YYYY-MM-DD HH:MM:SS.ffffff' text.
            due = (
                "strftime('%Y-%m-%d %H:%M:%S.000000', :epoch - 3600 + "
                "CASE WHEN n % 20 BETWEEN 12 AND 16 AND n % 2 = 1 THEN 7200 ELSE 0 END + "
                "CASE WHEN n % 20 < 12 THEN n / 4000 ELSE n % 3000 END, 'unixepoch')"
            )
            body = _SELECT_BODY.format(
                digits="printf('%010d', 2000000000 + n)",
                due=due,
                now="strftime('%Y-%m-%d %H:%M:%S.000000', :epoch, 'unixepoch')",
            )
            sql = (
                "WITH RECURSIVE seq(n) AS (SELECT :first UNION ALL SELECT n + 1 FROM seq WHERE n < :last) "  # noqa: S608
                f"INSERT INTO leads ({_COLUMNS}) SELECT {body} FROM seq"
            )
        else:
            due = (
                "to_timestamp(CAST(:epoch AS bigint) - 3600 "
                "+ CASE WHEN n % 20 BETWEEN 12 AND 16 AND n % 2 = 1 THEN 7200 ELSE 0 END "
                "+ CASE WHEN n % 20 < 12 THEN n / 4000 ELSE n % 3000 END)"
            )
            body = (
                _SELECT_BODY.format(
                    digits="lpad((2000000000 + n)::text, 10, '0')", due=due, now="to_timestamp(CAST(:epoch AS bigint))"
                )
                .replace("'[]'", "'[]'::jsonb")
                .replace("'[\"America/New_York\"]'", "'[\"America/New_York\"]'::jsonb")
            )
            body = body.replace("'{}'", "'{}'::jsonb")
            sql = (
                f"INSERT INTO leads ({_COLUMNS}) SELECT {body} "  # noqa: S608
                "FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS n"
            )
        await conn.execute(
            text(sql), {"campaign_id": campaign_id, "epoch": epoch, "first": start + 1, "last": start + count}
        )
        for index in indexes:
            await conn.execute(CreateIndex(index))
    if not db.is_sqlite:
        async with db.engine.connect() as conn:
            await (await conn.execution_options(isolation_level="AUTOCOMMIT")).execute(text("ANALYZE leads"))
    else:
        async with db.write() as conn:
            await conn.execute(text("ANALYZE leads"))
