"""Names and consent on leads (display form, reading, consent source and time); a user's language and zone.

Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from dialer.store.types import UTCDateTime

revision: str = "0012_i18n_names_consent_language"
down_revision: str | None = "0011_webhooks"


def upgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("display_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("name_reading", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("consent_source", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("consent_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("timezone")
        batch_op.drop_column("language")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_column("consent_at")
        batch_op.drop_column("consent_source")
        batch_op.drop_column("name_reading")
        batch_op.drop_column("display_name")
