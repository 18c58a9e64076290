"""Shared fixtures. Test tiers live in folders: unit, trace, sim, store, hostile, api, browser, real_ami."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from testsupport import logging_to

REPO = Path(__file__).resolve().parent.parent
TRACES = REPO / "tests" / "fixtures" / "ami-traces"


@pytest.fixture
def traces_dir() -> Path:
    if not TRACES.is_dir():
        pytest.fail(f"the recorded AMI traces are missing: {TRACES}")
    return TRACES


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The daemon's own log configuration (JSON lines at INFO) writing here; the previous one restored after."""
    with logging_to("INFO", "json") as out:
        yield out
