"""`dialer run`: the daemon (database, AMI connections, campaign runners, HTTP) until SIGTERM."""

from __future__ import annotations

import asyncio
import errno

import typer

from dialer.app import build_app, serve
from dialer.commands.common import cli_context, fail
from dialer.commands.db import run_on_database
from dialer.i18n import _
from dialer.ops.shutdown import ShutdownController
from dialer.store import Database, schema_version

# What a socket that cannot listen says (another process has the port, a privileged port, an address not here).
_CANNOT_LISTEN = {errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL}


def run(ctx: typer.Context) -> None:
    """Run the dialer daemon: paces every running campaign through the configured Asterisk servers.

    First SIGTERM/SIGINT: stop dialling and let live calls finish (drain_timeout_seconds). Second: stop now.
    Exit status 0 when every call ended in the drain; 4 when a second signal or the deadline cut it short.
    """
    cli = cli_context(ctx)
    settings = cli.settings()

    async def reachable(db: Database) -> None:
        await schema_version(db)

    # The database first, as every command opens it: unreachable or refusing, the daemon does not start and says
    # so in one line (migrated here when it is behind, as the daemon would).
    run_on_database(settings, reachable)
    shutdown = ShutdownController(settings.drain_timeout_seconds, process=True)
    app = build_app(settings, shutdown=shutdown, config_file=cli.config_file)
    try:
        asyncio.run(serve(app, settings.http.host, settings.http.port))
    except OSError as exc:
        if exc.errno not in _CANNOT_LISTEN:
            raise
        fail(
            _("cannot listen: {error} (choose another [http] port, or DIALER_HTTP__PORT)").format(
                error=exc.strerror or exc
            )
        )
    # The drain's outcome, whatever signal came while the process closed up (dialer.ops.shutdown).
    if shutdown.exit_status:
        raise typer.Exit(shutdown.exit_status)
