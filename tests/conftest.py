"""Fixtures every tier shares. Test tiers live in folders (`make fast` runs the first three, `make test` all of them):

- unit: pure cores, one folder per package (tables and hypothesis properties), the asterisk/ files, architecture
- trace: the AMI client and call tracker replaying recorded Asterisk traces
- sim: the simulated PBX (sim/pbx) and the discrete-event model of a campaign
- ami: the AMI client against a scripted fake Asterisk and the simulated PBX (a real one when DIALER_TEST_AMI)
- store: every repository on SQLite and on the real PostgreSQL
- reports: the reports over a synthetic history, on both databases
- hostile: import files and requests built to break the importer
- api: the web API and console handlers over a running application
- browser: the console in Chromium
- e2e: the whole daemon against the simulated PBX
- ops: several daemons, outages, failover, adoption, service units
- bench: the benchmarks' own set-up (the figures come from `make bench`)
- audit: the dependency audit script
- real_ami: against a real Asterisk running asterisk/lab (skipped unless DIALER_TEST_AMI is set)

Not tiers: harness/ is the package the tiers share (``import harness.e2e`` and so on: this conftest puts tests/ on
the path); fixtures/ holds recorded AMI traces. A tier's own helpers stay in its folder (reports/reports_history.py,
sim/pbx/simpbx_helpers.py).
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from harness import loop_close, properties
from harness.cli import build_commands_once
from harness.logs import logging_to
from typer.testing import CliRunner

from dialer.i18n import DEFAULT_LOCALE, set_locale

REPO = Path(__file__).resolve().parent.parent
TRACES = REPO / "tests" / "fixtures" / "ami-traces"

# Before any test module builds its @settings: the gate's fixed examples, or fresh ones (harness.properties).
properties.load()
# Each test loop's close cancels what the test left with the cancel repeated and the wait bounded (harness.loop_close).
loop_close.install()
# typer's CliRunner builds the CLI's click command once per app, not once per invoke (harness.cli).
build_commands_once()


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


@pytest.fixture(autouse=True)
def _structlog_on_live_streams() -> Iterator[None]:
    """A CLI test run through typer's CliRunner leaves structlog writing to the buffer it closed: every test starts
    and ends with the default configuration."""
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()


@pytest.fixture(autouse=True)
def _default_locale() -> Iterator[None]:
    """A CLI test run with ``--locale ja`` sets the process's language (dialer.i18n.set_locale, as the command
    line does): every test starts and ends in the default language."""
    set_locale(DEFAULT_LOCALE)
    yield
    set_locale(DEFAULT_LOCALE)


@pytest.fixture
def settings_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Points the CLI at a fresh SQLite database and var dir under tmp_path."""
    monkeypatch.setenv("DIALER_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("DIALER_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("DIALER_CONFIG", raising=False)
    return tmp_path


@pytest.fixture
def cli(settings_env: Path) -> CliRunner:
    """A runner for :func:`harness.cli.run`, the CLI pointed at this test's settings (``settings_env``)."""
    return CliRunner()


# ---------------------------------------------------------------------------------------------------- timeouts
# A test that hangs is stopped by pytest-timeout (pyproject: 600 s), whose report is a long traceback far above the
# end of the output, and CI keeps only the end. So each timeout also leaves a few lines for the last section: the
# phase it hung in, the innermost frames below pytest-timeout's handler, and the tasks still pending on the loop.
_WHERE = "where the timeout struck"
_TIMED_OUT: list[str] = []


def _timeout_lines(item: pytest.Item, when: str, excinfo: pytest.ExceptionInfo[BaseException]) -> list[str]:
    skip = ("pytest_timeout", "_pytest/outcomes")  # the handler that stopped the test, and pytest.fail
    frames = [tb for tb in excinfo.traceback if not any(part in str(tb.path) for part in skip)]
    lines = [f"{item.nodeid} ({when}):"]
    lines += [f"  at {Path(str(tb.path)).name}:{tb.lineno + 1} {tb.name}" for tb in frames[-6:]]
    loop = next(
        (
            value
            for tb in reversed(frames)
            for value in tb.frame.f_locals.values()
            if isinstance(value, asyncio.AbstractEventLoop)
        ),
        None,
    )
    if loop is not None:
        for task in list(asyncio.all_tasks(loop))[:8]:
            stack = task.get_stack(limit=1)
            where = f" at {Path(stack[0].f_code.co_filename).name}:{stack[0].f_lineno}" if stack else ""
            lines.append(f"  pending task {task.get_coro()!r}{where}")
    return lines


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    excinfo = call.excinfo
    if excinfo is not None and "from pytest-timeout" in str(excinfo.value):
        # (on the report, which pytest-xdist's workers send to the process that prints the summary)
        outcome.get_result().user_properties.append((_WHERE, _timeout_lines(item, call.when, excinfo)))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for key, lines in report.user_properties:
        if key == _WHERE and isinstance(lines, list):
            _TIMED_OUT.extend(str(line) for line in lines)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _TIMED_OUT:
        terminalreporter.section("where the timed-out tests were")
        for line in _TIMED_OUT:
            terminalreporter.write_line(line)
