"""Every revision of the migrations keeps producing the schema it produced when it was written.

Databases of users who ran an earlier version stand at intermediate revisions and upgrade from there, so a
revision is frozen: editing one (tidying it, sharing code between revisions) must leave the schema it makes, at
every step, exactly as it was. This test upgrades an empty database one revision at a time and compares, after each
step, the whole schema (SQLite: the stored CREATE statements; PostgreSQL: columns, constraints, indexes) with the
record in ``schema_history/<database>.txt``: for each revision, the schema lines it added (+) and removed (-).

A new revision is recorded with ``DIALER_RECORD_SCHEMA_HISTORY=1`` (on both databases); check the diff of the
record shows only what the new revision means to change.
"""

from __future__ import annotations

import os
from pathlib import Path

from alembic.script import ScriptDirectory
from harness.databases import DbSpec
from sqlalchemy import text

from dialer.store import Database, upgrade
from dialer.store.migrate import alembic_config

HISTORY = Path(__file__).parent / "schema_history"

_SQLITE = "SELECT type, tbl_name, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND sql IS NOT NULL"
_PG_COLUMNS = (
    "SELECT table_name, column_name, ordinal_position, data_type, character_maximum_length, numeric_precision, "
    "is_nullable, column_default FROM information_schema.columns WHERE table_schema = current_schema()"
)
_PG_CONSTRAINTS = (
    "SELECT t.relname, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
    "JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
    "WHERE n.nspname = current_schema()"
)
_PG_INDEXES = "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"


def revisions_oldest_first() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


async def schema_lines(db: Database) -> set[str]:
    """The whole schema, one line per object, with the PostgreSQL test schema's random name left out."""
    async with db.read() as conn:
        if db.is_sqlite:
            rows = (await conn.execute(text(_SQLITE))).all()
            return {line for kind, table, name, sql in rows for line in _sqlite_lines(kind, table, name, sql)}
        schema = (await conn.execute(text("SELECT current_schema()"))).scalar_one()
        lines = {
            f"column {t}.{c} #{pos} {kind} len={length} precision={precision} nullable={nullable} default={default}"
            for t, c, pos, kind, length, precision, nullable, default in (await conn.execute(text(_PG_COLUMNS))).all()
        }
        lines |= {f"constraint {t}.{c}: {d}" for t, c, d in (await conn.execute(text(_PG_CONSTRAINTS))).all()}
        lines |= {f"index {t}.{i}: {d}" for t, i, d in (await conn.execute(text(_PG_INDEXES))).all()}
    return {line.replace(f'"{schema}".', "<schema>.").replace(f"{schema}.", "<schema>.") for line in lines}


_TABLE_CONSTRAINT = ("CONSTRAINT ", "PRIMARY KEY", "FOREIGN KEY", "UNIQUE ", "CHECK ")


def _sqlite_lines(kind: str, table: str, name: str, sql: str) -> list[str]:
    """A CREATE TABLE as one line per column (in order) and per table constraint (in no order: a table SQLite
    rebuilt for an ALTER lists its foreign keys in any order); any other statement as one line."""
    flat = " ".join(sql.split())
    if kind != "table":
        return [f"{kind} {table}.{name}: {flat}"]
    head, body = flat.split("(", 1)
    items, depth, start = [], 0, 0
    inner = body.rsplit(")", 1)[0]
    for i, ch in enumerate(inner):
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            items.append(inner[start:i].strip())
            start = i + 1
    items.append(inner[start:].strip())
    lines = [f"table {table}: {head.strip()}"]
    columns = [item for item in items if not item.startswith(_TABLE_CONSTRAINT)]
    lines += [f"table {table} column #{n}: {item}" for n, item in enumerate(columns, 1)]
    lines += [f"table {table} constraint: {item}" for item in items if item.startswith(_TABLE_CONSTRAINT)]
    return lines


async def history(db: Database) -> str:
    """Each revision, upgraded to one at a time, with the schema lines it added and removed."""
    out: list[str] = []
    before: set[str] = set()
    for revision in revisions_oldest_first():
        await upgrade(db, revision)
        after = await schema_lines(db)
        out.append(f"== {revision}")
        out += [f"- {line}" for line in sorted(before - after)]
        out += [f"+ {line}" for line in sorted(after - before)]
        before = after
    return "\n".join(out) + "\n"


async def test_each_revision_makes_the_schema_it_always_made(db_target: DbSpec) -> None:
    db = db_target.open()
    try:
        made = await history(db)
    finally:
        await db.dispose()
    record = HISTORY / ("sqlite.txt" if db_target.url.startswith("sqlite") else "postgres.txt")
    if os.environ.get("DIALER_RECORD_SCHEMA_HISTORY") == "1":
        record.parent.mkdir(exist_ok=True)
        record.write_text(made, encoding="utf-8")
    assert made == record.read_text(encoding="utf-8")
