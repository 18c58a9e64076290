"""The recording's consent announcement: when it played and its status (DialerRecordingConsent).

Revision ID: 0019_callday2_recording_consent
Revises: 0018_stack2_recycle_at
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dialer.store.types import UTCDateTime

revision: str = "0019_callday2_recording_consent"
down_revision: str | None = "0018_stack2_recycle_at"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("recordings") as batch:
        batch.add_column(sa.Column("consent_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("consent_status", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("recordings") as batch:
        batch.drop_column("consent_status")
        batch.drop_column("consent_at")
