"""Inbound calls: one row per caller's visit to an inbound queue (answered, abandoned, timed out, refused), for the
inbound service-level report.

Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from dialer.store.types import UTCDateTime

revision: str = "0022_inbound_calls"
down_revision: str | None = "0021_attempt_amd"


def upgrade() -> None:
    op.create_table(
        "inbound_calls",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("server", sa.String(length=100), nullable=True),
        sa.Column("queue", sa.String(length=100), nullable=False),
        sa.Column("caller", sa.String(length=64), nullable=False),
        sa.Column("joined_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("wait_seconds", sa.Float(), nullable=False),
        sa.Column("talk_seconds", sa.Float(), nullable=True),
        sa.Column("agent", sa.String(length=100), nullable=True),
        sa.Column("queue_status", sa.String(length=32), nullable=True),
    )
    op.create_index("ix_inbound_calls_queue_joined", "inbound_calls", ["queue", "joined_at"])
    op.create_index("ix_inbound_calls_joined", "inbound_calls", ["joined_at"])


def downgrade() -> None:
    op.drop_table("inbound_calls")
