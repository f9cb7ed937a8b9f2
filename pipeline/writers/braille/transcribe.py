"""The article as a transcriber lays it out in braille: blocks of print text, each with its
place on the line, before any translation to cells.

The formats follow BANA's *Braille Formats* (2016), applied to every language: a title
page of centred lines; the title centred again where the text begins; headings at cell 5
(level 2) and cell 7 (levels 3 and 4) with a blank line before; paragraphs 3-1 (first
line in cell 3, runovers in cell 1); lists 1-3, nested 3-5 and 5-7, with their markers
and a blank line around the list; quotations set off by blank lines; what the transcriber
adds (an image's description, a link's address, given once) as a transcriber's note in
7-5, enclosed in the code's note indicators where it has them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.core.document import (Emphasis, Figure, Heading, Inline, LineBreak, Link, ListBlock, Paragraph,
                                    Quote, Segment, Strong, Text)
from pipeline.core.job import Job
from pipeline.core.uitext import BRAILLE_IMAGE, BRAILLE_NOTE, BRAILLE_PAGES, BRAILLE_VOLUME, CLINIC_QUESTIONS
from pipeline.writers.braille.louis import BOLD, ITALIC


@dataclass(frozen=True)
class Piece:
    """A run of print text and its emphasis (liblouis typeform bits)."""

    text: str
    emphasis: int = 0


@dataclass(frozen=True)
class Block:
    """One block of print text and its braille format. `lines` are cut where the print has a
    hard line break; `where` names it in messages (segment id and source line)."""

    lines: tuple[tuple[Piece, ...], ...]
    where: str
    first: int = 3  # the cell (1-40) the first line starts in
    runover: int = 1  # the cell every other line starts in
    centered: bool = False
    blank_before: bool = False
    blank_after: bool = False
    heading: bool = False  # kept on a page with the line that follows it
    note: bool = False  # a transcriber's note


@dataclass
class _Transcriber:
    job: Job
    note_marks: tuple[str, str] | None
    bullet: str
    blocks: list[Block] = field(default_factory=list)
    noted: set[str] = field(default_factory=set)  # link addresses already given in a note

    def add(self, block: Block) -> None:
        self.blocks.append(block)

    def note(self, text: str, where: str) -> None:
        """A transcriber's note in 7-5, in the code's indicators or under the words 'Transcriber's note'."""
        if self.note_marks is None:
            text = self.job.ui.gettext(BRAILLE_NOTE, note=text)
        self.add(Block(((Piece(text),),), where, first=7, runover=5, note=self.note_marks is not None))


def where(segment: Segment) -> str:
    return f"segment {segment.id}" + (f" (source line {segment.line})" if segment.line else "")


def pieces(inlines: tuple[Inline, ...], emphasis: int = 0) -> list[Piece | None]:
    """Print runs with their emphasis; None where the print breaks the line."""
    found: list[Piece | None] = []
    for span in inlines:
        if isinstance(span, Text):
            found.append(Piece(span.text, emphasis))
        elif isinstance(span, LineBreak):
            found.append(None)
        elif isinstance(span, Strong):
            found += pieces(span.children, emphasis | BOLD)
        elif isinstance(span, Emphasis):
            found += pieces(span.children, emphasis | ITALIC)
        elif isinstance(span, Link):
            found += pieces(span.children, emphasis)
    return found


def lines_of(inlines: tuple[Inline, ...], prefix: str = "") -> tuple[tuple[Piece, ...], ...]:
    lines: list[list[Piece]] = [[Piece(prefix)] if prefix else []]
    for piece in pieces(inlines):
        if piece is None:
            lines.append([])
        elif piece.text:
            lines[-1].append(piece)
    return tuple(tuple(line) for line in lines if line)


def links_of(inlines: tuple[Inline, ...]) -> list[Link]:
    found: list[Link] = []
    for span in inlines:
        if isinstance(span, Link):
            found.append(span)
        if isinstance(span, (Strong, Emphasis, Link)):
            found += links_of(span.children)
    return found


def link_address(link: Link) -> str | None:
    """What the note gives for a link: its address, without the scheme of mail and phone
    links; None when the link's text already says it (a phone number written out)."""
    from pipeline.core.document import plain_text

    href = link.href
    text = plain_text(link.children)
    if href.startswith("tel:"):
        digits = "".join(c for c in href if c.isdigit())
        return None if digits.endswith("".join(c for c in text if c.isdigit())) and any(
            c.isdigit() for c in text) else href.removeprefix("tel:")
    if href.startswith("mailto:"):
        href = href.removeprefix("mailto:")
    return None if href == text else href


def text_block(t: _Transcriber, segment: Segment, *, first: int, runover: int, prefix: str = "",
               **format_) -> None:
    t.add(Block(lines_of(segment.inlines, prefix), where(segment), first=first, runover=runover, **format_))
    notes = []
    for link in links_of(segment.inlines):
        address = link_address(link)
        if address and address not in t.noted:
            t.noted.add(address)
            from pipeline.core.document import plain_text

            notes.append(f"{plain_text(link.children)}: {address}")
    if notes:
        t.note("; ".join(notes), where(segment))


def transcribe_blocks(t: _Transcriber, blocks, level: int = 0) -> None:
    """Body blocks; `level` is the depth of list nesting (0 outside lists)."""
    for block in blocks:
        if isinstance(block, Heading):
            cell = 5 if block.level == 2 else 7
            text_block(t, block.segment, first=cell, runover=cell, blank_before=True, heading=True)
        elif isinstance(block, Paragraph):
            first, runover = (3, 1) if level == 0 else (2 * level + 1, 2 * level + 1)
            text_block(t, block.segment, first=first, runover=runover)
        elif isinstance(block, ListBlock):
            transcribe_list(t, block, level)
        elif isinstance(block, Quote):
            start = len(t.blocks)
            transcribe_blocks(t, block.blocks, level)
            for paragraph in block.attribution:
                text_block(t, paragraph.segment, first=5, runover=5)
            t.blocks[start] = _with(t.blocks[start], blank_before=True)
            t.blocks[-1] = _with(t.blocks[-1], blank_after=True)
        elif isinstance(block, Figure):
            t.note(t.job.ui.gettext(BRAILLE_IMAGE, description=block.alt.text), where(block.alt))
            if block.caption is not None:
                text_block(t, block.caption, first=7, runover=5)


def transcribe_list(t: _Transcriber, block: ListBlock, level: int) -> None:
    """Items in 1-3 (nested: 3-5, 5-7), each first paragraph after its marker."""
    start = len(t.blocks)
    first, runover = 2 * level + 1, 2 * level + 3
    for number, item in enumerate(block.items, start=block.start):
        marker = f"{t.job.facts.format_number(number)}." if block.ordered else t.bullet
        for index, inner in enumerate(item.blocks):
            if index == 0 and isinstance(inner, Paragraph):
                text_block(t, inner.segment, first=first, runover=runover, prefix=f"{marker} " if marker else "")
            else:
                transcribe_blocks(t, (inner,), level + 1)
    if level == 0 and len(t.blocks) > start:
        t.blocks[start] = _with(t.blocks[start], blank_before=True)
        t.blocks[-1] = _with(t.blocks[-1], blank_after=True)


def _with(block: Block, **changes) -> Block:
    import dataclasses

    return dataclasses.replace(block, **changes)


def _plain(text: str, where_: str, **format_) -> Block:
    return Block(((Piece(text),),), where_, **format_)


def body(job: Job, note_marks: tuple[str, str] | None, bullet: str) -> list[Block]:
    """The text pages: the title centred, the summary, the body, then the back matter."""
    from pipeline.writers.common.byline import byline

    t = _Transcriber(job, note_marks, bullet)
    meta = job.article.meta
    ui = job.ui
    text_block(t, meta.title, first=1, runover=1, centered=True, blank_after=True)
    if meta.summary is not None:
        text_block(t, meta.summary, first=3, runover=1)
    transcribe_blocks(t, job.article.blocks)
    if meta.related:
        t.add(_plain(ui.gettext("Related reading"), "the related reading", first=5, runover=5,
                     blank_before=True, heading=True))
        transcribe_list(t, ListBlock(False, tuple(_item(s) for s in meta.related)), 0)
    t.add(_plain(ui.gettext("About this handout"), "the closing notes", first=5, runover=5, blank_before=True,
                 heading=True))
    facts = list(byline(job).values())
    if meta.categories:
        facts.append(ui.gettext("Topics: %(topics)s", topics=job.facts.format_list([c.text for c in meta.categories])))
    facts += _translation_facts(job)
    for fact in facts:
        t.add(_plain(fact, "the closing notes", first=1, runover=3))
    clinic = job.config.clinic
    if clinic is not None:
        t.add(_plain(clinic.name, "[clinic] name", first=5, runover=5, blank_before=True, heading=True))
        t.add(_plain(ui.gettext(CLINIC_QUESTIONS, clinic=clinic.name, phone=clinic.phone), "[clinic]", first=3,
                     runover=1))
        for value in (clinic.address, clinic.website):
            if value:
                t.add(_plain(value, "[clinic]", first=3, runover=1))
    return t.blocks


def _item(segment: Segment):
    from pipeline.core.document import ListItem

    return ListItem((Paragraph(segment),))


def _translation_facts(job: Job) -> list[str]:
    meta = job.article.meta
    if meta.language == meta.source_language:
        return []
    ui = job.ui
    from pipeline.writers.common.byline import review_date

    found = [ui.gettext("Translated from %(language)s.", language=job.facts.language_name(meta.source_language))]
    if job.review and job.review.reviewed:
        found.append(ui.gettext("Translation reviewed by %(name)s on %(date)s.", name=job.review.reviewer,
                                date=review_date(job)))
    else:
        found.append(ui.gettext("This translation has not yet been reviewed by a qualified medical translator."))
    return found


def title_page(job: Job, *, pages: int, volume: int, volumes: int) -> list[Block]:
    """The transcriber's title page, every line centred: title, authors, reviewer and date,
    the review notice, the clinic, the volume and the number of braille pages."""
    from pipeline.writers.common.byline import byline

    meta = job.article.meta
    ui = job.ui
    parts = byline(job)
    centred = dict(first=1, runover=1, centered=True)
    blocks = [Block(lines_of(meta.title.inlines), where(meta.title), blank_after=True, **centred)]
    for key in ("authors", "reviewed", "updated"):
        if key in parts:
            blocks.append(_plain(parts[key], "the title page", **centred))
    if job.notice:
        blocks.append(_plain(job.notice.native, "the review notice", blank_before=True, **centred))
    clinic = job.config.clinic
    if clinic is not None:
        blocks.append(_plain(clinic.name, "[clinic] name", blank_before=True, **centred))
        blocks.append(_plain(ui.gettext(CLINIC_QUESTIONS, clinic=clinic.name, phone=clinic.phone), "[clinic]",
                             **centred))
    closing = [ui.gettext(BRAILLE_PAGES, count=job.facts.format_number(pages))]
    if volumes > 1:
        closing.insert(0, ui.gettext(BRAILLE_VOLUME, number=job.facts.format_number(volume),
                                     total=job.facts.format_number(volumes)))
    blocks.append(_plain(closing[0], "the title page", blank_before=True, **centred))
    blocks += [_plain(text, "the title page", **centred) for text in closing[1:]]
    return blocks
