"""Why the safe-harbour prompt was not rendered (shown by ``dialer demo``) in the reader's language (issue 19):
espeak-ng missing, or unable to write the file (it exits 0 then: the file is checked); espeak-ng's own English
stays in ``technical`` for the logs."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from harness.paths import REPO

from dialer.campaign.config import load_campaign_file
from dialer.campaign.prompts import render_safe_harbour
from dialer.commands.demo import LOCALE_DEMOS
from dialer.i18n import render, use_locale
from dialer.ivr.prompts import TtsUnavailableError, render_text

CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
TECHNICAL = {"espeak", "apt", "get", "install", "wav", "dialer", "safe", "harbour", "tmp", "pytest", "root"}


def english_words(text: str) -> list[str]:
    return [w for w in re.findall(r"[A-Za-z]{3,}", text) if w not in TECHNICAL and not w.startswith("test_")]


@pytest.mark.parametrize("locale", ["ja", "zh-CN"])
def test_a_missing_espeak_ng_is_said_in_the_readers_language(
    locale: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign = load_campaign_file(REPO / LOCALE_DEMOS[locale][0])
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    prompt = render_safe_harbour(campaign, tmp_path)
    assert prompt.path is None
    assert render(prompt.why, "en") == "espeak-ng is not installed (apt-get install espeak-ng)"
    with use_locale(locale):
        text = str(prompt.why)
    assert CJK.search(text), text
    assert not english_words(text), text


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng (Debian package) not installed")
@pytest.mark.parametrize(("locale", "lang"), [("ja", "ja"), ("zh-CN", "zh")])
def test_a_prompt_espeak_ng_could_not_write_is_not_taken_for_rendered(locale: str, lang: str, tmp_path: Path) -> None:
    campaign = load_campaign_file(REPO / LOCALE_DEMOS[locale][0])
    (tmp_path / lang / "dialer" / "safe-harbour.wav").mkdir(parents=True)  # a directory where the file goes
    prompt = render_safe_harbour(campaign, tmp_path)
    assert prompt.path is None
    assert render(prompt.why, "en").startswith("espeak-ng did not write ")
    assert "write" in prompt.technical  # espeak-ng's own words, for the logs
    with use_locale(locale):
        text = str(prompt.why).replace(str(tmp_path), "")
    assert CJK.search(text), text
    assert not english_words(text), text


@pytest.mark.parametrize("locale", ["ja", "zh-CN"])
def test_an_ivr_flow_without_espeak_ng_is_said_in_the_readers_language(
    locale: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(TtsUnavailableError) as caught:
        render_text("hello")
    assert str(caught.value).startswith("no espeak-ng on PATH")
    with use_locale(locale):
        text = str(caught.value)
    assert CJK.search(text), text
    assert not english_words(text.replace("PATH", "")), text
