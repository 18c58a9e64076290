"""Scheduled recycling at times of day / weekdays: a crontab line and its zone beside the interval.

Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0018_stack2_recycle_at"
down_revision: str | None = "0017_integ_schedules_teams"


def upgrade() -> None:
    with op.batch_alter_table("recycle_schedules") as batch:
        batch.alter_column("every_minutes", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("at", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("zone", sa.String(length=64), nullable=False, server_default="UTC"))


def downgrade() -> None:
    op.execute("DELETE FROM recycle_schedules WHERE every_minutes IS NULL")
    with op.batch_alter_table("recycle_schedules") as batch:
        batch.drop_column("zone")
        batch.drop_column("at")
        batch.alter_column("every_minutes", existing_type=sa.Integer(), nullable=False)
