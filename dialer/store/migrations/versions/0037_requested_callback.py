"""The callback the called party asked for (an inbound caller's "call me back" in the IVR / virtual hold), recorded
on the lead: from where (leads.requested_callback_source), when (requested_callback_at) and which promise
(requested_callback_due, the callback's due time). A regime that requires consent dials that callback, and only it,
on this evidence (dialer.campaign.rules.LeadSnapshot.has_requested_callback).

Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from dialer.store.types import UTCDateTime

revision: str = "0037_requested_callback"
down_revision: str | None = "0036_floor_views"


def upgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("requested_callback_source", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("requested_callback_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("requested_callback_due", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_column("requested_callback_due")
        batch_op.drop_column("requested_callback_at")
        batch_op.drop_column("requested_callback_source")
