"""Which database errors mean "the database is not reachable now" (retry later) rather than "this write is wrong"."""

from __future__ import annotations

from sqlalchemy import exc as sa_exc


def database_unreachable(error: BaseException) -> bool:
    """The server is down or the connection broke (network cut, restart, a locked SQLite file): retrying later
    may succeed. Constraint violations and programming errors are not retried."""
    if isinstance(error, sa_exc.DBAPIError):
        return error.connection_invalidated or isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError)
    return isinstance(error, OSError | TimeoutError | sa_exc.DisconnectionError | sa_exc.TimeoutError)
