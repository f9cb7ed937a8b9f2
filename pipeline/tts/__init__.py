"""Speech engines behind one narrow interface: `synthesize(text, voice) -> audio bytes`.

One module per engine (the beets lesson, minus its one big file); each registers a
class with a NAME. Engines know nothing about articles. Each engine answers "which
voice speaks language L here?" from what is installed (Piper voice files, espeak-ng's
own voice list, gTTS's language table); the configuration states preferences only.
Which engine speaks a language is decided here, from the configured preference order:
the first engine with a usable voice. A bad voice file is one line and the next engine
speaks; a language no configured engine speaks gets no narration and a reason that
says what would help.
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

ENGINE_MODULES = {"piper": "piper", "espeak-ng": "espeak", "gtts": "gtts"}

__all__ = ["Engine", "Found", "Speech", "Voice", "VoiceChoice", "choose_voice", "engine_class",
           "environment_fingerprint"]


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


@dataclass(frozen=True)
class Found:
    """An engine's answer for one language: the voice, and the bad voice files it passed over."""

    voice: Voice | None
    problems: tuple[str, ...] = ()


class Engine:
    NAME: ClassVar[str] = ""
    OFFLINE: ClassVar[bool] = True

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

    def notes(self) -> list[str]:
        """The lines to show when this choice is a fallback from a bad voice file."""
        if not self.problems:
            return []
        name = facts_for(self.language).english_name if self.language else "this language"
        outcome = (f"{name} is narrated by {self.engine} ({self.voice}) instead" if self.engine
                   else f"{name} gets no narration")
        return [f"{problem}; {outcome}" for problem in self.problems]


def choose_voice(config: Config, tag: str) -> VoiceChoice:
    """The first configured engine that has a usable voice for `tag` and can run here."""
    reasons: list[str] = []
    problems: list[str] = []
    missing = ""
    english = facts_for(tag).english_name
    for name in config.engines_for(tag):
        engine = engine_class(name)(config)
        found = engine.find_voice(tag)
        problems += found.problems
        if found.voice is None:
            reasons.append(f"{name} has no usable {english} voice" if found.problems
                           else f"{name} has no {english} voice")
            continue
        why_not = engine.unavailable_reason()
        if why_not:
            reasons.append(f"{name}: {why_not}")
            missing = missing or why_not
            continue
        return VoiceChoice(name, found.voice.name, where=found.voice.where, identity=found.voice.identity,
                           problems=tuple(problems), language=tag)
    others = [name for name in ENGINE_MODULES if name not in config.engines_for(tag)
              and engine_class(name)(config).find_voice(tag).voice]
    if others:
        reasons.append(f"{' or '.join(others)} could (enable it with --tts {others[0]} or in handouts.toml)")
    return VoiceChoice(None, None, "; ".join(reasons) or "no speech engine is configured", missing,
                       problems=tuple(problems), language=tag)


def voice_for_item(config: Config, engine: Engine, language: str, fallback: str) -> str:
    """The voice of the same engine for a passage in another language (the English review
    notice in a translated narration), else the narration's own voice."""
    found = engine.find_voice(language)
    return found.voice.name if found.voice else fallback
