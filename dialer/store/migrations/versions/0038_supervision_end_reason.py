"""Why a supervision session ended (``supervision_sessions.end_reason``: the PBX hung its leg up, the PBX no longer
had it, no daemon is connected to its server, ...), and the Asterisk servers each daemon is connected to
(``floor_views.servers``: NULL for a view an older daemon published, whose connections are not known) -- a session
on a server no daemon reporting is connected to is ended, with that reason, so that its supervisor can listen again
(dialer.supervision.service).

Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0038_supervision_end_reason"
down_revision: str | None = "0037_requested_callback"


def upgrade() -> None:
    with op.batch_alter_table("supervision_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("end_reason", sa.String(length=32), nullable=True))
    with op.batch_alter_table("floor_views", schema=None) as batch_op:
        batch_op.add_column(sa.Column("servers", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("floor_views", schema=None) as batch_op:
        batch_op.drop_column("servers")
    with op.batch_alter_table("supervision_sessions", schema=None) as batch_op:
        batch_op.drop_column("end_reason")
