"""SVOX Pico (`pico2wave`, Debian non-free `libttspico-utils`): small offline voices for
American and British English, German, Spanish, French and Italian, 16 kHz.

Measured far clearer than espeak-ng for Spanish and French (README, "Narration"). Its
Spanish voice is Castilian (Spain), not Latin American: `handouts voices`, the manifest
and the download page say so. A voice is a pair of lingware files in Pico's folder,
`<lang>_ta.bin` (text analysis) and `<lang>_<speaker>_sg.bin` (signal generation): the
voices are what is there, and a pair with a half missing or empty is one line saying to
reinstall `libttspico-data`. Pico takes no phonemes and has no rate setting: the
pronunciation lists reach it as respellings, like every engine.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.errors import DependencyError
from pipeline.core.locales import facts_for, to_bcp47, voice_table
from pipeline.tts import Found, Speech, Voice
from pipeline.tts.system import (ProgramEngine, debian_licence, files_checksum, how_to_get, install_command, known_licence,
                                 run_program)

BINARY = "pico2wave"
# Where pico2wave reads its lingware (compiled into it; Debian's libttspico-data).
LINGWARE_FOLDER = Path("/usr/share/pico/lang")
PACKAGES = ("libttspico-utils", "libttspico0", "libttspico-data")


@dataclass(frozen=True)
class Lingware:
    name: str  # "es-ES"
    text_analysis: Path
    signal: Path | None  # None: that half is missing

    @property
    def problem(self) -> str:
        """'' when both files are there and not empty."""
        for part in (self.text_analysis, self.signal):
            if part is None or not part.is_file() or part.stat().st_size == 0:
                shown = part or (LINGWARE_FOLDER / f"{self.name}_*_sg.bin")
                return (f"pico: voice {self.name} is half installed ({shown} is missing or empty); reinstall it: "
                        f"{install_command('pico', '', reinstall=True)}")
        return ""


def installed_voices(folder: Path | None = None) -> list[Lingware]:
    folder = folder or LINGWARE_FOLDER
    if not folder.is_dir():
        return []
    voices = []
    for analysis in sorted(folder.glob("*_ta.bin")):
        name = analysis.name[: -len("_ta.bin")]
        signals = sorted(folder.glob(f"{name}_*_sg.bin"))
        voices.append(Lingware(name, analysis, signals[0] if signals else None))
    return voices


class PicoEngine(ProgramEngine):
    NAME = "pico"

    BINARY, PACKAGES = BINARY, PACKAGES

    def find_voice(self, tag: str) -> Found:
        """The configured or preferred voice of the language, else any installed voice
        of the language. Not installed: advice saying how to get it."""
        name = facts_for(tag).english_name
        preferred = self.config.voice_for(tag, self.NAME)
        if not shutil.which(BINARY) or not LINGWARE_FOLDER.is_dir():
            return Found(None, advice=self._setup_advice(tag, preferred))
        voices = installed_voices()
        options = self.config.language_options.get(tag)
        configured = options.voices.get(self.NAME) if options else None
        if configured:
            matching = [v for v in voices if v.name == configured]
            if not matching or not _speaks(configured, tag):
                what = (f"speaks {_language_name(configured)}, not {name}" if matching
                        else "is not an installed Pico voice")
                return Found(None, (f"handouts.toml: [language.{tag}] voices.pico = {configured!r} {what}; "
                                    f"installed: {', '.join(v.name for v in voices) or 'none'}",))
        else:
            matching = [v for v in voices if _speaks(v.name, tag)]
            matching.sort(key=lambda v: (v.name != preferred, v.name))
        problems = []
        for lingware in matching:
            if lingware.problem:
                problems.append(lingware.problem)
                continue
            return Found(self._voice(lingware), tuple(problems))
        return Found(None, tuple(problems))

    def _voice(self, lingware: Lingware) -> Voice:
        licence = (debian_licence(("libttspico-data",), f"pico/lang/{lingware.text_analysis.name}")
                   or known_licence(self.NAME, lingware.name) or "")
        note = voice_table().get("notes", {}).get(self.NAME, {}).get(lingware.name, "")
        return Voice(lingware.name, f"pico {LINGWARE_FOLDER}", licence=licence, note=note)

    def _setup_advice(self, tag: str, preferred: str | None) -> tuple[str, ...]:
        if not preferred:
            return ()
        english = facts_for(tag).english_name
        missing = (f"{BINARY} is not installed" if not shutil.which(BINARY)
                   else f"its voice folder {LINGWARE_FOLDER} is missing")
        return (f"SVOX Pico {preferred} would speak {english} more clearly, but {missing}: "
                f"{how_to_get(self.NAME, tag)}",)

    def sound_parts(self, voice: str, language: str) -> tuple[str, ...]:
        """The lingware files' checksum (Pico has no rate setting)."""
        lingware = next((v for v in installed_voices() if v.name == voice), None)
        if lingware is None or lingware.problem:
            return ("not installed",)
        return (files_checksum((lingware.text_analysis, lingware.signal)),)

    def synthesize(self, text: str, voice: str, language: str) -> Speech:
        missing = self.unavailable_reason()
        if missing:
            raise DependencyError(missing)
        with tempfile.TemporaryDirectory(prefix="handouts-pico-") as folder:
            output = Path(folder) / "speech.wav"  # pico2wave wants a name ending in .wav
            data = run_program([BINARY, "-l", voice, "-w", str(output)], text=text, engine=self.NAME,
                               voice=voice, language=language, output=output)
        return Speech(data, "wav")


def _speaks(voice: str, tag: str) -> bool:
    """'es-ES' speaks 'es' and 'es-ES'; 'en-GB' speaks 'en' but not 'en-US'."""
    language, _, region = to_bcp47(tag).partition("-")
    voice_language, _, voice_region = voice.partition("-")
    return voice_language.lower() == language.lower() and (not region or region.lower() == voice_region.lower())


def _language_name(voice: str) -> str:
    try:
        return facts_for(voice.split("-")[0]).english_name
    except Exception:  # noqa: BLE001 - a name only for the message
        return voice


ENGINE = PicoEngine
