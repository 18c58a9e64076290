"""Alerts held once across daemons (an open alert is unique per rule and subject; the daemons that see its
condition hold it) and raised hands kept in the database.

- ``alerts.open_key``: ``<rule> <subject>`` while the alert is active, NULL once cleared; unique, so two daemons
  seeing the same condition raise one alert. Of the alerts active now, the oldest of each rule and subject keeps
  it; a later copy (raised by another daemon) is cleared at once, its daemon holding the one kept.
- ``alert_holders``: which daemon (``node``) sees an active alert's condition, and when it last said so.
- ``raised_hands``: an agent's raised hand (one at a time), its note and since when.

Create Date: 2026-12-07
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from dialer.store.types import UTCDateTime

revision: str = "0032_cluster_alerts_hands"
down_revision: str | None = "0031_wallboard_tokens"


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("open_key", sa.String(length=270), nullable=True))
        batch.create_index("ux_alerts_open_key", ["open_key"], unique=True)
    op.create_table(
        "alert_holders",
        sa.Column("alert_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("node", sa.String(length=200), nullable=False),
        sa.Column("seen_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("alert_id", "node"),
    )
    op.create_index("ix_alert_holders_node", "alert_holders", ["node"])
    op.create_table(
        "raised_hands",
        sa.Column("agent_id", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("raised_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("agent_id"),
    )
    _hold_the_active_alerts()


def _hold_the_active_alerts() -> None:
    """Each active alert's daemon holds it; of two active for one rule and subject the oldest stays active."""
    conn = op.get_bind()
    alerts = sa.table(
        "alerts",
        sa.column("id", sa.Integer),
        sa.column("rule", sa.String),
        sa.column("subject", sa.String),
        sa.column("node", sa.String),
        sa.column("cleared_at", UTCDateTime),
        sa.column("open_key", sa.String),
    )
    holders = sa.table(
        "alert_holders",
        sa.column("alert_id", sa.Integer),
        sa.column("node", sa.String),
        sa.column("seen_at", UTCDateTime),
    )
    now = datetime.now(UTC)
    kept: dict[str, int] = {}
    held: set[tuple[int, str]] = set()
    active = conn.execute(
        sa.select(alerts.c.id, alerts.c.rule, alerts.c.subject, alerts.c.node)
        .where(alerts.c.cleared_at.is_(None))
        .order_by(alerts.c.id)
    )
    for alert_id, rule, subject, node in active.all():
        key = f"{rule} {subject}"
        if key in kept:
            conn.execute(sa.update(alerts).where(alerts.c.id == alert_id).values(cleared_at=now))
        else:
            kept[key] = alert_id
            conn.execute(sa.update(alerts).where(alerts.c.id == alert_id).values(open_key=key))
        if (kept[key], node) not in held:
            held.add((kept[key], node))
            conn.execute(sa.insert(holders).values(alert_id=kept[key], node=node, seen_at=now))


def downgrade() -> None:
    op.drop_table("raised_hands")
    op.drop_index("ix_alert_holders_node", table_name="alert_holders")
    op.drop_table("alert_holders")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_index("ux_alerts_open_key")
        batch.drop_column("open_key")
