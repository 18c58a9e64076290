"""`dialer user add|list|token`: web users (admin / manager / agent) and their API tokens."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from dialer.commands.common import fail, print_json
from dialer.commands.db import run_with_database
from dialer.store.auth import Role, UserExistsError, add_api_token, create_user, get_user, list_users
from dialer.store.engine import Database
from dialer.web.security import MIN_PASSWORD_LENGTH, hash_password, new_api_token

app = typer.Typer(help="Web users and API tokens.", no_args_is_help=True)


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Login name (for an agent: the agent id).")],
    role: Annotated[Role, typer.Option("--role", help="admin, manager, supervisor or agent.")],
    password: Annotated[
        str | None, typer.Option("--password", help="Password (prompted when omitted; at least 8 characters).")
    ] = None,
    phone: Annotated[str | None, typer.Option("--phone", help="The agent's phone interface, e.g. PJSIP/1001.")] = None,
) -> None:
    """Create a user."""
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD_LENGTH:
        fail(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    if role is Role.AGENT and phone is None:
        typer.echo("note: an agent without --phone cannot sign in to queues until one is set", err=True)
    password_hash = hash_password(password)

    async def work(db: Database) -> None:
        try:
            user = await create_user(db, name, role, password_hash, datetime.now(UTC), phone=phone, actor="cli")
        except UserExistsError as exc:
            fail(str(exc))
        typer.echo(f"user {user.name} ({user.role.value}) created")

    run_with_database(ctx, work)


@app.command("list")
def list_(ctx: typer.Context, json_: Annotated[bool, typer.Option("--json", help="JSON output.")] = False) -> None:
    """List users."""

    async def work(db: Database) -> None:
        _, users = await list_users(db, limit=10_000)
        if json_:
            print_json([u.public() for u in users])
            return
        for u in users:
            state = " (disabled)" if u.disabled else ""
            typer.echo(f"{u.name:<20} {u.role.value:<8} {u.phone or '-'}{state}")

    run_with_database(ctx, work)


@app.command("token")
def token(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user the token acts as.")],
    label: Annotated[str, typer.Option("--label", help="What the token is for.")] = "cli",
) -> None:
    """Mint an API bearer token (printed once; only its hash is stored)."""

    async def work(db: Database) -> None:
        user = await get_user(db, name)
        if user is None:
            fail(f"no user named {name!r} (create it with `dialer user add {name} --role ...`)")
        secret = new_api_token()
        await add_api_token(db, user.id, secret, label, datetime.now(UTC))
        typer.echo(secret)

    run_with_database(ctx, work)
