"""Initial schema: campaigns, lead lists, leads, attempts (call records), DNC, callbacks.

Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from dialer.store.types import UTCDateTime

revision: str = "0001"
down_revision: str | None = None

# The conditions of the partial indexes, each stated once for both dialects (and for upgrade and downgrade).
CAMPAIGN_DNC = sa.text("campaign_id IS NOT NULL")
GLOBAL_DNC = sa.text("campaign_id IS NULL")
CLAIMABLE = sa.text("status IN ('callback', 'new', 'retry')")
IN_CALL = sa.text("status = 'in_call'")


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "config", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "dnc",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dnc", schema=None) as batch_op:
        batch_op.create_index(
            "uq_dnc_campaign_number",
            ["number", "campaign_id"],
            unique=True,
            sqlite_where=CAMPAIGN_DNC,
            postgresql_where=CAMPAIGN_DNC,
        )
        batch_op.create_index(
            "uq_dnc_global_number",
            ["number"],
            unique=True,
            sqlite_where=GLOBAL_DNC,
            postgresql_where=GLOBAL_DNC,
        )

    op.create_table(
        "lead_lists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("source_file", sa.String(length=1000), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("imported", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("invalid", sa.Integer(), nullable=False),
        sa.Column("dnc", sa.Integer(), nullable=False),
        sa.Column("errors_file", sa.String(length=1000), nullable=True),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("lead_lists", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lead_lists_campaign_id"), ["campaign_id"], unique=False)

    op.create_table(
        "leads",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column(
            "alt_phones", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "tz_candidates",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("postal_code", sa.String(length=20), nullable=True),
        sa.Column(
            "postal_zones",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("first_name", sa.String(length=100), nullable=True),
        sa.Column("last_name", sa.String(length=100), nullable=True),
        sa.Column(
            "fields", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("claimed_from", sa.String(length=16), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("dials", sa.Integer(), nullable=False),
        sa.Column("next_dialable_at", UTCDateTime(), nullable=False),
        sa.Column("last_outcome", sa.String(length=20), nullable=True),
        sa.Column("last_disposition", sa.String(length=63), nullable=True),
        sa.Column("last_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("last_abandon_at", UTCDateTime(), nullable=True),
        sa.Column("archive_reason", sa.String(length=40), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("callback_at", UTCDateTime(), nullable=True),
        sa.Column("callback_agent", sa.String(length=100), nullable=True),
        sa.Column("claim_owner", sa.String(length=100), nullable=True),
        sa.Column("lease_expires_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"]),
        sa.ForeignKeyConstraint(["list_id"], ["lead_lists.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.create_index(
            "ix_leads_campaign_status_due", ["campaign_id", "status", "next_dialable_at"], unique=False
        )
        batch_op.create_index(
            "ix_leads_claim",
            ["campaign_id", "status", sa.text("priority DESC"), "next_dialable_at"],
            unique=False,
            sqlite_where=CLAIMABLE,
            postgresql_where=CLAIMABLE,
        )
        batch_op.create_index(
            "ix_leads_lease",
            ["lease_expires_at"],
            unique=False,
            sqlite_where=IN_CALL,
            postgresql_where=IN_CALL,
        )
        batch_op.create_index("uq_leads_campaign_phone", ["campaign_id", "phone"], unique=True)

    op.create_table(
        "attempts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lead_id", sa.BigInteger(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("caller_id", sa.String(length=80), nullable=True),
        sa.Column("server", sa.String(length=100), nullable=True),
        sa.Column("trunk", sa.String(length=100), nullable=True),
        sa.Column("action_id", sa.String(length=100), nullable=True),
        sa.Column("channel_id", sa.String(length=150), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.Column("connected_at", UTCDateTime(), nullable=True),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("hangup_cause", sa.Integer(), nullable=True),
        sa.Column("amd_status", sa.String(length=20), nullable=True),
        sa.Column("amd_cause", sa.String(length=100), nullable=True),
        sa.Column("agent", sa.String(length=100), nullable=True),
        sa.Column("disposition", sa.String(length=40), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("abandoned", sa.Boolean(), nullable=False),
        sa.Column("ring_seconds", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"]),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.create_index("ix_attempts_campaign_started", ["campaign_id", "started_at"], unique=False)
        batch_op.create_index("ix_attempts_channel", ["channel_id"], unique=False)
        batch_op.create_index("ix_attempts_lead", ["lead_id"], unique=False)

    op.create_table(
        "callbacks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.BigInteger(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("agent", sa.String(length=100), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"]),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("callbacks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_callbacks_lead_id"), ["lead_id"], unique=False)
        batch_op.create_index("ix_callbacks_state_due", ["state", "due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("callbacks", schema=None) as batch_op:
        batch_op.drop_index("ix_callbacks_state_due")
        batch_op.drop_index(batch_op.f("ix_callbacks_lead_id"))

    op.drop_table("callbacks")
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_attempts_lead")
        batch_op.drop_index("ix_attempts_channel")
        batch_op.drop_index("ix_attempts_campaign_started")

    op.drop_table("attempts")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index("uq_leads_campaign_phone")
        batch_op.drop_index("ix_leads_lease", sqlite_where=IN_CALL, postgresql_where=IN_CALL)
        batch_op.drop_index("ix_leads_campaign_status_due")
        batch_op.drop_index("ix_leads_claim")

    op.drop_table("leads")
    with op.batch_alter_table("lead_lists", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lead_lists_campaign_id"))

    op.drop_table("lead_lists")
    with op.batch_alter_table("dnc", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_dnc_global_number",
            sqlite_where=GLOBAL_DNC,
            postgresql_where=GLOBAL_DNC,
        )
        batch_op.drop_index(
            "uq_dnc_campaign_number",
            sqlite_where=CAMPAIGN_DNC,
            postgresql_where=CAMPAIGN_DNC,
        )

    op.drop_table("dnc")
    op.drop_table("campaigns")
