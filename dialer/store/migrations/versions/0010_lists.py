"""List management (enabled, priority, share, expiry per lead list), teams with supervisors, the append-only
audit log of administrative actions.

Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Registers the tables of this revision on the shared metadata (see 0002_auth).
from dialer.store import admin as _admin_models  # noqa: F401
from dialer.store import audit as _audit_models
from dialer.store.types import UTCDateTime

revision: str = "0010_lists"
down_revision: str | None = "0009_lead_list_import_lease"


CLAIMABLE = sa.text("status IN ('callback', 'new', 'retry')")
CLAIM_COLUMNS: list[str | sa.TextClause] = ["campaign_id", "status", sa.text("priority DESC"), "next_dialable_at"]


def _claim_index(columns: list[str | sa.TextClause]) -> None:
    """Rebuild ix_leads_claim with ``columns`` (a one-off rebuild of the claim index: minutes at 10 M leads)."""
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index("ix_leads_claim")
        batch_op.create_index(
            "ix_leads_claim", columns, unique=False, sqlite_where=CLAIMABLE, postgresql_where=CLAIMABLE
        )


def upgrade() -> None:
    # list_id joins the claim index, so a claim restricted to some lists filters from the index alone.
    _claim_index([*CLAIM_COLUMNS, "list_id"])
    with op.batch_alter_table("lead_lists", schema=None) as batch_op:
        batch_op.add_column(sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column("priority", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("share", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("valid_until", UTCDateTime(), nullable=True))
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("team_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_users_team_id"), ["team_id"], unique=False)
        batch_op.create_foreign_key("fk_users_team_id_teams", "teams", ["team_id"], ["id"])
    op.create_table(
        "team_supervisors",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("team_id", "user_id"),
    )
    with op.batch_alter_table("team_supervisors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_team_supervisors_user_id"), ["user_id"], unique=False)
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_at", ["at"], unique=False)
    for statement in _audit_models.AUDIT_APPEND_ONLY_SQL[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade() -> None:
    for statement in _audit_models.AUDIT_APPEND_ONLY_DROP_SQL[op.get_bind().dialect.name]:
        op.execute(statement)
    op.drop_table("audit_log")
    op.drop_table("team_supervisors")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint("fk_users_team_id_teams", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_users_team_id"))
        batch_op.drop_column("team_id")
    op.drop_table("teams")
    _claim_index(CLAIM_COLUMNS)
    with op.batch_alter_table("lead_lists", schema=None) as batch_op:
        batch_op.drop_column("valid_until")
        batch_op.drop_column("share")
        batch_op.drop_column("priority")
        batch_op.drop_column("enabled")
