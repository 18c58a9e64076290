"""What every command shares: settings loaded once, logging configured once, clean error exits."""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from dialer.campaign.config import CampaignConfig, CampaignConfigError
from dialer.i18n import _, render
from dialer.i18n.library import os_error_text
from dialer.logging import configure_logging
from dialer.private_files import private_file_opener
from dialer.settings import Settings, SettingsError, load_settings, misspelt_variables
from dialer.store import Database
from dialer.store.campaigns import CampaignRecord, UnknownCampaignError, load_stored_campaign

# ``--json``: the command's result for a program (one JSON document) instead of the lines for a person.
JsonFlag = Annotated[bool, typer.Option("--json", help="machine-readable output")]
# ``--campaign NAME``: the campaign the command acts on.
CampaignOption = Annotated[str, typer.Option("--campaign", help="campaign name (see `dialer campaign list`)")]


@dataclass
class CliContext:
    config_file: Path | None = None
    log_level: str | None = None
    _settings: Settings | None = field(default=None, repr=False)

    def settings(self) -> Settings:
        if self._settings is None:
            overrides: dict[str, Any] = {}
            if self.log_level:
                overrides["log_level"] = self.log_level.upper()
            try:
                self._settings = load_settings(self.config_file, **overrides)
            except SettingsError as exc:
                fail(str(exc))
            configure_logging(self._settings.log_level, self._settings.log_format)
            for variable, meant in misspelt_variables(os.environ):
                typer.echo(
                    _("warning: {variable} is not a setting and is ignored (did you mean {meant}?)").format(
                        variable=variable, meant=meant
                    ),
                    err=True,
                )
        return self._settings


def cli_context(ctx: typer.Context) -> CliContext:
    obj = ctx.find_root().obj
    if not isinstance(obj, CliContext):
        obj = CliContext()
        ctx.find_root().obj = obj
    return obj


def cli_actor() -> str:
    """Who the audit log says acted from the command line: ``cli:<login>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def fail(message: str, code: int = 1) -> NoReturn:
    """Print a one-line error to stderr and exit non-zero (no traceback for user errors)."""
    typer.echo(_("error: {message}").format(message=message), err=True)
    raise typer.Exit(code)


def write_failed(path: object, error: OSError) -> NoReturn:
    """A file the command writes (a report's page, an export) cannot be written: the command ends naming it."""
    reason = render(os_error_text(error.strerror)) if error.strerror else str(error)
    fail(_("{path}: write failed ({reason})").format(path=path, reason=reason))


def write_text_file(path: Path, text: str) -> None:
    """``text`` into ``path`` (UTF-8), or the command ends saying which file and why (:func:`write_failed`)."""
    try:
        with open(path, "w", encoding="utf-8", opener=private_file_opener) as out:  # owner-only: reports name leads
            out.write(text)
    except OSError as exc:
        write_failed(path, exc)


@contextmanager
def failing(*errors: type[Exception]) -> Iterator[None]:
    """What the domain refuses in the block (one of ``errors``) ends the command: its message on one line
    (:func:`fail`)."""
    try:
        yield
    except errors as exc:
        fail(str(exc))


async def stored_campaign(db: Database, name: str) -> tuple[CampaignRecord, CampaignConfig]:
    """The stored campaign and its configuration; an unknown campaign, or one whose stored file no longer loads,
    ends the command (:func:`failing`)."""
    with failing(UnknownCampaignError, CampaignConfigError):
        return await load_stored_campaign(db, name)


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, default=str, ensure_ascii=False) + "\n")
    sys.stdout.flush()
