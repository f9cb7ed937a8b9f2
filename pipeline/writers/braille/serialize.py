"""The two files embossers and braille readers take, from the same pages of cells.

- **BRF**: North American Braille ASCII (the 64 six-dot cells as the ASCII characters of
  liblouis's `en-us-brf.dis`), lines ending CR LF, a form feed between pages.
- **PEF** (Portable Embosser Format 2008-1): XML, one `<row>` of Unicode braille per
  line, `<page>`s in `<section>`s in one `<volume>` per braille volume, Dublin Core
  metadata; valid against the RelaxNG schema of Debian's `libbrailleutils-java`.
"""

from __future__ import annotations

import uuid

from pipeline.core.errors import RenderError
from pipeline.core.job import Job
from pipeline.writers.braille.layout import CELLS, LINES
from pipeline.writers.braille.louis import BLANK, require

PEF_NS = "http://www.daisy.org/ns/2008/pef"
DC_NS = "http://purl.org/dc/elements/1.1/"
PEF_MEDIA_TYPE = "application/x-pef+xml"
BRF_DISPLAY = "en-us-brf.dis"
# North American Braille ASCII: space through underscore, the 64 six-dot cells.
BRF_CHARACTERS = frozenset(chr(code) for code in range(0x20, 0x60))

Volume = list[list[str]]  # pages of rows of cells


def to_brf_text(cells: str) -> str:
    """Cells (six dots) as Braille ASCII, through liblouis's display table."""
    louis = require()
    if not cells:
        return ""
    eight_dot = sorted({c for c in cells if ord(c) >= 0x2840})
    if eight_dot:
        raise RenderError(f"cells with dots 7 or 8 ({''.join(eight_dot)}) cannot be embossed in six-dot braille")
    text = louis.dotsToChar([BRF_DISPLAY], cells.replace(" ", BLANK))
    if not set(text) <= BRF_CHARACTERS:
        raise RenderError(f"{BRF_DISPLAY} gave characters outside Braille ASCII: {sorted(set(text) - BRF_CHARACTERS)}")
    return text


def from_brf_text(text: str) -> str:
    """Braille ASCII back to Unicode cells (for checks and back-translation)."""
    louis = require()
    return louis.charToDots([BRF_DISPLAY], text, mode=louis.ucBrl) if text else ""


def brf(volumes: list[Volume]) -> bytes:
    pages = [page for volume in volumes for page in volume]
    text = "\f".join("".join(to_brf_text(row).rstrip() + "\r\n" for row in page) for page in pages)
    return text.encode("ascii")


def pef(volumes: list[Volume], job: Job, *, grade: str) -> bytes:
    from lxml import etree

    meta = job.article.meta
    root = etree.Element(f"{{{PEF_NS}}}pef", nsmap={None: PEF_NS, "dc": DC_NS}, version="2008-1")
    head = etree.SubElement(root, f"{{{PEF_NS}}}head")
    info = etree.SubElement(head, f"{{{PEF_NS}}}meta")
    identifier = uuid.uuid5(uuid.NAMESPACE_URL, f"handouts-braille/{job.article.slug}/{job.facts.tag}")
    for name, value in (("format", PEF_MEDIA_TYPE), ("identifier", f"urn:uuid:{identifier}"),
                        ("title", meta.title.text), ("language", job.facts.tag)):
        etree.SubElement(info, f"{{{DC_NS}}}{name}").text = value
    for author in meta.authors:
        etree.SubElement(info, f"{{{DC_NS}}}creator").text = author
    if meta.updated:
        etree.SubElement(info, f"{{{DC_NS}}}date").text = meta.updated.isoformat()
    etree.SubElement(info, f"{{{DC_NS}}}description").text = grade
    body = etree.SubElement(root, f"{{{PEF_NS}}}body")
    for volume in volumes:
        element = etree.SubElement(body, f"{{{PEF_NS}}}volume", cols=str(CELLS), rows=str(LINES), rowgap="0",
                                   duplex="false")
        section = etree.SubElement(element, f"{{{PEF_NS}}}section")
        for page in volume:
            page_element = etree.SubElement(section, f"{{{PEF_NS}}}page")
            for row in page:
                etree.SubElement(page_element, f"{{{PEF_NS}}}row").text = row.rstrip(BLANK)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def page_count(suffix: str, data: bytes) -> int:
    """How many braille pages a BRF or PEF holds (for the manifest and the site)."""
    if suffix == ".brf":
        return data.count(b"\f") + 1 if data else 0
    from lxml import etree

    return len(etree.fromstring(data).findall(f".//{{{PEF_NS}}}page"))
