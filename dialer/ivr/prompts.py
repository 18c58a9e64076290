"""Prompts as sounds: the Asterisk sound name of each prompt, and text prompts rendered with a local TTS.

A ``file`` prompt is played as it is named. A ``text`` prompt is rendered at apply time (``dialer ivr render``)
by Debian's ``espeak-ng`` into ``<sounds>/dialer/ivr/<flow>/<prompt>.sln`` -- 8 kHz signed linear, the format
Asterisk plays without transcoding on a telephone leg -- and played as ``dialer/ivr/<flow>/<prompt>``.
A text that changes gives a new file the next time the flow is rendered (the file name stays).
"""

from __future__ import annotations

import array
import shutil
import subprocess
import wave
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from dialer.i18n import M_
from dialer.ivr.flow import Flow, Prompt

SOUND_PREFIX = "dialer/ivr"
RATE = 8000
TTS_COMMANDS = ("espeak-ng", "espeak")


class TtsUnavailableError(RuntimeError):
    """No local text-to-speech program: install Debian's espeak-ng, or give the prompts as sound files."""


def sound_name(flow: Flow, name: str) -> str:
    """What Playback()/STREAM FILE plays for prompt ``name`` of ``flow``."""
    prompt = flow.prompt(name)
    if prompt.file is not None:
        return prompt.file
    return f"{SOUND_PREFIX}/{flow.name}/{name}"


def _tts_program() -> str:
    for program in TTS_COMMANDS:
        found = shutil.which(program)
        if found:
            return found
    raise TtsUnavailableError(M_("no espeak-ng on PATH (apt-get install espeak-ng), or give the prompts as files"))


def resample(samples: array.array[int], rate: int, to: int = RATE) -> array.array[int]:
    """Signed 16-bit mono ``samples`` at ``rate`` to ``to`` Hz: box-filter average then linear pick."""
    if rate == to or not samples:
        return array.array("h", samples)
    step = rate / to
    out = array.array("h")
    n = len(samples)
    width = max(1, int(step))
    i = 0.0
    while int(i) < n:
        lo = int(i)
        hi = min(n, lo + width)
        out.append(int(sum(samples[lo:hi]) / (hi - lo)))
        i += step
    return out


def render_text(text: str, *, voice: str = "en-us", words_per_minute: int = 150) -> bytes:
    """``text`` as 8 kHz signed-linear 16-bit mono (Asterisk's .sln)."""
    program = _tts_program()
    done = subprocess.run(  # noqa: S603 - a fixed program, the text is one argument (no shell)
        [program, "-v", voice, "-s", str(words_per_minute), "--stdout", text],
        check=True,
        capture_output=True,
        timeout=60,
    )
    with wave.open(BytesIO(done.stdout)) as wav:
        if wav.getsampwidth() != 2 or wav.getnchannels() != 1:
            raise TtsUnavailableError(M_("{program} did not write 16-bit mono audio", program=program))
        rate = wav.getframerate()
        samples = array.array("h", wav.readframes(wav.getnframes()))
    return resample(samples, rate).tobytes()


@dataclass(frozen=True, slots=True)
class Rendered:
    prompt: str
    path: Path
    seconds: float


def render_flow(flow: Flow, sounds_dir: Path) -> list[Rendered]:
    """Render every text prompt of ``flow`` under ``sounds_dir`` (Asterisk's sounds/<language> directory)."""
    out: list[Rendered] = []
    for name, prompt in sorted(flow.prompts.items()):
        if prompt.text is None:
            continue
        audio = render_text(prompt.text)
        path = sounds_dir / f"{sound_name(flow, name)}.sln"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(audio)
        out.append(Rendered(name, path, len(audio) / 2 / RATE))
    return out


def text_prompts(flow: Flow) -> dict[str, Prompt]:
    return {name: p for name, p in flow.prompts.items() if p.text is not None}
