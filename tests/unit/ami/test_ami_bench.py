"""The AMI benchmark's workload is a faithful replay (figures are printed by `dialer bench ami`, not asserted)."""

from __future__ import annotations

from pathlib import Path

from dialer.bench.ami import run


def test_renumbered_copies_are_independent_calls(traces_dir: Path) -> None:
    one = run(traces_dir, copies=1)
    three = run(traces_dir, copies=3)
    assert one.calls_lost == 0
    assert one.calls_ended == 79  # every Originate in the recorded transcripts
    assert (three.messages, three.events, three.calls_ended, three.calls_lost) == (
        3 * one.messages,
        3 * one.events,
        3 * one.calls_ended,
        0,
    )
