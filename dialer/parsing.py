"""Bounded parsing of untrusted JSON and TOML: the one loader every API route and CLI command uses.

``json`` and ``tomllib`` recurse once per nesting level, so a 10 000-level document raises ``RecursionError``
(a 500 on the web, a 3 000-line traceback in the CLI), and a deep document that does parse makes every later
walker (pydantic, ``deepcopy``, the JSON encoder) recurse as deep. Both loaders turn that into one
:class:`DocumentError` with a one-line message and refuse anything nested deeper than :data:`MAX_DEPTH`.
"""

from __future__ import annotations

import json
import tomllib
from typing import Any

from dialer.i18n import M_, Message
from dialer.i18n.library import ParserFault, decode_reason, json_fault, toml_fault

# A campaign is at most a handful of levels deep (campaign → retry → outcome → field); 32 is generous.
MAX_DEPTH = 32
_JSON_DOCUMENT = M_("the JSON document")
_TOML_DOCUMENT = M_("the TOML document")


class DocumentError(ValueError):
    """The document cannot be parsed or is nested too deep; the message is one line for the user, in their
    language. ``technical``: the parser's own English text (for a problem's ``detail_en`` and the logs), or ""."""

    def __init__(self, message: str | Message, technical: str = "") -> None:
        super().__init__(message)
        self.technical = technical


def _syntax_error(what: str | Message, kind: str, fault: ParserFault) -> DocumentError:
    """The parser's complaint as one sentence in the reader's language, with where it is; its text kept aside."""
    if fault.line is not None and fault.column is not None:
        message = M_(
            "{what}: not valid {kind} at line {line}, column {column}: {reason}",
            what=what,
            kind=kind,
            line=fault.line,
            column=fault.column,
            reason=fault.reason,
        )
    else:
        message = M_("{what}: not valid {kind}: {reason}", what=what, kind=kind, reason=fault.reason)
    return DocumentError(message, fault.technical)


def nesting_depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """Depth of nested dicts/lists (a scalar: 0), walked without recursion; stops counting past ``limit``."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        stack.extend((child, depth) for child in children)
    return deepest


def _bounded(value: Any, what: str | Message, max_depth: int) -> Any:
    if nesting_depth(value, max_depth) > max_depth:
        raise DocumentError(M_("{what}: nested deeper than {max_depth} levels", what=what, max_depth=max_depth))
    return value


def _too_deep(what: str | Message, max_depth: int) -> DocumentError:
    return DocumentError(M_("{what}: nested deeper than {max_depth} levels", what=what, max_depth=max_depth))


def _not_utf8(what: str | Message, exc: UnicodeDecodeError) -> DocumentError:
    return DocumentError(
        M_(
            "{what}: not UTF-8 text ({reason} at byte {start})",
            what=what,
            reason=decode_reason(exc.reason),
            start=exc.start,
        )
    )


def load_json(raw: bytes | str, what: str | Message = _JSON_DOCUMENT, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse untrusted JSON. Raises DocumentError (bad JSON, bad UTF-8, too deep)."""
    try:
        value = json.loads(raw)
    except RecursionError:
        raise _too_deep(what, max_depth) from None
    except UnicodeDecodeError as exc:
        raise _not_utf8(what, exc) from None
    except ValueError as exc:
        raise _syntax_error(what, "JSON", json_fault(exc)) from None
    return _bounded(value, what, max_depth)


def load_toml(text: bytes | str, what: str | Message = _TOML_DOCUMENT, *, max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    """Parse untrusted TOML. Raises DocumentError (bad TOML, bad UTF-8, too deep)."""
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        value = tomllib.loads(text)
    except RecursionError:
        raise _too_deep(what, max_depth) from None
    except UnicodeDecodeError as exc:
        raise _not_utf8(what, exc) from None
    except tomllib.TOMLDecodeError as exc:
        raise _syntax_error(what, "TOML", toml_fault(exc)) from None
    result: dict[str, Any] = _bounded(value, what, max_depth)
    return result
