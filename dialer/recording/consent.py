"""Recording consent: whether the called party hears the consent announcement before a call is recorded.

Off by default: a recorded call's notice is the agent's script (``recording_notice``, on for recorded calls), said
once the agent is connected -- an announcement played before the call is queued adds its length to the called
party's wait for an agent, which the 2-second rule counts (every such call would be an abandon under Ofcom's
reading). A campaign turns it on with ``recording_consent = true`` (every recorded call) or ``"regime"``, where its
regime decides (:func:`consent_required`):

* **UK** (UK GDPR / the Data Protection Act 2018 and Ofcom: callers are told a call is recorded) and **CA**
  (PIPEDA: the purpose of a recording is stated at the outset): every recorded call;
* **US**: federal law (18 U.S.C. 2511(2)(d)) and most states need one party's consent (the dialer's), but the
  all-party-consent states need the called party's: California, Connecticut, Delaware, Florida, Illinois, Maryland,
  Massachusetts, Michigan, Montana, Nevada, New Hampshire, Pennsylvania and Washington
  (:data:`ALL_PARTY_CONSENT_STATES`, a conservative reading). The state is the number's area code's
  (phonenumbers' geocoding); a number whose state is unknown (a non-geographic or foreign number) gets the
  announcement;
* other regimes (JP, CN): no announcement unless the campaign asks (their presets state the recording in the
  agent's script).

The announcement itself is the dialplan's ([dialer-record] ``consent``, prompt ``DIALER_CONSENT_PROMPT``): played
after the answer, before the recording starts and before the call is queued.
"""

from __future__ import annotations

from functools import lru_cache

import phonenumbers
from phonenumbers import geocoder

from dialer.campaign.config import CampaignConfig, RecordingMode, RegimeName

ALL_PARTY_CONSENT_STATES: frozenset[str] = frozenset(
    {"CA", "CT", "DE", "FL", "IL", "MD", "MA", "MI", "MT", "NV", "NH", "PA", "WA"}
)
_STATE_CODES: dict[str, str] = {
    "Alabama": "AL", "Alaska": "AK", "Arizona": "AZ", "Arkansas": "AR", "California": "CA", "Colorado": "CO",
    "Connecticut": "CT", "Delaware": "DE", "Florida": "FL", "Georgia": "GA", "Hawaii": "HI", "Idaho": "ID",
    "Illinois": "IL", "Indiana": "IN", "Iowa": "IA", "Kansas": "KS", "Kentucky": "KY", "Louisiana": "LA",
    "Maine": "ME", "Maryland": "MD", "Massachusetts": "MA", "Michigan": "MI", "Minnesota": "MN",
    "Mississippi": "MS", "Missouri": "MO", "Montana": "MT", "Nebraska": "NE", "Nevada": "NV",
    "New Hampshire": "NH", "New Jersey": "NJ", "New Mexico": "NM", "New York": "NY", "North Carolina": "NC",
    "North Dakota": "ND", "Ohio": "OH", "Oklahoma": "OK", "Oregon": "OR", "Pennsylvania": "PA",
    "Rhode Island": "RI", "South Carolina": "SC", "South Dakota": "SD", "Tennessee": "TN", "Texas": "TX",
    "Utah": "UT", "Vermont": "VT", "Virginia": "VA", "Washington": "WA", "Washington State": "WA",
    "Washington D.C.": "DC", "West Virginia": "WV", "Wisconsin": "WI", "Wyoming": "WY",
}  # fmt: skip


def us_state(e164: str) -> str | None:
    """The US state (two letters) of a +1 number's area code, or None (not a US number, unknown)."""
    if not e164.startswith("+1") or len(e164) < 5:
        return None
    return _state_of_area(e164[2:5])


@lru_cache(maxsize=1024)
def _state_of_area(area: str) -> str | None:
    try:
        number = phonenumbers.parse(f"+1{area}2000000")
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.region_code_for_number(number) != "US":
        return None
    place = geocoder.description_for_number(number, "en")  # "San Francisco, CA", "Florida", "Washington State"
    if not place:
        return None
    if ", " in place:
        code = place.rsplit(", ", 1)[1]
        return code if len(code) == 2 else None
    return _STATE_CODES.get(place)


REGIME = "regime"


def consent_required(config: CampaignConfig, e164: str) -> bool:
    """Does this call to ``e164`` play the consent announcement (only recorded calls ever do)?"""
    if config.recording is RecordingMode.NONE:
        return False
    if config.recording_consent != REGIME:
        return config.recording_consent is True
    if config.regime in (RegimeName.UK, RegimeName.CA):
        return True
    if config.regime is RegimeName.US:
        state = us_state(e164)
        return state is None or state in ALL_PARTY_CONSENT_STATES
    return False
