"""Database errors as the rest of the application sees them: no caller outside the store names a driver.

``database_unreachable``: the database cannot be reached now (retry later), rather than "this write is wrong".
``is_database_error``: any error raised by the database layer (SQLAlchemy, asyncpg, sqlite3) -- what a command
turns into one clear line instead of a traceback.
"""

from __future__ import annotations

import sqlite3

import asyncpg.exceptions
from sqlalchemy import exc as sa_exc

# Every exception the database stack raises derives from one of these (asyncpg's warnings are not raised).
_DATABASE_ERRORS: tuple[type[BaseException], ...] = (
    sa_exc.SQLAlchemyError,
    sqlite3.Error,
    asyncpg.exceptions.PostgresError,
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.InternalClientError,
)


class NoDatabaseError(Exception):
    """A command that only reads found no SQLite database file where the URL points (a mistyped path): it says
    so rather than creating an empty database there."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def database_unreachable(error: BaseException) -> bool:
    """The server is down or the connection broke (network cut, restart, a locked SQLite file): retrying later
    may succeed. Constraint violations and programming errors are not retried."""
    if isinstance(error, sa_exc.DBAPIError):
        return error.connection_invalidated or isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError)
    return isinstance(error, OSError | TimeoutError | sa_exc.DisconnectionError | sa_exc.TimeoutError)


def is_database_error(error: BaseException) -> bool:
    """Raised by the database layer: unreachable server, bad credentials, a locked or unreadable file, a bad URL."""
    return isinstance(error, _DATABASE_ERRORS)
