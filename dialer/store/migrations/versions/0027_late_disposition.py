"""Late dispositions (dialer.campaign.late_disposition): the code the campaign's timeout_disposition gave a call
(attempts.timed_out_disposition, kept when its agent's late disposition replaces it), and who gave the late one and
when (attempts.late_disposition_by, attempts.late_disposition_at). Calls the timeout disposition gave one before
are found by the note it wrote.

Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from dialer.store.types import UTCDateTime

revision: str = "0027_late_disposition"
down_revision: str | None = "0026_evaluations"

# dialer.runner.agent_calls.TIMEOUT_NOTE as it was written before this revision.
_TIMEOUT_NOTE = "wrap-up ended without a disposition"


def upgrade() -> None:
    with op.batch_alter_table("attempts") as batch:
        batch.add_column(sa.Column("timed_out_disposition", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("late_disposition_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("late_disposition_by", sa.String(length=100), nullable=True))
    attempts = sa.table(
        "attempts",
        sa.column("disposition", sa.String()),
        sa.column("notes", sa.Text()),
        sa.column("timed_out_disposition", sa.String()),
    )
    op.execute(
        attempts.update()
        .where(attempts.c.notes == _TIMEOUT_NOTE, attempts.c.disposition.is_not(None))
        .values(timed_out_disposition=attempts.c.disposition)
    )


def downgrade() -> None:
    with op.batch_alter_table("attempts") as batch:
        batch.drop_column("late_disposition_by")
        batch.drop_column("late_disposition_at")
        batch.drop_column("timed_out_disposition")
