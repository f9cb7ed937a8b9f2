"""The narration script: what is spoken, in which order, with which pauses, as data.

Made from the (translated) document model, in the handout's own words: the title,
the unreviewed-translation notice (in the language, then in English with an English
voice) or the translation reviewer's line of a reviewed translation, the byline, every heading, paragraph, list
item, quotation and image description in order, and the related reading at the end.
Each item carries the id of the element it reads, so the timeline can drive MP3
chapters, EPUB media overlays and captions alike. A per-language pronunciation list
(`translations/<lang>/pronunciation.toml`, data, not code) rewrites what engines
misread, in the spoken text only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.core.document import Block, Figure, Heading, Paragraph, walk_blocks
from pipeline.core.job import Job

PAUSE_AFTER_TITLE = 1.0
PAUSE_AFTER_HEADING = 0.8
PAUSE_BETWEEN_PARAGRAPHS = 0.5
PAUSE_BEFORE_SECTION = 0.6

NOTICE_ID = "review-notice"
NOTICE_ENGLISH_ID = "review-notice-en"
BYLINE_ID = "byline"
TRANSLATION_REVIEW_ID = "translation-review"  # who reviewed the translation, when it is reviewed


@dataclass(frozen=True)
class Chapter:
    id: str
    title: str


@dataclass(frozen=True)
class Item:
    """One thing to say: `element_id` is the HTML element it reads aloud."""

    element_id: str
    shown: str  # the text as printed (captions)
    spoken: str  # the text as the engine gets it (pronunciation applied)
    language: str
    pause_after: float
    chapter: Chapter


def narration_script(job: Job) -> list[Item]:
    article = job.article
    meta = article.meta
    ui = job.ui
    language = job.facts.tag
    words = job.pronunciation
    items: list[Item] = []

    def say(element_id: str, text: str, pause: float, chapter: Chapter, lang: str = language,
            spoken: str | None = None) -> None:
        text = " ".join(text.split())
        if text:
            items.append(Item(element_id, text, apply_pronunciation(spoken or text, words if lang == language else {}),
                              lang, pause, chapter))

    intro = Chapter("chapter-intro", meta.title.text)
    say(meta.title.id, meta.title.text, PAUSE_AFTER_TITLE, intro)
    if job.notice:
        say(NOTICE_ID, job.notice.native, PAUSE_BETWEEN_PARAGRAPHS, intro)
        if job.notice.english != job.notice.native:
            say(NOTICE_ENGLISH_ID, job.notice.english, PAUSE_BETWEEN_PARAGRAPHS, intro, lang="en")
    from pipeline.writers.common.byline import byline, translation_review_line

    reviewed = translation_review_line(job)  # where the notice of a draft stands
    if reviewed:
        say(TRANSLATION_REVIEW_ID, reviewed, PAUSE_BETWEEN_PARAGRAPHS, intro)
    if meta.summary:
        say(meta.summary.id, meta.summary.text, PAUSE_BETWEEN_PARAGRAPHS, intro)

    parts = list(byline(job).values())
    if parts:
        say(BYLINE_ID, " · ".join(parts), PAUSE_BEFORE_SECTION, intro, spoken=". ".join(parts) + ".")

    chapter = intro
    for number, (heading, blocks) in enumerate(article.sections(), start=1):
        if heading is not None:
            chapter = Chapter(f"chapter-{number:02d}", heading.segment.text)
            say(heading.segment.id, heading.segment.text, PAUSE_AFTER_HEADING, chapter)
        _blocks(blocks, chapter, say, ui)
        if items:
            items[-1] = _with_pause(items[-1], PAUSE_BEFORE_SECTION)

    if meta.related:
        related = Chapter("chapter-related", ui.gettext("Related reading"))
        say("related-reading", related.title, PAUSE_AFTER_HEADING, related)
        for segment in meta.related:
            say(segment.id, segment.text, PAUSE_BETWEEN_PARAGRAPHS, related)
    return items


def _blocks(blocks: tuple[Block, ...], chapter: Chapter, say, ui) -> None:
    for block in walk_blocks(blocks):
        if isinstance(block, (Heading, Paragraph)):
            pause = PAUSE_AFTER_HEADING if isinstance(block, Heading) else PAUSE_BETWEEN_PARAGRAPHS
            say(block.segment.id, block.segment.text, pause, chapter)
        elif isinstance(block, Figure):
            description = ui.gettext("Image: %(description)s", description=block.alt.text)
            say(block.alt.id, description, PAUSE_BETWEEN_PARAGRAPHS, chapter)
            if block.caption:
                say(block.caption.id, block.caption.text, PAUSE_BETWEEN_PARAGRAPHS, chapter)


def _with_pause(item: Item, pause: float) -> Item:
    from dataclasses import replace

    return replace(item, pause_after=max(item.pause_after, pause))


# --- pronunciation ------------------------------------------------------------------


def apply_pronunciation(text: str, words: dict[str, str]) -> str:
    """Replace whole words only, longest first (so 'MRIs' wins over 'MRI'). A Latin
    abbreviation is a word even next to Chinese characters ('CT扫描')."""
    for written in sorted(words, key=len, reverse=True):
        edge = "[A-Za-z0-9]" if written.isascii() else r"\w"
        text = re.sub(rf"(?<!{edge}){re.escape(written)}(?!{edge})", words[written], text)
    return text
