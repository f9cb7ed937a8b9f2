"""The document model: one article, in one language, as plain immutable data.

Every reader produces it and every writer consumes it (the pandoc/docutils lesson):
nothing downstream of `sources.py` parses Markdown, and nothing here knows about
PDF, EPUB or audio. Each translatable unit is a `Segment` with a stable id that is
the same in every language, so the HTML element ids, the narration timeline and
the media overlays of all translations line up.
"""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass, field
from typing import Callable, Iterator, Union


# --- inline spans -------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Strong:
    children: tuple["Inline", ...]


@dataclass(frozen=True)
class Emphasis:
    children: tuple["Inline", ...]


@dataclass(frozen=True)
class Link:
    href: str
    children: tuple["Inline", ...]


@dataclass(frozen=True)
class LineBreak:
    pass


Inline = Union[Text, Strong, Emphasis, Link, LineBreak]
CONTAINER_SPANS = (Strong, Emphasis, Link)


def plain_text(inlines: tuple[Inline, ...]) -> str:
    """The words of a run of inlines without their markup (for narration, checks, ids)."""
    parts: list[str] = []
    for span in inlines:
        if isinstance(span, Text):
            parts.append(span.text)
        elif isinstance(span, LineBreak):
            parts.append("\n")
        else:
            parts.append(plain_text(span.children))
    return "".join(parts)


# --- segments -----------------------------------------------------------------------

@dataclass(frozen=True)
class Segment:
    """One translatable unit. `id` is stable across languages; `line` is in the source."""

    id: str
    role: str
    inlines: tuple[Inline, ...]
    line: int = 0

    @property
    def text(self) -> str:
        return plain_text(self.inlines)


# --- blocks -------------------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    level: int  # 2..4; level 1 is the article title
    segment: Segment


@dataclass(frozen=True)
class Paragraph:
    segment: Segment


@dataclass(frozen=True)
class ListItem:
    blocks: tuple["Block", ...]


@dataclass(frozen=True)
class ListBlock:
    ordered: bool
    items: tuple[ListItem, ...]
    start: int = 1


@dataclass(frozen=True)
class Quote:
    """A block quote; `attribution` holds the paragraphs from the one starting with '—'."""

    blocks: tuple["Block", ...]
    attribution: tuple[Paragraph, ...] = ()


@dataclass(frozen=True)
class Figure:
    src: str  # a file next to the article
    alt: Segment
    caption: Segment | None = None


Block = Union[Heading, Paragraph, ListBlock, Quote, Figure]


# --- the article --------------------------------------------------------------------


@dataclass(frozen=True)
class Reviewer:
    name: str
    credentials: str = ""

    @property
    def display(self) -> str:
        return f"{self.name} {self.credentials}".strip()


@dataclass(frozen=True)
class Metadata:
    title: Segment
    language: str  # BCP 47 tag of the text as it stands now
    source_language: str  # BCP 47 tag of the reviewed source
    authors: tuple[str, ...] = ()
    reviewers: tuple[Reviewer, ...] = ()
    updated: datetime.date | None = None
    categories: tuple[Segment, ...] = ()
    summary: Segment | None = None
    related: tuple[Segment, ...] = ()


@dataclass(frozen=True)
class Article:
    slug: str
    source_path: str  # relative to the project root, for messages and references
    meta: Metadata
    blocks: tuple[Block, ...] = field(default_factory=tuple)

    def segments(self) -> Iterator[Segment]:
        """Every translatable unit, in reading order: front matter first, then the body."""
        yield self.meta.title
        if self.meta.summary is not None:
            yield self.meta.summary
        yield from self.meta.categories
        yield from _block_segments(self.blocks)
        yield from self.meta.related

    def reading_order(self) -> Iterator[Segment]:
        """The visible segments in the order every handout presents them: title, summary,
        body, related reading, and the topics in the closing notes (alt text is not shown)."""
        yield self.meta.title
        if self.meta.summary is not None:
            yield self.meta.summary
        yield from (s for s in _block_segments(self.blocks) if s.role != "image description")
        yield from self.meta.related
        yield from self.meta.categories

    def body_segments(self) -> Iterator[Segment]:
        yield from _block_segments(self.blocks)

    def sections(self) -> list[tuple[Heading | None, tuple[Block, ...]]]:
        """The body cut at each level-2 heading: (heading, blocks after it up to the next)."""
        sections: list[tuple[Heading | None, list[Block]]] = []
        for block in self.blocks:
            if isinstance(block, Heading) and block.level == 2:
                sections.append((block, []))
            elif sections:
                sections[-1][1].append(block)
            else:
                sections.append((None, [block]))
        return [(heading, tuple(blocks)) for heading, blocks in sections]

    def map_segments(self, change: Callable[[Segment], Segment]) -> "Article":
        """A copy with every segment replaced by `change(segment)` (how translation is applied)."""
        meta = self.meta
        new_meta = dataclasses.replace(
            meta,
            title=change(meta.title),
            summary=change(meta.summary) if meta.summary is not None else None,
            categories=tuple(change(s) for s in meta.categories),
            related=tuple(change(s) for s in meta.related),
        )
        return dataclasses.replace(self, meta=new_meta, blocks=_map_blocks(self.blocks, change))

    def in_language(self, language: str) -> "Article":
        return dataclasses.replace(self, meta=dataclasses.replace(self.meta, language=language))


def walk_blocks(blocks: tuple[Block, ...]) -> Iterator[Block]:
    """Every block in reading order, nested ones right after their container: list
    items' blocks, then a quote's blocks and its attribution."""
    for block in blocks:
        yield block
        if isinstance(block, ListBlock):
            for item in block.items:
                yield from walk_blocks(item.blocks)
        elif isinstance(block, Quote):
            yield from walk_blocks(block.blocks)
            yield from walk_blocks(block.attribution)


def _block_segments(blocks: tuple[Block, ...]) -> Iterator[Segment]:
    for block in walk_blocks(blocks):
        if isinstance(block, (Heading, Paragraph)):
            yield block.segment
        elif isinstance(block, Figure):
            yield block.alt
            if block.caption is not None:
                yield block.caption


def _map_blocks(blocks: tuple[Block, ...], change: Callable[[Segment], Segment]) -> tuple[Block, ...]:
    mapped: list[Block] = []
    for block in blocks:
        if isinstance(block, (Heading, Paragraph)):
            mapped.append(dataclasses.replace(block, segment=change(block.segment)))
        elif isinstance(block, ListBlock):
            items = tuple(ListItem(_map_blocks(item.blocks, change)) for item in block.items)
            mapped.append(dataclasses.replace(block, items=items))
        elif isinstance(block, Quote):
            attribution = tuple(
                Paragraph(change(p.segment)) for p in block.attribution
            )
            mapped.append(Quote(_map_blocks(block.blocks, change), attribution))
        elif isinstance(block, Figure):
            caption = change(block.caption) if block.caption is not None else None
            mapped.append(dataclasses.replace(block, alt=change(block.alt), caption=caption))
    return tuple(mapped)
