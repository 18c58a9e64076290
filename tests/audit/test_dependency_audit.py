"""The dependency audit wrapper's verdicts on canned pip-audit outputs: only a full, clean check passes as audited."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from dependency_audit import CLEAN, NOT_PERFORMED, VULNERABLE, decide, main, pip_audit_command

CLEAN_REPORT = {
    "dependencies": [
        {"name": "aiohttp", "version": "3.14.5", "vulns": []},
        {"name": "requests", "version": "2.34.2", "vulns": []},
    ],
    "fixes": [],
}
VULNERABLE_REPORT = {
    "dependencies": [
        {"name": "aiohttp", "version": "3.14.5", "vulns": []},
        {
            "name": "requests",
            "version": "2.19.0",
            "vulns": [{"id": "PYSEC-2018-28", "fix_versions": ["2.20.0"], "aliases": ["CVE-2018-18074"]}],
        },
    ],
    "fixes": [],
}
# What pip-audit 2.10.1 printed here, where PyPI's JSON API answers 404: exit 0, every package skipped, and
# "No known vulnerabilities found" on stderr.
ALL_SKIPPED = {
    "dependencies": [
        {"name": n, "skip_reason": f"Dependency not found on PyPI and could not be audited: {n} (1.0)"}
        for n in ("aiohttp", "requests", "structlog")
    ],
    "fixes": [],
}
SKIPPED_STDERR = (
    "WARNING:pip_audit._cli:--no-deps is supported, but users are encouraged to fully hash their pinned dependencies\n"
    "No known vulnerabilities found\n"
)
# --vulnerability-service osv without a network: a traceback and no JSON.
OFFLINE_STDERR = (
    "Traceback (most recent call last):\n  ...\n"
    "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.osv.dev', port=443): Max retries exceeded "
    "with url: /v1/query (Caused by NameResolutionError(\"Failed to resolve 'api.osv.dev'\"))\n"
)


def verdict(report: Any, returncode: int = 0, stderr: str = "", *, strict: bool = False) -> tuple[int, str]:
    stdout = report if isinstance(report, str) else json.dumps(report)
    v = decide(returncode, stdout, stderr, strict=strict)
    return v.code, "\n".join(v.lines)


@pytest.mark.parametrize("strict", [False, True])
def test_a_full_clean_check_passes(strict: bool) -> None:
    code, text = verdict(CLEAN_REPORT, strict=strict)
    assert code == CLEAN
    assert "2 pinned packages checked, no known vulnerabilities" in text
    assert "NOT performed" not in text


@pytest.mark.parametrize("strict", [False, True])
def test_any_vulnerability_fails_and_is_named(strict: bool) -> None:
    code, text = verdict(VULNERABLE_REPORT, returncode=1, strict=strict)
    assert code == VULNERABLE
    assert "requests 2.19.0: PYSEC-2018-28 (CVE-2018-18074) -- fixed in 2.20.0" in text


def test_a_vulnerability_fails_even_when_other_packages_were_skipped() -> None:
    report = {"dependencies": VULNERABLE_REPORT["dependencies"] + ALL_SKIPPED["dependencies"], "fixes": []}
    code, text = verdict(report, returncode=1)
    assert code == VULNERABLE
    assert "3 package(s) could not be checked" in text


def test_every_package_skipped_is_not_an_audit() -> None:
    code, text = verdict(ALL_SKIPPED, stderr=SKIPPED_STDERR)
    assert code == CLEAN  # an offline `make test` stays green...
    assert "dependency audit NOT performed: 3 of 3 packages could not be checked" in text  # ...and says so
    assert "No known vulnerabilities" not in text
    assert verdict(ALL_SKIPPED, stderr=SKIPPED_STDERR, strict=True)[0] == NOT_PERFORMED


def test_one_package_skipped_is_not_a_full_audit() -> None:
    report = {"dependencies": [*CLEAN_REPORT["dependencies"], ALL_SKIPPED["dependencies"][2]], "fixes": []}
    code, text = verdict(report)
    assert code == CLEAN
    assert "NOT performed: 1 of 3 packages could not be checked (e.g. Dependency not found on PyPI" in text
    assert verdict(report, strict=True)[0] == NOT_PERFORMED


def test_an_unreachable_service_is_not_an_audit() -> None:
    code, text = verdict("", returncode=1, stderr=OFFLINE_STDERR)
    assert code == CLEAN
    assert "dependency audit NOT performed: the vulnerability service could not be reached" in text
    assert "api.osv.dev" in text
    assert verdict("", returncode=1, stderr=OFFLINE_STDERR, strict=True)[0] == NOT_PERFORMED


def test_an_empty_report_is_not_an_audit() -> None:
    assert "NOT performed: pip-audit checked no package" in verdict({"dependencies": [], "fixes": []})[1]
    assert verdict({"dependencies": [], "fixes": []}, strict=True)[0] == NOT_PERFORMED


def test_other_pip_audit_failures_fail_even_when_not_strict() -> None:
    code, text = verdict("", returncode=2, stderr="usage: pip-audit ...\npip-audit: error: unrecognized arguments: -x")
    assert code == NOT_PERFORMED
    assert "dependency audit failed: pip-audit exited 2: pip-audit: error: unrecognized arguments: -x" in text


def fake_run(returncode: int, stdout: str, stderr: str = "") -> Any:
    seen: list[Sequence[str]] = []

    def run(command: Sequence[str]) -> subprocess.CompletedProcess[str]:
        seen.append(command)
        return subprocess.CompletedProcess(list(command), returncode, stdout, stderr)

    run.seen = seen  # type: ignore[attr-defined]
    return run


def test_main_audits_exactly_the_pins_and_prints_the_verdict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pins = tmp_path / "constraints.txt"
    pins.write_text("requests==2.19.0\n")
    run = fake_run(1, json.dumps(VULNERABLE_REPORT))
    assert main(["--requirements", str(pins)], run=run) == VULNERABLE
    (command,) = run.seen
    assert command[1:3] == ["-m", "pip_audit"]
    assert {"--no-deps", "--disable-pip"} <= set(command)
    assert command[command.index("--requirement") + 1] == str(pins)
    assert command[command.index("--format") + 1] == "json"
    assert "PYSEC-2018-28" in capsys.readouterr().err

    skipped = fake_run(0, json.dumps(ALL_SKIPPED), SKIPPED_STDERR)
    assert main(["--requirements", str(pins)], run=skipped) == CLEAN
    assert "dependency audit NOT performed" in capsys.readouterr().err
    assert main(["--requirements", str(pins), "--strict"], run=skipped) == NOT_PERFORMED


def test_main_without_pip_audit_installed_fails(capsys: pytest.CaptureFixture[str]) -> None:
    run = fake_run(1, "", "/usr/bin/python: No module named pip_audit\n")
    assert main([], run=run) == NOT_PERFORMED
    assert "pip-audit is not installed" in capsys.readouterr().err


def test_the_command_names_the_pinned_file() -> None:
    command = pip_audit_command(Path("constraints.txt"), "osv")
    assert command[command.index("--vulnerability-service") + 1] == "osv"
