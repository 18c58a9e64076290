"""Script sections: the branches of an agent script the agent can move to during a call.

A campaign's ``script`` is the opening step. ``[script_sections.<id>]`` adds named steps (an objection, the close,
a closer hand-over...): each has a ``title``, a ``text`` (a template like the script: the same placeholders, the same
escaping), optionally the ``disposition`` the branch leads to (a code of the campaign's dispositions: the console
shows it beside the step) and ``next``, the steps the agent may move to from it (default: every other step). The
opening step offers every section.

Sections are rendered with the script (:func:`render_sections`), in the order the campaign lists them; the console
shows them beside the screen pop as buttons and never as markup (the text is set as text).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from dialer.i18n import M_
from dialer.scripts.template import ScriptContext, check_template, render_html, render_text

SECTION_ID = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
MAX_SECTIONS = 50


class ScriptSection(BaseModel):
    """One branch of the agent script."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1, max_length=100, description="the button the agent presses to move here")
    text: str = Field(min_length=1, max_length=20_000, description="a template: {{ first_name }}, {{ agent }}...")
    disposition: str | None = Field(
        default=None, max_length=40, description="the disposition code this branch leads to (shown to the agent)"
    )
    next: tuple[str, ...] | None = Field(
        default=None, description="the sections the agent may move to from here; default: every other one"
    )

    @field_validator("text")
    @classmethod
    def _text(cls, v: str) -> str:
        return check_template(v)


def check_sections(sections: Mapping[str, ScriptSection], disposition_codes: Collection[str]) -> None:
    """Raises ``ValueError`` naming the first problem: a bad id, an unknown disposition or next step."""
    if len(sections) > MAX_SECTIONS:
        raise ValueError(M_("at most {max} script sections", max=MAX_SECTIONS))
    for sid, section in sections.items():
        if not SECTION_ID.match(sid):
            raise ValueError(
                M_(
                    "script section id {sid}: lowercase letters, digits, '_' or '-', at most 40 characters",
                    sid=repr(sid),
                )
            )
        if section.disposition is not None and section.disposition not in disposition_codes:
            raise ValueError(
                M_(
                    "script section {sid}: disposition {code} is not one of the campaign's: {codes}",
                    sid=repr(sid),
                    code=repr(section.disposition),
                    codes=", ".join(repr(c) for c in sorted(disposition_codes)),
                )
            )
        unknown = sorted(set(section.next or ()) - set(sections))
        if unknown:
            raise ValueError(
                M_(
                    "script section {sid}: next names steps that are not sections: {unknown} (sections: {sections})",
                    sid=repr(sid),
                    unknown=", ".join(repr(u) for u in unknown),
                    sections=", ".join(repr(s) for s in sorted(sections)),
                )
            )


def render_sections(sections: Mapping[str, ScriptSection], context: ScriptContext) -> list[dict[str, Any]]:
    """Every section rendered for one call (escaped HTML and text), with where the agent may go from it."""
    ids = list(sections)
    return [
        {
            "id": sid,
            "title": s.title,
            "html": render_html(s.text, context),
            "text": render_text(s.text, context),
            "disposition": s.disposition,
            "next": list(s.next) if s.next is not None else [i for i in ids if i != sid],
        }
        for sid, s in sections.items()
    ]
