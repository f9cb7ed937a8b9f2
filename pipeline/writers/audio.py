"""The narration: script -> speech engine (cached per sentence) -> one timeline -> MP3 + WebVTT.

The timeline (for each element id: its start and end in the final audio) is the one
source of the MP3 chapters, the WebVTT captions and the EPUB media overlays, so the
three can never disagree. It is kept as a build artifact for the EPUB writer.
Every synthesized sentence is cached by engine, voice (and the voice file's version),
settings and text: a rebuild after one edited sentence asks the engine for that
sentence only. Engines return WAV at their own sample rate (Piper's medium voices and
espeak-ng 22.05 kHz, others 16 kHz); decoding resamples it to the narration's rate.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

import numpy as np

from pipeline.core import atomic
from pipeline.writers import sound
from pipeline.core.errors import DependencyError, RenderError
from pipeline.writers.narration import narration_script
from pipeline.tts import Speech, choose_voice, engine_class, voice_for_item
from pipeline.core.job import Job
from pipeline.writers.base import Writer, register

LEAD_IN_SECONDS = 0.3
TAIL_SECONDS = 0.7


@dataclass(frozen=True)
class Cue:
    id: str
    start: float
    end: float
    text: str
    chapter: str
    chapter_title: str


@register
class AudioWriter(Writer):
    NAME = "audio"
    SUFFIXES = (".mp3", ".vtt")
    ARTIFACTS = (".timeline.json",)
    VERSION = "1"
    DEPENDS = ("writers/audio.py", "writers/html.py", "writers/narration.py", "writers/sound.py", "tts/*.py")

    def unavailable_reason(self, job: Job) -> str | None:
        """A language no configured engine speaks is a notice; an engine that would speak
        it but is not installed is not: the task runs and fails with what to install."""
        choice = choose_voice(job.config, job.facts.tag)
        return None if choice.engine or choice.missing else choice.reason

    def notes(self, job: Job) -> list[str]:
        return choose_voice(job.config, job.facts.tag).notes()

    def key_parts(self, job: Job) -> dict[str, str]:
        choice = choose_voice(job.config, job.facts.tag)
        engine = engine_class(choice.engine)(job.config) if choice.engine else None
        english = voice_for_item(job.config, engine, "en", choice.voice) if engine else ""
        return {
            "engine": choice.engine or "",
            "voice": choice.voice or "",
            "engine_version": engine.version() if engine else "",
            "sound": "\0".join(engine.sound_parts(choice.voice, job.facts.tag)) if engine else "",
            "english_voice": english,
            "english_sound": "\0".join(engine.sound_parts(english, "en")) if engine else "",
        }

    def write(self, job: Job) -> dict[str, bytes]:
        choice = choose_voice(job.config, job.facts.tag)
        if choice.engine is None:
            raise DependencyError(f"no narration for {job.facts.english_name}: {choice.missing or choice.reason}")
        engine = engine_class(choice.engine)(job.config)
        script = narration_script(job)
        synthesizer = _CachedSynthesizer(job, engine)

        pieces: list[np.ndarray] = [sound.silence(LEAD_IN_SECONDS)]
        cues: list[Cue] = []
        clock = LEAD_IN_SECONDS
        for item in script:
            voice = choice.voice if item.language == job.facts.tag else (
                voice_for_item(job.config, engine, item.language, choice.voice))
            samples = sound.trim(sound.decode(synthesizer.speak(item.spoken, voice, item.language).data))
            if samples.size == 0:
                raise RenderError(f"{choice.engine} produced silence for {item.element_id!r}", file=job.stem)
            duration = samples.size / sound.SAMPLE_RATE
            cues.append(Cue(item.element_id, round(clock, 3), round(clock + duration, 3), item.shown,
                            item.chapter.id, item.chapter.title))
            pieces += [samples, sound.silence(item.pause_after)]
            clock += duration + item.pause_after
        pieces.append(sound.silence(TAIL_SECONDS))
        mastered, mp3, decoded = _master_and_encode(np.concatenate(pieces))
        # The encoder puts its delay in front of the audio: shift the timeline to match
        # what a player decodes.
        delay = sound.encoder_delay(mastered, decoded)
        cues = [Cue(c.id, round(c.start + delay, 3), round(c.end + delay, 3), c.text, c.chapter, c.chapter_title)
                for c in cues]
        total = decoded.size / sound.SAMPLE_RATE

        mp3 = add_tags(mp3, job, cues, total, f"{choice.engine} {choice.voice}")
        timeline = {
            "duration": round(total, 3),
            "engine": choice.engine,
            "voice": choice.voice,
            "synthesized": synthesizer.synthesized,
            "reused": synthesizer.reused,
            "cues": [asdict(cue) for cue in cues],
        }
        return {
            ".mp3": mp3,
            ".vtt": webvtt(cues).encode("utf-8"),
            ".timeline.json": json.dumps(timeline, ensure_ascii=False, indent=1).encode("utf-8"),
        }


class _CachedSynthesizer:
    """Speech per (engine version, voice, what else decides its sound, text), kept in the
    cache folder between builds. For espeak-ng the rest is the rate; for Piper the voice
    file's checksum and its settings."""

    def __init__(self, job: Job, engine) -> None:
        self.engine = engine
        self.folder = job.config.cache_dir / "tts" / engine.NAME
        self.version = engine.version()
        self.synthesized = 0
        self.reused = 0

    def speak(self, text: str, voice: str, language: str) -> Speech:
        parts = (self.version, voice, *self.engine.sound_parts(voice, language), text)
        key = hashlib.sha256("\0".join(parts).encode()).hexdigest()
        for fmt in ("wav", "mp3"):
            cached = self.folder / f"{key}.{fmt}"
            if cached.exists():
                self.reused += 1
                return Speech(cached.read_bytes(), fmt)
        speech = self.engine.synthesize(text, voice, language)
        atomic.atomic_write_bytes(self.folder / f"{key}.{speech.format}", speech.data)
        self.synthesized += 1
        return speech


def _master_and_encode(samples: np.ndarray) -> tuple[np.ndarray, bytes, np.ndarray]:
    """Master, encode, then decode and measure what listeners will get: MP3 encoding
    raises peaks and loses a little loudness, so both are corrected and re-encoded.
    Returns the mastered samples, the MP3 and the MP3 decoded."""
    threshold, target = -4.0, sound.TARGET_LUFS
    for _ in range(4):
        mastered = sound.master(samples, peak_threshold_db=threshold, target_lufs=target)
        mp3 = sound.encode_mp3(mastered)
        decoded = sound.decode(mp3)
        peak = sound.true_peak_dbtp(decoded)
        loudness = sound.integrated_loudness(decoded)
        if peak <= sound.MAX_TRUE_PEAK_DBTP and abs(loudness - sound.TARGET_LUFS) <= 0.5:
            return mastered, mp3, decoded
        if peak > sound.MAX_TRUE_PEAK_DBTP:
            threshold -= peak - sound.MAX_TRUE_PEAK_DBTP + 1.0
        target += sound.TARGET_LUFS - loudness
    raise RenderError(f"could not master the narration to {sound.TARGET_LUFS} LUFS and "
                      f"{sound.MAX_TRUE_PEAK_DBTP} dBTP (last: {loudness:.1f} LUFS, {peak:.1f} dBTP)")


def chapters_of(cues: list[Cue], total: float) -> list[tuple[str, str, float, float]]:
    """(id, title, start, end) per chapter; a chapter ends where the next begins."""
    starts: list[tuple[str, str, float]] = []
    for cue in cues:
        if not starts or starts[-1][0] != cue.chapter:
            starts.append((cue.chapter, cue.chapter_title, 0.0 if not starts else cue.start))
    return [(cid, title, start, starts[i + 1][2] if i + 1 < len(starts) else total)
            for i, (cid, title, start) in enumerate(starts)]


def add_tags(mp3: bytes, job: Job, cues: list[Cue], total: float, voice: str) -> bytes:
    """ID3v2.4: title, author, album, language, genre, comment, and CHAP + CTOC chapters."""
    import io

    from mutagen.id3 import CHAP, COMM, CTOC, ID3, TALB, TCON, TDRC, TIT2, TLAN, TPE1, TSSE, CTOCFlags

    from pipeline.writers.html import byline, translation_review_line

    meta = job.article.meta
    language = job.facts.iso639_2
    tags = ID3()
    tags.add(TIT2(encoding=3, text=meta.title.text))
    tags.add(TPE1(encoding=3, text=list(meta.authors) or ["Patient handouts"]))
    tags.add(TALB(encoding=3, text=job.ui.gettext("Patient education")))
    tags.add(TLAN(encoding=3, text=language))
    tags.add(TCON(encoding=3, text="Speech"))
    if meta.updated:
        tags.add(TDRC(encoding=3, text=meta.updated.isoformat()))
    comment = " · ".join(byline(job).values())
    if job.notice:
        comment += f" · {job.notice.native}"
    reviewed = translation_review_line(job)
    if reviewed:
        comment += f" · {reviewed}"
    tags.add(COMM(encoding=3, lang=language, desc="", text=comment))
    tags.add(TSSE(encoding=3, text=f"{voice}; LAME via lameenc"))  # engine and voice
    chapters = chapters_of(cues, total)
    tags.add(CTOC(element_id="toc", flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                  child_element_ids=[cid for cid, *_ in chapters],
                  sub_frames=[TIT2(encoding=3, text=job.ui.gettext("Contents"))]))
    for cid, title, start, end in chapters:
        tags.add(CHAP(element_id=cid, start_time=int(round(start * 1000)), end_time=int(round(end * 1000)),
                      sub_frames=[TIT2(encoding=3, text=title)]))
    buffer = io.BytesIO(mp3)
    tags.save(buffer, v2_version=4, padding=lambda info: 0)
    return buffer.getvalue()


def webvtt(cues: list[Cue]) -> str:
    lines = ["WEBVTT", ""]
    for cue in cues:
        timing = f"{sound.clock_time(cue.start, 2)} --> {sound.clock_time(cue.end, 2)}"
        lines += [cue.id, timing, cue.text.replace("-->", "->"), ""]
    return "\n".join(lines)
