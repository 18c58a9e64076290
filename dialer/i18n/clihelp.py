"""The command line's ``--help`` in the reader's language: the help texts of the commands (their docstrings or
``help=``), of their options and arguments are catalogue messages, extracted from the built command tree
(:func:`help_messages`, used by ``python -m dialer.i18n update``); :func:`localise_help` swaps them in the tree
before click renders it, with Typer's own words (the ``Options`` / ``Commands`` panels, ``[default: ...]``,
``[required]``). The language is decided before the help option runs: ``--locale`` on the command line, else
``DIALER_LANG`` / ``LC_ALL`` / ``LC_MESSAGES`` / ``LANG`` (:func:`dialer.i18n.cli_locale`)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from types import MethodType
from typing import Any

from pydantic import ValidationError
from rich.markup import escape
from typer import rich_utils

from dialer.i18n import DEFAULT_LOCALE, N_, _, cli_locale, current_locale, normalize_locale, render
from dialer.i18n.validation import validation_message

# Typer's own words in the rich help (module settings of typer.rich_utils), and click's help option.
_TYPER_TEXTS: dict[str, str] = {
    "OPTIONS_PANEL_TITLE": N_("Options"),
    "COMMANDS_PANEL_TITLE": N_("Commands"),
    "ARGUMENTS_PANEL_TITLE": N_("Arguments"),
    "ERRORS_PANEL_TITLE": N_("Error"),
    "ABORTED_TEXT": N_("Aborted."),
    "DEFAULT_STRING": N_("[default: {}]"),
    "ENVVAR_STRING": N_("[env var: {}]"),
    "REQUIRED_LONG_STRING": N_("[required]"),
    "DEPRECATED_STRING": N_("(deprecated) "),
    "RICH_HELP": N_("Try [blue]'{command_path} {help_option}'[/] for help."),
}
HELP_OPTION_TEXT = N_("Show this message and exit.")
# click's usage line: its prefix and the metavars of a command's options and a group's subcommand.
USAGE_PREFIX = N_("Usage: ")
_METAVARS = {"[OPTIONS]": N_("[OPTIONS]"), "COMMAND [ARGS]...": N_("COMMAND [ARGS]...")}
_ENGLISH = "_dialer_english_help"
# The attributes holding help prose (the others are click's metavars, written as they are).
_HELP_TEXTS = frozenset({"help", "short_help"})


def _commands(command: Any, path: str = "dialer") -> Iterator[tuple[str, Any]]:
    """Every command of the tree with its path (``dialer campaign apply``), the root first."""
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, f"{path} {name}")


def help_messages(root: Any) -> Iterator[tuple[str, str]]:
    """(message, where) for the catalogue: the help of every command, option and argument, and the help
    option's."""
    for path, command in _commands(root):
        if command.help:
            yield command.help, path
        if command.short_help:
            yield command.short_help, path
        for param in command.params:
            text = getattr(param, "help", None)
            if text:
                yield text, f"{path} {param.name}"
    yield HELP_OPTION_TEXT, "--help"


def localise_help(root: Any) -> None:
    """Translate the help texts of the built command tree (and Typer's panel titles) into the current language;
    the English originals are kept on each object, so localising again (another language) starts from them."""
    for name, msgid in _TYPER_TEXTS.items():
        setattr(rich_utils, name, _(msgid))
    for _path, command in _commands(root):
        _swap(command, ("help", "short_help", "options_metavar", "subcommand_metavar"))
        command.format_usage = MethodType(_format_usage, command)
        for param in command.params:
            _swap(param, ("help",))
        # click makes the --help option on first use and keeps it (``get_help_option`` caches it): made now, its
        # text is translated like the others.
        help_option = command.get_help_option(command.context_class(command))
        if help_option is not None:
            _swap(help_option, ("help",))


def _format_usage(command: Any, ctx: Any, formatter: Any) -> None:
    """click's ``Command.format_usage`` with the ``Usage:`` prefix in the current language."""
    formatter.write_usage(ctx.command_path, " ".join(command.collect_usage_pieces(ctx)), prefix=_(USAGE_PREFIX))


def _swap(obj: Any, attributes: Sequence[str]) -> None:
    english: dict[str, str | None] = getattr(obj, _ENGLISH, None) or {a: getattr(obj, a, None) for a in attributes}
    setattr(obj, _ENGLISH, english)
    for attribute, text in english.items():
        if text:
            said = _(text)
            # Typer renders help texts as Rich markup, where "[ivr]" or "[[pause_codes]]" would be taken for a
            # style and vanish: the help names settings tables, so its brackets are shown as written.
            setattr(obj, attribute, escape(said) if attribute in _HELP_TEXTS else said)


def requested_locale(args: Sequence[str], environ: Mapping[str, str] = os.environ) -> str:
    """The language of this command line: ``--locale X`` / ``--locale=X`` (when it names a known one), else the
    environment's."""
    for i, arg in enumerate(args):
        value = None
        if arg == "--locale" and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith("--locale="):
            value = arg.partition("=")[2]
        if value is not None:
            chosen = normalize_locale(value.split(".")[0].split("@")[0])
            if chosen is not None:
                return chosen
    return cli_locale(environ)


# click's usage errors (the vendored click writes them in English), as format_message() says them.
_USAGE_TEXTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^No such command (?P<name>'.+')\.$"), N_("no such command: {name}")),
    (re.compile(r"^No such option: (?P<name>\S+)$"), N_("no such option: {name}")),
    (
        re.compile(r"^No such option: (?P<name>\S+) \(Possible options: (?P<others>.+)\)$"),
        N_("no such option: {name} (possible options: {others})"),
    ),
    (
        re.compile(r"^No such option: (?P<name>\S+) Did you mean (?P<other>\S+)\?$"),
        N_("no such option: {name} (did you mean {other}?)"),
    ),
    (re.compile(r"^Missing argument (?P<name>'.+')\.$"), N_("missing argument {name}")),
    (re.compile(r"^Missing option (?P<name>'.+')\.$"), N_("missing option {name}")),
    (re.compile(r"^Got unexpected extra arguments? \((?P<args>.*)\)$"), N_("unexpected extra arguments: {args}")),
    (re.compile(r"^Got unexpected extra argument\(s\) \((?P<args>.*)\)$"), N_("unexpected extra arguments: {args}")),
    (re.compile(r"^Option (?P<name>'.+') requires an argument\.$"), N_("option {name} needs a value")),
    (re.compile(r"^Option (?P<name>'.+') does not take a value\.$"), N_("option {name} takes no value")),
)


_INVALID_VALUE = re.compile(r"^Invalid value for (?P<name>.+?): ")


def usage_error_text(english: str, cause: BaseException | None = None) -> str | None:
    """A click usage error's text in the current language, or None when it is not one we know (or the language is
    English: click's own words then). ``cause``: what the error was raised from -- Typer converts the values of
    options and arguments with pydantic, whose refusal is said with the API's sentences
    (:func:`dialer.i18n.validation.validation_message`)."""
    if current_locale() == DEFAULT_LOCALE:
        return None
    invalid = _INVALID_VALUE.match(english)
    if invalid and isinstance(cause, ValidationError) and cause.errors():
        error = cause.errors(include_url=False)[0]
        reason = render(validation_message(error["type"], error.get("ctx") or {}))
        return _("invalid value for {name}: {reason}").format(name=invalid["name"], reason=reason)
    if invalid:  # our own refusal (typer.BadParameter), written in the current language
        return _("invalid value for {name}: {reason}").format(name=invalid["name"], reason=english[invalid.end() :])
    if english.startswith("Invalid value: "):  # idem, raised without its parameter
        return _("invalid value: {reason}").format(reason=english.removeprefix("Invalid value: "))
    for pattern, msgid in _USAGE_TEXTS:
        found = pattern.match(english)
        if found:
            return _(msgid).format(**found.groupdict())
    return None
