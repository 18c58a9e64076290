"""Escaping shared by the two markup renderers (HTML pages and the SVG charts they embed)."""

from __future__ import annotations

import html


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def text(value: str) -> str:
    """Text between tags (quotes stay as they are: only &, < and > are escaped)."""
    return html.escape(value, quote=False)
