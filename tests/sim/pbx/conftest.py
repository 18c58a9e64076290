"""The CLI configures structlog on the sys.stderr of the moment, which typer's CliRunner swaps for a buffer and
closes: reset structlog around every test so nothing logs to a closed stream."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog


@pytest.fixture(autouse=True)
def _structlog_on_live_streams() -> Iterator[None]:
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()
