"""Messages from supervisors to agents (pure): what a message's text may be, and who may send to whom.

A supervisor sends to one of their teams' agents or to a whole team they supervise; a manager (or an admin) to any
agent, any team, or everyone (every enabled agent). The text is short: control characters are taken out (a line
break becomes a space), the spaces around it trimmed; empty or longer than :data:`MAX_MESSAGE_CHARS` is refused.
"""

from __future__ import annotations

import unicodedata
from enum import StrEnum

from dialer.i18n import M_

MAX_MESSAGE_CHARS = 500
# What a request may carry before its text is cleaned (control characters taken out): bounded all the same.
MAX_RAW_MESSAGE_CHARS = 4 * MAX_MESSAGE_CHARS


class Audience(StrEnum):
    """To whom a message goes: one agent, the members of a team, or every enabled agent."""

    AGENT = "agent"
    TEAM = "team"
    EVERYONE = "everyone"


class MessageTextError(ValueError):
    """The text of a message is empty (once cleaned) or too long."""


def clean_message_text(text: str) -> str:
    """``text`` without control characters (line breaks and tabs become spaces), trimmed; a :class:`MessageTextError`
    when nothing is left or more than :data:`MAX_MESSAGE_CHARS` characters are."""
    kept = "".join(
        " " if ch in "\t\n\r\v\f\x85\u2028\u2029" else ch
        for ch in text
        if ch in "\t\n\r\v\f\x85\u2028\u2029" or unicodedata.category(ch) != "Cc"
    ).strip()
    if not kept:
        raise MessageTextError(M_("a message needs some text"))
    if len(kept) > MAX_MESSAGE_CHARS:
        raise MessageTextError(
            M_("a message is at most {max} characters ({n} given)", max=MAX_MESSAGE_CHARS, n=len(kept))
        )
    return kept
