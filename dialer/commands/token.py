"""`dialer token list|revoke`: every user's API tokens (never their secrets), and revoking any of them (audited).

A token is minted with `dialer user token NAME` (or `POST /api/tokens`); a running daemon stops honouring a token
revoked here within `[http] auth_cache_seconds` (the web API's `DELETE /api/tokens/{id}` drops it at once on the
daemon that serves the request)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from dialer.commands.common import fail, print_json
from dialer.commands.db import run_with_database
from dialer.i18n import _
from dialer.store.auth import api_tokens_of, get_user, revoke_api_token
from dialer.store.engine import Database

app = typer.Typer(help="API tokens: list every user's, revoke any.", no_args_is_help=True)


@app.command("list")
def list_(
    ctx: typer.Context,
    user: Annotated[str | None, typer.Option("--user", help="Only this user's tokens.")] = None,
    json_: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """List API tokens (id, user, label, made, last used; never the secret)."""

    async def work(db: Database) -> None:
        user_id = None
        if user is not None:
            found = await get_user(db, user)
            if found is None:
                fail(_("no such {kind} {value}").format(kind="user", value=repr(user)))
            user_id = found.id
        tokens = await api_tokens_of(db, user_id)
        if json_:
            print_json([t.public() for t in tokens])
            return
        for t in tokens:
            used = t.last_used_at.isoformat(timespec="seconds") if t.last_used_at else "-"
            state = _(" (revoked)") if t.revoked else ""
            made = t.created_at.isoformat(timespec="seconds")
            typer.echo(f"{t.id:>6} {t.user:<20} {t.label or '-':<20} {made} {used}{state}")

    run_with_database(ctx, work, create=False)


@app.command("revoke")
def revoke(
    ctx: typer.Context,
    token_id: Annotated[int, typer.Argument(help="The token's id (`dialer token list`).", min=1)],
) -> None:
    """Revoke an API token, whoever's it is (audited)."""

    async def work(db: Database) -> None:
        owner = await revoke_api_token(db, None, token_id, datetime.now(UTC), actor="cli")
        if owner is None:
            fail(_("no API token {id} (or it was revoked already)").format(id=token_id))
        typer.echo(_("token {id} of user {user} revoked").format(id=token_id, user=owner))

    run_with_database(ctx, work, create=False)
