"""Fixtures of the web API tier (the world lives in harness/web.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from harness.web import WebWorld, web_world


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[WebWorld]:
    async with web_world(tmp_path) as w:
        yield w
