"""The recording's consent announcement: when it played and its status (DialerRecordingConsent).

Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from dialer.store.types import UTCDateTime

revision: str = "0019_callday2_recording_consent"
down_revision: str | None = "0018_stack2_recycle_at"


def upgrade() -> None:
    with op.batch_alter_table("recordings") as batch:
        batch.add_column(sa.Column("consent_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("consent_status", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("recordings") as batch:
        batch.drop_column("consent_status")
        batch.drop_column("consent_at")
