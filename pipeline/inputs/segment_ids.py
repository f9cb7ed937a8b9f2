"""Segment ids: made from a segment's role and text, so that they stay the same when other
paragraphs change (a translation follows its sentence), unique within an article."""

from __future__ import annotations

import hashlib

from pipeline.core.document import Inline, Segment
from pipeline.inputs.placeholders import normalize_inlines, to_message

_ID_PREFIX = {
    "title": "title",
    "summary": "summary",
    "category": "cat",
    "heading": "h",
    "paragraph": "p",
    "list item": "li",
    "quotation": "q",
    "attribution": "qa",
    "image description": "alt",
    "image caption": "cap",
    "related reading": "rel",
}


class SegmentIds:
    """Ids from the source text: stable when other paragraphs change, unique in an article."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def make(self, role: str, inlines: tuple[Inline, ...], line: int) -> Segment:
        inlines = normalize_inlines(inlines)
        message, _ = to_message(inlines)
        digest = hashlib.sha1(f"{role}\0{message}".encode()).hexdigest()[:8]
        base = f"{_ID_PREFIX[role]}-{digest}"
        count = self.seen.get(base, 0) + 1
        self.seen[base] = count
        return Segment(id=base if count == 1 else f"{base}-{count}", role=role, inlines=inlines, line=line)
