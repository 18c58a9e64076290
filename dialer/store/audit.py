"""The audit log of administrative actions: who did what to what, when.

Append-only: this module only inserts and reads it, no route edits it, and the migration installs triggers that
refuse UPDATE and DELETE on the table (SQLite and PostgreSQL). Entries are written with :func:`audit_in` inside the
transaction that makes the change, so the log holds exactly what was done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import Field, SQLModel

from dialer.store.engine import Database
from dialer.store.records import RecordReader, paged, public_fields
from dialer.store.tables import metadata
from dialer.store.types import UTCDateTime, json_document

assert metadata is SQLModel.metadata

AuditId = BigInteger().with_variant(Integer(), "sqlite")


class AuditRow(SQLModel, table=True):
    """One administrative action: who did what to whom, when. Append-only (see the module docstring)."""

    __tablename__ = "audit_log"
    # ix_audit_log_target: one agent's, lead's or campaign's entries, newest first (audit_entries(target=...)).
    __table_args__ = (Index("ix_audit_log_at", "at"), Index("ix_audit_log_target", "target", "id"))

    id: int | None = Field(default=None, sa_type=AuditId, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime)
    actor: str = Field(max_length=64)
    action: str = Field(max_length=40)
    target: str = Field(max_length=200)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=json_document())


audit_log_t = metadata.tables["audit_log"]

# The SQL that makes the audit log append-only, per dialect (installed by the migration, checked by a test).
AUDIT_APPEND_ONLY_SQL: dict[str, list[str]] = {
    "sqlite": [
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    ],
    "postgresql": [
        "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$",
        "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
    ],
}
AUDIT_APPEND_ONLY_DROP_SQL: dict[str, list[str]] = {
    "sqlite": ["DROP TRIGGER IF EXISTS audit_log_no_update", "DROP TRIGGER IF EXISTS audit_log_no_delete"],
    "postgresql": [
        "DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log",
        "DROP FUNCTION IF EXISTS audit_log_append_only()",
    ],
}


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One entry of the audit log: who (``actor``) did what to which target, with its details."""

    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: dict[str, Any]

    def public(self) -> dict[str, object]:
        return public_fields(self, "id at actor action target detail")


_audit_entry = RecordReader(AuditEntry, detail=lambda detail: dict(detail or {}))


async def audit_in(conn: AsyncConnection, actor: str, action: str, target: str, now: datetime, **detail: Any) -> None:
    """Append one entry inside the caller's transaction (the one that makes the change)."""
    await conn.execute(
        audit_log_t.insert().values(at=now, actor=actor, action=action, target=target[:200], detail=detail)
    )


async def audit(db: Database, actor: str, action: str, target: str, now: datetime, **detail: Any) -> None:
    async with db.write() as conn:
        await audit_in(conn, actor, action, target, now, **detail)


async def audit_entries(
    db: Database, *, target: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[int, list[AuditEntry]]:
    where = [audit_log_t.c.target == target] if target is not None else []
    query = select(audit_log_t).order_by(audit_log_t.c.id.desc())
    return await paged(db, audit_log_t, query, where, _audit_entry, limit=limit, offset=offset)
