"""`dialer user add|list|token|set|team|prefs`: web users (admin / manager / supervisor / agent), their API tokens,
teams and language/time-zone preferences."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from dialer.campaign.windows import is_known_zone
from dialer.commands.common import fail, failing, print_json
from dialer.commands.db import run_with_database
from dialer.i18n import LOCALES, _, normalize_locale
from dialer.store.admin import (
    TeamExistsError,
    UnknownCampaignNameError,
    UnknownTeamError,
    UserChange,
    change_user,
    create_team,
    get_team,
    set_team_campaigns,
    set_team_supervisors,
)
from dialer.store.auth import (
    InvalidPhoneError,
    Role,
    UnknownUserError,
    UserExistsError,
    add_api_token,
    check_agent_phone,
    create_user,
    get_user,
    list_users,
    update_user,
)
from dialer.store.engine import Database
from dialer.web.security import MIN_PASSWORD_LENGTH, hash_password, new_api_token

app = typer.Typer(help="Web users and API tokens.", no_args_is_help=True)


def _hashed(password: str) -> str:
    """A new password as it is stored (refused when shorter than the minimum)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        fail(_("the password needs at least {n} characters").format(n=MIN_PASSWORD_LENGTH))
    return hash_password(password)


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
    with failing(InvalidPhoneError):
        check_agent_phone(phone)  # before the password is asked for
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    password_hash = _hashed(password)
    if role is Role.AGENT and phone is None:
        typer.echo(_("note: an agent without --phone cannot sign in to queues until one is set"), err=True)

    async def work(db: Database) -> None:
        with failing(UserExistsError):
            user = await create_user(db, name, role, password_hash, datetime.now(UTC), phone=phone, actor="cli")
        typer.echo(_("user {name} ({role}) created").format(name=user.name, role=user.role.value))

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

    run_with_database(ctx, work, create=False)


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
            fail(
                _("no user named {quoted} (create it with `dialer user add {name} --role ...`)").format(
                    quoted=repr(name), name=name
                )
            )
        secret = new_api_token()
        await add_api_token(db, user.id, secret, label, datetime.now(UTC), actor="cli")
        typer.echo(secret)

    run_with_database(ctx, work)


@app.command("set")
def set_user(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user to change.")],
    role: Annotated[Role | None, typer.Option("--role", help="admin, manager, supervisor or agent.")] = None,
    team: Annotated[str | None, typer.Option("--team", help='Their team ("" for none).')] = None,
    enable: Annotated[
        bool | None, typer.Option("--enable/--disable", help="A disabled user's sessions end at once.")
    ] = None,
    reset_password: Annotated[bool, typer.Option("--reset-password", help="Prompt for a new password.")] = False,
    phone: Annotated[str | None, typer.Option("--phone", help="The agent's phone interface.")] = None,
) -> None:
    """Change a user (audited as cli): role, team, enabled, password, phone."""
    with failing(InvalidPhoneError):
        check_agent_phone(phone)  # before the password is asked for
    password_hash = None
    if reset_password:
        password_hash = _hashed(typer.prompt("New password", hide_input=True, confirmation_prompt=True))
    change = UserChange(
        role=role,
        team=team,
        disabled=None if enable is None else not enable,
        password_hash=password_hash,
        phone=phone,
    )

    async def work(db: Database) -> None:
        with failing(UnknownUserError, UnknownTeamError):
            user = await change_user(db, name, change, datetime.now(UTC), actor="cli")
        state = _("disabled") if user.disabled else _("enabled")
        typer.echo(_("user {name}: {role}, {state}").format(name=user.name, role=user.role.value, state=state))

    run_with_database(ctx, work)


@app.command("team")
def team(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The team (created when new).")],
    supervisor: Annotated[
        list[str] | None, typer.Option("--supervisor", help="Its supervisors (repeatable; replaces the list).")
    ] = None,
    campaign: Annotated[
        list[str] | None,
        typer.Option("--campaign", help="Campaigns it works: its supervisors see their leads (repeatable; replaces)."),
    ] = None,
) -> None:
    """Create a team and/or set its supervisors and campaigns (audited as cli). Agents join with
    `dialer user set A --team T`."""

    async def work(db: Database) -> None:
        now = datetime.now(UTC)
        if await get_team(db, name) is None:
            with failing(TeamExistsError):
                await create_team(db, name, now, actor="cli")
        record = None
        if supervisor is not None:
            with failing(UnknownUserError, ValueError):
                record = await set_team_supervisors(db, name, supervisor, now, actor="cli")
        if campaign is not None:
            with failing(UnknownCampaignNameError):
                record = await set_team_campaigns(db, name, campaign, now, actor="cli")
        record = record or await get_team(db, name)
        assert record is not None
        typer.echo(
            f"team {record.name}: supervisors {', '.join(record.supervisors) or '-'}"
            + (f"; campaigns {', '.join(record.campaigns)}" if record.campaigns else "")
        )

    run_with_database(ctx, work)


@app.command("prefs")
def prefs(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user.")],
    language: Annotated[
        str | None, typer.Option("--language", help="en, ja or zh-CN; '' for the browser's Accept-Language.")
    ] = None,
    timezone: Annotated[
        str | None, typer.Option("--timezone", help="IANA zone the UI shows times in; '' for the browser's.")
    ] = None,
) -> None:
    """Set a user's UI language and time zone (what `PUT /api/me/preferences` sets for oneself)."""
    if language and normalize_locale(language) != language:
        fail(
            _("--language: {language} is not one of {locales}").format(
                language=repr(language), locales=", ".join(LOCALES)
            )
        )
    if timezone and not is_known_zone(timezone):
        fail(_("--timezone: {timezone} is not an IANA time zone").format(timezone=repr(timezone)))

    async def work(db: Database) -> None:
        with failing(UnknownUserError):
            user = await update_user(db, name, datetime.now(UTC), language=language, timezone=timezone)
        typer.echo(
            _("user {name}: language {language}, time zone {zone}").format(
                name=user.name, language=user.language or _("(browser)"), zone=user.timezone or _("(browser)")
            )
        )

    run_with_database(ctx, work)
