"""Query plans: what the database does for the statements a store function runs (``EXPLAIN QUERY PLAN`` on
SQLite, ``EXPLAIN`` on PostgreSQL). For the query-plan tests (an index is used, no table is scanned whole) and the
scale benchmark (``dialer bench scale``), which print or check the plan of the very statements the product runs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event

from dialer.store.engine import Database


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement as the driver received it: its SQL text and its parameters."""

    sql: str
    parameters: Any


@asynccontextmanager
async def captured_statements(db: Database) -> AsyncIterator[list[Statement]]:
    """Every statement ``db`` sends to the database inside the block, in order."""
    seen: list[Statement] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        seen.append(Statement(statement, parameters))

    engine = db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _is_query(statement: Statement) -> bool:
    """A statement that reads rows to find them (a plain EXPLAIN runs none of them: neither SQLite's ``EXPLAIN
    QUERY PLAN`` nor PostgreSQL's ``EXPLAIN`` without ``ANALYZE`` changes a row)."""
    head = statement.sql.lstrip().split(None, 1)
    return bool(head) and head[0].upper() in ("SELECT", "WITH", "UPDATE", "DELETE")


async def query_plans(db: Database, statements: list[Statement], *, prefer_index: bool = False) -> list[str]:
    """The plan of each query among ``statements`` (SELECT, and UPDATE or DELETE: which rows they find), one
    text per query. ``prefer_index``: on PostgreSQL, with sequential scans priced out (``enable_seqscan = off``) --
    on a test's handful of rows the planner rightly prefers reading the table, so a test asks which index it *can*
    use."""
    plans: list[str] = []
    async with db.read() as conn:
        if prefer_index and not db.is_sqlite:
            await conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        for statement in filter(_is_query, statements):
            if db.is_sqlite:
                rows = (await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement.sql}", statement.parameters)).all()
                plans.append("\n".join(str(r[-1]) for r in rows))
            else:
                rows = (await conn.exec_driver_sql(f"EXPLAIN {statement.sql}", statement.parameters)).all()
                plans.append("\n".join(str(r[0]) for r in rows))
    return plans


def scans_whole(plan: str, table: str) -> bool:
    """Whether ``plan`` reads all of ``table``: SQLite ``SCAN table`` (through an index or not: a ``SEARCH`` is a
    bounded look-up), PostgreSQL ``Seq Scan on table``."""
    for line in plan.splitlines():
        words = line.replace("->", " ").split()
        if words[:2] == ["SCAN", table]:
            return True
        if "Seq Scan on" in line and words[words.index("on") + 1 :][:1] == [table]:
            return True
    return False
