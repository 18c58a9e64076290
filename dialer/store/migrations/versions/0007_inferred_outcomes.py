"""Call records closed from inferred evidence: an attempt whose call ended while no daemon listened.

Its outcome is the best the stored facts and the PBX's later evidence allow, not what the PBX reported at the
call's end; ``outcome_inferred`` says so in the call record and its report/CSV.

Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007_inferred_outcomes"
down_revision: str | None = "0006_agent_sessions"


def upgrade() -> None:
    with op.batch_alter_table("attempts") as batch:
        batch.add_column(sa.Column("outcome_inferred", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("attempts") as batch:
        batch.drop_column("outcome_inferred")
