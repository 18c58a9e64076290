"""Campaign ownership leases: which daemon runs which campaign when several share the database.

Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Importing the model registers the table on the shared metadata (schema comparison).
from dialer.store import ownership as _ownership_models  # noqa: F401
from dialer.store.types import UTCDateTime

revision: str = "0004_campaign_leases"
down_revision: str | None = "0003_agent_events"


def upgrade() -> None:
    op.create_table(
        "campaign_leases",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=255), nullable=False),
        sa.Column("acquired_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("campaign_id"),
    )


def downgrade() -> None:
    op.drop_table("campaign_leases")
