"""The handout as a standalone, language-tagged web page (screen styles inlined, no scripts)."""

from __future__ import annotations

from pipeline.core.job import Job
from pipeline.inputs import images
from pipeline.writers.base import Writer
from pipeline.writers.common import clinic
from pipeline.writers.common.templates import render_template, stylesheet


class HtmlWriter(Writer):
    """A standalone web page of the handout (screen styles inlined, no scripts)."""

    NAME = "html"
    SUFFIXES = (".html",)
    VERSION = "1"
    TEMPLATES = ("handout.html.j2", "blocks.html.j2", "front.html.j2")
    STYLES = ("screen.css",)

    def key_parts(self, job: Job) -> dict[str, str]:
        return clinic.key_parts(job)

    def write(self, job: Job) -> dict[str, bytes]:
        html = render_template("handout.html.j2", job, media="screen", inline_css=stylesheet("screen.css"),
                               image_src=lambda src: images.data_uri(job.resources[src]),
                               clinic=clinic.clinic_block(job, images.data_uri))
        return {".html": html.encode("utf-8")}


WRITER = HtmlWriter
