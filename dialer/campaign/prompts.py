"""The safe-harbour prompt rendered with a local speech synthesiser (espeak-ng, Debian package ``espeak-ng``).

The text is the campaign's (:attr:`CampaignConfig.safe_harbour_text`, or ``recorded_message_reading`` when given:
espeak-ng reads Japanese kana but not kanji). The WAV goes where Asterisk looks for the campaign's prompt:
``<dir>/<lang>/dialer/safe-harbour.wav`` (``<astdatadir>/sounds`` on a real PBX)."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from dialer.campaign.config import CampaignConfig, RegimeName
from dialer.i18n import M_, Message
from dialer.i18n.library import os_error_text

# Asterisk's sound language directory and espeak-ng's voice, per regime.
VOICES: dict[RegimeName, tuple[str, str]] = {
    RegimeName.JP: ("ja", "ja"),
    RegimeName.CN: ("zh", "cmn"),
    RegimeName.US: ("en", "en-us"),
    RegimeName.CA: ("en", "en-us"),
    RegimeName.UK: ("en", "en-gb"),
}


@dataclass(frozen=True, slots=True)
class Prompt:
    path: Path | None  # None: not rendered (see ``why``)
    text: str
    why: str | Message = ""  # shown to the user (the demo), in their language
    technical: str = ""  # espeak-ng's own words (English), for the logs


def render_safe_harbour(campaign: CampaignConfig, sounds_dir: Path, *, timeout: float = 60.0) -> Prompt:
    """Render the campaign's safe-harbour message to ``sounds_dir/<lang>/dialer/safe-harbour.wav``."""
    lang, voice = VOICES[campaign.regime]
    text = campaign.recorded_message_reading or campaign.safe_harbour_text
    exe = shutil.which("espeak-ng")
    if exe is None:
        return Prompt(None, text, M_("espeak-ng is not installed (apt-get install espeak-ng)"))
    out = sounds_dir / lang / "dialer" / "safe-harbour.wav"
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(  # noqa: S603 - a fixed executable, arguments passed as a list
            [exe, "-v", voice, "-s", "150", "-w", str(out), text],
            check=True,
            capture_output=True,
            timeout=timeout,
        )
    except subprocess.CalledProcessError as exc:
        why = M_("espeak-ng failed (exit status {code})", code=exc.returncode)
        return Prompt(None, text, why, _said(exc.stderr) or str(exc))
    except subprocess.TimeoutExpired as exc:
        return Prompt(None, text, M_("espeak-ng took longer than {seconds} s", seconds=int(timeout)), str(exc))
    except OSError as exc:
        why = M_("espeak-ng could not run: {reason}", reason=os_error_text(exc.strerror))
        return Prompt(None, text, why, str(exc))
    # espeak-ng exits 0 when it cannot write the file (it only says so on stderr).
    if not out.is_file() or out.stat().st_size == 0:
        return Prompt(None, text, M_("espeak-ng did not write {path}", path=str(out)), _said(done.stderr))
    return Prompt(out, text)


def _said(stderr: bytes | str | None) -> str:
    if isinstance(stderr, bytes):
        return stderr.decode("utf-8", "replace").strip()
    return (stderr or "").strip()
