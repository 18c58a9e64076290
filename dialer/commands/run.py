"""`dialer run`: the daemon (database, AMI connections, campaign runners, HTTP) until SIGTERM."""

from __future__ import annotations

import asyncio

import typer

from dialer.app import build_app, serve
from dialer.commands.common import cli_context


def run(ctx: typer.Context) -> None:
    """Run the dialer daemon: paces every running campaign through the configured Asterisk servers.

    First SIGTERM/SIGINT: stop dialling and let live calls finish (drain_timeout_seconds). Second: stop now.
    """
    cli = cli_context(ctx)
    settings = cli.settings()
    app = build_app(settings, config_file=cli.config_file)
    asyncio.run(serve(app, settings.http.host, settings.http.port))
