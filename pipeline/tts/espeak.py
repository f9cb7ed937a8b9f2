"""espeak-ng: offline, installed from Debian, the default engine (works in a clinic with no
internet and in CI). Text goes in on stdin, a WAV comes out on stdout."""

from __future__ import annotations

import functools
import shutil
import subprocess

from pipeline.core.errors import DependencyError, SpeechError
from pipeline.tts import Engine
from pipeline.tts import Speech
from pipeline.tts.kana import to_kana

# Voices of espeak-ng that read no kanji (see kana.py).
KANA_ONLY_VOICES = {"ja"}
# espeak-ng 1.51's Burmese voice overflows a buffer ("*** buffer overflow detected ***") on
# a long clause; Burmese puts a space between phrases, so each phrase is given as a clause.
PHRASE_PER_CLAUSE_VOICES = {"my"}


@functools.lru_cache(maxsize=1)
def _version() -> str:
    result = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True, check=False)
    return result.stdout.strip()


class EspeakEngine(Engine):
    NAME = "espeak-ng"
    OFFLINE = True

    def unavailable_reason(self) -> str | None:
        if not shutil.which("espeak-ng"):
            return "espeak-ng is not installed; install the Debian package espeak-ng"
        return None

    def version(self) -> str:
        return _version()

    def synthesize(self, text: str, voice: str, language: str) -> Speech:
        missing = self.unavailable_reason()
        if missing:
            raise DependencyError(missing)
        if voice.split("-")[0] in KANA_ONLY_VOICES:
            text = to_kana(text)
        if voice.split("-")[0] in PHRASE_PER_CLAUSE_VOICES:
            text = "\n".join(text.split())
        rate = self.config.words_per_minute_for(language)
        command = ["espeak-ng", "-v", voice, "-s", str(rate), "-b", "1", "--stdout"]
        result = subprocess.run(command, input=text.encode("utf-8"), capture_output=True, timeout=120, check=False)
        if result.returncode != 0 or not result.stdout.startswith(b"RIFF"):
            message = result.stderr.decode("utf-8", "replace").strip() or "no audio"
            raise SpeechError(f"espeak-ng could not speak {language} with voice {voice}: {message}",
                              hint="check the voice name with 'espeak-ng --voices'")
        return Speech(result.stdout, "wav")


ENGINE = EspeakEngine
