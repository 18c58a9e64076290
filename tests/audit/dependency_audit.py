"""Known vulnerabilities in the pinned dependencies (``constraints.txt``), checked with pip-audit.

``python tests/audit/dependency_audit.py [--strict]`` (``make audit``, run by ``make test``). pip-audit is
trusted only for what it actually checked: when the vulnerability service cannot be reached it may still say
"No known vulnerabilities found" with every package skipped, so the JSON report is read package by package.

Exit status: 0 every package checked and none vulnerable, or the audit could not be performed (a loud
"dependency audit NOT performed: <why>" line; an offline machine stays green); 1 vulnerabilities found;
2 the audit could not be performed under ``--strict``, or pip-audit failed for another reason.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
CLEAN, VULNERABLE, NOT_PERFORMED = 0, 1, 2

# What a failed lookup looks like on pip-audit's stderr (requests / urllib3 / pip-audit's own service errors).
_UNREACHABLE = re.compile(
    r"ConnectionError|NameResolutionError|Max retries exceeded|Could not connect|timed out|Timeout|"
    r"Network is unreachable|Temporary failure in name resolution|ServiceError|SSLError|ProxyError|"
    r"Connection refused|Connection reset",
    re.IGNORECASE,
)

PipAuditRun = Callable[[Sequence[str]], subprocess.CompletedProcess[str]]


@dataclass(frozen=True, slots=True)
class Verdict:
    code: int
    lines: tuple[str, ...]


def _last_line(text: str, pattern: re.Pattern[str] | None = None) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if pattern is not None:
        lines = [line for line in lines if pattern.search(line)] or lines
    return lines[-1][:300] if lines else "no output"


def not_performed(why: str, strict: bool) -> Verdict:
    bar = "!" * 100
    return Verdict(
        NOT_PERFORMED if strict else CLEAN,
        (
            bar,
            f"!!! dependency audit NOT performed: {why}",
            "!!! no vulnerability verdict on the pinned dependencies"
            + ("" if strict else "; `make audit STRICT=1` fails on this"),
            bar,
        ),
    )


def decide(returncode: int, stdout: str, stderr: str, *, strict: bool) -> Verdict:
    """The verdict from one pip-audit run (``--format json``)."""
    try:
        report: Any = json.loads(stdout)
    except ValueError:
        report = None
    if not isinstance(report, dict) or not isinstance(report.get("dependencies"), list):
        if _UNREACHABLE.search(stderr):
            return not_performed(
                f"the vulnerability service could not be reached ({_last_line(stderr, _UNREACHABLE)})", strict
            )
        return Verdict(
            NOT_PERFORMED, (f"dependency audit failed: pip-audit exited {returncode}: {_last_line(stderr)}",)
        )
    deps = [d for d in report["dependencies"] if isinstance(d, dict)]
    if not deps:
        return not_performed("pip-audit checked no package", strict)
    vulnerable = [d for d in deps if d.get("vulns")]
    skipped = [d for d in deps if "skip_reason" in d]
    if vulnerable:
        lines = [f"dependency audit: {len(vulnerable)} vulnerable package(s) of {len(deps)}"]
        for d in vulnerable:
            for v in d["vulns"]:
                fixes = ", ".join(v.get("fix_versions") or []) or "no fixed version"
                aliases = ", ".join(v.get("aliases") or [])
                lines.append(
                    f"  {d.get('name')} {d.get('version')}: {v.get('id')}"
                    + (f" ({aliases})" if aliases else "")
                    + f" -- fixed in {fixes}"
                )
        if skipped:
            lines.append(f"  ({len(skipped)} package(s) could not be checked)")
        return Verdict(VULNERABLE, tuple(lines))
    if skipped:
        reason = str(skipped[0].get("skip_reason", ""))[:200]
        return not_performed(f"{len(skipped)} of {len(deps)} packages could not be checked (e.g. {reason})", strict)
    return Verdict(CLEAN, (f"dependency audit: {len(deps)} pinned packages checked, no known vulnerabilities",))


def pip_audit_command(requirements: Path, service: str) -> list[str]:
    # The pins are the whole resolution: audit exactly them, without installing or resolving anything.
    return [
        sys.executable, "-m", "pip_audit",
        "--requirement", str(requirements),
        "--no-deps", "--disable-pip",
        "--vulnerability-service", service,
        "--format", "json", "--aliases", "on",
        "--progress-spinner", "off",
    ]  # fmt: skip


def run_pip_audit(command: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(command), capture_output=True, text=True, timeout=900, check=False)


def main(argv: Sequence[str] | None = None, run: PipAuditRun = run_pip_audit) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requirements", type=Path, default=REPO / "constraints.txt")
    parser.add_argument("--service", choices=("pypi", "osv"), default="pypi")
    parser.add_argument("--strict", action="store_true", help="fail when the audit could not be performed")
    args = parser.parse_args(argv)
    try:
        done = run(pip_audit_command(args.requirements, args.service))
    except subprocess.TimeoutExpired:
        verdict = not_performed("pip-audit did not finish within 15 minutes", args.strict)
    else:
        if "No module named pip_audit" in done.stderr:
            verdict = Verdict(NOT_PERFORMED, ("dependency audit failed: pip-audit is not installed here (make setup)",))
        else:
            verdict = decide(done.returncode, done.stdout, done.stderr, strict=args.strict)
    stream = sys.stdout if verdict.code == CLEAN and "NOT performed" not in " ".join(verdict.lines) else sys.stderr
    for line in verdict.lines:
        print(line, file=stream, flush=True)
    return verdict.code


if __name__ == "__main__":
    sys.exit(main())
