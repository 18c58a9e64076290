from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import structlog

sys.path.insert(0, str(Path(__file__).parent))

from web_harness import WebWorld, web_world


@pytest.fixture(autouse=True)
def _live_structlog() -> Iterator[None]:
    # A CliRunner test elsewhere may leave structlog bound to a closed stream.
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[WebWorld]:
    async with web_world(tmp_path) as w:
        yield w
