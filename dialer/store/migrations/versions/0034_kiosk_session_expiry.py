"""Kiosk sessions expire: when each was last renewed (wallboard_sessions.seen_at, from created_at for the open
ones) and when it was found over its lifetime (expired_at).

Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from dialer.store.types import UTCDateTime

revision: str = "0034_kiosk_session_expiry"
down_revision: str | None = "0033_report_recipients"


def upgrade() -> None:
    with op.batch_alter_table("wallboard_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seen_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("expired_at", UTCDateTime(), nullable=True))
    op.execute("UPDATE wallboard_sessions SET seen_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("wallboard_sessions", schema=None) as batch_op:
        batch_op.drop_column("expired_at")
        batch_op.drop_column("seen_at")
