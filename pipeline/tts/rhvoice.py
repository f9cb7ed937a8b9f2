"""RHVoice (`RHVoice-test`, Debian `rhvoice` and its `rhvoice-<language>` voice packages):
offline statistical voices, 24 kHz, measured far clearer than espeak-ng for Russian,
Ukrainian, Brazilian Portuguese and Polish (README, "Narration").

The voices are the folders RHVoice itself reads, `/usr/share/RHVoice/voices/<name>/`,
each with a `voice.info` that names its language, whose rules are in
`/usr/share/RHVoice/languages/<Language>/`. A voice folder without its `voice.info`, its
model data or its language's folder is half installed: one line saying which package to
reinstall. Licences differ per voice (LGPL-2.1+, CC BY-SA 4.0, CC BY-ND 4.0, and CC
BY-NC-ND 4.0 for the Polish voices and most newer Russian ones); they are read from
Debian's copyright file, so a non-commercial voice is never chosen unless handouts.toml
says the use is non-commercial.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.config import Config
from pipeline.core.errors import DependencyError
from pipeline.core.locales import facts_for, to_bcp47, voice_table
from pipeline.tts import Found, Speech, Voice
from pipeline.tts.system import (ProgramEngine, allows_commercial_use, debian_licence, files_checksum, how_to_get,
                                 install_command, known_licence, run_program)

BINARY = "RHVoice-test"
DATA_FOLDER = Path("/usr/share/RHVoice")
CONFIG_FILE = Path("/etc/RHVoice/RHVoice.conf")
PACKAGES = ("rhvoice", "librhvoice-core7", "librhvoice-audio2")
COPYRIGHT_PACKAGES = ("rhvoice", "librhvoice-core7", "rhvoice-russian", "rhvoice-ukrainian",
                      "rhvoice-brazilian-portuguese", "rhvoice-polish")


@dataclass(frozen=True)
class InstalledVoice:
    name: str  # the folder's name, which RHVoice-test's -p takes: "elena", "Leticia-F123"
    folder: Path
    language: str  # RHVoice's name for it, from voice.info: "Russian"; "" when unreadable
    tag: str  # BCP 47, "" when RHVoice's language is not one we know

    def problem(self) -> str:
        """'' when the voice is complete."""
        reinstall = install_command("rhvoice", self.tag, reinstall=True) if self.tag else "reinstall its package"
        if not (self.folder / "voice.info").is_file() or not self.language:
            return f"rhvoice: voice {self.name} is half installed ({self.folder}/voice.info is missing); {reinstall}"
        data = [p for p in self.folder.glob("*/voice.data") if p.stat().st_size > 0]
        if not data:
            return f"rhvoice: voice {self.name} is half installed (no model data in {self.folder}); {reinstall}"
        if not (DATA_FOLDER / "languages" / self.language).is_dir():
            return (f"rhvoice: voice {self.name} is half installed (its language folder "
                    f"{DATA_FOLDER / 'languages' / self.language} is missing); {reinstall}")
        return ""

    def files(self) -> tuple[Path, ...]:
        return tuple(sorted(p for p in self.folder.rglob("*") if p.is_file()))


def _info(folder: Path) -> dict[str, str]:
    try:
        lines = (folder / "voice.info").read_text("utf-8", "replace").splitlines()
    except OSError:
        return {}
    return dict(line.split("=", 1) for line in lines if "=" in line)


def installed_voices() -> list[InstalledVoice]:
    folder = DATA_FOLDER / "voices"
    if not folder.is_dir():
        return []
    languages = voice_table().get("rhvoice-languages", {})
    voices = []
    for voice in sorted(p for p in folder.iterdir() if p.is_dir()):
        language = _info(voice).get("language", "").strip()
        voices.append(InstalledVoice(voice.name, voice, language, languages.get(language, "")))
    return voices


def licence_of(voice: str) -> str:
    return debian_licence(COPYRIGHT_PACKAGES, f"data/voices/{voice}/voice.info") or known_licence("rhvoice", voice) or ""


class RhvoiceEngine(ProgramEngine):
    NAME = "rhvoice"

    BINARY, PACKAGES = BINARY, PACKAGES

    def find_voice(self, tag: str) -> Found:
        """The configured voice, else the preferred (measured) one, else any complete voice
        of the language, voices whose licence allows the use first."""
        preferred = self.config.voice_for(tag, self.NAME)
        if not shutil.which(BINARY) or not (DATA_FOLDER / "voices").is_dir():
            return Found(None, advice=self._setup_advice(tag, preferred))
        voices = installed_voices()
        options = self.config.language_options.get(tag)
        configured = options.voices.get(self.NAME) if options else None
        if configured:
            candidates = [v for v in voices if v.name == configured]
            mismatch = _mismatch(configured, candidates, tag)
            if mismatch:
                return Found(None, (mismatch,))
        else:
            candidates = [v for v in voices if v.tag and _speaks(v.tag, tag)]
            candidates.sort(key=lambda v: (not _allowed(self.config, v.name), v.name != preferred, v.name))
        problems: list[str] = []
        for voice in candidates:
            problem = voice.problem()
            if problem:
                problems.append(problem)
                continue
            return Found(Voice(voice.name, f"rhvoice {voice.folder}", licence=licence_of(voice.name),
                               note=voice_table().get("notes", {}).get(self.NAME, {}).get(voice.name, "")),
                         tuple(problems))
        if not candidates and preferred:
            return Found(None, tuple(problems), self._setup_advice(tag, preferred))
        return Found(None, tuple(problems))

    def _setup_advice(self, tag: str, preferred: str | None) -> tuple[str, ...]:
        if not preferred:
            return ()
        english = facts_for(tag).english_name
        missing = (f"{BINARY} is not installed" if not shutil.which(BINARY)
                   else f"the voice is not installed in {DATA_FOLDER / 'voices'}")
        return (f"RHVoice {preferred} would speak {english} more clearly, but {missing}: {how_to_get(self.NAME, tag)}",)

    def sound_parts(self, voice: str, language: str) -> tuple[str, ...]:
        """The voice's files and its language's rules by checksum, and RHVoice's settings file."""
        found = next((v for v in installed_voices() if v.name == voice), None)
        if found is None or found.problem():
            return ("not installed",)
        rules = tuple(sorted(p for p in (DATA_FOLDER / "languages" / found.language).rglob("*") if p.is_file()))
        settings = (CONFIG_FILE,) if CONFIG_FILE.is_file() else ()
        return (files_checksum(found.files()), files_checksum(rules), files_checksum(settings) if settings else "")

    def synthesize(self, text: str, voice: str, language: str) -> Speech:
        missing = self.unavailable_reason()
        if missing:
            raise DependencyError(missing)
        with tempfile.TemporaryDirectory(prefix="handouts-rhvoice-") as folder:
            output = Path(folder) / "speech.wav"
            data = run_program([BINARY, "-p", voice, "-o", str(output)], text=text, engine=self.NAME, voice=voice,
                               language=language, output=output)
        return Speech(data, "wav")


def _allowed(config: Config, voice: str) -> bool:
    licence = licence_of(voice)
    return config.noncommercial or not licence or allows_commercial_use(licence)


def _speaks(voice_tag: str, tag: str) -> bool:
    """'pt-BR' speaks 'pt-BR' and 'pt'; 'ru' speaks 'ru'."""
    want = to_bcp47(tag).lower()
    have = voice_tag.lower()
    return have == want or have.split("-")[0] == want


def _mismatch(configured: str, candidates: list[InstalledVoice], tag: str) -> str:
    """The one line for a configured voice that is not there or speaks another language."""
    where = f"handouts.toml: [language.{tag}] voices.rhvoice = {configured!r}"
    if not candidates:
        names = ", ".join(v.name for v in installed_voices() if v.tag and _speaks(v.tag, tag)) or "none"
        return f"{where} is not an installed RHVoice voice; installed for {facts_for(tag).english_name}: {names}"
    voice = candidates[0]
    if not voice.tag or not _speaks(voice.tag, tag):
        return (f"{where} speaks {voice.language or 'an unknown language'}, not {facts_for(tag).english_name}; "
                f"use a voice of the language ('handouts voices' lists them)")
    return ""


ENGINE = RhvoiceEngine
