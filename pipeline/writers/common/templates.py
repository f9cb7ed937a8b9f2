"""The handout's templates and styles, shared by the HTML, PDF and EPUB writers.

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

from pipeline.core.document import Emphasis, Inline, LineBreak, Link, Strong, Text
from pipeline.core.job import Job
from pipeline.writers.common.byline import byline, review_date, translation_review_line


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


def font_css(facts) -> str:
    """The typeface and line height of the language, from the locale facts."""
    return (
        f":root {{ --body-font: {facts.css_font_family}; --line-height: {facts.line_height}; }}\n"
        f"html {{ font-family: var(--body-font); line-height: var(--line-height); }}\n"
    )


def stylesheet(name: str) -> str:
    return resources.files("pipeline.styles").joinpath(name).read_text("utf-8")
