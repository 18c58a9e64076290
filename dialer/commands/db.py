"""`dialer db ...`: schema migrations. Also the helpers other commands use to open a migrated database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, NoReturn, TypeVar

import typer

from dialer.commands.common import JsonFlag, cli_context, fail, print_json
from dialer.i18n import _
from dialer.settings import Settings
from dialer.store import Database, open_database, schema_version, upgrade
from dialer.store.errors import NoDatabaseError, is_database_error
from dialer.store.urls import redacted_url

app = typer.Typer(help="Database schema: migrate, show the version.", no_args_is_help=True)

T = TypeVar("T")


def describe_url(url: str) -> str:
    return redacted_url(url)


@asynccontextmanager
async def migrated_database(settings: Settings, *, create: bool = True) -> AsyncIterator[Database]:
    """Open the configured database, bringing its schema up to date first (every command does this). A command
    that only reads passes ``create=False``: a SQLite file missing (a mistyped path) is then not created empty but
    said (:func:`no_database`)."""
    async with open_database(settings.database_url, create=create) as db:
        before = await schema_version(db)
        if not before.up_to_date:
            after = await upgrade(db)
            where = describe_url(settings.database_url)
            typer.echo(
                _("database {where} migrated {before} -> {after}").format(
                    where=where, before=before.current or "empty", after=after.current
                ),
                err=True,
            )
        yield db


def no_database(error: NoDatabaseError) -> NoReturn:
    """A command that only reads found no SQLite database where the settings point: one line, exit 1."""
    fail(_("no database at {path} (`dialer db upgrade` creates one)").format(path=error.path))


def run_with_database(ctx: typer.Context, work: Callable[[Database], Awaitable[T]], *, create: bool = True) -> T:
    """Run ``work`` against the configured database (see :func:`run_on_database`)."""
    return run_on_database(cli_context(ctx).settings(), work, create=create)


def run_on_database(settings: Settings, work: Callable[[Database], Awaitable[T]], *, create: bool = True) -> T:
    """Run ``work`` against the migrated database; database errors become one clear line, not a traceback.
    ``create=False`` for a command that only reads (:func:`migrated_database`)."""

    async def main() -> T:
        async with migrated_database(settings, create=create) as db:
            return await work(db)

    try:
        return asyncio.run(main())
    except NoDatabaseError as exc:
        no_database(exc)
    except OSError as exc:
        fail(_("database {database}: {error}").format(database=describe_url(settings.database_url), error=exc))
    except Exception as exc:
        # Unreachable server, bad credentials, locked file (store.errors knows the drivers' exceptions).
        if is_database_error(exc):
            fail(_("database {database}: {error}").format(database=describe_url(settings.database_url), error=exc))
        raise


@app.command("upgrade")
def db_upgrade(
    ctx: typer.Context,
    revision: Annotated[str, typer.Argument(help="target revision")] = "head",
) -> None:
    """Create or migrate the schema (safe to run again: nothing happens when it is current)."""
    settings = cli_context(ctx).settings()

    async def main() -> tuple[str | None, str | None]:
        async with open_database(settings.database_url) as db:
            before = (await schema_version(db)).current
            after = (await upgrade(db, revision)).current
            return before, after

    try:
        before, after = asyncio.run(main())
    except Exception as exc:
        fail(_("cannot migrate {database}: {error}").format(database=describe_url(settings.database_url), error=exc))
    if before == after:
        typer.echo(_("database is at {revision} (already current)").format(revision=after))
    else:
        typer.echo(_("database migrated {before} -> {after}").format(before=before or _("empty"), after=after))


@app.command("current")
def db_current(
    ctx: typer.Context,
    as_json: JsonFlag = False,
) -> None:
    """Show the schema revision of the database and the newest one this dialer knows."""
    settings = cli_context(ctx).settings()

    async def main() -> tuple[str | None, str]:
        async with open_database(settings.database_url, create=False) as db:
            version = await schema_version(db)
            return version.current, version.head

    try:
        current, head = asyncio.run(main())
    except NoDatabaseError as exc:
        no_database(exc)
    except Exception as exc:
        fail(_("cannot read {database}: {error}").format(database=describe_url(settings.database_url), error=exc))
    if as_json:
        print_json(
            {
                "database": describe_url(settings.database_url),
                "current": current,
                "head": head,
                "up_to_date": current == head,
            }
        )
        return
    state = "up to date" if current == head else "needs `dialer db upgrade`"
    typer.echo(
        _("{database}: revision {revision}, head {head}: {state}").format(
            database=describe_url(settings.database_url), revision=current or "(empty)", head=head, state=state
        )
    )
