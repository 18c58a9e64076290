"""Report mail per recipient: what the SMTP server answered each recipient of a run (report_deliveries.answers)
and who already has the mail of the slot a schedule retries (report_schedules.slot_sent).

Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0033_report_recipients"
down_revision: str | None = "0032_cluster_alerts_hands"


def upgrade() -> None:
    json = sa.JSON().with_variant(JSONB(), "postgresql")
    with op.batch_alter_table("report_schedules", schema=None) as batch_op:
        batch_op.add_column(sa.Column("slot_sent", json, nullable=True))
    with op.batch_alter_table("report_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answers", json, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("report_deliveries", schema=None) as batch_op:
        batch_op.drop_column("answers")
    with op.batch_alter_table("report_schedules", schema=None) as batch_op:
        batch_op.drop_column("slot_sent")
