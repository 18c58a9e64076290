"""Scheduled recycling per lead list; the campaigns each team works (a supervisor's lead scope).

Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from dialer.store.types import UTCDateTime

revision: str = "0017_integ_schedules_teams"
down_revision: str | None = "0016_leadapi_external_id"


def upgrade() -> None:
    op.create_table(
        "recycle_schedules",
        sa.Column("list_id", sa.Integer(), sa.ForeignKey("lead_lists.id"), primary_key=True, nullable=False),
        sa.Column("rules", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=False),
        sa.Column("every_minutes", sa.Integer(), nullable=False),
        sa.Column("next_run_at", UTCDateTime(), nullable=False),
        sa.Column("last_run_at", UTCDateTime(), nullable=True),
        sa.Column("last_recycled", sa.Integer(), nullable=True),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_recycle_schedules_next_run_at", "recycle_schedules", ["next_run_at"])
    op.create_table(
        "team_campaigns",
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("teams.id"), primary_key=True, nullable=False),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("campaigns.id"), primary_key=True, nullable=False),
    )
    op.create_index("ix_team_campaigns_campaign_id", "team_campaigns", ["campaign_id"])


def downgrade() -> None:
    op.drop_index("ix_team_campaigns_campaign_id", table_name="team_campaigns")
    op.drop_table("team_campaigns")
    op.drop_index("ix_recycle_schedules_next_run_at", table_name="recycle_schedules")
    op.drop_table("recycle_schedules")
