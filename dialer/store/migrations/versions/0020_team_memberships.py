"""Spells of users in teams (team_memberships): a team's report over a past period counts what its agents did while
they were its members. Today's members get an open spell from before spells were kept (since NULL).

Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from dialer.store.types import UTCDateTime

revision: str = "0020_team_memberships"
down_revision: str | None = "0019_callday2_recording_consent"


def upgrade() -> None:
    op.create_table(
        "team_memberships",
        sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("teams.id"), nullable=False),
        sa.Column("since", UTCDateTime(), nullable=True),
        sa.Column("until", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_team_memberships_user_id", "team_memberships", ["user_id"])
    op.create_index("ix_team_memberships_team_id", "team_memberships", ["team_id"])
    op.execute(
        "INSERT INTO team_memberships (user_id, team_id, since, until) "
        "SELECT id, team_id, NULL, NULL FROM users WHERE team_id IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_index("ix_team_memberships_team_id", table_name="team_memberships")
    op.drop_index("ix_team_memberships_user_id", table_name="team_memberships")
    op.drop_table("team_memberships")
