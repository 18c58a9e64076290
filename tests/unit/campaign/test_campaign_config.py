"""Campaign files: required options, regime limits, resolved defaults, the shipped examples."""

from __future__ import annotations

import re
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from dialer.calls.outcome import Outcome
from dialer.campaign.config import (
    CONSOLE_SHORTCUT_KEYS,
    REGIMES,
    CampaignConfig,
    CampaignConfigError,
    DialMode,
    RegimeName,
    dial_placeholders,
    load_campaign,
    load_campaign_file,
    parse_duration,
)
from dialer.campaign.pacing import pacing_settings
from dialer.pacing.snapshot import PacingSettings

CAMPAIGNS = Path(__file__).resolve().parents[3] / "campaigns"


def base(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "spring-promo",
        "queue": "sales",
        "trunk": "PJSIP/{number}@carrier",
        "caller_id": {"number": "+1 202 555 0100", "name": "Acme"},
    }
    data.update(changes)
    return data


def refused(data: dict[str, Any]) -> str:
    with pytest.raises(CampaignConfigError) as info:
        load_campaign(data, "spring.toml")
    return str(info.value)


def test_minimal_campaign_gets_compliant_us_defaults() -> None:
    c = load_campaign(base())
    assert c.dial_mode is DialMode.PROGRESSIVE
    assert c.caller_id.number == "+12025550100"
    assert c.abandon_cap == 0.03
    assert c.abandon_window == timedelta(days=30)
    assert c.abandon_target < c.abandon_cap
    assert c.ring_timeout_seconds >= 15
    assert c.window.to_mapping()["sun"] == "08:00-21:00"
    assert c.timezones.fallback == "skip"
    assert c.retry_rule(Outcome.BUSY).delay == timedelta(minutes=10)
    assert c.retry_rule(Outcome.NO_ANSWER).delay == timedelta(hours=2)
    assert c.retry_rule(Outcome.CONGESTION).delay == timedelta(minutes=5)
    assert c.retry_rule(Outcome.FAILED).delay == timedelta(minutes=30)
    assert c.retry_rule(Outcome.MACHINE).delay == timedelta(hours=4)
    assert c.dial_limit == 3 * c.max_attempts
    assert c.default_region == "US"
    assert c.max_connect_seconds == 2.0


@pytest.mark.parametrize("seconds", [0, 10, 14])
def test_ring_timeout_below_15_seconds_is_refused(seconds: int) -> None:
    message = refused(base(ring_timeout_seconds=seconds))
    assert "spring.toml" in message
    assert "ring_timeout_seconds" in message
    assert "at least 15" in message


def test_missing_caller_id_is_refused() -> None:
    data = base()
    del data["caller_id"]
    assert "caller_id" in refused(data)


@pytest.mark.parametrize("number", ["", "12", "not a number", "+1 555 000 0000", "+44 20 12"])
def test_undiallable_caller_id_is_refused(number: str) -> None:
    assert "caller_id" in refused(base(caller_id={"number": number}))


def test_premium_rate_caller_id_is_refused() -> None:
    assert "premium" in refused(base(caller_id={"number": "+1 900 555 0123"}))


def test_caller_id_name_with_header_injection_is_refused() -> None:
    assert "caller_id.name" in refused(base(caller_id={"number": "+12025550100", "name": 'Acme"\r\nX: 1'}))


@pytest.mark.parametrize(
    ("regime", "window"),
    [
        ("US", "07:30-21:00"),
        ("US", "08:00-21:30"),
        ("UK", "08:00-22:00"),
        ("CA", {"default": "09:00-21:30"}),  # weekends end at 18:00 in Canada
        ("CA", {"weekdays": "08:30-21:00", "weekend": "closed"}),
    ],
)
def test_window_wider_than_the_regime_is_refused(regime: str, window: object) -> None:
    assert "calling_window is wider" in refused(base(regime=regime, calling_window=window))


def test_narrower_window_and_closed_days_are_accepted() -> None:
    c = load_campaign(base(calling_window={"default": "09:00-20:00", "sun": "closed"}))
    assert c.window.to_mapping()["mon"] == "09:00-20:00"
    assert c.window.to_mapping()["sun"] == "closed"


def test_window_closed_every_day_is_refused() -> None:
    assert "closed every day" in refused(base(calling_window={"default": "closed"}))


def test_canada_defaults_follow_crtc() -> None:
    c = load_campaign(base(regime="CA"))
    hours = c.window.to_mapping()
    assert hours["mon"] == "09:00-21:30"
    assert hours["sat"] == "10:00-18:00"
    assert c.abandon_cap == 0.05
    assert c.default_region == "CA"


def test_uk_regime_enforces_72_hours_and_24_hour_window() -> None:
    c = load_campaign(base(regime="UK", amd={"enabled": True}))
    assert c.abandon_window == timedelta(hours=24)
    assert c.no_recall_after_abandon == timedelta(hours=72)
    assert c.retry_rule(Outcome.ABANDONED).delay >= timedelta(hours=72)
    assert c.amd_false_positive_rate == REGIMES[RegimeName.UK].amd_false_positive_rate
    assert "no_recall_after_abandon" in refused(base(regime="UK", compliance={"no_recall_after_abandon": "24h"}))
    assert "retry.abandoned.delay" in refused(base(regime="UK", retry={"abandoned": {"delay": "1h"}}))


@pytest.mark.parametrize(
    ("regime", "compliance", "needle"),
    [
        ("US", {"abandon_cap": 0.031}, "abandon_cap"),
        ("UK", {"abandon_cap": 0.05}, "abandon_cap"),
        ("CA", {"abandon_cap": 0.051}, "abandon_cap"),
        ("UK", {"abandon_window": "30d"}, "abandon_window"),
        ("US", {"abandon_window": "31d"}, "abandon_window"),
    ],
)
def test_compliance_overrides_may_not_exceed_the_regime(regime: str, compliance: dict[str, Any], needle: str) -> None:
    assert needle in refused(base(regime=regime, compliance=compliance))


def test_stricter_compliance_overrides_are_accepted() -> None:
    c = load_campaign(base(regime="CA", compliance={"abandon_cap": 0.02, "abandon_window": "1d"}))
    assert c.abandon_cap == 0.02
    assert c.abandon_window == timedelta(days=1)
    assert c.abandon_target <= 0.02


def test_abandon_target_above_the_cap_is_refused() -> None:
    assert "abandon_target" in refused(base(pacing={"abandon_target": 0.04}))


def test_aggressiveness_bounds_are_the_pacers() -> None:
    hi = PacingSettings.MAX_AGGRESSIVENESS
    assert "aggressiveness" in refused(base(pacing={"aggressiveness_max": hi + 0.5}))
    assert "aggressiveness" in refused(base(pacing={"aggressiveness": 0.2}))


def test_unknown_options_and_placeholders_are_refused() -> None:
    assert "colour" in refused(base(colour="blue"))
    assert "unknown placeholder" in refused(base(trunk="PJSIP/{phone}@carrier"))
    assert "number placeholder" in refused(base(trunk="PJSIP/carrier"))
    assert "retry" in refused(base(retry={"unallocated": {"delay": "1h"}}))
    assert "fallback" in refused(base(timezones={"fallback": "Mars/Olympus"}))


def test_disposition_rules() -> None:
    assert "duplicate disposition hotkey" in refused(
        base(
            dispositions=[
                {"code": "a", "label": "A", "hotkey": "1", "final": True},
                {"code": "b", "label": "B", "hotkey": "1"},
            ]
        )
    )
    assert "final" in refused(base(dispositions=[{"code": "a", "label": "A"}]))
    assert "callback" in refused(
        base(dispositions=[{"code": "a", "label": "A", "final": True, "schedules_callback": True}])
    )


@pytest.mark.parametrize("key", ["i", "R", "n"])
def test_a_disposition_hotkey_on_a_console_shortcut_is_refused(key: str) -> None:
    message = refused(base(dispositions=[{"code": "sale", "label": "Sale", "hotkey": key, "final": True}]))
    assert "console's own shortcuts" in message
    assert repr(key) in message


def test_the_console_shortcuts_are_the_consoles_alt_bindings() -> None:
    """CONSOLE_SHORTCUT_KEYS is what the console's scripts bind to Alt+letter (console.js's action map and its
    notes key, ready.js's box, messages.js's raised hand): a shortcut added there without this list would collide
    with a hotkey."""
    static = Path(__file__).resolve().parents[3] / "dialer/web/static"
    console = (static / "console.js").read_text(encoding="utf-8")
    actions = re.search(r"const actions = \{([^}]*)\}", console)
    assert actions is not None
    bound = set(re.findall(r"\b([a-z]): \"btn-", actions.group(1)))
    bound |= set(re.findall(r'if \(k === "([a-z])"\)', console))
    bound |= set(re.findall(r'ev\.key\.toLowerCase\(\) !== "([a-z])"', (static / "ready.js").read_text("utf-8")))
    bound |= set(re.findall(r'ev\.key\.toLowerCase\(\) === "([a-z])"', (static / "messages.js").read_text("utf-8")))
    assert bound == set(CONSOLE_SHORTCUT_KEYS)


def test_machine_close_option_closes_machines() -> None:
    c = load_campaign(base(amd={"enabled": True, "machine_action": "close"}))
    assert c.retry_rule(Outcome.MACHINE).action == "close"


def test_errors_list_every_bad_field() -> None:
    message = refused(base(ring_timeout_seconds=5, name="Not A Slug"))
    assert "ring_timeout_seconds" in message
    assert "name" in message


def test_json_dump_round_trips() -> None:
    c = load_campaign(base(regime="UK", dial_mode="predictive", calling_window={"weekend": "10:00-18:00"}))
    again = load_campaign(c.model_dump(mode="json"))
    assert again == c


def test_dial_string_placeholders() -> None:
    c = load_campaign(base(trunk="SIP/{international}@t1"))
    assert c.dial_string("+442079460000") == "SIP/00442079460000@t1"
    values = dial_placeholders("+14155550123")
    assert values["national"] == "4155550123"
    assert values["e164"] == "14155550123"
    assert dial_placeholders("+442079460000")["national"] == "02079460000"


def test_durations() -> None:
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration("3d") == timedelta(days=3)
    assert parse_duration(45) == timedelta(seconds=45)
    with pytest.raises(ValueError, match="duration"):
        parse_duration("soon")


def test_file_errors_name_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "none.toml"
    with pytest.raises(CampaignConfigError, match=r"none\.toml"):
        load_campaign_file(missing)
    broken = tmp_path / "broken.toml"
    broken.write_text("name = \n", encoding="utf-8")
    with pytest.raises(CampaignConfigError, match=r"broken\.toml: not valid TOML"):
        load_campaign_file(broken)


def test_a_file_not_in_utf8_is_refused_naming_the_file_and_the_byte(tmp_path: Path) -> None:
    latin = tmp_path / "latin.toml"
    latin.write_bytes('name = "caf\u00e9"\n'.encode("latin-1"))
    with pytest.raises(CampaignConfigError) as refused:
        load_campaign_file(latin)
    assert str(refused.value) == f"{latin}: not UTF-8 text (a broken multi-byte character at byte 11)"


def test_shipped_example_loads_and_documents_every_option() -> None:
    c = load_campaign_file(CAMPAIGNS / "example.toml")
    raw = tomllib.loads((CAMPAIGNS / "example.toml").read_text(encoding="utf-8"))
    text = (CAMPAIGNS / "example.toml").read_text(encoding="utf-8")
    for name, field in CampaignConfig.model_fields.items():
        key = field.alias or name
        assert key in raw or f"# {key}" in text or f"[{key}" in text or f"[[{key}" in text, key
    assert c.regime is RegimeName.US


def test_demo_campaign() -> None:
    c = load_campaign_file(CAMPAIGNS / "demo.toml")
    assert c.name == "demo"
    assert c.dial_mode is DialMode.PREDICTIVE
    assert c.queue == "outbound-agents"
    assert c.trunk == "Local/{number}@sim-pstn"
    assert c.regime is RegimeName.US
    assert c.dial_string("+14155550123") == "Local/+14155550123@sim-pstn"


@pytest.mark.parametrize("regime", ["US", "UK", "CA"])
def test_a_campaign_paces_at_the_setpoint_the_bench_measures(regime: str) -> None:
    """One default: the daemon's campaigns aim where the simulator's ``ours`` aims (PacingSettings' default, for
    a 3 % cap), 0.3 points under the regime's cap."""
    c = load_campaign(base(regime=regime))
    settings = pacing_settings(c)
    assert settings.abandon_setpoint == pytest.approx(c.abandon_cap - 0.003)
    if c.abandon_cap == PacingSettings().abandon_cap:
        assert settings.abandon_setpoint == PacingSettings().abandon_setpoint


def test_an_answering_machine_disposition_follows_the_machine_rule_alone() -> None:
    """Every default list lets an agent mark a machine; a machine disposition cannot also close, sell or time the
    lead (the campaign's machine rule does)."""
    assert [d.code for d in load_campaign(base()).dispositions if d.is_machine] == ["answering_machine"]
    for extra in ({"final": True}, {"is_sale": True}, {"retry_after": "1h"}, {"schedules_callback": True}):
        message = refused(
            base(
                dispositions=[
                    {"code": "done", "label": "Done", "final": True},
                    {"code": "am", "label": "Machine", "is_machine": True, **extra},
                ]
            )
        )
        assert "machine rule" in message, extra


def test_amd_paused_near_the_cap_needs_a_way_to_mark_machines() -> None:
    """Where AMD's false positives count (UK, or a rate given), AMD pauses near the cap and machines reach agents:
    a campaign's own disposition list must then let them mark one."""
    own = [{"code": "done", "label": "Done", "final": True}]
    uk = {"regime": "UK", "caller_id": {"number": "+442079460000"}}
    message = refused(base(**uk, amd={"enabled": True}, dispositions=own))
    assert "is_machine" in message
    assert "pause_near_cap" in message
    assert not load_campaign(
        base(**uk, amd={"enabled": True, "pause_near_cap": False}, dispositions=own)
    ).amd_pauses_near_cap
    assert load_campaign(base(**uk, amd={"enabled": True})).amd_pauses_near_cap
    assert not load_campaign(base(amd={"enabled": True}, dispositions=own)).amd_pauses_near_cap  # US: not counted
    assert pacing_settings(load_campaign(base(amd={"enabled": True, "false_positive_rate": 0.05}))).amd_pause_near_cap


def test_wrap_up_ends_with_the_timer_by_default_and_takes_a_timeout_disposition() -> None:
    assert load_campaign(base(), "spring.toml").wrap_up_ends == "timer"
    config = load_campaign(base(timeout_disposition="no_decision"), "spring.toml")
    assert config.timeout_disposition == "no_decision"
    assert load_campaign(base(wrap_up_ends="disposition"), "spring.toml").timeout_disposition is None


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"timeout_disposition": "nope"}, "not one of the campaign's dispositions"),
        ({"timeout_disposition": "sale"}, "only the agent can"),  # final, a sale
        ({"timeout_disposition": "dnc"}, "only the agent can"),
        ({"timeout_disposition": "callback"}, "only the agent can"),
        ({"timeout_disposition": "answering_machine"}, "only the agent can"),
        ({"timeout_disposition": "no_decision", "wrap_up_ends": "disposition"}, "is for wrap_up_ends = timer"),
        ({"wrap_up_ends": "never"}, "wrap_up_ends"),
    ],
)
def test_a_timeout_disposition_must_be_one_that_decides_nothing(changes: dict[str, Any], says: str) -> None:
    assert says in refused(base(**changes))
