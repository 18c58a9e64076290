"""The alert history (alerts): each alert raised, when its condition began, when it cleared, who acknowledged it.

Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from dialer.store.types import UTCDateTime

revision: str = "0030_alerts"
down_revision: str | None = "0029_report_schedules"


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("campaign", sa.String(length=100), nullable=True),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("agent", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.String(length=200), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("node", sa.String(length=200), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("raised_at", UTCDateTime(), nullable=False),
        sa.Column("cleared_at", UTCDateTime(), nullable=True),
        sa.Column("acked_by", sa.String(length=64), nullable=True),
        sa.Column("acked_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_alerts_raised_at", "alerts", ["raised_at"])
    op.create_index("ix_alerts_node_cleared", "alerts", ["node", "cleared_at"])


def downgrade() -> None:
    op.drop_index("ix_alerts_node_cleared", table_name="alerts")
    op.drop_index("ix_alerts_raised_at", table_name="alerts")
    op.drop_table("alerts")
