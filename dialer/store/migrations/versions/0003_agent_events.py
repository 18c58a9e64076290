"""Agent state history (one row per state change) for the reports.

Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Importing the model registers the table on the shared metadata (schema comparison, reports).
from dialer.store import agent_history as _agent_history_models  # noqa: F401
from dialer.store.types import UTCDateTime

revision: str = "0003_agent_events"
down_revision: str | None = "0002_auth"


def upgrade() -> None:
    op.create_table(
        "agent_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent", sa.String(length=100), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("previous", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.String(length=100), nullable=True),
        sa.Column("queue", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("agent_events", schema=None) as batch_op:
        batch_op.create_index("ix_agent_events_agent_at", ["agent", "at"], unique=False)
        batch_op.create_index("ix_agent_events_at", ["at"], unique=False)


def downgrade() -> None:
    op.drop_table("agent_events")
