"""The pacer's memory of each campaign (pacer_memory): what a restarted or taking-over daemon's pacer resumes that no
record holds (the abandon controller's level, how long AMD listens, how late agents are against their "ready in N s").

Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from dialer.store.types import UTCDateTime

revision: str = "0024_pacer_memory"
down_revision: str | None = "0023_webhook_wildcard"


def upgrade() -> None:
    op.create_table(
        "pacer_memory",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=255), nullable=False),
        sa.Column("saved_at", UTCDateTime(), nullable=False),
        sa.Column("memory", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("campaign_id"),
    )


def downgrade() -> None:
    op.drop_table("pacer_memory")
