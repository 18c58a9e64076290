"""Fixtures of the web API tier (the world lives in harness/web.py): the web world, and the test client serving it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from harness.web import WebWorld, web_world


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[WebWorld]:
    async with web_world(tmp_path) as w:
        yield w


@pytest.fixture
async def client(world: WebWorld, aiohttp_client: Any) -> Any:
    """The test client serving ``world``'s application."""
    return await aiohttp_client(world.app)
