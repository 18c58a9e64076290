"""dialer's own source read with ``ast``, each module parsed and walked once per test process: the architecture
checks (tests/unit/test_architecture.py, test_dnc_one_way.py) each look at every module of the package, and parsing
it all again for each of them was most of their time. The trees are shared: read them, never change them."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

from harness.paths import REPO

PACKAGE = REPO / "dialer"


@cache
def package_files() -> tuple[Path, ...]:
    """Every ``.py`` file of the dialer package, sorted."""
    return tuple(sorted(PACKAGE.rglob("*.py")))


@cache
def text(path: Path) -> str:
    return path.read_text()


@cache
def tree(path: Path) -> ast.Module:
    """The module's syntax tree (shared: do not change it)."""
    return ast.parse(text(path), str(path))


@cache
def nodes(path: Path) -> tuple[ast.AST, ...]:
    """Every node of the module's tree, in ``ast.walk``'s order."""
    return tuple(ast.walk(tree(path)))
