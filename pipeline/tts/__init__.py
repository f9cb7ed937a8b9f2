"""Speech engines behind one narrow interface: `synthesize(text, voice) -> audio bytes`.

One module per engine (the beets lesson, minus its one big file); each registers a
class with a NAME. Engines know nothing about articles. Each engine answers "which
voice speaks language L here?" from what is installed (Piper voice files, espeak-ng's
own voice list, gTTS's language table); the configuration states preferences only.
Which engine speaks a language is decided here, from the configured preference order:
the first engine with a usable voice whose licence allows the use. A bad voice file is
one line and the next engine speaks; an engine that is not installed but would speak
the language better is one line saying how to get it; a language no configured engine
speaks gets no narration and a reason that says what would help.
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass, field
from typing import ClassVar

from pipeline.core.config import Config
from pipeline.core.errors import ConfigError
from pipeline.core.locales import facts_for
from pipeline.tts.environment import environment_fingerprint

ENGINE_MODULES = {"piper": "piper", "pico": "pico", "rhvoice": "rhvoice", "open-jtalk": "openjtalk",
                  "espeak-ng": "espeak", "gtts": "gtts"}

__all__ = ["Engine", "Found", "Speech", "Voice", "VoiceChoice", "choose_voice", "engine_class",
           "environment_fingerprint", "item_speaker"]


@dataclass(frozen=True)
class Speech:
    """What an engine returns: encoded audio and its container format ('wav' or 'mp3')."""

    data: bytes
    format: str


@dataclass(frozen=True)
class Voice:
    """A voice an engine can use here."""

    name: str
    where: str  # where it was found, for people: "espeak-ng 1.51", "voices/x.onnx", "package y 1.0"
    identity: str = ""  # what identifies its sound beyond the engine's version (a model's checksum)
    licence: str = ""  # as its authors (or Debian's copyright file) state it: "CC-BY-SA-4.0"
    note: str = ""  # what a listener should know: "Castilian Spanish (Spain), not Latin American"


@dataclass(frozen=True)
class Found:
    """An engine's answer for one language: the voice, the bad voice files it passed over,
    and advice: a better voice of this engine that is not installed or not allowed here."""

    voice: Voice | None
    problems: tuple[str, ...] = ()
    advice: tuple[str, ...] = ()


class Engine:
    NAME: ClassVar[str] = ""

    def __init__(self, config: Config) -> None:
        self.config = config

    def unavailable_reason(self) -> str | None:
        """Why this engine cannot run on this machine (None when it can)."""
        return None

    def version(self) -> str:
        """What identifies the engine's output, for the synthesis cache key."""
        return self.NAME

    def find_voice(self, tag: str) -> Found:
        """The voice that speaks `tag` here, the configured one first. The default, for an
        engine whose voices are a service's, is the table of preferences itself."""
        name = self.config.voice_for(tag, self.NAME)
        return Found(Voice(name, "pipeline/data/voices.toml") if name else None)

    def sound_parts(self, voice: str, language: str) -> tuple[str, ...]:
        """Besides the engine's version, the voice and the text: what decides the sound."""
        return (str(self.config.words_per_minute_for(language)),)

    def suggestion(self, tag: str) -> str:
        """What would give `tag` a voice of this engine ('' when nothing known would)."""
        return ""

    def synthesize(self, text: str, voice: str, language: str) -> Speech:
        raise NotImplementedError


@functools.lru_cache(maxsize=None)
def engine_class(name: str) -> type[Engine]:
    if name not in ENGINE_MODULES:
        raise ConfigError(f"unknown speech engine '{name}'", hint=f"valid engines: {', '.join(ENGINE_MODULES)}")
    module = importlib.import_module(f"{__name__}.{ENGINE_MODULES[name]}")
    return module.ENGINE


@dataclass(frozen=True)
class VoiceChoice:
    engine: str | None
    voice: str | None
    reason: str = ""
    # An engine has a voice for the language but cannot run here: a missing dependency,
    # which fails the build (unlike a language that no configured engine speaks).
    missing: str = ""
    where: str = ""
    identity: str = ""
    # Bad voice files passed over on the way (one line each, naming the file and what to do).
    problems: tuple[str, ...] = field(default=())
    language: str = ""
    licence: str = ""
    note: str = ""
    # Better voices that are not installed or not allowed here (one line each, how to get them).
    advice: tuple[str, ...] = field(default=())

    def notes(self) -> list[str]:
        """The lines to show when this choice is a fallback: from a bad voice file, or
        from a better voice that is missing here."""
        name = facts_for(self.language).english_name if self.language else "this language"
        outcome = (f"{name} is narrated by {self.engine} ({self.voice}) instead" if self.engine
                   else f"{name} gets no narration")
        return [f"{line}; {outcome}" for line in self.problems + self.advice]

    def credit(self) -> str:
        """'rhvoice elena (licence LGPL-2.1+)': the voice and its licence, for the outputs."""
        return f"{self.engine} {self.voice} (licence {self.licence or 'not stated'})" if self.engine else ""


def choose_voice(config: Config, tag: str, exclude: tuple[str, ...] = ()) -> VoiceChoice:
    """The first configured engine (not in `exclude`) that has a usable voice for `tag`,
    whose licence allows the use, and that can run here (asked once per language while
    planning holds the machine steady: every article of the language asks the same)."""
    from pipeline.core.machine import asked_once

    return asked_once(("voice", id(config), tag, exclude), lambda: _choose_voice(config, tag, exclude))


def _choose_voice(config: Config, tag: str, exclude: tuple[str, ...]) -> VoiceChoice:
    from pipeline.tts import faults
    from pipeline.tts.system import allows_commercial_use

    reasons: list[str] = []
    problems: list[str] = []
    advice: list[str] = []
    missing = ""
    english = facts_for(tag).english_name
    for name in (n for n in config.engines_for(tag) if n not in exclude):
        engine = engine_class(name)(config)
        found = engine.find_voice(tag)
        problems += found.problems
        advice += found.advice
        voice = found.voice
        if voice is None:
            reasons.append(f"{name} has no usable {english} voice" if found.problems
                           else f"{name} has no {english} voice")
            continue
        if voice.licence and not config.noncommercial and not allows_commercial_use(voice.licence):
            advice.append(f"{name} {voice.name} would speak {english} but its licence ({voice.licence}) allows "
                          f"non-commercial use only: set [audio] noncommercial = true in handouts.toml if yours is")
            reasons.append(f"{name}: {voice.name} is for non-commercial use only")
            continue
        why_not = engine.unavailable_reason()
        if why_not:
            reasons.append(f"{name}: {why_not}")
            missing = missing or why_not
            continue
        fault = faults.known_fault(config, name, voice.name, engine.version())
        if fault:
            problems.append(fault)
            reasons.append(f"{name}: {voice.name} failed in an earlier build")
            continue
        return VoiceChoice(name, voice.name, where=voice.where, identity=voice.identity, problems=tuple(problems),
                           language=tag, licence=voice.licence, note=voice.note, advice=tuple(advice))
    others = [name for name in ENGINE_MODULES if name not in config.engines_for(tag)
              and engine_class(name)(config).find_voice(tag).voice]
    if others:
        reasons.append(f"{' or '.join(others)} could (enable it with --tts {others[0]} or in handouts.toml)")
    return VoiceChoice(None, None, "; ".join(reasons) or "no speech engine is configured", missing,
                       problems=tuple(problems), language=tag, advice=tuple(advice))


def item_speaker(config: Config, engine_name: str, language: str, fallback: str) -> tuple[str, str]:
    """Who speaks a passage in another language (the English review notice in a translated
    narration): the narration's engine when it has a voice for that language, else the
    engine chosen for that language (Open JTalk has no English voice; Piper does), else the
    narration's own voice."""
    from pipeline.core.machine import asked_once

    return asked_once(("speaker", id(config), engine_name, language, fallback),
                      lambda: _item_speaker(config, engine_name, language, fallback))


def _item_speaker(config: Config, engine_name: str, language: str, fallback: str) -> tuple[str, str]:
    engine = engine_class(engine_name)(config)
    found = engine.find_voice(language)
    if found.voice:
        return engine_name, found.voice.name
    other = choose_voice(config, language)
    if other.engine and other.voice:
        return other.engine, other.voice
    return engine_name, fallback
