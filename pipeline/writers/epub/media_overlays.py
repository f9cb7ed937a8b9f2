"""EPUB 3 Media Overlays: the narration inside the book, each element highlighted while it
is read. One SMIL document per content document, a `par` per narrated element, all
clip times from the audio writer's timeline (the same one behind the MP3 chapters and
the captions)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from pipeline.core.job import Job
from pipeline.writers.common import sound
from pipeline.writers.base import upstream_bytes
from pipeline.core.errors import RenderError

ACTIVE_CLASS = "-epub-media-overlay-active"
AUDIO_FILE = "audio/narration.mp3"
_ID = re.compile(r'\sid="([^"]+)"')


@dataclass
class Narration:
    mp3: bytes
    cues: list[dict]
    engine: str

    @classmethod
    def from_upstream(cls, job: Job) -> "Narration | None":
        """The audio writer's results for this language, when it ran (else no overlays)."""
        timeline, mp3 = upstream_bytes(job, "audio", ".timeline.json"), upstream_bytes(job, "audio", ".mp3")
        if timeline is None or mp3 is None:
            return None
        data = json.loads(timeline.decode("utf-8"))
        return cls(mp3, data["cues"], data["engine"])


def add_media_overlays(book, items: dict, pages: list, narration: Narration) -> None:
    from ebooklib import epub

    book.add_item(epub.EpubItem(uid="narration", file_name=AUDIO_FILE, media_type="audio/mpeg",
                                content=narration.mp3))
    placed: set[str] = set()
    total = 0.0
    for page in pages:
        ids = set(_ID.findall(page.html))
        cues = [cue for cue in narration.cues if cue["id"] in ids]
        if not cues:
            continue
        placed.update(cue["id"] for cue in cues)
        uid = f"mo-{page.uid}"
        smil_name = page.file_name.replace(".xhtml", ".smil")
        book.add_item(epub.EpubItem(uid=uid, file_name=smil_name, media_type="application/smil+xml",
                                    content=_smil(page.file_name, cues).encode("utf-8")))
        items[page.uid].media_overlay = uid
        duration = sum(cue["end"] - cue["start"] for cue in cues)
        total += duration
        book.add_metadata(None, "meta", sound.clock_time(duration), {"property": "media:duration", "refines": f"#{uid}"})
    lost = [cue["id"] for cue in narration.cues if cue["id"] not in placed]
    if lost:
        raise RenderError(f"the narration reads elements the book does not have: {', '.join(lost[:3])}")
    book.add_metadata(None, "meta", sound.clock_time(total), {"property": "media:duration"})
    book.add_metadata(None, "meta", ACTIVE_CLASS, {"property": "media:active-class"})
    book.add_metadata(None, "meta", f"{narration.engine} (synthetic voice)", {"property": "media:narrator"})


def _smil(document: str, cues: list[dict]) -> str:
    pars = "\n".join(
        f'<par id="par-{number}"><text src="{document}#{cue["id"]}"/>'
        f'<audio src="{AUDIO_FILE}" clipBegin="{cue["start"]:.3f}s" clipEnd="{cue["end"]:.3f}s"/></par>'
        for number, cue in enumerate(cues, start=1)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<smil xmlns="http://www.w3.org/ns/SMIL" xmlns:epub="http://www.idpf.org/2007/ops" version="3.0">\n'
        f'<body>\n<seq id="seq-1" epub:textref="{document}">\n{pars}\n</seq>\n</body>\n</smil>\n'
    )
