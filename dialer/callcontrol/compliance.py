"""The dialer's own rules applied to a number an agent dials by hand or brings into a call.

Nothing is copied: the number is read by :func:`dialer.campaign.phones.normalize` in the campaign's region, the
do-not-call lists are the claim's (:func:`dialer.store.dnc.blocked_numbers`: global + the campaign's), and the
calling window is :func:`dialer.campaign.rules.dialability` on a lead made of that number (its time zones from
the number). The caller ID is the campaign's, validated when the campaign was loaded; the trunk gate is asked by
the service just before it dials (``ServerPool.choose``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dialer.campaign.config import CampaignConfig
from dialer.campaign.phones import PhoneError, normalize, time_zones_for_e164
from dialer.campaign.rules import LeadSnapshot, NotDialableReason, dialability
from dialer.i18n import M_, Message
from dialer.store.dnc import blocked_numbers
from dialer.store.engine import Database


class NumberRefused(ValueError):
    """A number the rules forbid calling now; ``code`` is a stable reason (dnc, window_closed, invalid ...)."""

    def __init__(self, code: str, detail: str | Message) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class CheckedNumber:
    e164: str
    zones: tuple[str, ...]


def read_number(raw: str, config: CampaignConfig) -> str:
    """E.164 of ``raw`` read in the campaign's region; :class:`NumberRefused` ``invalid`` otherwise."""
    phone = normalize(raw, config.imports.default_region)
    if isinstance(phone, PhoneError):
        raise NumberRefused("invalid", M_("not a diallable number: {phone}", phone=phone))
    return phone.e164


def check_rules(snapshot: LeadSnapshot, config: CampaignConfig, now: datetime, *, on_dnc: bool) -> None:
    """The claim's rule for a lead (DNC, calling window, UK re-call gap ...); raises :class:`NumberRefused`."""
    verdict = dialability(snapshot, config, now, on_dnc=on_dnc)
    # A number dialled by hand is not a lead waiting for its retry time: only the rules that protect the called
    # party refuse it (DNC, the calling window in their zone and its holidays, the re-call gap after an abandon, an
    # unknown zone).
    protective = {
        NotDialableReason.DNC,
        NotDialableReason.WINDOW_CLOSED,
        NotDialableReason.HOLIDAY,
        NotDialableReason.CLOSED_DATE,
        NotDialableReason.NO_COMMON_WINDOW,
        NotDialableReason.NO_TIMEZONE,
        NotDialableReason.RECALL_AFTER_ABANDON,
    }
    if not verdict.dialable and verdict.reason in protective:
        assert verdict.reason is not None
        raise NumberRefused(verdict.reason.value, verdict.detail)


async def check_number(
    db: Database, config: CampaignConfig, campaign_id: int, raw: str, now: datetime
) -> CheckedNumber:
    """May an agent of this campaign call ``raw`` now (manual dial, external transfer or 3-way)?"""
    e164 = read_number(raw, config)
    async with db.read() as conn:
        on_dnc = bool(await blocked_numbers(conn, [e164], campaign_id))
    zones = time_zones_for_e164(e164)
    snapshot = LeadSnapshot(id=0, campaign=config.name, phone=e164, tz_candidates=zones)
    check_rules(snapshot, config, now, on_dnc=on_dnc)
    return CheckedNumber(e164, zones)
