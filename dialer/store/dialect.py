"""Dialect-specific statement builders (INSERT ... ON CONFLICT differs only in its import)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def upsert_insert(conn: AsyncConnection, table: Table) -> Any:
    """``INSERT`` supporting ``on_conflict_do_nothing`` / ``on_conflict_do_update`` (and ``excluded``) for the
    connection's dialect."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
