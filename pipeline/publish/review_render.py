"""A review sheet as HTML (for the browser) and as a large-print PDF (WeasyPrint).

The same template for both (`templates/review/sheet.html.j2`, `styles/review.css`): the
English source and the translation side by side, each in its own language's typeface and
direction from the locale facts, 18 pt and up in print on landscape paper. Every text is
escaped; markup comes only from review_marks.py (hedges, changes).
"""

from __future__ import annotations

from markupsafe import Markup, escape

from pipeline.core.errors import RenderError
from pipeline.core.locales import PAPER_SIZES, LocaleFacts, facts_for
from pipeline.publish.review_marks import diff_html, hedges_in, mark_hedges
from pipeline.publish.review_sheets import STATUS_WORDS
from pipeline.writers.common.line_breaks import mark_text


def sheet_html(sheet: dict, facts: LocaleFacts, *, media: str) -> str:
    """The sheet as a page; `media` 'print' prepares it for the PDF (line-break marks)."""
    from pipeline.writers.common.templates import environment, stylesheet

    source_facts = facts_for(sheet["source_language"])
    breaks = facts.line_breaks if media == "print" else ""
    rows = [_row(segment, sheet["source_language"], breaks) for segment in sheet["segments"]]
    css = stylesheet("review.css") + _language_css(source_facts, facts, sheet["digest"])
    return environment().get_template("review/sheet.html.j2").render(
        sheet=sheet, rows=rows, facts=facts, source_facts=source_facts, css=Markup(css),
        digest_groups=" ".join(sheet["digest"][i:i + 8] for i in range(0, len(sheet["digest"]), 8)),
        fuzzy_or_untranslated=sum(1 for s in sheet["segments"] if s["status"] in ("fuzzy", "untranslated")),
        media=media)


def _row(segment: dict, source_language: str, breaks: str) -> dict:
    """What the template needs of one segment: its texts marked, its changes as diffs."""
    translation = mark_text(segment["translation"], breaks) if breaks else segment["translation"]
    changed = segment["status"] in ("changed", "fuzzy")
    before_source, before_translation = segment.get("previous_source"), segment.get("previous_translation")
    return {
        **segment,
        "status_words": STATUS_WORDS.get(segment["status"], segment["status"]),
        "source_html": mark_hedges(segment["source"], source_language),
        "translation_html": escape(translation) if translation else Markup("<em>(not translated)</em>"),
        "hedges": [words for words, kind in hedges_in(segment["source"], source_language) if kind == "hedge"],
        "firm": [words for words, kind in hedges_in(segment["source"], source_language) if kind == "firm"],
        "changed": changed,
        "source_diff": _diff_or_note(before_source, segment["source"], changed),
        "translation_diff": _diff_or_note(before_translation, translation, changed),
    }


def _diff_or_note(before: str | None, after: str, changed: bool) -> Markup | None:
    if not changed:
        return None
    if before is None:
        return Markup("<em>(the text as approved is not on file: compare with the whole text above)</em>")
    if before == after:
        return Markup("<em>(unchanged since the approval)</em>")
    return diff_html(before, after)


def _language_css(source: LocaleFacts, target: LocaleFacts, digest: str) -> str:
    paper = PAPER_SIZES.get(target.paper, PAPER_SIZES["letter"])
    return (
        f"\n@page {{ size: {paper} landscape; @bottom-left {{ content: \"Review sheet {digest[:12]}\"; }} }}\n"
        f"html, .source {{ font-family: {source.css_font_family}; line-height: {source.line_height}; }}\n"
        f".translation {{ font-family: {target.css_font_family}; line-height: {target.line_height}; }}\n"
    )


def sheet_pdf(html: str, facts: LocaleFacts, where: str) -> bytes:
    """The print sheet; a character none of the language's fonts has is an error naming it."""
    from weasyprint import CSS, HTML

    from pipeline.writers.common.fetcher import PIPELINE_ASSETS, weasyprint_fetcher
    from pipeline.writers.common.fonts import check_coverage, font_config

    from lxml import html as lxml_html

    texts = " ".join(cell.text_content() for cell in lxml_html.document_fromstring(html.encode("utf-8"))
                     .find_class("translation"))
    check_coverage(texts, facts, where)
    document = HTML(string=html, base_url=PIPELINE_ASSETS.as_uri() + "/",
                    url_fetcher=weasyprint_fetcher((PIPELINE_ASSETS,)))
    data = document.write_pdf(font_config=font_config(), pdf_variant="pdf/ua-1",
                              stylesheets=[CSS(string="", font_config=font_config())])
    if not data:
        raise RenderError("WeasyPrint produced an empty review sheet", file=where)
    return data
