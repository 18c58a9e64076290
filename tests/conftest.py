"""Shared fixtures. Test tiers live in folders: unit, trace, sim, store, api, browser, real_ami."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TRACES = REPO.parent / "shared" / "ami-traces"


@pytest.fixture
def traces_dir() -> Path:
    if not TRACES.is_dir():
        pytest.fail(f"the recorded AMI traces are missing: {TRACES}")
    return TRACES
