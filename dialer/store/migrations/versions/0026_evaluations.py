"""Quality evaluations (evaluations): one per call and evaluator, with its answers, score and the copy of the
scorecard it was scored against.

Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from dialer.store.types import UTCDateTime

revision: str = "0026_evaluations"
down_revision: str | None = "0025_callback_carry"


def upgrade() -> None:
    json = sa.JSON().with_variant(JSONB(), "postgresql")
    op.create_table(
        "evaluations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("attempt_id", sa.BigInteger(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("agent", sa.String(length=100), nullable=False),
        sa.Column("evaluator", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("answers", json, nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("critical_failed", sa.Boolean(), nullable=False),
        sa.Column("scorecard", json, nullable=False),
        sa.ForeignKeyConstraint(["attempt_id"], ["attempts.id"]),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("uq_evaluations_attempt_evaluator", "evaluations", ["attempt_id", "evaluator"], unique=True)
    op.create_index("ix_evaluations_agent_created", "evaluations", ["agent", "created_at"])
    op.create_index("ix_evaluations_campaign_created", "evaluations", ["campaign_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_evaluations_campaign_created", table_name="evaluations")
    op.drop_index("ix_evaluations_agent_created", table_name="evaluations")
    op.drop_index("uq_evaluations_attempt_evaluator", table_name="evaluations")
    op.drop_table("evaluations")
