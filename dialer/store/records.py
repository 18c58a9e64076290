"""Rows to records: one typed reader per stored entity instead of a hand-written mapping function each.

A record is a frozen dataclass whose fields are named after the columns of the row it is read from (a row may
carry more columns: they are ignored). ``RecordReader(UserRecord, role=Role, disabled=bool)`` reads each field's
column and passes the ones named in ``convert`` through their function (an enum, ``bool`` for SQLite's 0/1, a
tuple for a JSON list). The reader is called on a row, or runs a statement and reads its first or every row.
``paged`` is the one count-plus-page query of the listings (the total matching and one page of rows), ``by_id``
the statement reading one row by its id, ``in_period`` the conditions of a half-open time range ``[start, end)``,
``where_given`` those of a listing's optional filters (a column equal to each value given); ``name_taken_in`` asks
whether a named row exists before one is created; ``first_row`` reads a row that is more than one record.
``public_fields`` is the other way out: a record's fields as JSON values (what ``public()`` and ``as_json()`` of
the records give the API and the CLI).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import MISSING, fields
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Executable, FromClause, Select, Table, func, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from dialer.store.engine import Database

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

R = TypeVar("R", bound="DataclassInstance")
T = TypeVar("T")


def as_tuple(value: Any) -> tuple[Any, ...]:
    """A JSON list column (None read as empty) as a tuple."""
    return tuple(value or ())


def by_id(table: Table, row_id: int) -> Select[Any]:
    """The statement reading the row of ``table`` whose ``id`` is ``row_id``."""
    return select(table).where(table.c.id == row_id)


def in_period(
    column: ColumnElement[datetime], start: datetime | None, end: datetime | None
) -> list[ColumnElement[bool]]:
    """The conditions that ``column`` lies in ``[start, end)``: at or after ``start``, before ``end`` (None: no
    bound on that side). Spread them into a ``where``."""
    conditions: list[ColumnElement[bool]] = []
    if start is not None:
        conditions.append(column >= start)
    if end is not None:
        conditions.append(column < end)
    return conditions


async def name_taken_in(conn: AsyncConnection, table: Table, name: str) -> bool:
    """Whether a row of ``table`` already has this ``name`` (asked before creating a named row, to refuse it with
    a clear error rather than the unique constraint's)."""
    return (await conn.execute(select(table.c.id).where(table.c.name == name))).first() is not None


def where_given(*tests: tuple[ColumnElement[Any], object]) -> list[ColumnElement[bool]]:
    """The conditions that each column equals its value, for the values given (a value None: no condition on its
    column): a listing's optional filters. Spread them into a ``where``."""
    return [column == value for column, value in tests if value is not None]


def json_value(value: object) -> object:
    """A field's value as JSON shows it: a datetime in ISO 8601, an enum as its value, a tuple as a list."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return list(value)
    return value


def public_fields(
    record: DataclassInstance, names: str, *, rename: Mapping[str, str] | None = None
) -> dict[str, object]:
    """The fields ``names`` (separated by spaces) of ``record`` as JSON values, in that order, each under its own
    name or the key ``rename`` gives it."""
    keys = rename or {}
    return {keys.get(name, name): json_value(getattr(record, name)) for name in names.split()}


async def first_row(db: Database, stmt: Executable) -> RowMapping | None:
    """The first row of ``stmt`` (a read transaction of its own), None when it returns none: a row read as more
    than one record, or beside one."""
    async with db.read() as conn:
        return (await conn.execute(stmt)).mappings().first()


async def paged(
    db: Database,
    source: FromClause,
    query: Select[Any],
    where: Sequence[ColumnElement[bool]],
    read: Callable[[RowMapping], T],
    *,
    limit: int,
    offset: int,
    key: ColumnElement[Any] | None = None,
) -> tuple[int, list[T]]:
    """One page of a listing: how many rows of ``source`` match ``where`` in all, and the rows of ``query`` (which
    reads ``source``, ordered) matching it from ``offset``, at most ``limit``, each ``read`` (one read
    transaction). ``key`` (the table's primary key, when ``query`` reads one table ordered by it): the page's keys
    are found first, from an index on ``where`` alone, then only their rows are read -- sorting the matches whole
    would read every matching row (16 000 call records of one agent at a large centre: a second from disk)."""
    count = select(func.count()).select_from(source)
    if where:
        count = count.where(*where)
    if key is not None:
        keys = query.with_only_columns(key).where(*where).limit(limit).offset(offset)
        query = query.where(key.in_(keys.scalar_subquery()))
    else:
        query = query.where(*where).limit(limit).offset(offset)
    async with db.read() as conn:
        total = int((await conn.execute(count)).scalar_one())
        rows = (await conn.execute(query)).mappings().all()
    return total, [read(row) for row in rows]


class RecordReader(Generic[R]):
    """Reads ``record`` (a dataclass) from result rows whose columns are named like its fields (a field with a
    default may be missing from the rows: it keeps its default)."""

    __slots__ = ("columns", "convert", "optional", "record")

    def __init__(self, record: type[R], **convert: Callable[[Any], object]) -> None:
        self.record = record
        defaulted = {f.name for f in fields(record) if f.default is not MISSING or f.default_factory is not MISSING}
        self.columns = tuple(f.name for f in fields(record) if f.name not in defaulted)
        self.optional = tuple(f.name for f in fields(record) if f.name in defaulted)
        unknown = set(convert) - set(self.columns) - set(self.optional)
        if unknown:
            raise ValueError(f"{record.__name__} has no field {', '.join(sorted(unknown))}")
        self.convert = convert

    def __call__(self, row: Mapping[Any, Any]) -> R:
        values = {name: row[name] for name in self.columns}
        for name in self.optional:
            if name in row:
                values[name] = row[name]
        for name, convert in self.convert.items():
            if name in values:
                values[name] = convert(values[name])
        return self.record(**values)

    async def first_in(self, conn: AsyncConnection, stmt: Executable) -> R | None:
        """The first row of ``stmt`` run in the caller's transaction, None when it returns none."""
        row = (await conn.execute(stmt)).mappings().first()
        return None if row is None else self(row)

    async def one_in(self, conn: AsyncConnection, stmt: Executable) -> R:
        """The one row of ``stmt`` run in the caller's transaction (an error when there is not exactly one)."""
        return self((await conn.execute(stmt)).mappings().one())

    async def all_in(self, conn: AsyncConnection, stmt: Executable) -> list[R]:
        """Every row of ``stmt`` run in the caller's transaction."""
        return [self(row) for row in (await conn.execute(stmt)).mappings().all()]

    async def first(self, db: Database, stmt: Executable) -> R | None:
        """The first row of ``stmt`` (a read transaction of its own), None when it returns none."""
        row = await first_row(db, stmt)
        return None if row is None else self(row)

    async def all(self, db: Database, stmt: Executable) -> list[R]:
        """Every row of ``stmt`` (a read transaction of its own)."""
        async with db.read() as conn:
            return await self.all_in(conn, stmt)


async def keyset_pages(
    db: Database, query: Select[Any], key: ColumnElement[int], read: Callable[[RowMapping], T], page_size: int
) -> AsyncIterator[list[T]]:
    """Every row of ``query`` in ``key`` order (an integer key it selects under the same name), page by page: each
    page a read of its own, after the last key of the one before (an export of any size never held at once)."""
    after = 0
    while True:
        async with db.read() as conn:
            rows = (await conn.execute(query.where(key > after).order_by(key).limit(page_size))).mappings().all()
        if not rows:
            return
        yield [read(row) for row in rows]
        if len(rows) < page_size:
            return
        after = int(rows[-1][key.key])
