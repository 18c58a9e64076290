"""Leads by external id: an expression index on (campaign_id, fields' external_id) for the lead API's look-up,
update and erasure by external id (a scan of the campaign's leads otherwise).

Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

revision: str = "0016_leadapi_external_id"
down_revision: str | None = "0015_callctl_call_legs"

# The same expressions as dialer.store.leadapi.ExternalId renders (an expression index serves only a query that
# repeats its expression).
_EXPRESSION = {
    "postgresql": "(fields ->> 'external_id')",
    "sqlite": "json_extract(fields, '$.external_id')",
}


def upgrade() -> None:
    expression = _EXPRESSION[op.get_bind().dialect.name]
    op.execute(f"CREATE INDEX ix_leads_external_id ON leads (campaign_id, {expression})")


def downgrade() -> None:
    op.execute("DROP INDEX ix_leads_external_id")
