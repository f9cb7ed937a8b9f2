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

import json
from dataclasses import asdict, dataclass

import numpy as np

from pipeline.writers.common import sound
from pipeline.core.errors import DependencyError, RenderError, SpeechError
from pipeline.writers.audio.narration import narration_script
from pipeline.tts import VoiceChoice, choose_voice, engine_class, faults, item_speaker
from pipeline.tts.cache import SpeechCache
from pipeline.tts.system import EngineFault
from pipeline.core.job import Job
from pipeline.core.machine import asked_once
from pipeline.writers.base import NOTES, Writer

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


class AudioWriter(Writer):
    NAME = "audio"
    SUFFIXES = (".mp3", ".vtt")
    ARTIFACTS = (".timeline.json",)
    VERSION = "1"

    def unavailable_reason(self, job: Job) -> str | None:
        """A language no configured engine speaks is a notice; an engine that would speak
        it but is not installed is not: the task runs and fails with what to install."""
        choice = choose_voice(job.config, job.facts.tag)
        return None if choice.engine or choice.missing else choice.reason

    def notes(self, job: Job) -> list[str]:
        return choose_voice(job.config, job.facts.tag).notes()

    def key_parts(self, job: Job) -> dict[str, str]:
        """The voices and what decides their sound: the same for every article of a
        language (asked once per language while planning holds the machine steady)."""
        return asked_once(("audio key parts", id(job.config), job.facts.tag), lambda: self._key_parts(job))

    def _key_parts(self, job: Job) -> dict[str, str]:
        choice = choose_voice(job.config, job.facts.tag)
        engine = engine_class(choice.engine)(job.config) if choice.engine else None
        english_engine, english = item_speaker(job.config, choice.engine, "en", choice.voice) if engine else ("", "")
        other = engine_class(english_engine)(job.config) if english_engine else None
        return {
            "engine": choice.engine or "",
            "voice": choice.voice or "",
            "voice_licence": choice.licence,
            "voice_note": choice.note,
            "engine_version": engine.version() if engine else "",
            "sound": "\0".join(engine.sound_parts(choice.voice, job.facts.tag)) if engine else "",
            "english_voice": f"{english_engine} {english}",
            "english_sound": "\0".join((other.version(), *other.sound_parts(english, "en"))) if other else "",
        }

    def write(self, job: Job) -> dict[str, bytes]:
        """The narration by the chosen voice; when its engine fails on a sentence (crash,
        hang, no audio), the whole narration by the next engine, and the fault recorded so
        that later builds choose that engine from the start."""
        choice = choose_voice(job.config, job.facts.tag)
        faulted: list[str] = []
        lines: list[str] = []
        while True:
            if choice.engine is None:
                reason = "; ".join(lines) or choice.missing or choice.reason
                raise (SpeechError if lines else DependencyError)(
                    f"no narration for {job.facts.english_name}: {reason}")
            try:
                return self._narrate(job, choice, lines)
            except EngineFault as fault:
                engine = engine_class(choice.engine)(job.config)
                faults.record_fault(job.config, choice.engine, choice.voice, engine.version(), fault.one_line())
                faulted.append(choice.engine)
                lines.append(fault.one_line())
                choice = choose_voice(job.config, job.facts.tag, exclude=tuple(faulted))

    def _narrate(self, job: Job, choice: VoiceChoice, fallbacks: list[str]) -> dict[str, bytes]:
        script = narration_script(job)
        synthesizer = _Synthesizers(job)

        pieces: list[np.ndarray] = [sound.silence(LEAD_IN_SECONDS)]
        cues: list[Cue] = []
        clock = LEAD_IN_SECONDS
        for item in script:
            engine, voice = (choice.engine, choice.voice) if item.language == job.facts.tag else (
                item_speaker(job.config, choice.engine, item.language, choice.voice))
            try:
                speech = synthesizer.speak(engine, item.spoken, voice, item.language)
                samples = sound.trim(_decoded(speech.data, engine, item.spoken))
            except SpeechError as error:
                error.file = error.file or job.stem
                raise
            if samples.size == 0:
                raise RenderError(f"{engine} produced silence for {item.element_id!r}", file=job.stem)
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

        mp3 = add_tags(mp3, job, cues, total, choice)
        timeline = {
            "duration": round(total, 3),
            "engine": choice.engine,
            "voice": choice.voice,
            "voice_licence": choice.licence,
            "voice_note": choice.note,
            "fallback_from": [f"{line}; {job.facts.english_name} is narrated by {choice.engine} ({choice.voice}) "
                              f"instead" for line in fallbacks],
            "synthesized": synthesizer.synthesized,
            "reused": synthesizer.reused,
            "cues": [asdict(cue) for cue in cues],
        }
        return {
            ".mp3": mp3,
            ".vtt": webvtt(cues).encode("utf-8"),
            ".timeline.json": json.dumps(timeline, ensure_ascii=False, indent=1).encode("utf-8"),
            NOTES: "\n".join(f"{job.stem}: {note}" for note in synthesizer.notes()).encode("utf-8"),
        }


class _Synthesizers:
    """One checked synthesis cache per engine: a narration may switch engine for a passage
    in another language (a name, a quoted word)."""

    def __init__(self, job: Job) -> None:
        self.config = job.config
        self.caches: dict[str, SpeechCache] = {}

    def speak(self, engine_name: str, text: str, voice: str, language: str):
        cache = self.caches.get(engine_name)
        if cache is None:
            cache = self.caches[engine_name] = SpeechCache(self.config.cache_dir / "tts",
                                                           engine_class(engine_name)(self.config))
        return cache.speak(text, voice, language)

    @property
    def synthesized(self) -> int:
        return sum(cache.synthesized for cache in self.caches.values())

    @property
    def reused(self) -> int:
        return sum(cache.reused for cache in self.caches.values())

    def notes(self) -> list[str]:
        return [note for cache in self.caches.values() for note in cache.notes()]


def _decoded(data: bytes, engine: str, text: str) -> np.ndarray:
    """The engine's audio as samples; audio that does not decode is the engine's fault."""
    import miniaudio

    try:
        return sound.decode(data)
    except miniaudio.DecodeError as error:
        raise SpeechError(f"{engine} returned audio that cannot be decoded ({error}) for {text[:40]!r}",
                          hint=f"check that {engine} works: run it by hand on this sentence") from None


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


def add_tags(mp3: bytes, job: Job, cues: list[Cue], total: float, choice: VoiceChoice) -> bytes:
    """ID3v2.4: title, author, album, language, genre, comment, the voice and its licence
    (TSSE, TCOP), and CHAP + CTOC chapters."""
    import io

    from mutagen.id3 import CHAP, COMM, CTOC, ID3, TALB, TCON, TCOP, TDRC, TIT2, TLAN, TPE1, TSSE, CTOCFlags

    from pipeline.writers.common.byline import byline, translation_review_line

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
    tags.add(TSSE(encoding=3, text=f"{choice.engine} {choice.voice}; LAME via lameenc"))  # engine and voice
    tags.add(TCOP(encoding=3, text=copyright_line(job, choice)))
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


def copyright_line(job: Job, choice: VoiceChoice) -> str:
    """TCOP: ID3 wants a year first; then who wrote the text, and the voice with its licence."""
    meta = job.article.meta
    year = meta.updated.year if meta.updated else ""
    authors = ", ".join(meta.authors) or "Patient handouts"
    voice = choice.credit() + (f", {choice.note}" if choice.note else "")
    return f"{year} {authors}; narrated by {voice}".strip()


def webvtt(cues: list[Cue]) -> str:
    lines = ["WEBVTT", ""]
    for cue in cues:
        timing = f"{sound.clock_time(cue.start, 2)} --> {sound.clock_time(cue.end, 2)}"
        lines += [cue.id, timing, cue_text(cue.text), ""]
    return "\n".join(lines)


def cue_text(text: str) -> str:
    """Text as WebVTT cue text: `&`, `<` and `>` escaped (WebVTT's own escapes, which also
    keep "-->" from ending the cue), so that "keep it <130/80" is read as text, never as
    a tag, by a player or by a page that inserts cues as HTML. One line per cue."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(escaped.split())


WRITER = AudioWriter
