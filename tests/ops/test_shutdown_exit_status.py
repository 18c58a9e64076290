"""`dialer run`'s exit status on the way down (a real process, real signals): 0 when its drain finished, whatever
signal comes while it closes up; EXIT_DRAIN_CUT_SHORT when a second SIGTERM cut the drain short. The shipped
systemd unit counts both as a stop asked for (SuccessExitStatus), not a failure to restart from."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from harness.campaign import minimal_campaign, stored_campaign
from harness.ports import free_port

from dialer.commands.service import UnitOptions, render_unit
from dialer.ops.shutdown import EXIT_DRAIN_CUT_SHORT
from dialer.store import open_database, upgrade
from dialer.store.campaigns import set_campaign_state

WITHIN = 60.0  # seconds of real time a step may take on a loaded machine before the test gives up
RUNNING = '"state": "running"'  # the daemon runs the campaign: it holds its lease


class Daemon:
    """A `dialer run` process on a SQLite file, with no Asterisk to reach (none is needed to drain)."""

    def __init__(self, tmp_path: Path) -> None:
        self.db_url = f"sqlite+aiosqlite:///{tmp_path / 'd.db'}"
        self.db_file = tmp_path / "d.db"
        self.log = tmp_path / "daemon.log"
        self.http_port = free_port()
        self.config = tmp_path / "dialer.toml"
        self.config.write_text(
            f"""
database_url = "{self.db_url}"
var_dir = "{tmp_path / "var"}"
campaigns_dir = "{tmp_path / "campaigns"}"
drain_timeout_seconds = 600
[http]
port = {self.http_port}
[[ami]]
name = "none"
port = {free_port()}
reconnect_max_backoff_seconds = 1.0
[fastagi]
port = 0
""",
            encoding="utf-8",
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, "DIALER_CONFIG": str(self.config)}
        with self.log.open("ab") as out:
            self.process = subprocess.Popen([sys.executable, "-m", "dialer", "run"], env=env, stdout=out, stderr=out)

    def said(self, event: str) -> bool:
        return event in self.log.read_text(encoding="utf-8", errors="replace")

    async def until_said(self, event: str) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WITHIN
        while not self.said(event):
            assert self.process is not None
            assert self.process.poll() is None, f"the daemon exited before {event!r}: {self.log.read_text()}"
            assert loop.time() < deadline, f"no {event!r} in the daemon's log: {self.log.read_text()}"
            await asyncio.sleep(0.05)

    def signal(self, sig: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    async def exit_status(self) -> int:
        assert self.process is not None
        returncode = await asyncio.to_thread(self.process.wait, WITHIN)
        return returncode

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


async def with_a_running_campaign(daemon: Daemon) -> None:
    """A campaign the daemon takes the lease of (its drain then writes: the pacer's memory, the lease let go)."""
    async with open_database(daemon.db_url) as db:
        await upgrade(db)
        now = datetime.now(UTC)
        await stored_campaign(db, minimal_campaign("spring"), now)
        await set_campaign_state(db, "spring", "running", now)


async def test_a_drain_that_finishes_exits_0(tmp_path: Path) -> None:
    daemon = Daemon(tmp_path)
    daemon.start()
    try:
        await daemon.until_said("http_listening")
        daemon.signal(signal.SIGTERM)
        assert await daemon.exit_status() == 0, daemon.log.read_text()
        assert daemon.said("shutdown_drain_ended")
    finally:
        daemon.kill()


async def test_a_second_sigterm_during_the_drain_exits_with_the_cut_short_status(tmp_path: Path) -> None:
    daemon = Daemon(tmp_path)
    await with_a_running_campaign(daemon)
    daemon.start()
    lock: sqlite3.Connection | None = None
    try:
        await daemon.until_said(RUNNING)
        await daemon.until_said("http_listening")
        # The database held by another writer: the drain cannot finish (it lets the campaign's lease go).
        lock = sqlite3.connect(daemon.db_file, isolation_level=None, timeout=WITHIN)
        lock.execute("BEGIN IMMEDIATE")
        daemon.signal(signal.SIGTERM)
        await daemon.until_said("shutdown_draining")
        daemon.signal(signal.SIGTERM)
        await daemon.until_said("shutdown_forced")
        lock.execute("ROLLBACK")
        assert await daemon.exit_status() == EXIT_DRAIN_CUT_SHORT, daemon.log.read_text()
    finally:
        if lock is not None:
            lock.close()
        daemon.kill()


async def test_a_sigterm_after_the_drain_finished_changes_nothing(tmp_path: Path) -> None:
    daemon = Daemon(tmp_path)
    await with_a_running_campaign(daemon)
    daemon.start()
    try:
        await daemon.until_said(RUNNING)
        await daemon.until_said("http_listening")
        daemon.signal(signal.SIGTERM)
        await daemon.until_said("shutdown_drain_ended")
        # Closing up now; the operator (or a script) sends SIGTERM again: the drain finished, the exit is a success.
        daemon.signal(signal.SIGTERM)
        daemon.signal(signal.SIGINT)
        assert await daemon.exit_status() == 0, daemon.log.read_text()
    finally:
        daemon.kill()


# The window after the event loop has closed (asyncio restores the default disposition of the signals it handled as
# it closes): a real process, a real signal to itself, as `dialer run` is then.
AFTER_THE_LOOP = """
import asyncio, os, signal, sys
from dialer.ops.shutdown import ShutdownController

controller = ShutdownController(60, process={process})

async def main():
    loop = asyncio.get_running_loop()
    controller.install_signal_handlers(loop)
    controller.request_stop("test")
    controller.drain_ended({drained})
    controller.remove_signal_handlers(loop)

asyncio.run(main())
os.kill(os.getpid(), signal.SIGTERM)
os.kill(os.getpid(), signal.SIGINT)
print("closed up", flush=True)
sys.exit(controller.exit_status)
"""


def after_the_loop(*, process: bool, drained: bool) -> subprocess.CompletedProcess[str]:
    script = AFTER_THE_LOOP.format(process=process, drained=drained)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=WITHIN, check=False)


def test_after_the_event_loop_closed_a_stop_signal_is_ignored_and_the_drain_decides_the_status() -> None:
    done = after_the_loop(process=True, drained=True)
    assert (done.returncode, done.stdout.splitlines()[-1]) == (0, "closed up"), done.stderr
    cut_short = after_the_loop(process=True, drained=False)
    assert (cut_short.returncode, cut_short.stdout.splitlines()[-1]) == (EXIT_DRAIN_CUT_SHORT, "closed up")
    # Without ``process`` (a server inside a test) dispositions are left alone: the signal's default death.
    left_alone = after_the_loop(process=False, drained=True)
    assert left_alone.returncode == -signal.SIGTERM


def test_the_unit_counts_the_cut_short_drain_as_a_stop_not_a_failure() -> None:
    unit = render_unit(UnitOptions(executable=Path("/opt/dialer/bin/dialer")))
    lines = unit.splitlines()
    assert f"SuccessExitStatus={EXIT_DRAIN_CUT_SHORT}" in lines
    assert "KillMode=mixed" in lines  # the one SIGTERM goes to the daemon alone
    assert "Restart=on-failure" in lines
    assert not re.search(r"@[A-Z_]+@", unit)  # every value filled in
