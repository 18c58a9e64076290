"""Webhook subscriptions to "*" are stored as "*": a subscription whose stored list is every subscribable type of
its day becomes "|*|" (every type, those added later too). Data only.

Until this revision "*" was expanded, when the subscription was made, into the types known then, and the docs said
so. Two lists were ever "every type": the seven subscribable from 0011 (call.started, call.answered, call.ended,
call.dispositioned, lead.archived, callback.due, optout.added), and those seven with callback.done and
callback.cancelled (added since, without a revision: the column is free text). A subscription storing exactly one
of these sets (in any order) was made with "*" -- or by ticking every box the Webhooks page offered, which asked
for the same thing -- and from now on receives every type. Any other list is left as it is.

Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0023_webhook_wildcard"
down_revision: str | None = "0022_inbound_calls"

# Frozen here (not imported from dialer.webhooks.core): this revision must keep doing what it did when written.
_BEFORE_CALLBACK_EVENTS = (
    "call.started",
    "call.answered",
    "call.ended",
    "call.dispositioned",
    "lead.archived",
    "callback.due",
    "optout.added",
)
_WITH_CALLBACK_EVENTS = (*_BEFORE_CALLBACK_EVENTS, "callback.done", "callback.cancelled")
_EVERY_TYPE_OF_ITS_DAY = (frozenset(_BEFORE_CALLBACK_EVENTS), frozenset(_WITH_CALLBACK_EVENTS))
WILDCARD = "|*|"

_subscriptions = sa.table(
    "webhook_subscriptions", sa.column("id", sa.Integer()), sa.column("events", sa.String(length=1000))
)


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(_subscriptions.c.id, _subscriptions.c.events)).all()
    wildcard = [
        int(i) for i, events in rows if frozenset(e for e in str(events).split("|") if e) in _EVERY_TYPE_OF_ITS_DAY
    ]
    if wildcard:
        bind.execute(sa.update(_subscriptions).where(_subscriptions.c.id.in_(wildcard)).values(events=WILDCARD))


def downgrade() -> None:
    # What "*" was stored as by the code of the revision before: the types known then.
    op.execute(
        sa.update(_subscriptions)
        .where(_subscriptions.c.events == WILDCARD)
        .values(events="|" + "|".join(_WITH_CALLBACK_EVENTS) + "|")
    )
