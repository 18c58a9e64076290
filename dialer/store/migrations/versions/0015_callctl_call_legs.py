"""Call legs: who talked with the customer of an attempt, who transferred to whom, when, talk time per leg.

Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from dialer.store.types import UTCDateTime

revision: str = "0015_callctl_call_legs"
down_revision: str | None = "0014_monitor"

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "call_legs",
        sa.Column("id", BigId, primary_key=True, nullable=False),
        sa.Column("attempt_id", sa.BigInteger(), sa.ForeignKey("attempts.id"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("party_kind", sa.String(length=16), nullable=False),
        sa.Column("party", sa.String(length=100), nullable=False),
        sa.Column("how", sa.String(length=16), nullable=False),
        sa.Column("transferred_by", sa.String(length=100), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("connected_at", UTCDateTime(), nullable=True),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("talk_seconds", sa.Float(), nullable=True),
    )
    op.create_index("ix_call_legs_attempt", "call_legs", ["attempt_id", "seq"], unique=True)
    op.create_index("ix_call_legs_transferred_by", "call_legs", ["transferred_by", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_call_legs_transferred_by", table_name="call_legs")
    op.drop_index("ix_call_legs_attempt", table_name="call_legs")
    op.drop_table("call_legs")
