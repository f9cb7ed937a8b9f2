"""Speech engines behind one narrow interface: `synthesize(text, voice) -> audio bytes`.

One module per engine (the beets lesson, minus its one big file); each registers a
class with a NAME. Engines know nothing about articles. Which engine speaks a
language is decided here from the configuration's preference order and each
engine's voice table; a language no configured engine speaks gets no narration and a
reason that says what would help.
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
from typing import ClassVar

from pipeline.core.config import Config
from pipeline.core.errors import ConfigError
from pipeline.core.locales import facts_for

ENGINE_MODULES = {"espeak-ng": "espeak", "gtts": "gtts"}


@dataclass(frozen=True)
class Speech:
    """What an engine returns: encoded audio and its container format ('wav' or 'mp3')."""

    data: bytes
    format: str


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


def choose_voice(config: Config, tag: str) -> VoiceChoice:
    """The first configured engine that has a voice for `tag` and can run here."""
    reasons: list[str] = []
    missing = ""
    for name in config.engines_for(tag):
        voice = config.voice_for(tag, name)
        if not voice:
            reasons.append(f"{name} has no {facts_for(tag).english_name} voice")
            continue
        why_not = engine_class(name)(config).unavailable_reason()
        if why_not:
            reasons.append(f"{name}: {why_not}")
            missing = missing or why_not
            continue
        return VoiceChoice(name, voice)
    others = [name for name in ENGINE_MODULES if name not in config.engines_for(tag)
              and config.voice_for(tag, name)]
    if others:
        reasons.append(f"{' or '.join(others)} could (enable it with --tts {others[0]} or in handouts.toml)")
    return VoiceChoice(None, None, "; ".join(reasons) or "no speech engine is configured", missing)


def environment_fingerprint() -> str:
    """What the installed speech engines are, from file metadata only (no subprocess): it
    changes when an engine or its voices are installed, removed or upgraded."""
    import os
    import shutil

    parts = []
    espeak = shutil.which("espeak-ng")
    if espeak:
        parts.append((espeak, os.stat(espeak).st_mtime_ns))
        for data in ("/usr/lib/x86_64-linux-gnu/espeak-ng-data", "/usr/lib/aarch64-linux-gnu/espeak-ng-data",
                     "/usr/share/espeak-ng-data"):
            if os.path.isdir(data):
                parts.append((data, os.stat(data).st_mtime_ns))
    return repr(parts)
