"""What a built PDF handout really is, read back from the file: the same facts the tests
assert and `handouts check` prints.

pikepdf reads the catalog, the structure tree, the XMP metadata and the fonts;
pdfminer measures the size of every character; poppler's `pdftotext` gives the text in
reading order (it handles right-to-left text), cropped to the page body so that running
titles and page numbers do not interrupt a paragraph that crosses a page.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.core.errors import DependencyError
from pipeline.checks.text import without_format_characters

# Page margins of print.css, in points, used to crop running title and page numbers.
TOP_MARGIN_PT = 2.2 / 2.54 * 72
BOTTOM_MARGIN_PT = 2.4 / 2.54 * 72
MIN_SIZE_PT = 18.0


@dataclass
class PdfReport:
    path: Path
    pages: int = 0
    tagged: bool = False
    has_struct_tree: bool = False
    pdfua_part: str | None = None
    lang: str | None = None
    title: str | None = None
    display_doc_title: bool = False
    keywords: str | None = None
    author: str | None = None
    fonts: list[tuple[str, bool]] = field(default_factory=list)
    min_font_size: float = 0.0
    structure: list[str] = field(default_factory=list)
    languages_in_tree: dict[str, int] = field(default_factory=dict)
    figures_without_alt: int = 0
    bookmarks: list[str] = field(default_factory=list)
    body_text: str = ""
    footer_text: list[str] = field(default_factory=list)
    actual_text: str = ""  # the /ActualText of the structure elements, in tree order
    tag_problems: list[str] = field(default_factory=list)

    @property
    def unembedded_fonts(self) -> list[str]:
        return [name for name, embedded in self.fonts if not embedded]

    @property
    def headings(self) -> list[str]:
        return [tag for tag in self.structure if re.fullmatch(r"H\d", tag)]

    def problems(self) -> list[str]:
        found: list[str] = []
        if not (self.tagged and self.has_struct_tree):
            found.append("not tagged")
        if self.pdfua_part != "1":
            found.append("not identified as PDF/UA-1")
        if not self.lang:
            found.append("no /Lang")
        if not self.title or not self.display_doc_title:
            found.append("no title shown as window title")
        if self.unembedded_fonts:
            found.append(f"fonts not embedded: {', '.join(self.unembedded_fonts)}")
        if self.min_font_size < MIN_SIZE_PT - 0.01:
            found.append(f"text at {self.min_font_size:.1f} pt (minimum {MIN_SIZE_PT:.0f})")
        if self.figures_without_alt:
            found.append(f"{self.figures_without_alt} figures without alt text")
        levels = [int(h[1]) for h in self.headings]
        if levels and levels[0] != 1:
            found.append("first heading is not H1")
        for before, after in zip(levels, levels[1:]):
            if after > before + 1:
                found.append(f"heading level skips from H{before} to H{after}")
                break
        if self.pages > 1 and not self.bookmarks:
            found.append("no bookmarks")
        return found + self.tag_problems


def inspect_pdf(path: Path, *, rtl: bool = False, expected_tags: dict[str, int] | None = None) -> PdfReport:
    """Read everything we check from the file. `rtl`: the document's language is
    written right to left (its body text is then read glyph by glyph). `expected_tags`:
    how many elements of each structure type the HTML has (see `expected_tags`)."""
    import pikepdf

    report = PdfReport(path)
    with pikepdf.open(path) as pdf:
        root = pdf.Root
        report.pages = len(pdf.pages)
        report.tagged = bool(root.get("/MarkInfo", {}).get("/Marked", False))
        report.has_struct_tree = "/StructTreeRoot" in root
        report.lang = str(root.Lang) if "/Lang" in root else None
        report.display_doc_title = bool(root.get("/ViewerPreferences", {}).get("/DisplayDocTitle", False))
        info = pdf.docinfo
        report.title = str(info.get("/Title")) if "/Title" in info else None
        report.keywords = str(info.get("/Keywords")) if "/Keywords" in info else None
        report.author = str(info.get("/Author")) if "/Author" in info else None
        with pdf.open_metadata() as xmp:
            report.pdfua_part = xmp.get("pdfuaid:part")
        report.fonts = _fonts(pdf)
        if report.has_struct_tree:
            _walk_structure(root.StructTreeRoot, report)
            report.tag_problems = tag_tree_problems(pdf, expected_tags)
        with pdf.open_outline() as outline:
            report.bookmarks = _titles(outline.root)
    report.min_font_size = _min_font_size(path)
    report.body_text, report.footer_text = _text(path, report.pages)
    if rtl:
        report.body_text = rtl_body_text(path)
    return report


def _fonts(pdf) -> list[tuple[str, bool]]:
    fonts: dict[str, bool] = {}
    for page in pdf.pages:
        resources = page.get("/Resources", {})
        for font in resources.get("/Font", {}).values():
            name = str(font.get("/BaseFont", "?")).lstrip("/")
            descriptors = [font.get("/FontDescriptor")]
            for descendant in font.get("/DescendantFonts", []):
                descriptors.append(descendant.get("/FontDescriptor"))
            embedded = any(
                d is not None and any(k in d for k in ("/FontFile", "/FontFile2", "/FontFile3")) for d in descriptors
            )
            fonts[name] = fonts.get(name, False) or embedded
    return sorted(fonts.items())


def _walk_structure(node, report: PdfReport) -> None:
    from pipeline.writers.pdf.structure import is_element, walk

    for _, _, kid in walk(node, prune=lambda element: "/ActualText" in element):
        if not is_element(kid):
            continue
        tag = str(kid.S).lstrip("/")
        report.structure.append(tag)
        if "/Lang" in kid:
            language = str(kid.Lang)
            report.languages_in_tree[language] = report.languages_in_tree.get(language, 0) + 1
        if tag == "Figure" and not str(kid.get("/Alt", "")).strip():
            report.figures_without_alt += 1
        if "/ActualText" in kid:
            report.actual_text += " " + str(kid.ActualText)  # what a screen reader reads of it and all it holds


def _titles(items) -> list[str]:
    titles: list[str] = []
    for item in items:
        titles.append(item.title)
        titles += _titles(item.children)
    return titles


def _min_font_size(path: Path) -> float:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTChar

    smallest = float("inf")

    def walk(item) -> None:
        nonlocal smallest
        if isinstance(item, LTChar):
            if item.get_text().strip():
                smallest = min(smallest, item.size)
        elif hasattr(item, "__iter__"):
            for child in item:
                walk(child)

    for page in extract_pages(str(path)):
        walk(page)
    return 0.0 if smallest == float("inf") else round(smallest, 2)


def _pdftotext(path: Path, *crop: str) -> str:
    if not shutil.which("pdftotext"):
        raise DependencyError("poppler's pdftotext is not installed", hint="install the Debian package poppler-utils")
    result = subprocess.run(["pdftotext", "-enc", "UTF-8", *crop, str(path), "-"], capture_output=True, text=True,
                            check=True)
    return without_format_characters(result.stdout)


def _text(path: Path, pages: int) -> tuple[str, list[str]]:
    """Body text of all pages (margins cropped) and the footer line of each page."""
    import pikepdf

    with pikepdf.open(path) as pdf:
        width, height = (float(v) for v in pdf.pages[0].mediabox[2:4])
    body = _pdftotext(path, "-x", "0", "-y", str(int(TOP_MARGIN_PT)), "-W", str(int(width)),
                      "-H", str(int(height - TOP_MARGIN_PT - BOTTOM_MARGIN_PT)))
    footers: list[str] = []
    for number in range(1, pages + 1):
        footer = _pdftotext(path, "-f", str(number), "-l", str(number), "-x", "0",
                            "-y", str(int(height - BOTTOM_MARGIN_PT)), "-W", str(int(width)),
                            "-H", str(int(BOTTOM_MARGIN_PT)))
        footers.append(" ".join(footer.split()))
    return body, footers


# Right-to-left letters; Arabic-Indic and Persian digits are left out: they run left to
# right, like Latin digits, inside a right-to-left line.
_RTL_LETTER = "\u0590-\u065f\u066a-\u06ef\u06fa-\u08ff\ufb1d-\ufdff\ufe70-\ufeff"
_RTL = re.compile(f"[{_RTL_LETTER}]")
_LTR_STRONG = "A-Za-z0-9\u00c0-\u024f\u0400-\u04ff\u0660-\u0669\u06f0-\u06f9"
_LTR_RUN = re.compile(f"[{_LTR_STRONG}](?:[^{_RTL_LETTER}]*[{_LTR_STRONG}])?")


def rtl_body_text(path: Path) -> str:
    """Right-to-left text in logical order, line by line, from the glyphs on the page.

    pdftotext's line analysis is confused by Arabic marks and ligatures (it splits and
    reorders them). pdfminer keeps each glyph's text intact (a lam-alef ligature is
    "لا"); the page shows a line's glyphs left to right, so a line with right-to-left
    letters is read backwards, then its left-to-right runs (names, numbers) are turned
    back. Running titles and page numbers are cropped like in `_text`.
    """
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTTextLineHorizontal

    lines: list[str] = []

    def walk(item, top: float, bottom: float) -> None:
        if isinstance(item, LTTextLineHorizontal):
            if bottom <= (item.y0 + item.y1) / 2 <= top:
                glyphs = [part.get_text() for part in item]
                if _RTL.search("".join(glyphs)):
                    # Backwards glyph by glyph (a ligature's text stays in order).
                    reversed_line = "".join(reversed(glyphs))
                    glyphs = [_LTR_RUN.sub(lambda m: m.group(0)[::-1], reversed_line)]
                lines.append("".join(glyphs).strip())
        elif hasattr(item, "__iter__"):
            for child in item:
                walk(child, top, bottom)

    for page in extract_pages(str(path), laparams=LAParams()):
        walk(page, page.height - TOP_MARGIN_PT, BOTTOM_MARGIN_PT)
    return "\n".join(lines)


def font_family_key(name: str) -> str:
    """'Noto Sans CJK SC' and 'ABCDEF+Noto-Sans-CJK-SC-Bold' compare on 'notosanscjksc'."""
    return re.sub(r"[^a-z0-9]", "", name.split("+")[-1].lower())


# --- the tag tree, page by page (PDF/UA-1, Matterhorn 16, 18, 28 and 09) ---------------

# Structure types an element split by a page break used to become two of.
_SPLITTABLE = ("P", "L", "LI", "Part", "Sect", "BlockQuote")
# HTML elements that each map to exactly one structure element, and that type.
_ONE_TO_ONE = {"p": "P", "ul": "L", "ol": "L", "li": "LI", "blockquote": "BlockQuote", "main": "Part",
               "section": "Sect", **{f"h{n}": f"H{n}" for n in range(1, 7)}}


def expected_tags(html: str) -> dict[str, int]:
    """How many P, L, LI, H1… a faithful tag tree of this HTML has (one per element)."""
    from lxml import html as lxml_html

    counts: dict[str, int] = {}
    for element in lxml_html.document_fromstring(html.encode("utf-8")).find("body").iter():
        tag = _ONE_TO_ONE.get(element.tag) if isinstance(element.tag, str) else None
        if tag:
            counts[tag] = counts.get(tag, 0) + 1
    return counts


def tag_tree_problems(pdf, expected: dict[str, int] | None = None) -> list[str]:
    """Each problem of the tag tree with the page it is on: running titles and page
    numbers not artifacts, marked content outside the tree, LI without LBody, paint
    order different from tag order, an element split in two, links not tagged."""
    tree = _TagTree(pdf)
    problems = tree.list_problems() + tree.split_elements(expected or {})
    parent_tree = _number_tree(pdf.Root.StructTreeRoot.get("/ParentTree"))
    for number, page in enumerate(pdf.pages, start=1):
        problems += tree.page_problems(number, page, parent_tree) + _link_problems(number, page, tree.linked)
    return problems


class _TagTree:
    """The tag tree read once (structure.walk): counts per type, MCIDs per page in tree
    order, what each annotation is linked from, the elements a page break may split."""

    def __init__(self, pdf) -> None:
        from pipeline.writers.pdf.structure import annotation_of, is_element, marked_content, walk

        self.page_of = {page.objgen: number for number, page in enumerate(pdf.pages, start=1)}
        self.tree_order: dict[int, list[int]] = {number: [] for number in self.page_of.values()}
        self.counts: dict[str, int] = {}
        self.reachable: set[tuple[int, int]] = set()
        self.linked: dict[tuple[int, int], str] = {}
        self.elements: list = []
        for parent, _, kid in walk(pdf.Root.StructTreeRoot):
            if is_element(kid):
                tag = str(kid.S).lstrip("/")
                self.counts[tag] = self.counts.get(tag, 0) + 1
                self.reachable.add(kid.objgen)
                self.elements.append((tag, kid))
            elif marked_content(parent, kid, self.page_of) is not None:
                page, mcid = marked_content(parent, kid, self.page_of)
                self.tree_order[page].append(mcid)
            elif annotation_of(kid) is not None:
                self.linked[annotation_of(kid).objgen] = str(parent.S).lstrip("/")

    def page_number(self, element) -> int | None:
        return self.page_of.get(element.Pg.objgen) if element.get("/Pg") is not None else None

    def list_problems(self) -> list[str]:
        from pipeline.writers.pdf.structure import is_element, kids_of

        problems = []
        for tag, element in self.elements:
            if tag != "LI":
                continue
            kinds = [str(k.S) for k in kids_of(element) if is_element(k)]
            if "/LBody" not in kinds or any(kind not in ("/Lbl", "/LBody") for kind in kinds):
                problems.append(f"page {self.page_number(element)}: LI has {', '.join(kinds) or 'no kids'}, "
                                "not Lbl + LBody")
        return problems

    def split_elements(self, expected: dict[str, int]) -> list[str]:
        """More elements of a type than the HTML has: one split by a page break, found on
        the page where one ends and the next begins."""
        problems = []
        for tag, count in sorted(expected.items()):
            if self.counts.get(tag, 0) <= count:
                continue
            spans = [self._pages_of(element) for kind, element in self.elements if kind == tag] \
                if tag in _SPLITTABLE else []
            breaks = [after[0] for before, after in zip(spans, spans[1:])
                      if before[1] and after[0] and after[0] == before[1] + 1]
            where = f"page {breaks[0]}: " if breaks else ""
            problems.append(f"{where}{self.counts[tag]} {tag} elements for {count} in the HTML: "
                            "an element split by a page break is tagged as two")
        return problems

    def _pages_of(self, element) -> tuple[int | None, int | None]:
        from pipeline.writers.pdf.structure import marked_content, walk

        pages = [content[0] for parent, _, kid in walk(element)
                 if (content := marked_content(parent, kid, self.page_of)) is not None]
        return (pages[0], pages[-1]) if pages else (None, None)

    def page_problems(self, number: int, page, parent_tree: dict) -> list[str]:
        """Marked content outside the tree, margin content not an artifact, paint order."""
        import pikepdf

        from pipeline.writers.pdf.content import marked_sequences

        problems = []
        height = float(page.mediabox[3]) - float(page.mediabox[1])
        sequences, _ = marked_sequences(list(pikepdf.parse_content_stream(page)))
        painted = [s.mcid for s in sequences if s.mcid is not None]
        parents = parent_tree.get(int(page.get("/StructParents", -1)), [])
        outside = [m for m in painted if m >= len(parents) or parents[m] is None
                   or parents[m].objgen not in self.reachable]
        if outside:
            problems.append(f"page {number}: marked content {outside[:3]} is neither in the tag tree nor an artifact")
        for sequence in sequences:
            in_margin = sequence.origin is not None and not (BOTTOM_MARGIN_PT < sequence.origin[1]
                                                             < height - TOP_MARGIN_PT)
            if in_margin and sequence.tag != "/Artifact":
                problems.append(f"page {number}: running title or page number tagged as {sequence.tag[1:]} content, "
                                "not as a pagination artifact")
                break
        if [m for m in painted if m not in outside] != self.tree_order[number]:
            problems.append(f"page {number}: content painted in another order than the tag tree's")
        return problems


def _link_problems(number: int, page, linked: dict) -> list[str]:
    problems = []
    for annotation in page.get("/Annots", []):
        if annotation.get("/Subtype") != "/Link":
            continue
        if linked.get(annotation.objgen) != "Link":
            problems.append(f"page {number}: a link annotation is not inside a Link element")
        if not str(annotation.get("/Contents", "")).strip():
            problems.append(f"page {number}: a link annotation has no /Contents")
        if not int(annotation.get("/F", 0)) & 4:
            problems.append(f"page {number}: a link annotation is not printed (no Print flag)")
    return problems


def _number_tree(tree) -> dict[int, list]:
    """A ParentTree as {key: [elements]} (pages) or {key: [element]} (annotations)."""
    import pikepdf

    found: dict[int, list] = {}
    if tree is None:
        return found
    for kid in tree.get("/Kids", []):
        found.update(_number_tree(kid))
    nums = list(tree.get("/Nums", []))
    for key, value in zip(nums[::2], nums[1::2]):
        found[int(key)] = list(value) if isinstance(value, pikepdf.Array) else [value]
    return found
