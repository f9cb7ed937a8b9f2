"""The article as semantic, language-tagged HTML: shared by the PDF and EPUB writers.

Jinja2 renders the blocks (templates in `pipeline/templates/`); inline spans are
rendered here, escaping every piece of text, so that whatever a source or a
translation says can only ever be text. Markup comes only from the document model:
<strong>, <em>, <a href> whose address came from the source.
"""

from __future__ import annotations

import functools
from importlib import resources

import jinja2
from markupsafe import Markup, escape

from pipeline.inputs import images
from pipeline.core.document import Emphasis, Inline, LineBreak, Link, Strong, Text
from pipeline.core.job import Job
from pipeline.core.uitext import REVIEWER_WITH_CREDENTIAL, TRANSLATION_REVIEWED
from pipeline.writers import clinic
from pipeline.writers.base import Writer, register

TEMPLATE_PACKAGE = "pipeline.templates"


def render_inlines(inlines: tuple[Inline, ...]) -> Markup:
    parts: list[str] = []
    for span in inlines:
        if isinstance(span, Text):
            parts.append(str(escape(span.text)))
        elif isinstance(span, LineBreak):
            parts.append("<br/>")
        elif isinstance(span, Strong):
            parts.append(f"<strong>{render_inlines(span.children)}</strong>")
        elif isinstance(span, Emphasis):
            parts.append(f"<em>{render_inlines(span.children)}</em>")
        elif isinstance(span, Link):
            parts.append(f'<a href="{escape(span.href)}">{render_inlines(span.children)}</a>')
    return Markup("".join(parts))


@functools.lru_cache(maxsize=None)
def environment() -> jinja2.Environment:
    """One Jinja environment per process; `ui` is passed per render, never global."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pipeline", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.filters["inlines"] = render_inlines
    env.globals["kind"] = lambda block: type(block).__name__
    return env


def render_template(name: str, job: Job, **extra: object) -> str:
    """Render a template with the job's article, locale facts and template words."""
    from pipeline import __version__

    env = environment()
    template = env.get_template(name)
    ui = job.ui
    meta = job.article.meta
    context = {
        "version": __version__,
        "modified": job.modified,
        "source_language_name": job.facts.language_name(meta.source_language),
        "font_css": font_css(job.facts),
        "article": job.article,
        "facts": job.facts,
        "ui": ui,
        "_": ui.markup,
        "gettext": ui.markup,
        "meta": job.article.meta,
        "byline": byline(job),
        "review": job.review,
        "notice": job.notice,
        "image_src": lambda src: src,
        "review_date": review_date(job),
        "translation_review": translation_review_line(job),
        "clinic": None,
        "qr": None,
        **extra,
    }
    return template.render(context)


def byline(job: Job) -> dict[str, str]:
    """'Medically reviewed by … · By … · Updated on …' as separate, translated parts."""
    meta = job.article.meta
    facts = job.facts
    ui = job.ui
    parts: dict[str, str] = {}
    if meta.reviewers:
        parts["reviewed"] = ui.gettext("Medically reviewed by %(names)s",
                                       names=facts.format_list([r.display for r in meta.reviewers]))
    if meta.authors:
        parts["authors"] = ui.gettext("By %(names)s", names=facts.format_list(list(meta.authors)))
    if meta.updated:
        parts["updated"] = ui.gettext("Updated on %(date)s", date=facts.format_date(meta.updated))
    return parts


def review_date(job: Job) -> str:
    """The translation's review date in the handout's date format (as written if not ISO)."""
    import datetime

    if not job.review or not job.review.date:
        return ""
    try:
        return job.facts.format_date(datetime.date.fromisoformat(job.review.date))
    except ValueError:
        return job.review.date


def translation_review_line(job: Job) -> str:
    """'Translation reviewed by Ana García (CMI, Spanish) on 1 May 2024.' in the handout's
    language, for a fully reviewed translation ('' otherwise). A language that has not yet
    translated the newer word for a reviewer and credential gets them in parentheses
    inside the sentence it has."""
    review = job.review
    if review is None or not review.reviewed or not review.approvers:
        return ""
    ui = job.ui
    names = [ui.optional(REVIEWER_WITH_CREDENTIAL, name=a.name, credential=a.credential) or a.display
             for a in review.approvers]
    return ui.gettext(TRANSLATION_REVIEWED, name=job.facts.format_list(names), date=review_date(job))


def font_css(facts) -> str:
    """The typeface and line height of the language, from the locale facts."""
    return (
        f":root {{ --body-font: {facts.css_font_family}; --line-height: {facts.line_height}; }}\n"
        f"html {{ font-family: var(--body-font); line-height: var(--line-height); }}\n"
    )


def stylesheet(name: str) -> str:
    return resources.files("pipeline.styles").joinpath(name).read_text("utf-8")


@register
class HtmlWriter(Writer):
    """A standalone web page of the handout (screen styles inlined, no scripts)."""

    NAME = "html"
    SUFFIXES = (".html",)
    VERSION = "1"
    DEPENDS = ("writers/html.py", "writers/clinic.py")
    TEMPLATES = ("handout.html.j2", "blocks.html.j2", "front.html.j2")
    STYLES = ("screen.css",)

    def key_parts(self, job: Job) -> dict[str, str]:
        return clinic.key_parts(job)

    def write(self, job: Job) -> dict[str, bytes]:
        html = render_template("handout.html.j2", job, media="screen", inline_css=stylesheet("screen.css"),
                               image_src=lambda src: images.data_uri(job.resources[src]),
                               clinic=clinic.clinic_block(job, images.data_uri))
        return {".html": html.encode("utf-8")}
