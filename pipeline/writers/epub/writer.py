"""The EPUB 3: the shared HTML blocks cut into one document per section, packaged by ebooklib.

What a conforming, accessible book needs and ebooklib does not do by itself is done
here: a navigation document of our own (table of contents from the headings, hidden
landmarks, `lang`/`dir`), EPUB Accessibility 1.1 metadata written in the book's
language, a generated cover, a stable identifier (a UUID from the slug and language)
and a byte-for-byte reproducible zip. When the narration was built, the book also
carries it as EPUB 3 Media Overlays (`media_overlays.py`).
"""

from __future__ import annotations

import datetime
import io
import json
import re
import uuid
import zipfile
from dataclasses import dataclass, field
from pipeline.core.machine import package_version

from pipeline.core.document import Figure, Heading, walk_blocks
from pipeline.writers.common.fonts import check_coverage, font_config, font_identities
from pipeline.core.job import CLINIC_LOGO_RESOURCE, Job, Resource
from pipeline.writers.common import clinic
from pipeline.writers.base import PAGES_SUFFIX, Writer, upstream_bytes
from pipeline.writers.common.byline import translation_review_line
from pipeline.writers.common.templates import environment, render_template, stylesheet

IDENTIFIER_NAMESPACE = uuid.UUID("6f1d3c1e-2b7a-4f4e-9a51-3c9d0b7e5a10")
CONFORMS_TO = "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"
CERTIFIER = "Patient handouts pipeline: automated checks with EPUBCheck and Ace by DAISY"
COVER_SIZE = (1600, 2400)


@dataclass
class Page:
    """One content document of the book."""

    file_name: str
    uid: str
    html: str
    title: str
    segments: list[str] = field(default_factory=list)


def book_identifier(slug: str, language: str) -> str:
    return f"urn:uuid:{uuid.uuid5(IDENTIFIER_NAMESPACE, f'{slug}/{language}')}"


def chapter_file(number: int) -> str:
    return f"chapter-{number:02d}.xhtml"


class EpubWriter(Writer):
    NAME = "epub"
    SUFFIXES = (".epub",)
    VERSION = "1"
    USES = ("audio", "pdf")
    TEMPLATES = ("epub/*.j2", "blocks.html.j2", "front.html.j2")
    STYLES = ("epub.css",)

    def key_parts(self, job: Job) -> dict[str, str]:
        return {
            "fonts": font_identities(job.facts),
            "weasyprint": package_version("weasyprint"),
            "ebooklib": package_version("ebooklib"),
            **clinic.key_parts(job),
        }

    def write(self, job: Job) -> dict[str, bytes]:
        from ebooklib import epub

        from pipeline.writers.epub.media_overlays import Narration, add_media_overlays

        article = job.article
        meta = article.meta
        book = epub.EpubBook()
        book.set_identifier(book_identifier(article.slug, job.facts.tag))
        book.set_title(meta.title.text)
        book.set_language(job.facts.tag)
        if job.facts.is_rtl:
            book.set_direction("rtl")
        self._metadata(book, job)

        print_pages = printed_pages(job)
        pages = self._pages(job, print_pages)
        self._images(book, job)

        items = self._documents(book, job, pages)

        narration = Narration.from_upstream(job)
        features = ["structuralNavigation", "tableOfContents", "readingOrder", "alternativeText",
                    "displayTransformability"]
        if print_pages:
            features += ["pageBreakMarkers", "pageNavigation"]
            self._page_source(book, job)
        modes = ["textual", "visual"]
        if narration is not None:
            add_media_overlays(book, items, pages, narration)
            features.append("synchronizedAudioText")
            modes.append("auditory")
        self._accessibility(book, job, modes, features, narration is not None)

        modified = datetime.datetime.fromisoformat(job.modified).replace(tzinfo=datetime.timezone.utc)
        buffer = io.BytesIO()
        epub.write_epub(buffer, book, {"mtime": modified, "epub3_pages": False, "epub2_guide": False,
                                       "spine_direction": True, "package_direction": job.facts.is_rtl})
        package = {"EPUB/content.opf": lambda opf: _package_language(opf, job.facts.tag)}
        return {".epub": reproducible_zip(buffer.getvalue(), modified, package)}

    def _images(self, book, job: Job) -> None:
        """The article's figures, the clinic's logo, the cover and the style sheet."""
        from ebooklib import epub

        figures = [block for block in walk_blocks(job.article.blocks) if isinstance(block, Figure)]
        for figure in figures:
            image = job.resources[figure.src]
            book.add_item(epub.EpubImage(uid=f"image-{figure.alt.id}", file_name=f"images/{figure.src}",
                                         media_type=image.media_type, content=image.data))

        logo = job.resources.get(CLINIC_LOGO_RESOURCE)
        if logo is not None:
            book.add_item(epub.EpubImage(uid="clinic-logo", file_name=_logo_file(logo),
                                         media_type=logo.media_type, content=logo.data))

        cover = epub.EpubCover(uid="cover-image", file_name="images/cover.png")
        cover.content = cover_png(job)
        book.add_item(cover)
        book.add_metadata(None, "meta", "", {"name": "cover", "content": "cover-image"})
        book.add_item(epub.EpubItem(uid="style", file_name="style.css", media_type="text/css",
                                    content=stylesheet("epub.css").encode("utf-8")))

    def _documents(self, book, job: Job, pages: list) -> dict:
        """The XHTML documents in reading order, the table of contents and the spine."""
        from ebooklib import epub

        items = {}
        for page in pages:
            item = epub.EpubItem(uid=page.uid, file_name=page.file_name, media_type="application/xhtml+xml",
                                 content=page.html.encode("utf-8"))
            if page.uid == "nav":
                item.properties = ["nav"]
            book.add_item(item)
            items[page.uid] = item
        book.add_item(epub.EpubNcx())
        book.toc = [epub.Link(entry["href"], entry["title"], f"toc-{n}") for n, entry in enumerate(_toc(job))]
        book.spine = [items[p.uid] for p in pages]
        return items

    # metadata

    def _metadata(self, book, job: Job) -> None:
        meta = job.article.meta
        for number, author in enumerate(meta.authors, start=1):
            book.add_author(author, uid=f"author-{number}")
        for number, reviewer in enumerate(meta.reviewers, start=1):
            book.add_metadata("DC", "contributor", reviewer.display, {"id": f"reviewer-{number}"})
            book.add_metadata(None, "meta", "rev", {"refines": f"#reviewer-{number}", "property": "role",
                                                    "scheme": "marc:relators"})
        for category in meta.categories:
            book.add_metadata("DC", "subject", category.text)
        description = meta.summary.text if meta.summary else meta.title.text
        reviewed = translation_review_line(job)
        if reviewed:
            description += f" — {reviewed}"
            for number, approver in enumerate(job.review.approvers, start=1):
                book.add_metadata("DC", "contributor", approver.display, {"id": f"translation-reviewer-{number}"})
                book.add_metadata(None, "meta", "rev", {"refines": f"#translation-reviewer-{number}",
                                                        "property": "role", "scheme": "marc:relators"})
        if job.notice:
            description += f" — {job.notice.native}"
            if job.notice.english != job.notice.native:
                description += f" ({job.notice.english})"
        book.add_metadata("DC", "description", description)
        if meta.updated:
            book.add_metadata("DC", "date", meta.updated.isoformat())
        book.add_metadata("DC", "publisher", "Patient handouts")
        if meta.language != meta.source_language:
            book.add_metadata("DC", "source", f"{job.article.slug} ({meta.source_language})")

    def _page_source(self, book, job: Job) -> None:
        """The print edition is the source of the page breaks (EPUB Accessibility 1.1, 'Page
        source'): a dc:source naming the PDF of the same language and paper, refined as the
        source of the pagination, which EPUBCheck and Ace both read. (The newer
        `a11y:pageBreakSource` is refused by EPUBCheck 5.3 as an undefined property.)"""
        paper = {"letter": "US Letter", "a4": "A4"}.get(job.facts.paper, job.facts.paper)
        book.add_metadata("DC", "source", f"{job.stem}.pdf ({paper})", {"id": "print-edition"})
        book.add_metadata(None, "meta", "pagination", {"refines": "#print-edition", "property": "source-of"})

    def _accessibility(self, book, job: Job, modes, features, narrated: bool) -> None:
        ui = job.ui
        for mode in modes:
            book.add_metadata(None, "meta", mode, {"property": "schema:accessMode"})
        # Each value is one sufficient set: the text alone (images have alt text), and,
        # with the narration, the audio alone.
        book.add_metadata(None, "meta", "textual", {"property": "schema:accessModeSufficient"})
        if narrated:
            book.add_metadata(None, "meta", "auditory", {"property": "schema:accessModeSufficient"})
        for feature in features:
            book.add_metadata(None, "meta", feature, {"property": "schema:accessibilityFeature"})
        book.add_metadata(None, "meta", "none", {"property": "schema:accessibilityHazard"})
        summary = ui.gettext(
            "This publication meets WCAG 2.1 Level AA. It has a table of contents, a heading for every "
            "section, and a text description for every image. You can change the font, size and colors "
            "of the text in your reading app."
        )
        if narrated:
            summary += " " + ui.gettext("A recorded narration is synchronized with the text.")
        book.add_metadata(None, "meta", summary, {"property": "schema:accessibilitySummary"})
        book.add_metadata(None, "meta", CONFORMS_TO, {"property": "dcterms:conformsTo"})
        book.add_metadata(None, "meta", CERTIFIER, {"property": "a11y:certifiedBy"})

    # content documents

    def _pages(self, job: Job, print_pages: list[dict]) -> list[Page]:
        meta = job.article.meta
        ui = job.ui
        title = meta.title.text
        clinic_block = clinic.clinic_block(job, _logo_file)

        def page(template: str, file_name: str, uid: str, page_title: str, **extra) -> Page:
            html = render_template(f"epub/{template}", job, page_title=page_title,
                                   image_src=lambda src: f"images/{src}", clinic=clinic_block, **extra)
            return Page(file_name, uid, html, page_title)

        pages = [
            page("cover.xhtml.j2", "cover.xhtml", "cover", ui.gettext("Cover"), cover_image="images/cover.png",
                 cover_alt=ui.gettext("Cover: %(title)s", title=title)),
            page("titlepage.xhtml.j2", "titlepage.xhtml", "titlepage", title),
        ]
        chapters: list[Page] = []
        for number, (heading, blocks) in enumerate(job.article.sections(), start=1):
            name = heading.segment.text if heading else title
            chapters.append(page("chapter.xhtml.j2", chapter_file(number), f"chapter-{number:02d}", name,
                                 heading=heading, blocks=blocks))
        back = page("backmatter.xhtml.j2", "backmatter.xhtml", "backmatter", ui.gettext("About this handout"))
        nav = Page("nav.xhtml", "nav", "", ui.gettext("Contents"))
        all_pages = pages[:1] + [pages[1], nav] + chapters + [back]
        page_list = place_page_breaks([pages[1], *chapters, back], print_pages, job)
        nav.html = render_template("epub/nav.xhtml.j2", job, page_title=nav.title, toc=_toc(job),
                                   landmarks=_landmarks(job, chapters), page_list=page_list)
        return all_pages


def printed_pages(job: Job) -> list[dict]:
    """Where each page of the printed PDF (same language and paper) starts, when the PDF
    writer ran in this build: [{"page": 1, "first": "<element id>"}, …]."""

    data = upstream_bytes(job, "pdf", PAGES_SUFFIX)
    return json.loads(data.decode("utf-8"))["pages"] if data else []


def place_page_breaks(documents: list[Page], print_pages: list[dict], job: Job) -> list[dict]:
    """Put a page-break marker where each printed page starts (before the first element
    starting on that page that the e-book has; inside a list item, whose parent list
    admits no other element), and return the page list: label and address of each marker.
    A page that starts with print-only content (the QR code) is marked at the book's end."""
    page_list: list[dict] = []
    for entry in print_pages:
        label = job.facts.format_number(entry["page"])
        marker = (f'<span epub:type="pagebreak" role="doc-pagebreak" id="page-{entry["page"]}" '
                  f'aria-label="{label}"></span>')
        candidates = entry.get("ids") or [entry["first"]]
        for anchor, document in ((a, d) for a in candidates if a for d in documents):
            found = re.search(r'<(\w+)\b[^>]*\sid="%s"[^>]*>' % re.escape(anchor), document.html)
            if found:
                at = found.end() if found.group(1) == "li" else found.start()
                break
        else:
            document = documents[-1]
            at = document.html.rindex("</section>")
        document.html = document.html[:at] + marker + document.html[at:]
        page_list.append({"href": f"{document.file_name}#page-{entry['page']}", "label": label})
    return page_list


def _logo_file(logo: Resource) -> str:
    return f"images/clinic-logo.{'png' if logo.media_type == 'image/png' else 'jpg'}"


def _toc(job: Job) -> list[dict]:
    """Title page, one entry per section (its ### headings below it), back matter."""
    ui = job.ui
    entries = [{"href": "titlepage.xhtml", "title": job.article.meta.title.text, "children": []}]
    for number, (heading, blocks) in enumerate(job.article.sections(), start=1):
        file_name = chapter_file(number)
        children = [{"href": f"{file_name}#{b.segment.id}", "title": b.segment.text, "children": []}
                    for b in blocks if isinstance(b, Heading) and b.level == 3]
        title = heading.segment.text if heading else job.article.meta.title.text
        href = f"{file_name}#{heading.segment.id}" if heading else file_name
        entries.append({"href": href, "title": title, "children": children})
    if job.article.meta.related:
        entries.append({"href": "backmatter.xhtml#related-reading", "title": ui.gettext("Related reading"),
                        "children": []})
    entries.append({"href": "backmatter.xhtml#about-this-handout", "title": ui.gettext("About this handout"),
                    "children": []})
    return entries


def _landmarks(job: Job, chapters: list[Page]) -> list[dict]:
    ui = job.ui
    return [
        {"type": "cover", "href": "cover.xhtml", "title": ui.gettext("Cover")},
        {"type": "titlepage", "href": "titlepage.xhtml", "title": ui.gettext("Title page")},
        {"type": "toc", "href": "nav.xhtml#toc", "title": ui.gettext("Contents")},
        {"type": "bodymatter", "href": chapters[0].file_name, "title": ui.gettext("Start of the article")},
        {"type": "backmatter", "href": "backmatter.xhtml", "title": ui.gettext("About this handout")},
    ]


def cover_png(job: Job) -> bytes:
    """The cover: the title in the book's language and script, drawn by WeasyPrint with the
    language's own fonts, rasterized by PDFium."""
    import pypdfium2
    from weasyprint import HTML


    html = environment().get_template("epub/cover-image.html.j2").render(facts=job.facts, meta=job.article.meta)
    check_coverage(job.article.meta.title.text + job.facts.display_name, job.facts, f"{job.stem}.epub cover")
    pdf = HTML(string=html).write_pdf(font_config=font_config())
    document = pypdfium2.PdfDocument(pdf)
    try:
        page = document[0]
        scale = COVER_SIZE[0] / page.get_width()
        image = page.render(scale=scale).to_pil().convert("RGB")
    finally:
        document.close()
    if image.size != COVER_SIZE:
        image = image.resize(COVER_SIZE)
    output = io.BytesIO()
    image.save(output, format="PNG", optimize=True)
    return output.getvalue()


def _package_language(opf: bytes, language: str) -> bytes:
    """ebooklib cannot set `xml:lang` on <package>; Ace requires it."""
    from lxml import etree

    root = etree.fromstring(opf)
    root.set("{http://www.w3.org/XML/1998/namespace}lang", language)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def reproducible_zip(data: bytes, when: datetime.datetime, transforms: dict | None = None) -> bytes:
    """The same zip with fixed timestamps and order: `mimetype` first and stored, as OCF requires.
    `transforms` maps member names to functions that rewrite their bytes on the way."""
    transforms = transforms or {}
    stamp = (max(when.year, 1980), when.month, when.day, 0, 0, 0)
    source = zipfile.ZipFile(io.BytesIO(data))
    original = source.namelist()
    names = sorted(original, key=lambda name: (name != "mimetype", name != "META-INF/container.xml",
                                               original.index(name)))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as target:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            content = source.read(name)
            if name in transforms:
                content = transforms[name](content)
            target.writestr(info, content, compresslevel=9 if name != "mimetype" else None)
    return output.getvalue()


WRITER = EpubWriter
