"""Log to live streams: a CLI test run through typer's CliRunner leaves structlog writing to a closed buffer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog


@pytest.fixture(autouse=True)
def _structlog_on_live_streams() -> Iterator[None]:
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()
