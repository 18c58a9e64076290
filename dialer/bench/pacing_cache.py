"""The results cache of `dialer bench pacing`: one JSON file per simulated run, so a `--full` run (hours of CPU)
can stop, resume and be split across sessions, its tables assembled from the runs already made
(docs/benchmarks.md §1.8).

A run's result is determined by the scenario (every parsed field, the command line's overrides included), the
policy (a tuned rule and its knob), the seed, the measured hours and the warm-up, and the code that decides: the
key holds all of them, the code as a fingerprint of the pacer's, the simulator's and the bench's source files. A
run whose key is not in the cache is simulated; one whose inputs changed has another key and is simulated anew,
never reused. An entry that cannot be read (cut short, edited, from another format) is reported, kept aside as
``*.corrupt`` and the run simulated again.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import typer

from dialer.sim.des import Policy, RunResult, simulate
from dialer.sim.model import Scenario

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # dialer/
# The repository's ignored var/ directory: where `--full` keeps its runs unless told otherwise.
DEFAULT_CACHE_DIR = PACKAGE_DIR.parent / "var" / "bench-cache"
# The source files whose code decides a run's result: the pacer, the simulator and its world model, what they
# import from the rest of the package (a test checks that every dialer module the bench imports is here), the bench.
CODE_PATHS = (
    "__init__.py",
    "pacing",
    "sim",
    "calls/__init__.py",
    "calls/outcome.py",
    "agents/__init__.py",
    "agents/ready.py",
    "bench/__init__.py",
    "bench/pacing.py",
    "bench/pacing_cache.py",
)
FORMAT = 1  # of the entries: an entry of another format is not read

_RESULT_FIELDS = {f.name for f in fields(RunResult)}
# Each field's JSON types (RunResult's annotations: float, int, str, bool, optionally "| None").
_JSON_TYPES: dict[str, tuple[type, ...]] = {"float": (float, int), "int": (int,), "str": (str,), "bool": (bool,)}


def _field_types(annotation: object) -> tuple[tuple[type, ...], bool]:
    text = str(annotation)
    optional = text.endswith(" | None")
    return _JSON_TYPES[text.removesuffix(" | None")], optional


_RESULT_TYPES = {f.name: _field_types(f.type) for f in fields(RunResult)}


@functools.cache
def code_fingerprint(package: Path = PACKAGE_DIR) -> str:
    """sha256 of the source files that decide a run (CODE_PATHS under ``package``), names and contents."""
    digest = hashlib.sha256()
    for relative in CODE_PATHS:
        path = package / relative
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for file in files:
            digest.update(file.relative_to(package).as_posix().encode() + b"\0")
            digest.update(file.read_bytes() + b"\0")
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class RunKey:
    """Everything that determines one simulated run's result."""

    scenario: str  # the parsed scenario (repr: every field, overrides applied)
    policy: str  # "policy:<name>" (untuned) or "rule:<rule>" (a tuned rule: ev-tuned and ev-legal share theirs)
    knob: float | None
    seed: int
    hours: float
    warmup_minutes: float
    code: str  # code_fingerprint()

    def as_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "policy": self.policy,
            "knob": self.knob,
            "seed": self.seed,
            "hours": self.hours,
            "warmup_minutes": self.warmup_minutes,
            "code": self.code,
        }

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.as_dict(), sort_keys=True).encode()).hexdigest()


class CacheEntryError(ValueError):
    """An entry that is not a run of its key."""


def _decode(text: str, key: RunKey) -> RunResult:
    data = json.loads(text)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CacheEntryError(f"not an entry of format {FORMAT}")
    if data.get("key") != key.as_dict():
        raise CacheEntryError("its key is not the run's")
    result = data.get("result")
    if not isinstance(result, dict) or set(result) != _RESULT_FIELDS:
        raise CacheEntryError("its result's fields are not a run's")
    for name, value in result.items():
        types, optional = _RESULT_TYPES[name]
        if value is None and optional:
            continue
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise CacheEntryError(f"its result's {name} is {value!r}, not a {' or '.join(t.__name__ for t in types)}")
    return RunResult(**result)


@dataclass(frozen=True, slots=True)
class RunCache:
    """A directory of runs (picklable: the pool's workers read and write it too; each entry is written whole,
    through a temporary file renamed into place, so a run killed mid-write leaves no partial entry)."""

    root: Path
    code: str

    @classmethod
    def at(cls, root: Path) -> RunCache:
        return cls(root, code_fingerprint())

    def key(
        self, scenario: Scenario, policy: str, knob: float | None, seed: int, hours: float, warmup_minutes: float
    ) -> RunKey:
        return RunKey(repr(scenario), policy, knob, seed, float(hours), float(warmup_minutes), self.code)

    def path(self, key: RunKey) -> Path:
        return self.root / f"{key.digest()}.json"

    def get(self, key: RunKey) -> RunResult | None:
        """The cached run of ``key``, or None (not there, or unreadable: reported and kept aside)."""
        path = self.path(key)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            return _decode(text, key)
        except (ValueError, TypeError) as exc:  # json's errors are ValueErrors too
            aside = path.with_name(path.name + ".corrupt")
            try:
                os.replace(path, aside)
            except FileNotFoundError:  # another process of the pool set it aside first
                return None
            typer.echo(f"bench cache: {path} unreadable ({exc}); kept as {aside.name}, the run is made again", err=True)
            return None

    def put(self, key: RunKey, result: RunResult) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.path(key)
        entry = {"format": FORMAT, "key": key.as_dict(), "result": result.as_dict()}
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(entry, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(temporary, path)


def simulate_cached(
    cache: RunCache | None,
    scenario: Scenario,
    policy: str,
    knob: float | None,
    make: Callable[[], Policy],
    *,
    seed: int,
    hours: float,
    warmup_minutes: float,
) -> tuple[RunResult, bool]:
    """The run of ``make()`` (named ``policy`` with ``knob`` in the key) on ``scenario``: from ``cache`` when it
    holds it, else simulated (and stored). Also whether it came from the cache."""
    key = cache.key(scenario, policy, knob, seed, hours, warmup_minutes) if cache is not None else None
    if cache is not None and key is not None:
        cached = cache.get(key)
        if cached is not None:
            return cached, True
    result = simulate(scenario, make(), seed=seed, hours=hours, warmup_minutes=warmup_minutes)
    if cache is not None and key is not None:
        cache.put(key, result)
    return result, False
