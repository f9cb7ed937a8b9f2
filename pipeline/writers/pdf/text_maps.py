"""What copying and searching get from the PDF: the fonts' ToUnicode maps and the
bookmark titles, fixed after rendering."""

from __future__ import annotations

import re

import pikepdf

_EMPTY_MAPPING = re.compile(rb"(<[0-9A-Fa-f]+>\s*)<>")
ZERO_WIDTH_JOINER = b"<200D>"


def fill_empty_unicode_maps(pdf: pikepdf.Pdf) -> None:
    seen: set[tuple[int, int]] = set()
    for page in pdf.pages:
        for font in page.Resources.get("/Font", {}).values():
            cmap = font.get("/ToUnicode")
            if cmap is None or cmap.objgen in seen:
                continue
            seen.add(cmap.objgen)
            data = cmap.read_bytes()
            fixed = _EMPTY_MAPPING.sub(lambda m: m.group(1) + ZERO_WIDTH_JOINER, data)
            if fixed != data:
                cmap.write(fixed)


def clean_bookmarks(pdf: pikepdf.Pdf) -> None:
    with pdf.open_outline() as outline:
        items = list(outline.root)
        while items:
            item = items.pop()
            if "\u200b" in item.title:
                item.title = item.title.replace("\u200b", "")
            items += list(item.children)
