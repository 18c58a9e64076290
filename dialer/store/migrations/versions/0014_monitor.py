"""Call recordings (one per call, linked to its attempt) and the audit of supervisor monitoring.

Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from dialer.store.types import UTCDateTime

revision: str = "0014_monitor"
down_revision: str | None = "0013_ivr_results"


def upgrade() -> None:
    op.create_table(
        "recordings",
        sa.Column("attempt_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("agent", sa.String(length=100), nullable=True),
        sa.Column("file", sa.String(length=255), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"]),
        sa.PrimaryKeyConstraint("attempt_id"),
    )
    op.create_index("ix_recordings_campaign_started", "recordings", ["campaign_id", "started_at"], unique=False)
    op.create_index("ix_recordings_agent_started", "recordings", ["agent", "started_at"], unique=False)
    op.create_table(
        "supervision_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supervisor", sa.String(length=100), nullable=False),
        sa.Column("agent", sa.String(length=100), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("attempt_id", sa.BigInteger(), nullable=True),
        sa.Column("phone", sa.String(length=100), nullable=False),
        sa.Column("server", sa.String(length=100), nullable=False),
        sa.Column("channel_id", sa.String(length=150), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_supervision_started", "supervision_sessions", ["started_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_supervision_started", table_name="supervision_sessions")
    op.drop_table("supervision_sessions")
    op.drop_index("ix_recordings_agent_started", table_name="recordings")
    op.drop_index("ix_recordings_campaign_started", table_name="recordings")
    op.drop_table("recordings")
