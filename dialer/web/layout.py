"""The pages' shared layout. ``templates/layout.html`` holds what every signed-in page has once (the document
head, the top bar, the sign-out form) with ``<!-- slot NAME -->`` markers; a page template that starts with a
comment line followed by ``<!-- block NAME -->`` sections fills those slots (a block runs to the next one; the
newline before the next block is not part of it). A template without blocks (``login.html``) is used as it is.
A line ``<!-- include NAME.part.html -->`` in a page stands for that part (a piece two pages share, such as the
lead search), read from ``templates/`` too."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

TEMPLATES = Path(__file__).parent / "templates"
LAYOUT = "layout.html"
_BLOCK = re.compile(r"^<!-- block ([a-z]+) -->", re.MULTILINE)
_SLOT = re.compile(r"<!-- slot ([a-z]+) -->")
_INCLUDE = re.compile(r"^[ \t]*<!-- include ([a-z-]+\.part\.html) -->\n", re.MULTILINE)


def compose(page: str, layout: str) -> str:
    """``page``'s blocks put into ``layout``'s slots; ``page`` itself when it has no block."""
    _comment, *parts = _BLOCK.split(page)
    if not parts:
        return page
    blocks = {name: body.removesuffix("\n") for name, body in zip(parts[::2], parts[1::2], strict=True)}
    slots = set(_SLOT.findall(layout))
    if blocks.keys() != slots:
        raise ValueError(f"the page's blocks {sorted(blocks)} are not the layout's slots {sorted(slots)}")
    return _SLOT.sub(lambda m: blocks[m.group(1)], layout)


def with_parts(page: str, read: Callable[[str], str]) -> str:
    """``page`` with each ``<!-- include NAME.part.html -->`` line replaced by ``read(NAME.part.html)``."""
    return _INCLUDE.sub(lambda m: read(m.group(1)), page)


def _read(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")


def page_text(name: str) -> str:
    """Template ``name`` (in ``templates/``) as one HTML document, its ``$placeholders`` still to fill."""
    return compose(with_parts(_read(name), _read), _read(LAYOUT))
