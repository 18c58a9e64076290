"""`dialer` command line: one Typer app; each command group lives in dialer/commands/<group>.py."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from typer._click.exceptions import UsageError
from typer.core import TyperGroup

from dialer.commands import (
    bench,
    campaign,
    db,
    demo,
    dnc,
    ivr,
    leads,
    lists,
    plan,
    report,
    run,
    service,
    simpbx,
    status,
    token,
    trace,
    user,
)
from dialer.commands.common import CliContext, fail
from dialer.i18n import LOCALES, _, cli_locale, cli_zone, normalize_locale, set_locale, set_zone
from dialer.i18n.clihelp import localise_help, requested_locale, usage_error_text


class LocalisedGroup(TyperGroup):
    """The root command: its language is chosen before click parses anything, so ``--help`` (an eager option,
    run before ``_root``) is shown in it too."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        set_locale(requested_locale(list(sys.argv[1:] if args is None else args)))
        localise_help(self)
        return super().main(args, prog_name, complete_var, standalone_mode, windows_expand_args, **extra)

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except UsageError as exc:
            raise _localised(exc) from None

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except UsageError as exc:  # a subcommand's usage error (its context is made here)
            raise _localised(exc) from None


def _localised(exc: UsageError) -> UsageError:
    """click's usage error said in the user's language (the same error when its text is not one we know)."""
    text = usage_error_text(exc.format_message(), exc.__cause__)
    return exc if text is None else UsageError(text, exc.ctx)


app = typer.Typer(
    name="dialer",
    cls=LocalisedGroup,
    help="Predictive outbound dialer for Asterisk: campaigns, leads, pacing, agents.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root(
    ctx: typer.Context,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="TOML settings file (default: $DIALER_CONFIG).")
    ] = None,
    log_level: Annotated[str | None, typer.Option(help="DEBUG, INFO, WARNING or ERROR.")] = None,
    locale: Annotated[
        str | None,
        typer.Option(
            "--locale",
            help="Language of the output: en, ja, zh-CN or zh-Hant (zh-TW, ja_JP.UTF-8 ... are understood; "
            "default: $DIALER_LANG, else $LC_ALL / $LC_MESSAGES / $LANG).",
        ),
    ] = None,
) -> None:
    ctx.obj = CliContext(config_file=config, log_level=log_level)
    set_locale(cli_locale(os.environ) if locale is None else _chosen_locale(locale))
    set_zone(cli_zone(os.environ))


def _chosen_locale(value: str) -> str:
    """``--locale``'s language (``ja``, ``zh-TW``, ``ja_JP.UTF-8`` ... as :func:`normalize_locale` reads them)."""
    chosen = normalize_locale(value.split(".")[0].split("@")[0])
    if chosen is None:  # said in the environment's language, the one asked for being unknown
        set_locale(cli_locale(os.environ))
        fail(_("--locale: {locale} is not one of {locales}").format(locale=repr(value), locales=", ".join(LOCALES)), 2)
    return chosen


# The command groups (`dialer db ...`, `dialer campaign ...`), in the order `dialer --help` lists them.
GROUPS: dict[str, typer.Typer] = {
    "db": db.app,
    "campaign": campaign.app,
    "leads": leads.app,
    "lists": lists.app,
    "dnc": dnc.app,
    "ivr": ivr.app,
    "trace": trace.app,
    "bench": bench.app,
    "user": user.app,
    "token": token.app,
    "service": service.app,
    "report": report.app,
    "plan": plan.app,
}
for _name, _group in GROUPS.items():
    app.add_typer(_group, name=_name)
app.command("sim-pbx")(simpbx.sim_pbx)
app.command("run")(run.run)
app.command("status")(status.status)
app.command("demo")(demo.demo)


def main() -> None:
    app()
