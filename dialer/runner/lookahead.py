"""What the pacer is told about the calls it is about to place: the next leads the campaign's claims will take
(their attempt number, previous outcome and time zone), read ahead of the claim, and the called party's local
hour of day each call goes out in.

The claim sets aside the leads the rules refuse now (a closed calling window in one of the lead's zones, a
callback owned by another agent, …: :func:`dialer.campaign.rules.dialability`); the look-ahead drops them by the
same rule, so the pacer counts the leads that will be dialled, not those the claim will skip. The leads are read
as the claim takes them, the campaign's list mix included (:func:`dialer.store.claim.upcoming_leads`): a list of
higher priority first, a share mix's lists interleaved by their shares.

The answer rate the pacer expects of a new call is ``PacingStats.answer_rate(hour, history)``: learnt by the
called party's local hour (the hour a person picks up in) and the lead's history. The same two keys go with each
call placed (:class:`dialer.runner.inflight.InFlightCall`) so that what the pacer learns and what it predicts
are counted alike.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from dialer.campaign.config import CampaignConfig
from dialer.campaign.rules import LeadSnapshot, dialability, effective_zones
from dialer.campaign.windows import WindowError, zone
from dialer.pacing.stats import LeadHistory, PacingStats
from dialer.store.leads import LeadRecord, snapshot


def local_hour(now: float, zone_name: str | None) -> int:
    """The hour of day (0–23) at ``now`` (epoch seconds) in the IANA zone ``zone_name`` (UTC when None or
    unknown)."""
    at = datetime.fromtimestamp(now, UTC)
    if zone_name is not None:
        with contextlib.suppress(WindowError):
            at = at.astimezone(zone(zone_name))
    return at.hour


@dataclass(frozen=True, slots=True)
class LeadPacing:
    """What the pacer reads of one lead: its history for this dial and the zone its local hour is taken in."""

    lead_id: int
    history: LeadHistory
    zone: str | None

    def answer_rate(self, stats: PacingStats, now: float) -> float:
        return stats.answer_rate(local_hour(now, self.zone), self.history)


def dialable_now(lead: LeadRecord, config: CampaignConfig, now: datetime) -> bool:
    """Whether the claim would keep ``lead`` at ``now`` by the campaign's rules (the calling window of its zones,
    retry and recall gaps, callbacks); DNC is the claim's own check, not known here."""
    # The read returns no callback still waiting for the agent who promised it (those go to their agent alone:
    # dialer.runner.own_callbacks), so an agent's callback read here is anyone's.
    agent = lead.callback_agent
    return dialability(snapshot(lead, config.name), config, now, on_dnc=False, agent=agent).dialable


def pacing_zone(lead: LeadSnapshot, config: CampaignConfig) -> str | None:
    """The zone a dial's local hour is taken in, for the answer rate by hour: the first of the zones whose calling
    window applies to the lead (``effective_zones``: postal code's, the number's, else the campaign's fallback);
    None (UTC) when it has none."""
    zones = effective_zones(lead, config)
    return zones[0] if zones else None


def lead_pacing(lead: LeadRecord, config: CampaignConfig) -> LeadPacing:
    """The lead's next dial: attempt number and previous outcome, and the zone of its local hour
    (:func:`pacing_zone`)."""
    history = LeadHistory(lead.attempts + 1, lead.last_outcome)
    return LeadPacing(lead.id, history, pacing_zone(snapshot(lead, config.name), config))


# Reads up to ``limit`` due leads in claim order at ``now``, without claiming them (dialer.store.claim.upcoming_leads).
UpcomingSource = Callable[[int, datetime], Awaitable[Sequence[LeadRecord]]]


class Lookahead:
    """The next leads a campaign's claims will take, read at most every ``refresh_seconds`` (and as soon as the
    leads claimed since have used up what was read); the leads claimed meanwhile are struck off."""

    def __init__(
        self,
        config: Callable[[], CampaignConfig],
        read: UpcomingSource,
        *,
        limit: int = 40,
        refresh_seconds: float = 5.0,
    ) -> None:
        self.config = config  # the campaign's settings as they are now (they may be changed while it runs)
        self.read = read
        self.limit = limit
        self.refresh_seconds = refresh_seconds
        self.leads: list[LeadPacing] = []
        self.read_at: float | None = None
        self.read_count = 0  # leads the last read found (more than half of them claimed since: read again)

    async def refresh(self, now: float, wanted: int) -> None:
        """Read the next ``wanted`` leads (at least ``limit``) when the last read is old, too short for ``wanted``,
        or mostly claimed since."""
        fresh = self.read_at is not None and now - self.read_at < self.refresh_seconds
        if fresh and wanted <= self.limit and 2 * len(self.leads) >= self.read_count:
            return
        self.limit = max(self.limit, wanted)
        wall = datetime.fromtimestamp(now, UTC)
        records = await self.read(self.limit, wall)
        config = self.config()
        self.leads = [lead_pacing(r, config) for r in records if dialable_now(r, config, wall)]
        self.read_at, self.read_count = now, len(self.leads)

    def claimed(self, lead_ids: Sequence[int]) -> None:
        gone = set(lead_ids)
        self.leads = [lead for lead in self.leads if lead.lead_id not in gone]

    def answer_rates(self, stats: PacingStats, now: float) -> list[float]:
        """The next leads' expected live answers per dial, in claim order, at their local hour now."""
        return [lead.answer_rate(stats, now) for lead in self.leads]

    def hour_beyond(self, now: float) -> int:
        """The local hour of the calls beyond the leads read: the last one's zone, else the campaign's."""
        zone_name = self.leads[-1].zone if self.leads else self.config().timezone
        return local_hour(now, zone_name)
