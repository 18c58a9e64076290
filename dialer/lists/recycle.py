"""Recycle (reset) rules, pure: which spent or waiting leads may be dialled again now, and what recycling does.

A rule names an outcome and an age: "no-answers older than 3 days", "busy after 1 h". A lead is recycled when its
last attempt ended with that outcome at least that long ago, and only when no rule the claim checks is against it:

* never a lead that is archived, on a do-not-call list (its status or the list), closed (done), in a call, a
  pending callback, or over its budget (counted attempts or dials at the campaign's limits);
* never a lead of an expired list;
* recycling keeps every counter (attempts, dials) and the time of the last abandoned call, so the attempt budget
  and the no-recall-after-abandon gap still hold; the calling window is checked at claim time as for any lead.

Recycling makes the lead due now: status ``retry``, ``next_dialable_at = now``. The clock is passed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from dialer.calls.outcome import Outcome
from dialer.campaign.config import CampaignConfig
from dialer.campaign.rules import LeadSnapshot, LeadStatus, over_budget
from dialer.i18n import M_

# The statuses a recycle may touch: waiting retries and leads exhausted under an earlier (smaller) budget.
RECYCLABLE_STATUSES: frozenset[LeadStatus] = frozenset({LeadStatus.RETRY, LeadStatus.EXHAUSTED})
MAX_RULE_AGE = timedelta(days=3650)


@dataclass(frozen=True, slots=True)
class RecycleRule:
    """Recycle leads whose last outcome is ``outcome`` and whose last attempt is at least ``older_than`` old."""

    outcome: Outcome
    older_than: timedelta

    def __post_init__(self) -> None:
        if self.older_than < timedelta(0) or self.older_than > MAX_RULE_AGE:
            raise ValueError(
                M_(
                    "older_than must be between 0 and {days} days, not {value}",
                    days=MAX_RULE_AGE.days,
                    value=self.older_than,
                )
            )

    @property
    def label(self) -> str:
        return f"{self.outcome.value}>{int(self.older_than.total_seconds())}s"


def matching_rule(
    lead: LeadSnapshot,
    rules: Sequence[RecycleRule],
    campaign: CampaignConfig,
    now: datetime,
    *,
    on_dnc: bool,
    list_expired: bool = False,
) -> RecycleRule | None:
    """The first rule that recycles ``lead`` at ``now``; None when none may (see the module's rules)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if on_dnc or list_expired or lead.status not in RECYCLABLE_STATUSES or over_budget(lead, campaign):
        return None
    if lead.last_outcome is None or lead.last_attempt_at is None:
        return None
    if lead.status is LeadStatus.RETRY and lead.next_dialable_at is not None and lead.next_dialable_at <= now:
        return None  # already due: nothing to recycle
    for rule in rules:
        if rule.outcome is lead.last_outcome and lead.last_attempt_at <= now - rule.older_than:
            return rule
    return None


def recycled(lead: LeadSnapshot, now: datetime) -> LeadSnapshot:
    """The lead once recycled: due now, every counter and the abandon time kept."""
    return replace(lead, status=LeadStatus.RETRY, next_dialable_at=now)
