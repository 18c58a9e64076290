"""The layers, read from the source with ``ast``: no import cycle between dialer's modules, and SQLAlchemy only in
the store.

Every import counts wherever it is written -- at module level, inside ``if TYPE_CHECKING:``, inside a function --
because a cycle hidden behind TYPE_CHECKING or a late import is still two modules that cannot be understood (or
split, or tested) apart. Break one with a Protocol owned by the lower module, or by moving the shared part.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from harness.paths import REPO
from harness.source import nodes, package_files, text, tree

from dialer.contract import CONTEXTS

# Import cycles still to break, each a set of modules with the reason it is not broken yet. Empty: none known.
ALLOWED_CYCLES: dict[frozenset[str], str] = {}

# Only the store talks to the database libraries (it exports plain dataclasses, errors and helpers).
DATABASE_LIBRARIES = ("sqlalchemy", "sqlmodel", "alembic", "asyncpg", "aiosqlite")
DATABASE_PACKAGE = "dialer.store"


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # the imported name, absolute (a module, or a name inside one)
    line: int


def _module_name(path: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    return ".".join(parts), is_package


def modules() -> dict[str, Path]:
    return {_module_name(p)[0]: p for p in package_files()}


def imports_of(path: Path) -> Iterator[Import]:
    name, is_package = _module_name(path)
    return _imports_among(nodes(path), name, is_package=is_package)


def imports_in(source: str, name: str, *, is_package: bool) -> Iterator[Import]:
    """Every import statement of module ``name``, at any depth, as absolute names (``from . import x`` resolved)."""
    return _imports_among(ast.walk(ast.parse(source, name)), name, is_package=is_package)


def _imports_among(walked: Iterable[ast.AST], name: str, *, is_package: bool) -> Iterator[Import]:
    base = name.split(".") if is_package else name.split(".")[:-1]
    for node in walked:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(name, alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base[: len(base) - (node.level - 1)]
                target = ".".join([*anchor, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            for alias in node.names:
                # `from a.b import c`: module a.b.c when it is one, else the name c of module a.b.
                yield Import(name, f"{target}.{alias.name}", node.lineno)


def _owner(target: str, known: dict[str, Path]) -> str | None:
    """The dialer module that defines ``target`` (its longest module prefix), or None outside dialer."""
    while target:
        if target in known:
            return target
        target = target.rpartition(".")[0]
    return None


def import_graph() -> dict[str, set[str]]:
    known = modules()
    graph: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        for imp in imports_of(path):
            owner = _owner(imp.target, known)
            if owner is not None and owner != name:
                graph[name].add(owner)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _describe(component: list[str], graph: dict[str, set[str]]) -> str:
    members = set(component)
    edges = [f"  {m} -> {', '.join(sorted(graph[m] & members))}" for m in component]
    return "\n".join([" <-> ".join(component), *edges])


def test_the_graph_sees_every_kind_of_import() -> None:
    """The reader follows relative imports, imports inside functions and inside ``if TYPE_CHECKING:``."""
    source = (
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "from . import sibling\n"
        "from ..other import name\n"
        "if TYPE_CHECKING:\n"
        "    from dialer.hidden import Thing\n"
        "def f() -> None:\n"
        "    import dialer.late\n"
    )
    targets = {i.target for i in imports_in(source, "dialer.pkg.mod", is_package=False)}
    assert {"dialer.pkg.sibling", "dialer.other.name", "dialer.hidden.Thing", "dialer.late"} <= targets


def test_cycles_finds_a_cycle_through_three_modules() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_no_import_cycle_between_modules() -> None:
    graph = import_graph()
    found = [c for c in cycles(graph) if frozenset(c) not in ALLOWED_CYCLES]
    assert not found, "import cycles (imports at any level count, TYPE_CHECKING too):\n" + "\n".join(
        _describe(c, graph) for c in found
    )
    still_there = {frozenset(c) for c in cycles(graph)}
    stale = [sorted(c) for c in ALLOWED_CYCLES if c not in still_there]
    assert not stale, f"broken cycles still allowed in ALLOWED_CYCLES, remove them: {stale}"


def test_only_the_store_imports_the_database_libraries() -> None:
    offenders = [
        f"{imp.module}:{imp.line} imports {imp.target}"
        for name, path in modules().items()
        if not (name == DATABASE_PACKAGE or name.startswith(DATABASE_PACKAGE + "."))
        for imp in imports_of(path)
        if imp.target.split(".")[0] in DATABASE_LIBRARIES
    ]
    assert not offenders, "outside dialer/store:\n" + "\n".join(offenders)


# The runner and the daemon are split by role (docs/architecture.md): a module of theirs over this many lines says
# why at its top (a line of its docstring starting "Over 500 lines:").
ROLE_PACKAGES = ("dialer.runner", "dialer.daemon")
MAX_MODULE_LINES = 500


def _in_role_packages(name: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in ROLE_PACKAGES)


def test_runner_and_daemon_modules_stay_small_or_say_why() -> None:
    too_long = [
        f"{name}: {len(text(path).splitlines())} lines"
        for name, path in modules().items()
        if _in_role_packages(name)
        and len(text(path).splitlines()) > MAX_MODULE_LINES
        and "Over 500 lines:" not in (ast.get_docstring(tree(path)) or "")
    ]
    assert not too_long, "split by role, or say why at the top:\n" + "\n".join(too_long)


def test_one_place_builds_a_campaign_runner() -> None:
    """Every runner is loaded by dialer.daemon.loading (start, state sync, takeover, scheduler): its legal window
    is seeded from the store there, and nowhere else builds one."""
    builders = [
        f"{name}:{node.lineno}"
        for name, path in modules().items()
        for node in nodes(path)
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id == "CampaignRunner")
            or (isinstance(node.func, ast.Attribute) and node.func.attr == "CampaignRunner")
        )
    ]
    assert [b.split(":")[0] for b in builders] == ["dialer.daemon.loading"], builders


def test_the_runner_and_daemon_take_dialplan_names_from_the_contract() -> None:
    """No literal DIALER_* variable or dialer-* context in the runner or the daemon: dialer.contract has them."""
    literals = [
        f"{name}:{node.lineno} {node.value!r}"
        for name, path in modules().items()
        if _in_role_packages(name) or name == "dialer.scheduler"
        for node in nodes(path)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and (node.value.startswith("DIALER_") or node.value in CONTEXTS)
    ]
    assert not literals, "use dialer.contract:\n" + "\n".join(literals)
