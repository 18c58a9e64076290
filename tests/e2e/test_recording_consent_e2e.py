"""Recording consent end to end (the daemon against the simulated PBX): a US campaign recording every call with
``recording_consent = "regime"`` asks the dialplan for the consent announcement on the calls to all-party-consent
states only, and the PBX plays it; by default no call is announced (the agent's script gives the notice)."""

from __future__ import annotations

from pathlib import Path

from harness.e2e import make_world

from dialer.contract import RECORDING_CONSENT_VARIABLE, RECORDING_VARIABLE
from dialer.recording.consent import ALL_PARTY_CONSENT_STATES, us_state


async def test_us_calls_to_all_party_consent_states_play_the_announcement(tmp_path: Path) -> None:
    campaign = {"recording": "all", "recording_consent": "regime"}
    async with make_world(tmp_path, campaign=campaign, agents=10, crew=True, leads=_eastern_leads) as world:
        await world.run(120)
        originates = [r for r in world.pbx.truth.originates if RECORDING_VARIABLE in r.variables]
        assert originates, "the campaign placed recorded calls"
        announced = {r.number for r in originates if r.variables.get(RECORDING_CONSENT_VARIABLE) == "1"}
        plain = {r.number for r in originates} - announced
        assert announced, "some calls went to all-party-consent states"
        assert plain, "and some did not"
        for number in announced:
            state = us_state(_e164(number))
            assert state is None or state in ALL_PARTY_CONSENT_STATES, (number, state)
        for number in plain:
            assert us_state(_e164(number)) not in ALL_PARTY_CONSENT_STATES | {None}, number


async def test_by_default_no_call_is_announced(tmp_path: Path) -> None:
    async with make_world(tmp_path, campaign={"recording": "all"}, agents=10, crew=True, leads=_eastern_leads) as world:
        await world.run(60)
        originates = [r for r in world.pbx.truth.originates if RECORDING_VARIABLE in r.variables]
        assert originates, "the campaign placed recorded calls"
        assert not [r for r in originates if RECORDING_CONSENT_VARIABLE in r.variables]


def _eastern_leads(path: Path) -> None:
    """New York (one-party consent), Miami and Philadelphia (all-party consent): the same time zone."""
    lines = ["first_name,last_name,phone"]
    for i in range(60):
        lines += [f"Lead{area}{i},Test,+1{area}555{1000 + i:04d}" for area in ("212", "305", "215")]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _e164(number: str) -> str:
    digits = "".join(c for c in number if c.isdigit())
    return "+" + digits if len(digits) == 11 else "+1" + digits
