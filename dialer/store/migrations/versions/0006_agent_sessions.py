"""Agent sessions: logged-in agents' queues and pause intent, and the daemon holding them (agent failover).

Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Importing the model registers the table on the shared metadata (schema comparison).
from dialer.store import agent_sessions as _agent_sessions_models  # noqa: F401
from dialer.store.types import UTCDateTime

revision: str = "0006_agent_sessions"
down_revision: str | None = "0005_open_attempts"


def upgrade() -> None:
    op.create_table(
        "agent_sessions",
        sa.Column("agent_id", sa.String(length=100), nullable=False),
        sa.Column("interface", sa.String(length=120), nullable=False),
        sa.Column("member_name", sa.String(length=120), nullable=False),
        sa.Column(
            "queues", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("pause_reason", sa.String(length=100), nullable=True),
        sa.Column("since", UTCDateTime(), nullable=False),
        sa.Column("owner", sa.String(length=255), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("agent_id"),
    )
    with op.batch_alter_table("agent_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_agent_sessions_owner", ["owner"], unique=False)
        batch_op.create_index("ix_agent_sessions_expires_at", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_table("agent_sessions")
