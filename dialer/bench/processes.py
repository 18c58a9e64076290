"""Child processes the benchmarks and the test harness start (a simulated PBX, a `dialer run` daemon): stopping
them the one way -- SIGTERM, a grace period for a clean shutdown, then SIGKILL."""

from __future__ import annotations

import signal
import subprocess


def stop_process(process: subprocess.Popen[bytes], *, grace: float, reap: float) -> None:
    """Stop ``process`` if it still runs: SIGTERM, up to ``grace`` seconds to exit, else SIGKILL and up to ``reap``
    seconds to be reaped."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(reap)
