"""Opt-in tests against a real Asterisk running asterisk/lab (see asterisk/README.md, "The lab").

Set DIALER_TEST_AMI=host:port:user:secret (the lab: 127.0.0.1:5038:dialer:dialer-lab); without it every test
here is skipped. The tests own the lab's campaign queue while they run: they remove every member of
`outbound-agents` and `inbound-sales` before each test and add the simulated agents each scenario needs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from harness.lab import Lab, lab_settings
from harness.lab_daemon import write_home

from dialer.ami.client import AmiClient


@pytest.fixture
async def lab() -> AsyncIterator[Lab]:
    settings = lab_settings()
    async with AmiClient(settings) as ami:
        await ami.wait_up(within_seconds=5)
        harness = Lab(ami)
        await harness.empty_queues()
        try:
            yield harness
        finally:
            await harness.close()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A `dialer run` home against the lab (harness.lab_daemon)."""
    return write_home(tmp_path)
