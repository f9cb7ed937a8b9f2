"""Found, not guessed: property-based tests (Hypothesis) on the reader and the catalogs, and
fuzzing of the Markdown reader and the PO loader.

The fuzz tests run a bounded number of examples in the suite; `HANDOUTS_FUZZ_MINUTES=5`
(see README, "Fuzzing") makes them run for minutes. What they found is kept below as
regression tests.
"""

from __future__ import annotations

import os
import re

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html

from pipeline.inputs.catalogs import parse_catalog, render_catalog
from pipeline.core.document import Paragraph
from pipeline.core.errors import CatalogError, HandoutsError, SourceError
from pipeline.inputs.sources import parse_article
from pipeline.inputs.translate import template_for, translate

from conftest import identity_catalog

FUZZ_MINUTES = float(os.environ.get("HANDOUTS_FUZZ_MINUTES", "0"))
# About 80,000 reader or PO inputs a minute on the benchmark machine (2 cores).
FUZZ = settings(max_examples=int(FUZZ_MINUTES * 80_000) or 300, deadline=None,
                suppress_health_check=list(HealthCheck))

FRONT = "---\ntitle: T\nlanguage: en\n---\n\n"

# --- generated documents in the source format --------------------------------------------

words = st.text(alphabet=st.sampled_from(list("abcdefghijklmnopqrstuvwxyzé çñ中文عربي{}0123456789.,;:?!'\"()-")),
                min_size=1, max_size=25).map(lambda s: s.strip()).filter(
    lambda s: s and not s.startswith(("-", "#", ">", "+")) and not re.match(r"^\d+[.)]", s))


@st.composite
def inline_text(draw):
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["plain", "plain", "strong", "em", "link"]))
        text = draw(words)
        if kind == "strong":
            parts.append(f"**{text}**")
        elif kind == "em":
            parts.append(f"*{text}*")
        elif kind == "link":
            parts.append(f"[{text}](https://example.org/{draw(st.integers(0, 99))})")
        else:
            parts.append(text)
    return " ".join(parts)


@st.composite
def documents(draw):
    blocks = []
    level = 1
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["heading", "paragraph", "bullets", "numbers", "quote"]))
        if kind == "heading":
            level = draw(st.integers(2, min(4, level + 1)))
            blocks.append("#" * level + " " + draw(words))
        elif kind == "paragraph":
            blocks.append(draw(inline_text()))
        elif kind in ("bullets", "numbers"):
            items = draw(st.lists(inline_text(), min_size=1, max_size=4))
            marker = (lambda n: "-") if kind == "bullets" else (lambda n: f"{n}.")
            blocks.append("\n".join(f"{marker(n + 1)} {item}" for n, item in enumerate(items)))
        else:
            quote = draw(inline_text())
            attribution = draw(st.booleans())
            blocks.append(f"> {quote}" + (f"\n>\n> — {draw(words)}" if attribution else ""))
    return FRONT + "\n\n".join(blocks) + "\n"


@given(documents())
@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
def test_any_document_survives_extract_identity_catalog_apply(text):
    try:
        article = parse_article(text, slug="generated", shown_path="generated.md", folder=None)
    except SourceError:
        assume(False)
    again = translate(article, identity_catalog(article), "es", "identity.po")
    assert again.in_language(article.meta.language) == article


PARAGRAPH = FRONT + "Read **this** and the [clinic guide](https://example.org/guide) *today*.\n"


@given(st.text(max_size=200))
@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@example("<script>alert(1)</script>")
@example("{1}x{/1} <b onclick=alert(1)>y</b> {2}z{/2} {3}w{/3}")
@example("{1}<img src=x onerror=alert(1)>{/1}{2}{/2}{3}javascript:alert(1){/3}")
@example("{1}a{/1}{2}b{/2}{3}c{/3} &lt;i&gt; &#60;script&#62;")
def test_arbitrary_translation_text_never_becomes_markup(translation):
    from pipeline.core.locales import facts_for
    from pipeline.core.uitext import UiText
    from pipeline.core.job import Job
    from pipeline.writers.common.templates import render_template

    article = parse_article(PARAGRAPH, slug="x", shown_path="x.md", folder=None)
    catalog = identity_catalog(article)
    paragraph = next(b for b in article.blocks if isinstance(b, Paragraph))
    message_id = next(m.id for m in template_for(article) if m.context == "paragraph")
    catalog.get(message_id, context="paragraph").string = translation
    try:
        translated = translate(article, catalog, "es", "es.po")
    except CatalogError:
        return  # refused: that is allowed
    job = Job(article=translated, facts=facts_for("es"), ui=UiText("en"), config=None, source_folder=None)
    page = lxml_html.document_fromstring(render_template("handout.html.j2", job, media="screen", inline_css="",
                                                         image_src=lambda s: s, review_date=""))
    element = page.get_element_by_id(paragraph.segment.id)
    assert {child.tag for child in element.iterdescendants()} <= {"strong", "em", "a"}
    assert [a.get("href") for a in element.iter("a")] in ([], ["https://example.org/guide"])
    assert not page.xpath("//script") and not page.xpath("//*[@onclick or @onerror]")


# --- fuzzing: whatever comes in, the answer is one clear error or a document ---------------


markdown_noise = st.text(alphabet=st.sampled_from(list("#*_-+>[]()!`<>/\\|:\n \t0123456789aé中ع{}\"'=&;")),
                        max_size=600)
front_matter_noise = st.dictionaries(
    st.sampled_from(["title", "language", "authors", "reviewers", "updated", "categories", "summary", "related", "x"]),
    st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20)),
                 lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                 max_leaves=6),
    max_size=6,
)


@given(st.one_of(
    st.text(max_size=2000),
    markdown_noise.map(lambda body: FRONT + body),
    st.tuples(front_matter_noise, markdown_noise).map(
        lambda pair: "---\n" + __import__("yaml").safe_dump(pair[0], allow_unicode=True) + "---\n\n" + pair[1]),
))
@FUZZ
@example("---\ntitle: T\nlanguage: en\nupdated: 2020-13-45\n---\n\nx")  # found: ValueError from YAML dates
@example("---\ntitle: [\n---\n")
@example("---\n- a list\n---\n\nx")
@example("---\ntitle: T\nlanguage: en\nreviewers: [{name: }]\n---\n\nx")
@example("---\ntitle: T\nlanguage: en\n---\n\n![x](<>)")
def test_reader_fuzz_never_crashes(text):
    try:
        parse_article(text, slug="fuzz", shown_path="fuzz.md", folder=None)
    except HandoutsError as error:
        assert "\n" not in error.one_line()


@st.composite
def po_files(draw):
    pieces = ['msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n']
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(["entry", "fuzzy", "context", "garbage", "plural", "obsolete", "previous"]))
        text = draw(st.text(max_size=30)).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        if kind == "entry":
            pieces.append(f'msgid "{text}"\nmsgstr "{text[::-1]}"\n\n')
        elif kind == "fuzzy":
            pieces.append(f'#, fuzzy\nmsgid "{text}"\nmsgstr "x"\n\n')
        elif kind == "context":
            pieces.append(f'msgctxt "paragraph"\nmsgid "{text}"\nmsgstr ""\n\n')
        elif kind == "plural":
            pieces.append(f'msgid "{text}"\nmsgid_plural "{text}s"\nmsgstr[0] "a"\nmsgstr[3] "b"\n\n')
        elif kind == "obsolete":
            pieces.append(f'#~ msgid "{text}"\n#~ msgstr "y"\n\n')
        elif kind == "previous":
            pieces.append(f'#, fuzzy\n#| msgid "{text}"\nmsgid "{text}!"\nmsgstr "z"\n\n')
        else:
            pieces.append(draw(st.text(max_size=40)) + "\n")
    return "".join(pieces)


@given(st.one_of(po_files(), st.text(max_size=500)))
@FUZZ
@example('msgid "a"\nmsgstr "b"\nmsgid "a"\nmsgstr "c"\n')  # a duplicate
@example('msgid "a"\nmsgstr[0] "b"\n')
@example('msgid "a" "b\nmsgstr "c"\n')
@example('"X-Review-Status: reviewed\\n"\n')
def test_po_loader_fuzz_never_crashes(text):
    try:
        catalog = parse_catalog(text, locale="es", shown="fuzz.po")
    except HandoutsError as error:
        assert "\n" not in error.one_line()
        return
    # What loads survives the way back: written as a PO file (as `extract` writes them) and
    # read again, every entry keeps its context, text, translation and fuzzy flag.
    again = parse_catalog(render_catalog(catalog), locale="es", shown="again.po")
    assert _entries(again) == _entries(catalog)


def _entries(catalog) -> list[tuple]:
    return sorted((m.context or "", str(m.id), str(m.string), m.fuzzy) for m in catalog if m.id)
