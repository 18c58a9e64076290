"""Attempts still open (no outcome yet): a partial index for finding the calls a dead daemon left behind.

Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005_open_attempts"
down_revision: str | None = "0004_campaign_leases"

OPEN = sa.text("ended_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_attempts_open", "attempts", ["campaign_id"], postgresql_where=OPEN, sqlite_where=OPEN, unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_attempts_open", table_name="attempts")
