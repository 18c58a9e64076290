"""Shared fixtures. Test tiers live in folders: unit, trace, sim, store, api, browser, real_ami."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from dialer.logging import configure_logging

REPO = Path(__file__).resolve().parent.parent
TRACES = REPO.parent / "shared" / "ami-traces"


@pytest.fixture
def traces_dir() -> Path:
    if not TRACES.is_dir():
        pytest.fail(f"the recorded AMI traces are missing: {TRACES}")
    return TRACES


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The daemon's own log configuration (JSON lines at INFO) writing here; the previous one restored after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    out = io.StringIO()
    configure_logging("INFO", "json", stream=out)
    try:
        yield out
    finally:
        structlog.reset_defaults()
        root.handlers[:] = handlers
        root.setLevel(level)
        logging.getLogger("apscheduler").setLevel(logging.NOTSET)
