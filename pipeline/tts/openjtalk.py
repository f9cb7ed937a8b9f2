"""Open JTalk (`open_jtalk`, Debian `open-jtalk` with the NAIST Japanese dictionary
`open-jtalk-mecab-naist-jdic`, and HTS voices such as `hts-voice-nitech-jp-atr503-m001`,
contrib, CC BY 3.0): the Japanese engine, chosen over Kokoro by measurement (README,
"Narration": about as intelligible to the recognizer, and 60 times faster here).

It reads kanji itself (MeCab with the dictionary gives the readings and accents), so
unlike espeak-ng it needs no kana conversion. Its voices are the `.htsvoice` files
installed under the HTS voice folders; a file's own header says which language its
models are for (`FULLCONTEXT_FORMAT:HTS_TTS_JPN`), so a voice of another language is
refused with one line. Output: 48 kHz WAV, one utterance per call (Open JTalk speaks
only the first line of its input, so a passage is given as one line).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from pipeline.core.errors import DependencyError
from pipeline.core.locales import facts_for, to_bcp47, voice_table
from pipeline.tts import Found, Speech, Voice
from pipeline.tts.system import (ProgramEngine, debian_licence, files_checksum, how_to_get, install_command, known_licence,
                                 run_program)

BINARY = "open_jtalk"
VOICE_FOLDERS = (Path("/usr/share/hts-voice"), Path("/usr/local/share/hts-voice"), Path("/usr/share/open_jtalk/voices"))
DICTIONARY_FOLDERS = (Path("/var/lib/mecab/dic/open-jtalk/naist-jdic"), Path("/usr/share/open_jtalk/dic"),
                      Path("/usr/local/share/open_jtalk/dic"))
PACKAGES = ("open-jtalk", "open-jtalk-mecab-naist-jdic", "libhtsengine1")
# The label formats of HTS voices: which language their models are for.
FORMAT_LANGUAGES = {"HTS_TTS_JPN": "ja"}
DICTIONARY_FILES = ("sys.dic", "matrix.bin", "char.bin", "unk.dic")


def dictionary() -> Path | None:
    """The first complete MeCab dictionary for Open JTalk."""
    return next((f for f in DICTIONARY_FOLDERS if all((f / n).is_file() for n in DICTIONARY_FILES)), None)


def voice_files() -> list[Path]:
    return sorted({p for folder in VOICE_FOLDERS if folder.is_dir() for p in folder.rglob("*.htsvoice")})


def voice_language(path: Path) -> str | None:
    """The language the voice's header names ('ja'), or None when it is unreadable."""
    try:
        with path.open("rb") as handle:
            header = handle.read(4096).decode("ascii", "replace")
    except OSError:
        return None
    if not header.startswith("[GLOBAL]"):
        return None
    for line in header.splitlines():
        if line.startswith("FULLCONTEXT_FORMAT:"):
            return FORMAT_LANGUAGES.get(line.split(":", 1)[1].strip(), "")
    return ""


class OpenJtalkEngine(ProgramEngine):
    NAME = "open-jtalk"
    BINARY, PACKAGES = BINARY, PACKAGES

    def unavailable_reason(self) -> str | None:
        if not shutil.which(BINARY):
            return f"{BINARY} is not installed; install it: {how_to_get(self.NAME, 'ja')}"
        if dictionary() is None:
            return f"Open JTalk's dictionary is missing; install it: {install_command(self.NAME, 'ja')}"
        return None


    def find_voice(self, tag: str) -> Found:
        preferred = self.config.voice_for(tag, self.NAME)
        language = to_bcp47(tag).split("-")[0]
        if language not in FORMAT_LANGUAGES.values():
            return Found(None)
        if not shutil.which(BINARY) or dictionary() is None or not voice_files():
            return Found(None, advice=self._setup_advice(tag, preferred))
        options = self.config.language_options.get(tag)
        configured = options.voices.get(self.NAME) if options else None
        files = voice_files()
        if configured:
            files = [p for p in files if p.stem == configured]
            if not files:
                return Found(None, (f"handouts.toml: [language.{tag}] voices.\"open-jtalk\" = {configured!r} is not an "
                                    f"installed HTS voice ({', '.join(p.stem for p in voice_files())} are)",))
        files.sort(key=lambda p: (p.stem != preferred, p.stem))
        problems = []
        for path in files:
            spoken = voice_language(path)
            if spoken is None:
                problems.append(f"open-jtalk: voice file {path} is damaged (no HTS voice header); reinstall it: "
                                f"{install_command(self.NAME, 'ja', reinstall=True)}")
                continue
            if spoken != language:
                if configured:
                    problems.append(f"handouts.toml: [language.{tag}] voices.\"open-jtalk\" = {configured!r} is a voice "
                                    f"for {spoken or 'another language'}, not {facts_for(tag).english_name}")
                continue
            return Found(self._voice(path), tuple(problems))
        return Found(None, tuple(problems))

    def _voice(self, path: Path) -> Voice:
        package = path.parent.name  # Debian's folder is named after its package
        licence = (debian_licence((f"hts-voice-{package}",), path.name) or known_licence(self.NAME, path.stem) or "")
        note = voice_table().get("notes", {}).get(self.NAME, {}).get(path.stem, "")
        return Voice(path.stem, str(path), licence=licence, note=note)

    def _setup_advice(self, tag: str, preferred: str | None) -> tuple[str, ...]:
        if not preferred:
            return ()
        missing = ("open_jtalk is not installed" if not shutil.which(BINARY) else
                   "its dictionary is missing" if dictionary() is None else "no HTS voice is installed")
        return (f"Open JTalk {preferred} would speak {facts_for(tag).english_name} more clearly, but {missing}: "
                f"{how_to_get(self.NAME, 'ja')}",)

    def sound_parts(self, voice: str, language: str) -> tuple[str, ...]:
        """The voice file and the dictionary by checksum (the readings come from it)."""
        path = next((p for p in voice_files() if p.stem == voice), None)
        folder = dictionary()
        if path is None or folder is None:
            return ("not installed",)
        return (files_checksum((path,)), files_checksum(tuple(folder / n for n in DICTIONARY_FILES)))

    def synthesize(self, text: str, voice: str, language: str) -> Speech:
        missing = self.unavailable_reason()
        if missing:
            raise DependencyError(missing)
        path = next((p for p in voice_files() if p.stem == voice), None)
        if path is None:
            raise DependencyError(f"the Open JTalk voice {voice} is no longer installed",
                                  hint=install_command(self.NAME, "ja"))
        with tempfile.TemporaryDirectory(prefix="handouts-openjtalk-") as folder:
            output = Path(folder) / "speech.wav"
            data = run_program([BINARY, "-x", str(dictionary()), "-m", str(path), "-ow", str(output)],
                               text=" ".join(text.split()) + "\n", engine=self.NAME, voice=voice,
                               language=language, output=output)
        return Speech(data, "wav")


ENGINE = OpenJtalkEngine
