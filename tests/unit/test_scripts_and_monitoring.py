"""Agent script templates (escaping, placeholders, regime presets), the monitoring AMI actions' headers and the
parsing of MixMonitor/ChanSpy events from the lab's recorded traces."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialer.ami.events import ChanSpyStart, ChanSpyStop, MixMonitorMute, MixMonitorStart
from dialer.ami.monitoring import SpyRequest, mix_monitor_headers, mix_monitor_mute_headers, spy_headers
from dialer.ami.parsing import parse_event
from dialer.campaign.config import CampaignConfig, CampaignConfigError, RecordingMode, load_campaign
from dialer.recording.service import local_path, originate_variables
from dialer.scripts.campaign import template_of
from dialer.scripts.template import ScriptContext, TemplateError, check_template, preset, render_html, render_text
from dialer.settings import RecordingSettings
from dialer.sim.pbx.tracetools import load_trace

LAB = Path(__file__).resolve().parents[1] / "fixtures" / "ami-traces" / "lab"
BASE = {
    "name": "scripted",
    "queue": "outbound-agents",
    "trunk": "PJSIP/{number}@carrier",
    "caller_id": {"number": "+12025550100", "name": "Acme"},
}


@given(st.text(max_size=60))
def test_no_lead_value_ever_becomes_markup(value: str) -> None:
    html = render_html(
        "Hello {{ first_name }} {{ fields.note }}!", ScriptContext(first_name=value, fields={"note": value})
    )
    assert "<" not in html.replace("<br>", "")
    assert '"' not in html


def test_placeholders_and_line_breaks() -> None:
    context = ScriptContext(first_name="Ann", last_name="Lee", agent="Bo", company="Acme", fields={"plan": "gold"})
    template = "Hi {{ full_name }},\nI am {{agent}} of {{ company }} ({{ fields.plan }}{{ fields.none }})"
    assert render_text(template, context) == "Hi Ann Lee,\nI am Bo of Acme (gold)"
    assert render_html(template, context) == "Hi Ann Lee,<br>\nI am Bo of Acme (gold)"


def test_unknown_placeholders_are_refused_at_load() -> None:
    with pytest.raises(TemplateError, match="nickname"):
        check_template("Hello {{ nickname }}")
    with pytest.raises(CampaignConfigError, match="nickname"):
        load_campaign({**BASE, "script": "Hello {{ nickname }}"})


@pytest.mark.parametrize("regime", ["US", "UK", "CA"])
def test_presets_open_with_the_identification(regime: str) -> None:
    text = render_text(preset(regime, recorded=False), ScriptContext(agent="Bo", company="Acme", callback_number="+1"))
    first = text.split("\n")[0]
    assert "My name is Bo" in first
    assert "Acme" in first
    if regime in ("UK", "CA"):
        assert "+1" in first  # a number to call back on
    assert "recorded" not in text


def test_the_recording_notice_follows_the_campaign() -> None:
    recorded = CampaignConfig.model_validate({**BASE, "recording": "all"})
    assert "This call is recorded" in template_of(recorded)
    silent = CampaignConfig.model_validate({**BASE, "recording": "all", "recording_notice": False})
    assert "recorded" not in template_of(silent)
    assert "recorded" not in template_of(CampaignConfig.model_validate(BASE))
    own = CampaignConfig.model_validate({**BASE, "script": "Hi {{ first_name }}"})
    assert template_of(own) == "Hi {{ first_name }}"


def test_recording_files_and_originate_variables(tmp_path: Path) -> None:
    settings = RecordingSettings(directory=tmp_path, asterisk_directory="/mnt/recordings/")
    assert originate_variables(RecordingMode.NONE, settings, 7) == {}
    assert originate_variables(RecordingMode.ALL, settings, 7) == {"DIALER_RECORDING": "/mnt/recordings/7.wav"}
    assert originate_variables(RecordingMode.ON_DEMAND, settings, 7) == {"DIALER_RECORDING": "/mnt/recordings/7.wav"}
    assert RecordingSettings(directory=tmp_path).asterisk_path(8) == f"{tmp_path.resolve()}/8.wav"
    assert local_path(settings, "7.wav") == tmp_path / "7.wav"
    for bad in ("../7.wav", "a/7.wav", ".hidden", ""):
        with pytest.raises(ValueError, match="not a recording file name"):
            local_path(settings, bad)


def test_monitoring_action_headers_refuse_injection() -> None:
    assert mix_monitor_mute_headers("dialer-1", True) == [
        ("Action", "MixMonitorMute"),
        ("Channel", "dialer-1"),
        ("Direction", "both"),
        ("State", "1"),
    ]
    with pytest.raises(ValueError, match="file name"):
        mix_monitor_headers("dialer-1", "/x/a,b.wav")
    with pytest.raises(ValueError, match="invalid channel"):
        mix_monitor_mute_headers("dialer-1\r\nAction: Originate", True)
    with pytest.raises(ValueError, match="agent interface"):
        SpyRequest("PJSIP/2001", "PJSIP/1001,qB", "barge", "boss")
    with pytest.raises(ValueError, match="mode"):
        SpyRequest("PJSIP/2001", "PJSIP/1001", "shout", "boss")
    headers = dict(spy_headers(SpyRequest("PJSIP/2001", "PJSIP/1001", "whisper", "bo,ss"), "a-1", "spy-1"))
    assert (headers["Context"], headers["Exten"], headers["ChannelId"]) == ("dialer-supervise", "whisper", "spy-1")


def test_monitoring_events_parse_from_the_lab_traces() -> None:
    events = [parse_event(m) for m in load_trace(LAB / "recording-all.txt") if m.is_event]
    (start,) = [e for e in events if isinstance(e, MixMonitorStart)]
    assert start.uniqueid == "fixture-rec-1"
    assert start.variable("DIALER_ATTEMPT") == "rec-1"
    assert [e.muted for e in events if isinstance(e, MixMonitorMute)] == [True, False]
    spies = [parse_event(m) for m in load_trace(LAB / "supervise-whisper-barge.txt") if m.is_event]
    starts = [e for e in spies if isinstance(e, ChanSpyStart)]
    # The spyer is the Local leg the supervisor's phone Dials (dialer-supervise-spy); its linkedid is our ChannelId.
    assert [e.spyer_linkedid for e in starts] == ["fixture-spy-1", "fixture-spy-2"]
    assert all(e.spyer_channel.startswith("Local/") and "@dialer-supervise-spy-" in e.spyer_channel for e in starts)
    assert all(e.spyee_channel.startswith("Local/agentfx1@lab-agents-") for e in starts)
    assert [e.spyer_linkedid for e in spies if isinstance(e, ChanSpyStop)] == ["fixture-spy-1", "fixture-spy-2"]
