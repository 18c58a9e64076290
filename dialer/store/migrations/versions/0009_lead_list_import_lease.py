"""Lead lists record their import's state and the importing process's lease (recovery of a killed import).

Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from dialer.store.types import UTCDateTime

revision: str = "0009_lead_list_import_lease"
down_revision: str | None = "0008_agent_session_server"


def upgrade() -> None:
    with op.batch_alter_table("lead_lists", schema=None) as batch_op:
        batch_op.add_column(sa.Column("state", sa.String(length=16), server_default="imported", nullable=False))
        batch_op.add_column(sa.Column("owner", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("expires_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("failure", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("lead_lists", schema=None) as batch_op:
        batch_op.drop_column("failure")
        batch_op.drop_column("expires_at")
        batch_op.drop_column("owner")
        batch_op.drop_column("state")
