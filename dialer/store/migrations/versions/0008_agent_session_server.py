"""Agent sessions keep the Asterisk server the agent's phone is on (an explicit server outlives a restart).

Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008_agent_session_server"
down_revision: str | None = "0007_inferred_outcomes"


def upgrade() -> None:
    with op.batch_alter_table("agent_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("server", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agent_sessions", schema=None) as batch_op:
        batch_op.drop_column("server")
