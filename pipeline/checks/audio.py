"""A narration read back: mutagen for the stream and the ID3 tags, miniaudio to decode,
pyloudnorm for loudness, and the WebVTT captions parsed against the chapters."""

from __future__ import annotations

import html

import re
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.writers.common import sound

TARGET_TOLERANCE_LU = 1.0
MAX_SILENCE_SECONDS = 2.0
_CUE_TIME = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) --> (\d\d):(\d\d):(\d\d)\.(\d{3})$")


@dataclass
class Chapter:
    id: str
    title: str
    start: float
    end: float


@dataclass
class AudioReport:
    duration: float = 0.0
    sample_rate: int = 0
    channels: int = 0
    bitrate: int = 0
    loudness: float = 0.0
    true_peak: float = 0.0
    clipped_samples: int = 0
    longest_silence: float = 0.0
    id3_version: tuple = ()
    tags: dict[str, str] = field(default_factory=dict)
    chapters: list[Chapter] = field(default_factory=list)
    toc: list[str] = field(default_factory=list)

    def problems(self, language_code: str | None = None) -> list[str]:
        found: list[str] = []
        if self.channels != 1:
            found.append(f"{self.channels} channels, not mono")
        if self.sample_rate not in (22050, 24000):
            found.append(f"{self.sample_rate} Hz, not 22.05 or 24 kHz")
        if abs(self.bitrate - 64000) > 1000:
            found.append(f"{self.bitrate // 1000} kbps, not 64")
        if abs(self.loudness - sound.TARGET_LUFS) > TARGET_TOLERANCE_LU:
            found.append(f"loudness {self.loudness:.1f} LUFS, not {sound.TARGET_LUFS:g} ±1")
        if self.true_peak > sound.MAX_TRUE_PEAK_DBTP:
            found.append(f"true peak {self.true_peak:.1f} dBTP above {sound.MAX_TRUE_PEAK_DBTP:g}")
        if self.clipped_samples:
            found.append(f"{self.clipped_samples} clipped samples")
        if self.longest_silence >= MAX_SILENCE_SECONDS:
            found.append(f"a silence of {self.longest_silence:.1f} s")
        if self.id3_version[:2] != (2, 4):
            found.append(f"ID3 {'.'.join(map(str, self.id3_version))}, not 2.4")
        for frame in ("TIT2", "TPE1", "TALB", "TLAN", "TCON", "COMM"):
            if not self.tags.get(frame):
                found.append(f"no {frame} tag")
        if self.tags.get("TCON") and self.tags["TCON"] != "Speech":
            found.append(f"genre {self.tags['TCON']!r}, not Speech")
        if "licence" not in self.tags.get("TCOP", ""):
            found.append("no TCOP tag naming the voice and its licence")
        if language_code and self.tags.get("TLAN") != language_code:
            found.append(f"TLAN {self.tags.get('TLAN')!r}, not {language_code}")
        if not self.chapters or [c.id for c in self.chapters] != self.toc:
            found.append("chapters missing or not listed in the table of contents (CTOC)")
        return found


def inspect_mp3(path: Path) -> AudioReport:
    import numpy as np
    from mutagen.id3 import ID3
    from mutagen.mp3 import MP3

    report = AudioReport()
    audio = MP3(str(path))
    report.duration = audio.info.length
    report.sample_rate = audio.info.sample_rate
    report.channels = audio.info.channels
    report.bitrate = audio.info.bitrate
    tags = ID3(str(path))
    report.id3_version = tags.version
    for frame in ("TIT2", "TPE1", "TALB", "TLAN", "TCON", "TDRC", "TSSE", "TCOP"):
        if frame in tags:
            report.tags[frame] = str(tags[frame])
    comments = tags.getall("COMM")
    if comments:
        report.tags["COMM"] = str(comments[0])
    for chap in sorted(tags.getall("CHAP"), key=lambda c: c.start_time):
        title = str(chap.sub_frames.get("TIT2", ""))
        report.chapters.append(Chapter(chap.element_id, title, chap.start_time / 1000, chap.end_time / 1000))
    tocs = tags.getall("CTOC")
    report.toc = list(tocs[0].child_element_ids) if tocs else []

    samples = sound.decode(path.read_bytes(), report.sample_rate)
    report.loudness = sound.integrated_loudness(samples, report.sample_rate)
    report.true_peak = sound.true_peak_dbtp(samples)
    report.clipped_samples = int(np.count_nonzero(np.abs(samples) >= 0.9999))
    report.longest_silence = sound.longest_silence(samples, report.sample_rate)
    return report


@dataclass
class Caption:
    id: str
    start: float
    end: float
    text: str


def read_webvtt(path: Path) -> list[Caption]:
    """Cues of a WebVTT file (identifier, times, text with its escapes read); raises
    ValueError if malformed, or if cue text holds a raw '<' (WebVTT would read a tag)."""
    blocks = path.read_text("utf-8").strip().split("\n\n")
    if not blocks or not blocks[0].startswith("WEBVTT"):
        raise ValueError("not a WebVTT file")
    captions: list[Caption] = []
    for block in blocks[1:]:
        lines = block.splitlines()
        if len(lines) < 3:
            raise ValueError(f"a cue without identifier, time or text: {block!r}")
        match = _CUE_TIME.match(lines[1])
        if not match:
            raise ValueError(f"bad cue timing: {lines[1]!r}")
        numbers = [int(n) for n in match.groups()]
        # In whole milliseconds, as written (17 + 0.923 is 17.923000000000002 in floating point).
        start = (numbers[0] * 3_600_000 + numbers[1] * 60_000 + numbers[2] * 1000 + numbers[3]) / 1000
        end = (numbers[4] * 3_600_000 + numbers[5] * 60_000 + numbers[6] * 1000 + numbers[7]) / 1000
        text = "\n".join(lines[2:])
        if "<" in text or "-->" in text:
            raise ValueError(f"cue text with a raw '<' or '-->' (a tag, or the end of the cue): {text!r}")
        captions.append(Caption(lines[0], start, end, html.unescape(text)))
    return captions
