"""The queues an agent was signed in to at each state change (agent_events.queues; NULL: not recorded, the rows
written before), so the staffing forecast counts the agents serving a queue, not every agent signed in.

Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0035_agent_event_queues"
down_revision: str | None = "0034_kiosk_session_expiry"


def upgrade() -> None:
    with op.batch_alter_table("agent_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "queues",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("agent_events", schema=None) as batch_op:
        batch_op.drop_column("queues")
