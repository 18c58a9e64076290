"""Indexes for a large centre's data (found by ``dialer bench scale``; their use pinned by
tests/store/test_scale_plans.py), each of these read every row of its table without its index:

* the call records by start: the supervisor dashboard's agent figures (the last 24 hours, every campaign), the
  retention purge;
* the call records by agent and start: an agent's calls and leads, a team's figures and scope;
* the audit log by target: one agent's, lead's or campaign's entries (the console's lowered-hand relay reads an
  agent's every few seconds);
* the leads whose callback an agent owns (an agent's leads; partial: few leads have one).

Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0039_scale_indexes"
down_revision: str | None = "0038_supervision_end_reason"

OWNED = sa.text("callback_agent IS NOT NULL")


def upgrade() -> None:
    op.create_index("ix_attempts_started", "attempts", ["started_at"])
    op.create_index("ix_attempts_agent_started", "attempts", ["agent", "started_at"])
    op.create_index("ix_audit_log_target", "audit_log", ["target", "id"])
    op.create_index(
        "ix_leads_callback_agent", "leads", ["callback_agent"], postgresql_where=OWNED, sqlite_where=OWNED, unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_leads_callback_agent", table_name="leads")
    op.drop_index("ix_audit_log_target", table_name="audit_log")
    op.drop_index("ix_attempts_agent_started", table_name="attempts")
    op.drop_index("ix_attempts_started", table_name="attempts")
