"""Persistence: sqlmodel tables, Alembic migrations, repositories. The only package importing SQLAlchemy.

The rest of the application uses the names exported here and the plain dataclasses they return.
"""

from __future__ import annotations

from dialer.store.engine import Database, create_database, open_database
from dialer.store.migrate import SchemaVersion, schema_differences, schema_version, upgrade

__all__ = [
    "Database",
    "SchemaVersion",
    "create_database",
    "open_database",
    "schema_differences",
    "schema_version",
    "upgrade",
]
