"""The synthesis cache: each spoken sentence kept between builds, and checked before use.

An entry is keyed by what decides its sound (engine version, voice, the engine's sound
settings, the text) and is the engine's audio followed by a one-line trailer with its
length and SHA-256. An entry whose bytes no longer match (truncated, emptied, altered
on disk) is thrown away and the sentence is synthesized again, with a note; a narration
never silently uses a damaged sentence. Audio an engine returns is checked too: nothing,
or bytes that are no WAV or MP3, is a `SpeechError` naming the engine and the sentence.

Engine-independent on purpose: every engine's speech passes through here.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pipeline.core import atomic
from pipeline.core.errors import SpeechError, StorageError

# The trailer: b"\nhandouts-speech <12-digit length> <64 hex digits>\n", always this long.
TRAILER_TAG = b"\nhandouts-speech "
TRAILER_SIZE = len(TRAILER_TAG) + 12 + 1 + 64 + 1
LAYOUT = "speech cache 2"  # part of every key: entries of an older layout are never read
FORMATS = ("wav", "mp3")


def seal(audio: bytes) -> bytes:
    """The audio with its trailer."""
    return audio + TRAILER_TAG + b"%012d %s\n" % (len(audio), hashlib.sha256(audio).hexdigest().encode())


def unseal(entry: bytes) -> bytes | None:
    """The audio of a cache entry, or None when the entry is damaged."""
    trailer = entry[-TRAILER_SIZE:]
    if len(entry) < TRAILER_SIZE or not trailer.startswith(TRAILER_TAG):
        return None
    length, _, checksum = trailer[len(TRAILER_TAG):-1].partition(b" ")
    audio = entry[:-TRAILER_SIZE]
    if not length.isdigit() or int(length) != len(audio) or hashlib.sha256(audio).hexdigest().encode() != checksum:
        return None
    return audio


def looks_like_audio(data: bytes, fmt: str) -> bool:
    """A WAV (RIFF/WAVE with samples) or an MP3 (ID3 tag or frame sync)."""
    if fmt == "wav":
        return len(data) > 44 and data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    return len(data) > 4 and (data[:3] == b"ID3" or (data[0] == 0xFF and data[1] & 0xE0 == 0xE0))


class SpeechCache:
    """Speech per (engine version, voice, sound settings, text), in the cache folder."""

    def __init__(self, folder: Path, engine) -> None:
        self.engine = engine
        self.folder = folder / engine.NAME
        self.version = engine.version()
        self.synthesized = 0
        self.reused = 0
        self.damaged: list[str] = []  # the texts whose cached speech was damaged

    def speak(self, text: str, voice: str, language: str):
        from pipeline.tts import Speech

        parts = (LAYOUT, self.version, voice, *self.engine.sound_parts(voice, language), text)
        key = hashlib.sha256("\0".join(parts).encode()).hexdigest()
        for fmt in FORMATS:
            found = self._read(self.folder / f"{key}.{fmt}", text)
            if found is not None:
                self.reused += 1
                return Speech(found, fmt)
        speech = self.engine.synthesize(text, voice, language)
        if speech.format not in FORMATS or not looks_like_audio(speech.data, speech.format):
            raise SpeechError(f"{self.engine.NAME} returned no audio for {_quoted(text)} "
                              f"({len(speech.data)} bytes, not {speech.format.upper()})",
                              hint=f"check that {self.engine.NAME} works: run it by hand on this sentence")
        try:
            atomic.atomic_write_bytes(self.folder / f"{key}.{speech.format}", seal(speech.data))
        except StorageError:
            pass  # a full or read-only cache: the sentence is used, just not kept
        self.synthesized += 1
        return speech

    def _read(self, path: Path, text: str) -> bytes | None:
        try:
            entry = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError:
            entry = b""
        audio = unseal(entry)
        if audio is None:
            self.damaged.append(text)
            path.unlink(missing_ok=True)
        return audio

    def notes(self) -> list[str]:
        """One line for the damaged entries met, if any."""
        if not self.damaged:
            return []
        count = len(self.damaged)
        which = f"{count} sentences" if count > 1 else "1 sentence"
        return [f"the cached speech of {which} in {self.folder} was damaged (the first: {_quoted(self.damaged[0])}); "
                f"synthesized {'them' if count > 1 else 'it'} again"]


def _quoted(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")
