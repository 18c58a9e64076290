"""Persistence: sqlmodel tables, Alembic migrations, repositories. The only package importing SQLAlchemy.

The rest of the application uses the names exported here and the plain dataclasses they return.
"""

from __future__ import annotations

# Every table module registers on the shared metadata when imported: import them all here, so the schema
# (migrations, comparison, reports) is whole wherever the store is used.
from dialer.store import admin as _admin  # noqa: F401
from dialer.store import agent_history as _agent_history  # noqa: F401
from dialer.store import agent_sessions as _agent_sessions  # noqa: F401
from dialer.store import alerts as _alerts  # noqa: F401
from dialer.store import audit as _audit  # noqa: F401
from dialer.store import auth as _auth  # noqa: F401
from dialer.store import evaluations as _evaluations  # noqa: F401
from dialer.store import floor as _floor  # noqa: F401
from dialer.store import hands as _hands  # noqa: F401
from dialer.store import inbound_calls as _inbound_calls  # noqa: F401
from dialer.store import ivr_results as _ivr_results  # noqa: F401
from dialer.store import lists as _lists  # noqa: F401
from dialer.store import messages as _messages  # noqa: F401
from dialer.store import ownership as _ownership  # noqa: F401
from dialer.store import pacer_memory as _pacer_memory  # noqa: F401
from dialer.store import report_schedules as _report_schedules  # noqa: F401
from dialer.store import wallboard as _wallboard  # noqa: F401
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
