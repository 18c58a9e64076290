"""Which call kept each callback (callbacks.kept_by, the attempt), and the callback its promise carried over to when
that call found the number dead and the lead had another phone (callbacks.carried_to).

Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0025_callback_carry"
down_revision: str | None = "0024_pacer_memory"


def upgrade() -> None:
    with op.batch_alter_table("callbacks") as batch:
        batch.add_column(sa.Column("kept_by", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("carried_to", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("callbacks") as batch:
        batch.drop_column("carried_to")
        batch.drop_column("kept_by")
