"""IVR results: one row per call that went through an IVR flow (agentless attempts, inbound callers).

Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from dialer.store.types import UTCDateTime, json_document

revision: str = "0013_ivr_results"
down_revision: str | None = "0012_i18n_names_consent_language"


def upgrade() -> None:
    op.create_table(
        "ivr_results",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("attempt_id", sa.BigInteger(), nullable=True),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("campaigns.id"), nullable=True),
        sa.Column("call_ref", sa.String(length=100), nullable=False),
        sa.Column("flow", sa.String(length=63), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("result", sa.String(length=40), nullable=False),
        sa.Column("path", json_document(), nullable=False),
        sa.Column("steps", json_document(), nullable=False),
        sa.Column("keys", json_document(), nullable=False),
        sa.Column("variables", json_document(), nullable=False),
        sa.Column("listened_to_end", sa.Boolean(), nullable=False),
        sa.Column("transferred", sa.Boolean(), nullable=False),
        sa.Column("contained", sa.Boolean(), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("machine", sa.Boolean(), nullable=False),
        sa.Column("hung_up_at", sa.String(length=63), nullable=True),
        sa.Column("hung_up_step", sa.Integer(), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_ivr_results_campaign_started", "ivr_results", ["campaign_id", "started_at"])
    op.create_index("ix_ivr_results_flow_started", "ivr_results", ["flow", "started_at"])
    op.create_index("ix_ivr_results_attempt", "ivr_results", ["attempt_id"])


def downgrade() -> None:
    op.drop_index("ix_ivr_results_attempt", table_name="ivr_results")
    op.drop_index("ix_ivr_results_flow_started", table_name="ivr_results")
    op.drop_index("ix_ivr_results_campaign_started", table_name="ivr_results")
    op.drop_table("ivr_results")
