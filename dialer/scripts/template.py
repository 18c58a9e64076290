"""Agent script templates: ``{{ name }}`` placeholders filled with lead fields and the agent's name.

A template is plain text written by the campaign's author; lead data comes from imported files and must never
become markup. :func:`render_html` escapes the template's own text and every value (``&<>"'``), then keeps the
line breaks: the result is safe to put in the page as HTML. :func:`render_text` is the same without markup.

Placeholders: ``first_name``, ``last_name``, ``full_name``, ``phone``, ``agent`` (the agent's display name),
``company`` (the campaign's caller ID name), ``campaign``, ``callback_number`` (the caller ID number), and
``fields.<name>`` for a custom column of the lead. An unknown placeholder is refused when the campaign is
loaded (:func:`check_template`); a value the lead lacks renders empty.

The US/UK/CA presets (:func:`preset`) open with what the rules expect the caller to say first: the caller's
and the seller's identity and the purpose of the call (FCC 47 CFR 64.1200(b)/TSR 310.4(d); Ofcom persistent
misuse policy / PECR; CRTC Unsolicited Telecommunications Rules), and the recording notice when the call is
recorded.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass

from dialer.i18n import M_

# {{ name }} or {{ fields.<column> }} (a column name may hold inner spaces and dashes)
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_-]+(?: [A-Za-z0-9_-]+)*)?)\s*\}\}")
NAMES = frozenset({"first_name", "last_name", "full_name", "phone", "agent", "company", "campaign", "callback_number"})
MAX_TEMPLATE_LENGTH = 20_000


class TemplateError(ValueError):
    """A template with a placeholder nobody can fill."""


def check_template(template: str) -> str:
    """The template if every placeholder is known; else :class:`TemplateError` naming the unknown ones."""
    if len(template) > MAX_TEMPLATE_LENGTH:
        raise TemplateError(M_("a script is at most {max} characters", max=MAX_TEMPLATE_LENGTH))
    unknown = sorted(
        {name for name in PLACEHOLDER.findall(template) if name not in NAMES and not name.startswith("fields.")}
    )
    if unknown:
        raise TemplateError(
            M_(
                "unknown placeholder(s) {unknown}; known: {known} and fields.<column>",
                unknown=unknown,
                known=sorted(NAMES),
            )
        )
    return template


@dataclass(frozen=True, slots=True)
class ScriptContext:
    """What a script may say: the lead, the agent, the seller."""

    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    agent: str = ""
    company: str = ""
    campaign: str = ""
    callback_number: str = ""
    fields: Mapping[str, object] | None = None

    def value(self, name: str) -> str:
        if name.startswith("fields."):
            found = (self.fields or {}).get(name.removeprefix("fields."))
            return "" if found is None else str(found)
        if name == "full_name":
            return " ".join(part for part in (self.first_name, self.last_name) if part)
        return str(getattr(self, name, "") or "")


def render_text(template: str, context: ScriptContext) -> str:
    return PLACEHOLDER.sub(lambda m: context.value(m.group(1)), template)


def render_html(template: str, context: ScriptContext) -> str:
    """Escaped text with ``<br>`` for line breaks: template text and values alike can never be markup."""
    out: list[str] = []
    position = 0
    for match in PLACEHOLDER.finditer(template):
        out.append(html.escape(template[position : match.start()], quote=True))
        out.append(html.escape(context.value(match.group(1)), quote=True))
        position = match.end()
    out.append(html.escape(template[position:], quote=True))
    return "".join(out).replace("\r\n", "\n").replace("\n", "<br>\n")


_OPENINGS = {
    # FCC 64.1200(b)(1) and the TSR: at the outset, the name of the person calling, of the entity on whose
    # behalf, and (TSR) that the purpose is to sell; a telephone number is given on request.
    "US": (
        "Hello, may I speak with {{ full_name }}? My name is {{ agent }}, and I am calling on behalf of "
        "{{ company }}. The purpose of this call is to tell you about an offer from {{ company }}."
    ),
    # Ofcom / PECR: who is calling and why; a number the called person can call back on.
    "UK": (
        "Good day, may I speak with {{ full_name }}? My name is {{ agent }}, calling from {{ company }} about "
        "an offer from {{ company }}. If you would rather we did not call, we can stop: our number is "
        "{{ callback_number }}."
    ),
    # CRTC Unsolicited Telecommunications Rules: the caller's name, the seller, the purpose; a number at which
    # the called person can reach someone, on request.
    "CA": (
        "Hello, may I speak with {{ full_name }}? My name is {{ agent }}, and I am calling on behalf of "
        "{{ company }} about an offer. You can reach us at {{ callback_number }}."
    ),
}
_RECORDING_NOTICE = "This call is recorded for quality and training purposes."
_BODY = "\n\n[Your pitch here.]\n\nThank you for your time, {{ first_name }}."


def preset(regime: str, *, recorded: bool) -> str:
    """The default script of a regime: the identification it expects first, the recording notice if the call
    is recorded, then room for the pitch."""
    opening = _OPENINGS.get(regime, _OPENINGS["US"])
    notice = f"\n{_RECORDING_NOTICE}" if recorded else ""
    return opening + notice + _BODY
