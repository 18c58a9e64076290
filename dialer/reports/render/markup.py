"""Escaping shared by the two markup renderers (HTML pages and the SVG charts they embed)."""

from __future__ import annotations

import html


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)
