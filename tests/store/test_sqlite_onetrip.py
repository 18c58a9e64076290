"""SQLite statements in one trip to aiosqlite's thread (dialer.store.sqlite_onetrip): the same answers as the driver's
own cursor -- rows, row counts, last row ids, errors -- and one trip per statement."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite.core
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from dialer.store.engine import Database, open_database


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with open_database(f"sqlite+aiosqlite:///{tmp_path / 'trips.db'}") as database:
        async with database.write() as conn:
            await conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL UNIQUE)")
        yield database


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of each function run on an aiosqlite connection's thread, in order."""
    seen: list[str] = []
    original = aiosqlite.core.Connection._execute

    async def counted(self: aiosqlite.core.Connection, fn: object, *args: object, **kwargs: object) -> object:
        seen.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.core.Connection, "_execute", counted)
    return seen


async def test_rows_counts_and_ids_are_the_drivers(db: Database) -> None:
    async with db.write() as conn:
        inserted = (await conn.execute(text("INSERT INTO t (v) VALUES (10), (20) RETURNING id, v"))).all()
        many = await conn.execute(text("INSERT INTO t (v) VALUES (:v)"), [{"v": 30}, {"v": 40}, {"v": 50}])
        one = await conn.exec_driver_sql("INSERT INTO t (v) VALUES (60)")
        updated = await conn.execute(text("UPDATE t SET v = v + 1 WHERE v >= 30"))
    assert [tuple(r) for r in inserted] == [(1, 10), (2, 20)]
    assert many.rowcount == 3
    assert one.lastrowid == 6
    assert updated.rowcount == 4
    async with db.read() as conn:
        result = await conn.execute(text("SELECT id, v FROM t WHERE v > :low ORDER BY id"), {"low": 15})
        assert list(result.keys()) == ["id", "v"]
        assert [tuple(r) for r in result] == [(2, 20), (3, 31), (4, 41), (5, 51), (6, 61)]
        nothing = await conn.execute(text("SELECT id FROM t WHERE v < 0"))
        assert nothing.all() == []


async def insert_twice(db: Database) -> None:
    async with db.write() as conn:
        await conn.execute(text("INSERT INTO t (v) VALUES (1)"))
        await conn.execute(text("INSERT INTO t (v) VALUES (1)"))


async def select_a_missing_column(db: Database) -> None:
    async with db.read() as conn:
        await conn.execute(text("SELECT nope FROM t"))


async def test_errors_are_translated_and_roll_the_transaction_back(db: Database) -> None:
    with pytest.raises(IntegrityError):
        await insert_twice(db)
    with pytest.raises(OperationalError):
        await select_a_missing_column(db)
    async with db.read() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 0


async def test_each_statement_is_one_trip(db: Database, trips: list[str]) -> None:
    async with db.write() as conn:
        await conn.execute(text("INSERT INTO t (v) VALUES (7) RETURNING id"))
        await conn.execute(text("UPDATE t SET v = 8 WHERE v = 7"))
    # BEGIN IMMEDIATE, the two statements (rows fetched on the thread), COMMIT.
    assert trips == ["_run", "_run", "_run", "commit"]
