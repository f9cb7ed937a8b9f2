"""The Markdown reader: the seed article read faithfully, every contract break refused."""

from __future__ import annotations

import re

import pytest

from pipeline.core.document import Emphasis, Figure, Heading, Link, ListBlock, Paragraph, Quote, Strong
from pipeline.core.errors import SourceError
from pipeline.inputs.sources import read_article

from conftest import REPO, ROOTS, SEED, SLUG

RESIDUE = (
    "Understanding the Difference Between",  # the title, now front matter
    "Medically reviewed",  # byline, now metadata
    "Breast Cancer by the Numbers",  # related article titles
    "How Is Stage 4 Breast Cancer Treated?",
    "VIDEO:",  # the video title, now the quote's attribution
    "Posted in:",  # categories
)


def seed_sentences() -> list[str]:
    sentences: list[str] = []
    for line in SEED.read_text("utf-8").splitlines():
        line = line.replace("•", "").strip()
        if not line or line.startswith(RESIDUE):
            continue
        line = line.replace("Metatstatic", "Metastatic")  # the one allowed spelling fix
        sentences += [s for s in re.split(r'(?<=[.?!:"”])\s+', line) if s]
    return sentences


@pytest.fixture(scope="module")
def article():
    return read_article(REPO / "sources" / f"{SLUG}.md", REPO)


def test_every_seed_sentence_is_kept_word_for_word_and_in_order(article):
    body = " ".join(segment.text for segment in article.body_segments())
    position = 0
    for sentence in seed_sentences():
        found = body.find(sentence, position)
        assert found >= 0, f"lost or reordered: {sentence!r}"
        position = found + len(sentence)


def test_web_page_residue_became_metadata(article):
    meta = article.meta
    assert meta.title.text == "Understanding the Difference Between Invasive and Metastatic Breast Cancer"
    assert meta.authors == ("Ann Pietrangelo",)
    assert [r.display for r in meta.reviewers] == ["Violet Hanft RN"]
    assert meta.updated.isoformat() == "2020-05-29"
    assert [c.text for c in meta.categories] == ["Just Diagnosed", "Medical/Science"]
    assert [r.text for r in meta.related] == [
        "Breast Cancer by the Numbers: Facts and Statistics",
        "How Is Stage 4 Breast Cancer Treated?",
    ]
    headings = [b.segment.text for b in article.blocks if isinstance(b, Heading)]
    assert "Breast Cancer by the Numbers: Facts and Statistics" not in headings
    assert "How are Metastatic and Invasive Cancers Diagnosed?" in headings
    assert len(headings) == 5


def test_video_block_is_a_quoted_testimonial_with_attribution(article):
    quotes = [b for b in article.blocks if isinstance(b, Quote)]
    assert len(quotes) == 1
    quote = quotes[0]
    assert quote.blocks[0].segment.text.startswith('"I\'m a fighter')
    assert quote.attribution[0].segment.text.startswith("— Liz")
    assert "Liz's Breast Cancer Story" in quote.attribution[0].segment.text


def test_segment_ids_are_unique_and_stable(article):
    ids = [s.id for s in article.segments()]
    assert len(ids) == len(set(ids))
    again = read_article(REPO / "sources" / f"{SLUG}.md", REPO)
    assert ids == [s.id for s in again.segments()]


def test_full_syntax_article_uses_every_element():
    article = read_article(ROOTS / "full-syntax" / "sources" / "every-element.md")
    kinds: set[str] = set()

    def walk(blocks):
        for block in blocks:
            kinds.add(type(block).__name__)
            if isinstance(block, Heading):
                kinds.add(f"h{block.level}")
            if isinstance(block, ListBlock):
                kinds.add("ordered" if block.ordered else "bullet")
                for item in block.items:
                    if any(isinstance(b, ListBlock) for b in item.blocks):
                        kinds.add("nested list")
                    walk(item.blocks)
            if isinstance(block, Quote):
                walk(block.blocks)
                if block.attribution:
                    kinds.add("attribution")
            if isinstance(block, (Heading, Paragraph)):
                for span in _spans(block.segment.inlines):
                    kinds.add(type(span).__name__)

    walk(article.blocks)
    assert {"h2", "h3", "h4", "bullet", "ordered", "nested list", "Quote", "attribution", "Figure",
            "Strong", "Emphasis", "Link", "LineBreak"} <= kinds
    figure = next(b for b in article.blocks if isinstance(b, Figure))
    assert figure.alt.text == "A patient and a nurse talking at a desk"
    assert figure.caption.text == "Talking with your nurse"
    assert article.meta.summary is not None and len(article.meta.reviewers) == 2


def _spans(inlines):
    for span in inlines:
        yield span
        if isinstance(span, (Strong, Emphasis, Link)):
            yield from _spans(span.children)


GOOD_FRONT = "---\ntitle: T\nlanguage: en\n---\n"


@pytest.mark.parametrize(
    "text, line, words",
    [
        ("---\nlanguage: en\n---\n\nBody.\n", 2, "required field 'title'"),
        ("---\ntitle: T\nlanguage: en\nupdated: 2020-13-45\n---\n\nBody.\n", 4, "not a date"),
        (GOOD_FRONT + "\n![](picture.png)\n", 6, "without alt text"),
        (GOOD_FRONT + "\nSome <b>bold</b> text.\n", 6, "raw HTML"),
        (GOOD_FRONT + "\n<div>block</div>\n", 6, "raw HTML"),
        (GOOD_FRONT + "\n## Section\n\n#### Too deep\n", 8, "skips from ## to ####"),
        (GOOD_FRONT + "\n### Starts too deep\n", 6, "skips from # to ###"),
        (GOOD_FRONT + "\n# Second title\n", 6, "level-1 heading"),
        (GOOD_FRONT + "\nA [link](javascript:alert(1)) here.\n", 6, "not allowed"),
        ("---\ntitle: [unclosed\nlanguage: en\n---\n\nBody.\n", 3, "broken YAML"),
        ("---\ntitle: T\nlanguage: xx-Nope\n---\n\nBody.\n", 3, "language"),
        ("---\ntitle: T\nlanguage: en\ncolour: red\n---\n\nBody.\n", 4, "unknown front-matter field"),
        ("Body without front matter.\n", 1, "front matter"),
        (GOOD_FRONT, 5, "no body text"),
    ],
)
def test_contract_breaks_are_refused_with_file_and_line(tmp_path, text, line, words):
    path = tmp_path / "article.md"
    path.write_text(text, "utf-8")
    with pytest.raises(SourceError) as caught:
        read_article(path, tmp_path)
    error = caught.value
    assert error.file == "article.md"
    assert error.line == line, error.one_line()
    assert words in error.one_line()
    assert "\n" not in error.one_line()


def test_image_must_exist_next_to_the_article(tmp_path):
    path = tmp_path / "a.md"
    path.write_text(GOOD_FRONT + "\n![A chart](missing.png)\n", "utf-8")
    with pytest.raises(SourceError, match="does not exist"):
        read_article(path, tmp_path)
    path.write_text(GOOD_FRONT + "\n![A chart](../../etc/passwd)\n", "utf-8")
    with pytest.raises(SourceError, match="not a file name next to the article"):
        read_article(path, tmp_path)
