"""One way onto a DNC list: only dialer.store.dnc writes the ``dnc`` table (add_dnc_in announces every new entry
as ``optout.added`` in the entry's own transaction), read from the source with ``ast`` so a new path around it
fails here."""

from __future__ import annotations

import ast

from harness.source import PACKAGE, nodes, package_files

OWNER = PACKAGE / "store" / "dnc.py"


def _writes_dnc(node: ast.Call) -> bool:
    func = node.func
    names = [a.id for a in node.args if isinstance(a, ast.Name)]
    if isinstance(func, ast.Attribute) and func.attr in {"insert", "update"} and isinstance(func.value, ast.Name):
        return func.value.id == "dnc_t"
    if isinstance(func, ast.Name) and func.id in {"insert", "upsert_insert", "update", "pg_insert", "sqlite_insert"}:
        return "dnc_t" in names
    return any(
        isinstance(a, ast.Constant) and isinstance(a.value, str) and "insert into dnc" in a.value.lower()
        for a in node.args
    )


def test_only_the_dnc_module_writes_the_dnc_table() -> None:
    writers = sorted(
        str(path.relative_to(PACKAGE.parent))
        for path in package_files()
        if path != OWNER and any(isinstance(n, ast.Call) and _writes_dnc(n) for n in nodes(path))
    )
    assert writers == [], f"write DNC entries through dialer.store.dnc.add_dnc_in: {writers}"


def test_the_check_sees_a_write() -> None:
    sample = "stmt = upsert_insert(conn, dnc_t)\nawait conn.execute(dnc_t.insert().values(number='+1'))\n"
    calls = [n for n in ast.walk(ast.parse(sample)) if isinstance(n, ast.Call)]
    assert sum(_writes_dnc(c) for c in calls) == 2
    assert any(_writes_dnc(n) for n in nodes(OWNER) if isinstance(n, ast.Call))
