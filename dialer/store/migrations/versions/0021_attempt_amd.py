"""Whether each call was placed with AMD (attempts.amd): the pacer pauses AMD near the cap, and a daemon that adopts
the call after a crash must know which it was.

Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0021_attempt_amd"
down_revision: str | None = "0020_team_memberships"


def upgrade() -> None:
    with op.batch_alter_table("attempts") as batch:
        batch.add_column(sa.Column("amd", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("attempts") as batch:
        batch.drop_column("amd")
