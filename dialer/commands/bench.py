"""`dialer bench ...`: benchmarks that print figures (`make bench` runs `dialer bench all`).

Each benchmark module in dialer/bench/ exposes ``register(app)`` to add its own command(s) and
``run_default()`` for `bench all`, which runs every one with its default size.
"""

from __future__ import annotations

import importlib
from types import ModuleType

import typer

app = typer.Typer(help="Benchmarks (print figures; not tests).", no_args_is_help=True)

# In the order `bench all` runs them.
BENCH_MODULES = (
    "dialer.bench.ami",
    "dialer.bench.store",
    "dialer.bench.scale",
    "dialer.bench.pacing",
    "dialer.bench.daemon",
    "dialer.bench.recording",
    "dialer.bench.web",
    "dialer.bench.hooks",
)


def _modules() -> list[ModuleType]:
    return [importlib.import_module(name) for name in BENCH_MODULES]


for _module in _modules():
    _module.register(app)


@app.command("all")
def bench_all() -> None:
    """Run every benchmark at its default size and print the figures."""
    for module in _modules():
        module.run_default()
