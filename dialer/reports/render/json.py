"""The JSON renderer: a report's ``as_json()`` document as one line of JSON (non-ASCII kept, times as ISO text)."""

from __future__ import annotations

import json
from typing import Any, Protocol


class JsonReport(Protocol):
    def as_json(self) -> dict[str, Any]: ...


def render_json(report: JsonReport) -> str:
    return json.dumps(report.as_json(), default=str, ensure_ascii=False)
