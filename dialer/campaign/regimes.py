"""Compliance regimes: the legal limits and defaults of each jurisdiction a campaign can be run under."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from dialer.campaign.windows import WeeklyWindow

MIN_RING_SECONDS = 15  # FCC 64.1200(a)(6) and Ofcom: ring at least 15 s (or four rings) before giving up


class RegimeName(StrEnum):
    US = "US"
    UK = "UK"
    CA = "CA"


@dataclass(frozen=True, slots=True)
class ComplianceRegime:
    """Legal limits and defaults of one jurisdiction (see docs/domain.md, "Compliance figures")."""

    name: RegimeName
    abandon_cap: float  # abandoned / live answers, the legal maximum
    abandon_window: timedelta  # the rolling window over which the cap is measured
    calling_hours: WeeklyWindow  # widest hours allowed, called party's local time
    no_recall_after_abandon: timedelta | None  # UK: no re-call within 72 h of an abandoned call
    amd_false_positive_rate: float | None  # estimate of humans classed machine, added to abandons (Ofcom)
    default_region: str  # phone numbers without a country code are read in this region
    min_ring_seconds: int = MIN_RING_SECONDS
    max_connect_seconds: float = 2.0  # a live answer must reach an agent within 2 s of the greeting
    # A callee who hangs up within max_connect_seconds of answering (during AMD, before an agent could be reached)
    # counts as abandoned? US: no (47 CFR 64.1200(a)(7): not connected within 2 s of the completed greeting -- the
    # dialer did not abandon someone who left first). UK (Ofcom) and CA (CRTC) texts do not say: yes (conservative).
    early_hangup_is_abandon: bool = True


REGIMES: dict[RegimeName, ComplianceRegime] = {
    RegimeName.US: ComplianceRegime(
        name=RegimeName.US,
        abandon_cap=0.03,  # FCC 47 CFR 64.1200(a)(7): 3 % of live answers per campaign per 30 days
        abandon_window=timedelta(days=30),
        calling_hours=WeeklyWindow.every_day("08:00-21:00"),  # TSR / TCPA; some states 08:00-20:00: narrow it
        no_recall_after_abandon=None,
        amd_false_positive_rate=None,
        default_region="US",
        early_hangup_is_abandon=False,
    ),
    RegimeName.UK: ComplianceRegime(
        name=RegimeName.UK,
        abandon_cap=0.03,  # Ofcom persistent-misuse policy: 3 % of live calls per campaign over any 24 h
        abandon_window=timedelta(hours=24),
        calling_hours=WeeklyWindow.every_day("08:00-21:00"),  # Ofcom says "reasonable hours"; project default
        no_recall_after_abandon=timedelta(hours=72),
        # Ofcom wants a reasoned estimate of live calls wrongly classed as machines counted as abandoned; this is
        # a conservative placeholder until the campaign measures its own AMD accuracy.
        amd_false_positive_rate=0.10,
        default_region="GB",
    ),
    RegimeName.CA: ComplianceRegime(
        name=RegimeName.CA,
        abandon_cap=0.05,  # CRTC Unsolicited Telecommunications Rules: 5 % per campaign per 30 days
        abandon_window=timedelta(days=30),
        calling_hours=WeeklyWindow.from_mapping({"weekdays": "09:00-21:30", "weekend": "10:00-18:00"}),
        no_recall_after_abandon=None,
        amd_false_positive_rate=None,
        default_region="CA",
    ),
}
