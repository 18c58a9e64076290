"""Bulk synthetic leads for the benchmarks, generated inside the database (millions of rows in seconds).

SQLite: a recursive CTE feeding one INSERT ... SELECT, with the lead indexes dropped during the load and rebuilt
after (a sorted build is several times faster than maintaining four B-trees row by row). PostgreSQL:
generate_series, same idea. The mix: 60 % new, 25 % retry (half of them due, half later today), 5 % callbacks,
10 % closed; priorities 0-4; every lead in US Eastern time. New leads are due in row order, as after real imports
(one list = consecutive rows, all due from the import time on); retries and callbacks are due in scattered order,
as after real calls, so claiming them touches scattered table pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, func, select, text, update
from sqlalchemy.schema import CreateIndex, DropIndex

from dialer.calls.outcome import Outcome
from dialer.campaign.rules import LeadStatus
from dialer.store.audit import audit_log_t
from dialer.store.engine import Database
from dialer.store.tables import attempts_t, leads_t

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
    await _analyze(db, "leads")


_CHUNK = 5000  # ids in one UPDATE ... IN (...): under SQLite's bound-parameter limit


@dataclass(frozen=True, slots=True)
class DialHistory:
    """The dials a campaign made before a bench starts, ending at ``until``:

    * ``live_answers`` people answered (``abandons`` of them abandoned), spread evenly over ``hours``: its legal
      window;
    * beside them, the dials nobody answered at the answer share ``answer_share``, but at most ``max_unanswered``
      of them, all in the latest part of the history: what a runner loaded mid-day learns its answer rate from
      (``dialer.runner.learning`` reads the latest dials only).

    A person answers after ``ring_seconds`` and talks ``talk_seconds``; an unanswered dial rings out after
    ``ring_out_seconds``."""

    live_answers: int
    abandons: int
    answer_share: float
    hours: float
    until: datetime
    ring_seconds: float = 20.0
    ring_out_seconds: float = 40.0
    talk_seconds: float = 60.0
    max_unanswered: int = 25_000


def _dial_times(history: DialHistory) -> list[tuple[float, bool]]:
    """``(seconds before until the dial started, answered)``, oldest first."""
    last = history.ring_out_seconds + history.ring_seconds + history.talk_seconds + 1.0  # every dial ends in time
    span = max(1.0, history.hours * 3600.0 - last)
    live = [(last + span * (1.0 - n / history.live_answers), True) for n in range(history.live_answers)]
    share = min(max(history.answer_share, 1e-3), 1.0)
    unanswered = min(history.max_unanswered, round(history.live_answers * (1.0 - share) / share))
    # Unanswered dials come at (1 - p) / p of the live answers' rate, over the latest part that holds them.
    rate = history.live_answers / span * (1.0 - share) / share
    mixed = min(span, unanswered / rate) if rate > 0 else 0.0
    dead = [(last + mixed * (1.0 - n / max(1, unanswered)), False) for n in range(unanswered)]
    return sorted(live + dead, key=lambda d: -d[0])


async def write_dial_history(db: Database, campaign_id: int, history: DialHistory) -> int:
    """Write ``history`` as the call records of the campaign's first new leads (by id) -- one dial a lead, or
    several when that would take more than a quarter of them -- and close those leads as done (they were called
    this morning): the stored dials a daemon reads when it loads the campaign mid-day
    (``dialer.store.runtime.answer_history``, ``dial_history``). Returns the number of dials written (none when
    the campaign has no new lead)."""
    if history.live_answers <= 0:
        return 0
    dials = _dial_times(history)
    new = and_(leads_t.c.campaign_id == campaign_id, leads_t.c.status == LeadStatus.NEW.value)
    async with db.write() as conn:
        available = int((await conn.execute(select(func.count()).where(new))).scalar_one())
        leads = (
            await conn.execute(
                select(leads_t.c.id, leads_t.c.phone)
                .where(new)
                .order_by(leads_t.c.id)
                .limit(min(len(dials), max(1, available // 4)))
            )
        ).all()
        if not leads:
            return 0
        rows = []
        answered_so_far = 0
        for n, (before, answered) in enumerate(dials):
            lead_id, phone = leads[n % len(leads)]
            started = history.until - timedelta(seconds=before)
            row: dict[str, object] = {
                "lead_id": lead_id,
                "campaign_id": campaign_id,
                "phone": phone,
                "started_at": started,
                "amd": False,
            }
            if answered:
                at = started + timedelta(seconds=history.ring_seconds)
                # exactly ``abandons`` of them, spread evenly
                k, live = answered_so_far, history.live_answers
                abandoned = (k + 1) * history.abandons // live > k * history.abandons // live
                answered_so_far += 1
                row |= {
                    "answered_at": at,
                    "connected_at": None if abandoned else at + timedelta(seconds=1),
                    "ended_at": at + timedelta(seconds=2.0 if abandoned else 1.0 + history.talk_seconds),
                    "outcome": (Outcome.ABANDONED if abandoned else Outcome.CONNECTED).value,
                    "abandoned": abandoned,
                    "ring_seconds": history.ring_seconds,
                }
            else:
                row |= {
                    "ended_at": started + timedelta(seconds=history.ring_out_seconds),
                    "outcome": Outcome.NO_ANSWER.value,
                    "abandoned": False,
                    "ring_seconds": history.ring_out_seconds,
                    "answered_at": None,
                    "connected_at": None,
                }
            rows.append(row)
        if rows:
            await conn.execute(attempts_t.insert(), rows)
        lead_ids = [int(lead_id) for lead_id, _ in leads]
        for first in range(0, len(lead_ids), _CHUNK):
            closed = lead_ids[first : first + _CHUNK]
            await conn.execute(
                update(leads_t)
                .where(leads_t.c.id.in_(closed))
                .values(
                    status=LeadStatus.DONE.value,
                    attempts=1,
                    dials=1,
                    last_attempt_at=history.until,
                    updated_at=history.until,
                )
            )
    return len(rows)


# The n-th of :count instants spread evenly over the :span seconds before :epoch.
_SPREAD = "(CAST(:epoch AS bigint) - CAST(:span AS bigint) + n * CAST(:span AS bigint) / CAST(:count AS bigint))"


def _agent_number(db: Database) -> str:
    """SQL for agent number n % :agents, three digits."""
    if db.is_sqlite:
        return "printf('%03d', n % CAST(:agents AS bigint))"
    return "lpad((n % CAST(:agents AS bigint))::text, 3, '0')"


def _timestamp_sql(db: Database, seconds: str) -> str:
    """SQL for the instant ``seconds`` (an SQL expression: seconds since the epoch) as the engine stores it."""
    if db.is_sqlite:  # UTCDateTime is 'YYYY-MM-DD HH:MM:SS.ffffff' text there
        return f"strftime('%Y-%m-%d %H:%M:%S.000000', {seconds}, 'unixepoch')"
    return f"to_timestamp(CAST({seconds} AS bigint))"


def _numbers_sql(db: Database) -> str:
    """A FROM clause giving ``n`` = 1 .. :count."""
    if db.is_sqlite:
        return (
            "(WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < CAST(:count AS bigint)) "
            "SELECT n FROM seq)"
        )
    return "generate_series(1, CAST(:count AS bigint)) AS n"


async def _analyze(db: Database, table: str) -> None:
    if db.is_sqlite:
        async with db.write() as conn:
            await conn.execute(text(f"ANALYZE {table}"))
    else:
        async with db.engine.connect() as conn:
            await (await conn.execution_options(isolation_level="AUTOCOMMIT")).execute(text(f"ANALYZE {table}"))


async def count_attempts(db: Database) -> int:
    """The call records the database holds (every campaign's): the bench's generated ones, if it ran before."""
    async with db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(attempts_t))).scalar_one())


async def count_audit_entries(db: Database) -> int:
    """The audit log's entries (every target's)."""
    async with db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(audit_log_t))).scalar_one())


async def delete_attempts(db: Database) -> None:
    """Every call record (the bench's database only: before it generates them again at another size)."""
    async with db.write() as conn:
        await conn.execute(attempts_t.delete())


async def generate_attempts(
    db: Database, campaign_id: int, count: int, until: datetime, *, days: int = 30, agents: int = 200
) -> None:
    """``count`` call records of the campaign's leads (its first leads by id, in turn), spread evenly over the
    ``days`` before ``until``: a third unanswered, the rest answered and talked to by one of ``agents`` agents
    (``agent-000`` ...) for a minute and dispositioned. One transaction; the attempt indexes dropped during the load
    and rebuilt after, as ``generate_leads`` does."""
    async with db.read() as conn:
        first, leads = (
            await conn.execute(select(func.min(leads_t.c.id), func.count()).where(leads_t.c.campaign_id == campaign_id))
        ).one()
    if not leads:
        raise ValueError("the campaign has no leads to call")
    span = days * 86400
    started = _SPREAD
    agent = "'agent-' || " + _agent_number(db)
    body = (
        "SELECT CAST(:first AS bigint) + n % CAST(:leads AS bigint), CAST(:campaign_id AS bigint), "  # noqa: S608
        f"CAST(:phone AS VARCHAR), {_timestamp_sql(db, started)}, "
        f"CASE WHEN n % 3 = 0 THEN NULL ELSE {_timestamp_sql(db, started + ' + 20')} END, "
        f"{_timestamp_sql(db, started + ' + CASE WHEN n % 3 = 0 THEN 40 ELSE 80 END')}, "
        "CASE WHEN n % 3 = 0 THEN CAST(:no_answer AS VARCHAR) ELSE CAST(:connected AS VARCHAR) END, "
        f"CASE WHEN n % 3 = 0 THEN NULL ELSE {agent} END, "
        "CASE WHEN n % 3 = 0 THEN NULL WHEN n % 5 = 0 THEN 'sale' ELSE 'not_interested' END, "
        f"{'0' if db.is_sqlite else 'false'}, {'0' if db.is_sqlite else 'false'}, "
        f"{'0' if db.is_sqlite else 'false'} FROM {_numbers_sql(db)}"
    )
    sql = (
        "INSERT INTO attempts (lead_id, campaign_id, phone, started_at, connected_at, ended_at, outcome, agent, "
        f"disposition, abandoned, amd, outcome_inferred) {body}"
    )
    indexes = sorted(attempts_t.indexes, key=lambda i: i.name or "")
    async with db.write() as conn:
        for index in indexes:
            await conn.execute(DropIndex(index, if_exists=True))
        await conn.execute(
            text(sql),
            {
                "first": int(first),
                "leads": int(leads),
                "campaign_id": campaign_id,
                "phone": "+12000000000",
                "epoch": int(until.astimezone(UTC).timestamp()),
                "span": span,
                "count": count,
                "agents": agents,
                "no_answer": Outcome.NO_ANSWER.value,
                "connected": Outcome.CONNECTED.value,
            },
        )
        for index in indexes:
            await conn.execute(CreateIndex(index))
    await _analyze(db, "attempts")


async def generate_audit(db: Database, count: int, until: datetime, *, days: int = 30, agents: int = 200) -> None:
    """``count`` audit log entries over the ``days`` before ``until``: one in four about an agent (``agent:agent-000``
    ...), the others about a lead each."""
    at = _timestamp_sql(db, _SPREAD)
    agent = _agent_number(db)
    detail = "'{}'" if db.is_sqlite else "'{}'::jsonb"
    sql = (
        "INSERT INTO audit_log (at, actor, action, target, detail) "  # noqa: S608
        f"SELECT {at}, 'admin', 'lead.update', "
        f"CASE WHEN n % 4 = 0 THEN 'agent:agent-' || {agent} ELSE 'lead:' || n END, {detail} "
        f"FROM {_numbers_sql(db)}"
    )
    params = {"epoch": int(until.astimezone(UTC).timestamp()), "span": days * 86400, "count": count, "agents": agents}
    async with db.write() as conn:
        await conn.execute(text(sql), params)
    await _analyze(db, "audit_log")
