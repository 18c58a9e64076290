"""Start-up objects are frozen out of the collector's reach while the daemon runs, and given back on shutdown."""

from __future__ import annotations

import gc

from dialer.ops.heap import freeze_startup_heap, thaw_heap


def test_freeze_then_thaw() -> None:
    try:
        frozen = freeze_startup_heap()
        assert frozen == gc.get_freeze_count() > 0
    finally:
        thaw_heap()
    assert gc.get_freeze_count() == 0
