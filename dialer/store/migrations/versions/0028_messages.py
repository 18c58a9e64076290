"""Messages from supervisors and managers to agents (messages) and each recipient's reading of them
(message_recipients).

Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from dialer.store.types import UTCDateTime

revision: str = "0028_messages"
down_revision: str | None = "0027_late_disposition"


def upgrade() -> None:
    op.create_table(
        "messages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sender", sa.String(length=64), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("audience_name", sa.String(length=100), nullable=True),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_messages_sent_at", "messages", ["sent_at"])
    op.create_index("ix_messages_sender_sent", "messages", ["sender", "sent_at"])
    op.create_table(
        "message_recipients",
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("agent", sa.String(length=64), nullable=False),
        sa.Column("read_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"]),
        sa.PrimaryKeyConstraint("message_id", "agent"),
    )
    op.create_index("ix_message_recipients_agent_read", "message_recipients", ["agent", "read_at"])


def downgrade() -> None:
    op.drop_index("ix_message_recipients_agent_read", table_name="message_recipients")
    op.drop_table("message_recipients")
    op.drop_index("ix_messages_sender_sent", table_name="messages")
    op.drop_index("ix_messages_sent_at", table_name="messages")
    op.drop_table("messages")
