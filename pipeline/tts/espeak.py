"""espeak-ng: offline, installed from Debian, the fallback engine (works in a clinic with no
internet and in CI). Text goes in on stdin, a WAV comes out on stdout.

Its voices are the ones espeak-ng itself lists (`espeak-ng --voices`, asked once per
process and installation): a language added to handouts.toml is spoken when espeak-ng
has a voice for it, and "espeak-ng has no X voice" is said only when it has none.
pipeline/data/voices.toml only prefers regional variants (es-419, vi-vn-x-south).
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from dataclasses import dataclass

from pipeline.core.errors import DependencyError, SpeechError
from pipeline.core.locales import to_bcp47
from pipeline.tts import Engine, Found, Speech, Voice
from pipeline.tts.kana import to_kana
from pipeline.tts.system import known_licence

# Voices of espeak-ng that read no kanji (see kana.py).
KANA_ONLY_VOICES = {"ja"}
# espeak-ng 1.51's Burmese voice overflows a buffer ("*** buffer overflow detected ***") on
# a long clause; Burmese puts a space between phrases, so each phrase is given as a clause.
PHRASE_PER_CLAUSE_VOICES = {"my"}


@functools.lru_cache(maxsize=1)
def _version() -> str:
    result = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True, check=False)
    return result.stdout.strip()


@dataclass(frozen=True)
class Listed:
    """One line of `espeak-ng --voices`: its language code and the other languages it
    speaks with their priority (lower is better)."""

    language: str
    priority: int
    others: tuple[tuple[str, int], ...]


def parse_voice_list(text: str) -> list[Listed]:
    """The voices of `espeak-ng --voices` output (MBROLA voices, which need another
    program, are left out)."""
    voices = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 5 or not fields[0].isdigit():
            continue
        file = next((f for f in fields[3:] if "/" in f), "")
        if file.startswith("mb/"):
            continue
        others = tuple((code.lower(), int(priority)) for code, priority in re.findall(r"\(([^\s()]+) (\d+)\)", line))
        voices.append(Listed(fields[1].lower(), int(fields[0]), others))
    return voices


@functools.lru_cache(maxsize=4)
def _listed(binary: str, stamp: int) -> tuple[Listed, ...]:
    result = subprocess.run([binary, "--voices"], capture_output=True, text=True, timeout=30, check=False)
    return tuple(parse_voice_list(result.stdout))


def installed_voices() -> tuple[Listed, ...]:
    """espeak-ng's voices, asked once per process (again only if espeak-ng was reinstalled)."""
    binary = shutil.which("espeak-ng")
    if not binary:
        return ()
    return _listed(binary, os.stat(binary).st_mtime_ns)


def best_voice(voices: tuple[Listed, ...], tag: str) -> str | None:
    """The espeak-ng voice for a BCP 47 tag: the same code, else the bare language, else a
    voice that lists the language among its others (Chinese: cmn), best priority first."""
    code = to_bcp47(tag).lower()
    language = code.split("-")[0]
    ranked = []
    for order, voice in enumerate(voices):
        if voice.language == code:
            ranked.append((0, voice.priority, order, voice.language))
        elif voice.language == language:
            ranked.append((1, voice.priority, order, voice.language))
        for other, priority in voice.others:
            if other in (code, language):
                ranked.append((2 if other == code else 3, priority, order, voice.language))
    return min(ranked)[3] if ranked else None


class EspeakEngine(Engine):
    NAME = "espeak-ng"

    def unavailable_reason(self) -> str | None:
        if not shutil.which("espeak-ng"):
            return "espeak-ng is not installed; install the Debian package espeak-ng"
        return None

    def version(self) -> str:
        return _version()

    def sound_parts(self, voice: str, language: str) -> tuple[str, ...]:
        """The rate, and for a voice read as kana the version of the kana dictionary."""
        parts = super().sound_parts(voice, language)
        if voice.split("-")[0] in KANA_ONLY_VOICES:
            from pipeline.core.machine import package_version

            parts += (f"pykakasi {package_version('pykakasi')}",)
        return parts

    def find_voice(self, tag: str) -> Found:
        preferred = self.config.voice_for(tag, self.NAME)
        voices = installed_voices()
        if not voices:  # not installed: the table says whether it would speak the language
            return super().find_voice(tag)
        number = re.search(r"text-to-speech: (\S+)", self.version())
        where = f"espeak-ng {number.group(1)}" if number else "espeak-ng"
        licence = known_licence(self.NAME, "all") or ""
        if preferred and any(v.language == preferred.lower() for v in voices):
            return Found(Voice(preferred, where, licence=licence))
        options = self.config.language_options.get(tag)
        if options and self.NAME in options.voices:
            return Found(None, (f"handouts.toml: [language.{tag}] voices.\"espeak-ng\" = {preferred!r} is not a voice "
                                f"of this espeak-ng; use one that 'espeak-ng --voices' lists",))
        name = best_voice(voices, tag)
        return Found(Voice(name, where, licence=licence) if name else None)

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
