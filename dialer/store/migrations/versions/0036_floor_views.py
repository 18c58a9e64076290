"""The floor as each daemon sees it (``floor_views``): one row per daemon, its agents and campaigns as its memory
holds them and when it last said so, so that every daemon's dashboard shows the whole floor (dialer.store.floor).

Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from dialer.store.types import UTCDateTime

revision: str = "0036_floor_views"
down_revision: str | None = "0035_agent_event_queues"


def upgrade() -> None:
    json = sa.JSON().with_variant(JSONB(), "postgresql")
    op.create_table(
        "floor_views",
        sa.Column("node", sa.String(length=255), nullable=False),
        sa.Column("agents", json, nullable=False),
        sa.Column("campaigns", json, nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.Column("seen_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("node"),
    )


def downgrade() -> None:
    op.drop_table("floor_views")
