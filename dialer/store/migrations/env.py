"""Alembic environment. Migrations run programmatically (dialer.store.migrate) on a connection we pass in."""

from __future__ import annotations

from functools import partial

from alembic import context
from sqlalchemy.engine import Connection

from dialer.store.tables import include_in_comparison, metadata

config = context.config


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things: Alembic copies and recreates the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        compare_server_default=True,
        include_object=partial(include_in_comparison, dialect=connection.dialect.name),
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("run migrations with `dialer db upgrade` (dialer.store.migrate), not the alembic CLI")
run_on(connection)
