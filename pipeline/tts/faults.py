"""Voices that failed at run time: an engine program that crashed or hung on a sentence.

The narration that met the fault falls back to the next engine at once (writers/audio.py)
and records it here, in the cache folder, so that later builds choose the fallback from
the start (and the build's key and manifest name the voice that really speaks). A record
holds for that engine version only: reinstalling or upgrading the engine clears it, and
deleting the file retries every voice.
"""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.core import atomic

FILE = "voice-faults.json"


def _path(config) -> Path:
    return Path(config.cache_dir) / FILE


def _read(config) -> dict:
    try:
        data = json.loads(_path(config).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _key(engine: str, voice: str, version: str) -> str:
    return f"{engine}\0{voice}\0{version}"


def known_fault(config, engine: str, voice: str, version: str) -> str:
    """The recorded one-line fault of this voice with this engine version ('' when none)."""
    return str(_read(config).get(_key(engine, voice, version), ""))


def record_fault(config, engine: str, voice: str, version: str, line: str) -> None:
    data = _read(config)
    data[_key(engine, voice, version)] = (f"{line} (recorded in {_shown(config)}: delete it to try "
                                          f"{engine} {voice} again)")
    atomic.atomic_write_bytes(_path(config), json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"))


def _shown(config) -> str:
    try:
        return str(_path(config).relative_to(Path(config.root)))
    except ValueError:
        return str(_path(config))
