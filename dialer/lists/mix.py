"""The list mix, pure: which lists of a campaign a claim takes leads from, and how many from each.

Each lead list has ``enabled``, a ``priority`` (higher first), an optional ``share`` (a weight) and an optional
``valid_until`` (the list expires then). Leads added without a list (``list_id`` NULL) form one implicit list:
enabled, priority 0, no share, never expiring.

* No list has a share: **priority** mix. The claim takes leads from the highest-priority group of lists first and
  goes down to the next group only for what is left of its batch.
* Some lists have a share: **share** mix. Each list with a share gets its part of the batch (largest remainder);
  what they cannot fill goes to every active list (with or without a share) in one last step.

A disabled or expired list gives no leads. The clock is passed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ListSetting:
    list_id: int
    enabled: bool = True
    priority: int = 0
    share: float | None = None
    valid_until: datetime | None = None

    def active(self, now: datetime) -> bool:
        return self.enabled and (self.valid_until is None or self.valid_until > now)

    @property
    def is_default(self) -> bool:
        """Enabled, priority 0, no share, no expiry: the list changes nothing about the claim."""
        return self.enabled and self.priority == 0 and not self.share and self.valid_until is None


@dataclass(frozen=True, slots=True)
class ClaimStep:
    """Claim at most ``limit`` leads from ``list_ids`` (and from leads without a list when ``unlisted``)."""

    list_ids: tuple[int, ...]
    unlisted: bool
    limit: int


def plan_claim(lists: Sequence[ListSetting], limit: int, now: datetime) -> list[ClaimStep]:
    """The claim steps for a batch of ``limit`` leads, in order. Each step takes at most what is left of the batch
    after the steps before it (the caller subtracts what each step got)."""
    if limit <= 0:
        return []
    active = [s for s in lists if s.active(now)]
    shared = [s for s in active if s.share]
    if shared:
        steps = [ClaimStep((s.list_id,), False, n) for s, n in zip(shared, _split(limit, shared), strict=True) if n]
        steps.append(ClaimStep(tuple(s.list_id for s in active), True, limit))
        return steps
    priorities = sorted({s.priority for s in active} | {0}, reverse=True)
    return [
        ClaimStep(tuple(s.list_id for s in active if s.priority == p), p == 0, limit)
        for p in priorities
        if p == 0 or any(s.priority == p for s in active)
    ]


def _split(limit: int, shared: Sequence[ListSetting]) -> list[int]:
    """``limit`` split by the lists' shares, largest remainder; the earlier list wins a tie."""
    total = sum(s.share or 0.0 for s in shared)
    exact = [limit * (s.share or 0.0) / total for s in shared]
    counts = [int(x) for x in exact]
    order = sorted(range(len(shared)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[: limit - sum(counts)]:
        counts[i] += 1
    return counts
