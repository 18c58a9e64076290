"""The localised demos (`dialer demo --locale ja|zh-CN`): the shipped JP and CN sample campaigns and leads load,
every lead imports (family name first, readings, full-width numbers, consent), the simulated clock starts inside
the calling window, and the safe-harbour prompt renders with espeak-ng when it is installed."""

from __future__ import annotations

import shutil
import wave
from datetime import UTC, datetime
from pathlib import Path

import pytest
from harness.paths import REPO

from dialer.campaign.config import RegimeName, load_campaign_file
from dialer.campaign.leadimport import ImportedLead, LeadCsvReader
from dialer.campaign.prompts import render_safe_harbour
from dialer.commands.demo import LOCALE_DEMOS, demo_start


def leads(locale: str) -> tuple[list[ImportedLead], int]:
    campaign = load_campaign_file(REPO / LOCALE_DEMOS[locale][0])
    with LeadCsvReader(REPO / LOCALE_DEMOS[locale][1], default_region=campaign.default_region) as reader:
        rows = list(reader)
    good = [r for r in rows if isinstance(r, ImportedLead)]
    return good, len(rows) - len(good)


def test_japanese_demo_campaign_and_leads() -> None:
    campaign = load_campaign_file(REPO / LOCALE_DEMOS["ja"][0])
    assert campaign.regime is RegimeName.JP
    assert "さくら保険サービス" in campaign.safe_harbour_text
    good, bad = leads("ja")
    assert (len(good), bad) == (300, 0)
    assert all(lead.phone.startswith("+81") for lead in good)
    assert all(lead.display_name == f"{lead.last_name} {lead.first_name}" for lead in good)
    assert all(lead.name_reading for lead in good)


def test_chinese_demo_campaign_and_leads() -> None:
    campaign = load_campaign_file(REPO / LOCALE_DEMOS["zh-CN"][0])
    assert campaign.regime is RegimeName.CN
    good, bad = leads("zh-CN")
    assert (len(good), bad) == (300, 0)
    assert all(lead.phone.startswith("+86") for lead in good)
    with_consent = [lead for lead in good if lead.consent_source and lead.consent_at]
    assert len(with_consent) == 270  # the rest show "no_consent" in `dialer leads status`


@pytest.mark.parametrize("locale", ["ja", "zh-CN"])
def test_the_simulated_clock_starts_inside_the_calling_window(locale: str) -> None:
    campaign = load_campaign_file(REPO / LOCALE_DEMOS[locale][0])
    night = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 00:00 in Tokyo, 23:00 in Shanghai
    start = demo_start(campaign, night)
    assert start > night
    assert not campaign.window.closed_zones(start, (campaign.timezone,))
    day = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)  # 12:00 in Tokyo
    assert demo_start(campaign, day) == day


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng (Debian package) not installed")
@pytest.mark.parametrize(("locale", "lang"), [("ja", "ja"), ("zh-CN", "zh")])
def test_safe_harbour_prompt_renders_with_espeak_ng(locale: str, lang: str, tmp_path: Path) -> None:
    campaign = load_campaign_file(REPO / LOCALE_DEMOS[locale][0])
    prompt = render_safe_harbour(campaign, tmp_path)
    assert prompt.path == tmp_path / lang / "dialer" / "safe-harbour.wav"
    with wave.open(str(prompt.path)) as w:
        assert w.getnframes() / w.getframerate() > 3.0  # a spoken sentence, not silence
