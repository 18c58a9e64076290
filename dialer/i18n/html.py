"""Messages of the HTML templates: every text node (outside script, style, kbd and code) and the ``title``,
``placeholder``, ``aria-label`` and ``alt`` attributes. Extracted for the catalogues (a Babel extractor) and
swapped for their translation when a page is rendered; whitespace around a text node is kept, ``$name``
placeholders pass through untouched (``string.Template`` fills them afterwards)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import IO, Any

TRANSLATABLE_ATTRS = frozenset({"title", "placeholder", "aria-label", "alt"})
_SKIP_TAGS = frozenset({"script", "style", "kbd", "code"})
_PLACEHOLDER = re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?")
_ATTR = r'(\s{name}\s*=\s*)"([^"]*)"'


def is_message(text: str) -> bool:
    """Text a reader reads: it has letters once the ``$placeholders`` are taken out."""
    return any(c.isalpha() for c in _PLACEHOLDER.sub("", text))


def message_id(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class Segment:
    start: int  # offset of the replaced text in the template
    end: int
    msgid: str
    line: int
    attribute: bool  # an attribute value (escaped with quotes) rather than a text node


class _Scanner(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=False)
        self._text = text
        self._line_starts = [0]
        for m in re.finditer("\n", text):
            self._line_starts.append(m.end())
        self._skip = 0
        self.segments: list[Segment] = []

    def _offset(self) -> int:
        line, col = self.getpos()
        return self._line_starts[line - 1] + col

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        source = self.get_starttag_text() or ""
        start = self._offset()
        for name, value in attrs:
            if name not in TRANSLATABLE_ATTRS or not value or not is_message(value):
                continue
            m = re.search(_ATTR.format(name=re.escape(name)), source)
            if m:
                self.segments.append(
                    Segment(start + m.start(2), start + m.end(2), message_id(value), self.getpos()[0], True)
                )

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        skip = self._skip
        self.handle_starttag(tag, attrs)
        self._skip = skip

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if self._skip or not is_message(data):
            return
        start = self._offset()
        lead = len(data) - len(data.lstrip())
        core = data.strip()
        self.segments.append(Segment(start + lead, start + lead + len(core), message_id(core), self.getpos()[0], False))


def segments(text: str) -> list[Segment]:
    scanner = _Scanner(text)
    scanner.feed(text)
    scanner.close()
    return scanner.segments


def translate_html(text: str, translate: Callable[[str], str], lang: str) -> str:
    """The template with every message replaced by ``translate(msgid)`` and ``<html lang>`` set to ``lang``."""
    out: list[str] = []
    pos = 0
    for seg in segments(text):
        translated = translate(seg.msgid)
        out.append(text[pos : seg.start])
        if seg.attribute:
            out.append(html.escape(translated, quote=True))
        else:
            out.append(html.escape(translated, quote=False) if translated != seg.msgid else text[seg.start : seg.end])
        pos = seg.end
    out.append(text[pos:])
    return re.sub(r'<html lang="[^"]*"', f'<html lang="{html.escape(lang)}"', "".join(out), count=1)


def extract_html(
    fileobj: IO[bytes], keywords: Mapping[str, Any], comment_tags: Collection[str], options: Mapping[str, Any]
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """Babel extractor (``dialer.i18n.html:extract_html``)."""
    text = fileobj.read().decode(options.get("encoding", "utf-8"))
    for seg in segments(text):
        yield seg.line, None, seg.msgid, []
