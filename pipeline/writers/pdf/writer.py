"""The large-print PDF handout: the shared HTML + print CSS, rendered by WeasyPrint as PDF/UA-1.

Per language, from the locale facts: page size, typeface and line height, and the
"Page 2 of 4" footer in the handout's language and digits. Before rendering, every
character is checked against the language's fonts (a gap is an error naming the
character, never a box on paper). WeasyPrint tags the document; one addition here:
elements whose `lang` differs from the document's (the English half of the review
notice) get their own /Lang in the structure tree, which WeasyPrint does not do.
"""

from __future__ import annotations

import hashlib
import json
from pipeline.core.machine import package_version

from lxml import html as lxml_html

from pipeline.core.errors import RenderError, UnsafeResourceError
from pipeline.writers.common.fetcher import PIPELINE_ASSETS, weasyprint_fetcher
from pipeline.writers.common.fonts import check_coverage, font_config, font_identities, require_fonts
from pipeline.core.locales import PAPER_SIZES, facts_for
from pipeline.core.job import CLINIC_LOGO_RESOURCE, Job
from pipeline.writers.common import clinic
from pipeline.writers.base import PAGES_SUFFIX, Writer
from pipeline.writers.common.line_breaks import mark_breaks
from pipeline.writers.common.templates import render_template, stylesheet
from pipeline.writers.pdf.tags import LINK_TEXT_KEY, NODE_KEY, Shaping, repair

# Blocks whose text a screen reader gets as /ActualText where glyph order is not text order.
TEXT_BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "figcaption", "dt", "dd"}


def _logical_text(element) -> str:
    """An element's text as written (the zero-width spaces of line breaking left out)."""
    return " ".join("".join(element.itertext()).replace("\u200b", "").split())


# The artifact the EPUB writer reads: where each printed page starts.
PAGE_PLACEHOLDER = "\x00page\x00"
PAGES_PLACEHOLDER = "\x00pages\x00"


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\a ") + '"'


def page_label_css(job: Job) -> str:
    """`content:` for the footer: the translated 'Page %(page)s of %(pages)s' as CSS."""
    label = job.ui.gettext("Page %(page)s of %(pages)s", page=PAGE_PLACEHOLDER, pages=PAGES_PLACEHOLDER)
    style = job.facts.counter_style
    parts: list[str] = []
    for piece in label.replace(PAGES_PLACEHOLDER, "\x01pages\x01").replace(PAGE_PLACEHOLDER, "\x01page\x01").split("\x01"):
        if piece in ("page", "pages"):
            parts.append(f"counter({piece}, {style})")
        elif piece:
            parts.append(_css_string(piece))
    return " ".join(parts)


WIDE_SCRIPTS = ("Hans", "Hant", "Kore", "Jpan")  # a character is as wide as two of a Latin text


def running_title(title: str, wide_script: bool) -> str:
    """The title, cut at a word to fit one 18 pt line at the top of later pages."""
    limit = 22 if wide_script else 42
    if len(title) <= limit:
        return title
    if wide_script:
        return title[: limit - 1] + "…"
    cut = title[:limit].rsplit(" ", 1)[0].rstrip(",;:.-–— ")
    return cut + " …"


def language_css(job: Job) -> str:
    facts = job.facts
    wide = facts.script in WIDE_SCRIPTS
    header = _css_string(running_title(job.article.meta.title.text, wide))
    return (
        f"@page {{ size: {PAPER_SIZES[facts.paper]} portrait;"
        f" @bottom-center {{ content: {page_label_css(job)}; }} }}\n"
        f"@page {{ @top-center {{ content: {header}; }} }}\n"
        f"@page :first {{ @top-center {{ content: none; }} }}\n"
        f"html {{ font-family: {facts.css_font_family}; line-height: {facts.line_height}; }}\n"
        # English inside another script's handout (the review notice) keeps English spacing:
        # Nastaliq's 2.3 would leave wide gaps between its lines.
        f"[lang=\"en\"] {{ line-height: {facts_for('en').line_height}; }}\n"
    )


def handout_html(job: Job) -> str:
    """The HTML the PDF is rendered from (also what `handouts check` compares the tags with)."""
    html = render_template("handout.html.j2", job, media="print", inline_css="", image_src=lambda src: src,
                           clinic=clinic.clinic_block(job, lambda logo: CLINIC_LOGO_RESOURCE), qr=clinic.qr_block(job))
    return mark_breaks(html, job.facts.line_breaks)


class PdfWriter(Writer):
    NAME = "pdf"
    SUFFIXES = (".pdf",)
    ARTIFACTS = (PAGES_SUFFIX,)
    VERSION = "2"
    TEMPLATES = ("handout.html.j2", "blocks.html.j2", "front.html.j2")
    STYLES = ("print.css",)

    def key_parts(self, job: Job) -> dict[str, str]:
        return {"fonts": font_identities(job.facts), "weasyprint": package_version("weasyprint"),
                **clinic.key_parts(job)}

    def write(self, job: Job) -> dict[str, bytes]:
        from weasyprint import CSS, HTML
        from weasyprint.urls import FatalURLFetchingError

        source_url = job.source_folder.resolve().as_uri() + "/"
        html = handout_html(job)
        visible = lxml_html.document_fromstring(html.encode("utf-8")).find("body").text_content()
        footer = job.ui.gettext("Page %(page)s of %(pages)s", page=job.facts.format_number(1234567890),
                                pages=job.facts.format_number(1234567890))
        check_coverage(visible + footer, job.facts, f"{job.stem}.pdf")

        fetcher = weasyprint_fetcher((PIPELINE_ASSETS,), job.resources, job.source_folder)
        document = HTML(string=html, base_url=source_url, url_fetcher=fetcher)
        stylesheets = [CSS(string=stylesheet("print.css"), font_config=font_config()),
                       CSS(string=language_css(job), font_config=font_config())]
        identifier = hashlib.sha256(f"{job.stem}:{job.source_version}:{job.catalog_version}".encode()).hexdigest()[:32]
        options = {"stylesheets": stylesheets, "pdf_variant": "pdf/ua-1",
                   "pdf_identifier": identifier.encode("ascii"), "uncompressed_pdf": False}
        try:
            with _tag_hints(job.facts.tag, actual_text=job.facts.complex_shaping):
                rendered = document.render(font_config=font_config(), **options)
                data = rendered.write_pdf(**{k: v for k, v in options.items() if k != "stylesheets"})
        except FatalURLFetchingError as error:
            cause = error.__cause__
            if isinstance(cause, UnsafeResourceError):
                raise UnsafeResourceError(cause.what, file=job.article.source_path, hint=cause.hint) from None
            raise RenderError(f"could not fetch a resource: {error}", file=job.article.source_path) from None
        if not data:
            raise RenderError("WeasyPrint produced an empty PDF", file=job.article.source_path)
        return {".pdf": repair(data, _shaping(job, len(rendered.pages))), PAGES_SUFFIX: page_starts(rendered, html)}


def _shaping(job: Job, page_count: int) -> Shaping | None:
    """Where glyphs are not characters, what tags.repair needs to give them their text
    (text_maps.py, glyph_codes.py): the font files, the language, and the texts drawn
    outside the blocks (page numbers, running title); `by_occurrence` for Nastaliq."""
    if not job.facts.complex_shaping:
        return None
    pages = [job.facts.format_number(n) for n in range(1, page_count + 1)]
    texts = [job.ui.gettext("Page %(page)s of %(pages)s", page=page, pages=pages[-1]) for page in pages]
    texts.append(running_title(job.article.meta.title.text, job.facts.script in WIDE_SCRIPTS))
    fonts = [(face.path, face.index) for face in require_fonts(job.facts)]
    return Shaping(fonts, job.facts.tag, texts, by_occurrence=job.facts.is_rtl)


def page_starts(rendered, html: str) -> bytes:
    """For each page, the ids of the elements that start on it, in document order (`first`
    is the first of them): where the EPUB places that page's break marker. A page on which
    no element with an id starts has `first` of the next page that has one."""
    order = [element.get("id") for element in lxml_html.document_fromstring(html.encode("utf-8")).iter()
             if isinstance(element.tag, str) and element.get("id")]
    position = {anchor: index for index, anchor in enumerate(order)}
    seen: set[str] = set()
    starting: list[list[str]] = []
    for page in rendered.pages:
        starting.append(sorted((a for a in page.anchors if a in position and a not in seen), key=position.get))
        seen.update(page.anchors)
    firsts: list[str | None] = [ids[0] if ids else None for ids in starting]
    for number in range(len(firsts) - 2, -1, -1):
        firsts[number] = firsts[number] or firsts[number + 1]
    pages = [{"page": number, "first": first, "ids": ids}
             for number, (first, ids) in enumerate(zip(firsts, starting), start=1)]
    return json.dumps({"pages": pages}, indent=1).encode("utf-8")


class _tag_hints:
    """While rendering, wrap WeasyPrint's `weasyprint.pdf.tags._build_box_tree` (which maps
    HTML boxes to PDF structure elements) to add what WeasyPrint 70 does not:

    - /Lang on elements whose `lang` differs from the document's (the English half of
      the review notice);
    - the hints `pdf_tags.repair` needs: which HTML element made each structure
      element (to merge the fragments of an element split by a page or line break),
      and the text of each link (for its annotation's /Contents).

    Tests assert the result, so a WeasyPrint change that breaks this shows up.
    """

    def __init__(self, document_language: str, actual_text: bool = False) -> None:
        self.document_language = document_language
        self.actual_text = actual_text

    def __enter__(self):
        import pydyf
        from weasyprint.pdf import tags

        original = tags._build_box_tree
        document_language = self.document_language
        actual_text = self.actual_text
        nodes: dict[int, int] = {}

        def build_box_tree(box, *args, **kwargs):
            for element in original(box, *args, **kwargs):
                source = getattr(getattr(box, "_box", box), "element", None)
                if source is not None:
                    language = source.get("lang")
                    if language and language != document_language and "Lang" not in element:
                        element["Lang"] = pydyf.String(language)
                    element[NODE_KEY[1:]] = nodes.setdefault(id(source), len(nodes) + 1)
                    if actual_text and source.tag in TEXT_BLOCKS and not source.findall(".//ul") \
                            and not source.findall(".//ol"):
                        element["ActualText"] = pydyf.String(_logical_text(source))
                    if element["S"] == "/Link" and source.tag == "a":
                        element[LINK_TEXT_KEY[1:]] = pydyf.String(" ".join("".join(source.itertext()).split()))
                yield element

        self.original = original
        tags._build_box_tree = build_box_tree
        return self

    def __exit__(self, *exc_info):
        from weasyprint.pdf import tags

        tags._build_box_tree = self.original
        return False


WRITER = PdfWriter
