"""The garbage collector and a long-running daemon.

CPython's full (generation 2) collection walks every container object alive, so a daemon whose start-up left a few
hundred thousand of them (modules, settings and campaign models, compiled SQL, the AMI tables) pauses its event loop
for tens of milliseconds -- over a hundred on a loaded machine -- each time one runs, and every pending Originate
waits. What exists once the daemon has started lives as long as the process: freezing it moves it out of the
collector's reach, so later collections walk only what the running daemon allocates since; :func:`thaw_heap`
gives it back on the way down.
"""

from __future__ import annotations

import gc


def freeze_startup_heap() -> int:
    """Collect what start-up left as garbage, then freeze the rest; returns the number of objects frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def thaw_heap() -> None:
    """Give the frozen objects back to the collector (shutdown; tests start many daemons in one process)."""
    gc.unfreeze()
