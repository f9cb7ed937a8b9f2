"""Repair the tag tree of WeasyPrint's PDF/UA-1 output, by rewriting the PDF with pikepdf.

What WeasyPrint 70 leaves undone (its maintainers on issues #1836 and #2903: margin
content can be an Artifact node only in PDF 2.0; fragments of one element across pages
are "deep architecture problems"), done here after rendering:

- running titles and page numbers: their marked content becomes
  `/Artifact <</Type /Pagination /Subtype /Header|/Footer>>` and their MCIDs leave the
  ParentTree (WeasyPrint maps them to structure elements outside the tree);
- one element, one tag: the fragments of an element split by a page break (or by a
  line break, for links) are merged into one structure element;
- lists: `LI` holds `Lbl` + `LBody`, a nested `L` sits in its item's `LBody`;
- reading order: on every page the content stream paints marked content in the
  order of the tag tree (WeasyPrint paints list markers after the page's text);
- links: `/Contents` says where the link goes, the Print flag is set;
- fonts: a glyph that is only part of a shaped cluster (a Bengali half form, a Nastaliq
  ligature piece) is mapped to an empty string in WeasyPrint's ToUnicode CMap, which is
  malformed; it is mapped to U+200D (zero width joiner), which adds no text;
- bookmarks: the zero-width spaces that mark line breaks in Burmese are taken out of
  their titles.

The renderer (pdf.py) leaves two hints on the structure elements it makes: NODE_KEY,
which HTML element made it (to recognise fragments), and LINK_TEXT_KEY, the link's
text. Both are removed here.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pikepdf
from pikepdf import Array, Dictionary, Name

from pipeline.writers.pdf.content import reorder
from pipeline.writers.pdf.structure import annotation_of, is_element, kids_of, marked_content, walk
from pipeline.writers.pdf.glyph_codes import spell_each_occurrence
from pipeline.writers.pdf.text_maps import clean_bookmarks, fill_empty_unicode_maps, map_glyphs_by_shaping

NODE_KEY = "/HandoutsNode"
LINK_TEXT_KEY = "/HandoutsLinkText"
PRINT_FLAG = 4


@dataclass(frozen=True)
class Shaping:
    """For a script whose glyphs are not characters, how to give them their text: the font
    files, the language, the texts drawn outside the blocks; `by_occurrence` (Nastaliq): a
    code per glyph and spelling (glyph_codes.py), else one map per glyph (text_maps.py)."""

    fonts: list[tuple[str, int]]
    language: str
    texts: list[str]
    by_occurrence: bool = False


def repair(data: bytes, shaping: Shaping | None = None) -> bytes:
    """WeasyPrint's tagged PDF in, the repaired PDF out (same pages, same look)."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        _TreeRepair(pdf).run()
        if shaping is not None and shaping.by_occurrence:
            spell_each_occurrence(pdf, shaping.fonts, shaping.language, shaping.texts)
        elif shaping is not None:
            map_glyphs_by_shaping(pdf, shaping.fonts, shaping.language, shaping.texts)
        fill_empty_unicode_maps(pdf)
        clean_bookmarks(pdf)
        output = io.BytesIO()
        pdf.save(output, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate,
                 compress_streams=True)
    return output.getvalue()


class _TreeRepair:
    def __init__(self, pdf: pikepdf.Pdf) -> None:
        self.pdf = pdf
        self.root = pdf.Root.StructTreeRoot
        self.page_of = {page.objgen: number for number, page in enumerate(pdf.pages)}

    def run(self) -> None:
        document = kids_of(self.root)[0]
        self._merge_fragments(document)
        self._fix_lists(document)
        self._fix_links(document)
        self._strip_hints(document)
        self._rewrite_pages(document)

    # --- one element, one tag ----------------------------------------------------

    def _merge_fragments(self, element) -> None:
        """Top-down: a kid made by the same HTML element as its parent dissolves into it;
        adjacent kids made by the same element merge into the first; then the same below."""
        kids = kids_of(element)
        pending = list(kids)
        merged: list = []
        while pending:
            kid = pending.pop(0)
            if is_element(kid) and _same_source(kid, element):
                pending[0:0] = [self._adopt(grandchild, element, kid) for grandchild in kids_of(kid)]
            elif merged and is_element(kid) and is_element(merged[-1]) and _same_source(kid, merged[-1]):
                previous = merged[-1]
                previous.K = Array(kids_of(previous) + [self._adopt(g, previous, kid) for g in kids_of(kid)])
                if LINK_TEXT_KEY in kid and LINK_TEXT_KEY not in previous:
                    previous[LINK_TEXT_KEY] = kid[LINK_TEXT_KEY]
            else:
                merged.append(kid)
        if "/K" in element:
            element.K = Array(merged)
        for kid in merged:
            if is_element(kid):
                self._merge_fragments(kid)

    def _adopt(self, kid, parent, old_parent):
        """`kid` of `old_parent` as a kid of `parent`: its /P, and its page when it is a bare MCID."""
        if is_element(kid):
            kid.P = parent
            return kid
        if isinstance(kid, int) and old_parent.get("/Pg") is not None and (
                parent.get("/Pg") is None or parent.Pg.objgen != old_parent.Pg.objgen):
            return self.pdf.make_indirect(Dictionary(Type=Name.MCR, Pg=old_parent.Pg, MCID=kid))
        return kid

    # --- lists ------------------------------------------------------------------

    def _fix_lists(self, element) -> None:
        kids = kids_of(element)
        if element.get("/S") == "/L":
            ordered: list = []
            for kid in kids:
                if is_element(kid) and kid.S == "/L" and ordered and is_element(ordered[-1]) and ordered[-1].S == "/LI":
                    body = self._body_of(ordered[-1])
                    body.K = Array(kids_of(body) + [kid])
                    kid.P = body
                    continue
                ordered.append(kid)
            if len(ordered) != len(kids):
                element.K = Array(ordered)
            kids = ordered
        if element.get("/S") == "/LI":
            self._body_of(element)
            kids = kids_of(element)
        for kid in kids:
            if is_element(kid):
                self._fix_lists(kid)

    def _body_of(self, item):
        """The item's one LBody, made of every kid that is not its Lbl when needed."""
        kids = kids_of(item)
        labels = [k for k in kids if is_element(k) and k.S == "/Lbl"]
        contents = [k for k in kids if not (is_element(k) and k.S == "/Lbl")]
        if len(contents) == 1 and is_element(contents[0]) and contents[0].S == "/LBody":
            return contents[0]
        body = self.pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.LBody, P=item, K=Array()))
        if "/Pg" in item:
            body.Pg = item.Pg
        adopted: list = []
        for kid in contents:
            if is_element(kid) and kid.S == "/LBody":
                adopted += [self._adopt(k, body, kid) for k in kids_of(kid)]
            else:
                adopted.append(self._adopt(kid, body, item))
        body.K = Array(adopted)
        item.K = Array(labels + [body])
        return body

    # --- links ------------------------------------------------------------------

    def _fix_links(self, element, link=None) -> None:
        """Each link annotation in its Link element (WeasyPrint also gives one to a span
        inside a link, under that span), with /Contents and the Print flag."""
        kids = kids_of(element)
        if link is not None and element.S != "/Link":
            stray = [k for k in kids if _is_link_reference(k)]
            if stray:
                element.K = Array([k for k in kids if not _is_link_reference(k)])
                link.K = Array(kids_of(link) + stray)
        for kid in kids:
            if is_element(kid):
                self._fix_links(kid, kid if kid.S == "/Link" else link)
        if element.get("/S") != "/Link":
            return
        text = str(element.get(LINK_TEXT_KEY, "")).strip()
        for part in kids_of(element):
            if _is_link_reference(part):
                annotation = part.Obj
                target = str(annotation.get("/A", {}).get("/URI", "")) or str(annotation.get("/Contents", ""))
                description = f"{text} ({target})" if text and target and text != target else (text or target)
                annotation.Contents = pikepdf.String(description)
                annotation.F = int(annotation.get("/F", 0)) | PRINT_FLAG

    def _strip_hints(self, document) -> None:
        for element in [document] + [kid for _, _, kid in walk(document) if is_element(kid)]:
            for key in (NODE_KEY, LINK_TEXT_KEY):
                if key in element:
                    del element[key]

    # --- pages: artifacts, paint order, MCIDs, ParentTree ------------------------

    def _tree_order(self, document) -> tuple[dict[int, list[int]], list]:
        """MCIDs per page in the order of the tree, and every (annotation, element) pair."""
        order: dict[int, list[int]] = {number: [] for number in range(len(self.pdf.pages))}
        annotations: list = []
        for parent, _, kid in walk(document):
            content = marked_content(parent, kid, self.page_of)
            if content is not None:
                order[content[0]].append(content[1])
            elif annotation_of(kid) is not None:
                annotations.append((annotation_of(kid), parent))
        return order, annotations

    def _rewrite_pages(self, document) -> None:
        order, annotations = self._tree_order(document)
        renumbered: dict[tuple[int, int], int] = {}
        for number, page in enumerate(self.pdf.pages):
            instructions = list(pikepdf.parse_content_stream(page))
            height = float(page.mediabox[3]) - float(page.mediabox[1])
            new_instructions, paint_order = reorder(instructions, order[number], height)
            page.Contents = self.pdf.make_stream(pikepdf.unparse_content_stream(new_instructions))
            for new, old in enumerate(paint_order):
                renumbered[(number, old)] = new
        parents: dict[int, dict[int, object]] = {number: {} for number in range(len(self.pdf.pages))}

        changed: dict[int, tuple[object, list]] = {}
        for parent, index, kid in walk(document):
            content = marked_content(parent, kid, self.page_of)
            if content is None:
                continue
            page, mcid = content
            new = renumbered[(page, mcid)]
            parents[page][new] = parent
            if isinstance(kid, int):
                kids = changed.setdefault(id(parent), (parent, kids_of(parent)))[1]
                kids[index] = new
            else:
                kid.MCID = new
        for parent, kids in changed.values():
            parent.K = Array(kids)
        nums = Array()
        for number, page in enumerate(self.pdf.pages):
            page.StructParents = number
            mapping = parents[number]
            nums.append(number)
            nums.append(self.pdf.make_indirect(Array([mapping[i] for i in range(len(mapping))])))
        key = len(self.pdf.pages)
        for annotation, element in annotations:
            annotation.StructParent = key
            nums.append(key)
            nums.append(element)
            key += 1
        self.root.ParentTree = self.pdf.make_indirect(Dictionary(Nums=nums))
        self.root.ParentTreeNextKey = key


def _is_link_reference(kid) -> bool:
    return (isinstance(kid, Dictionary) and kid.get("/Type") == "/OBJR"
            and kid.Obj.get("/Subtype") == "/Link")


def _same_source(one, other) -> bool:
    return (NODE_KEY in one and NODE_KEY in other and int(one[NODE_KEY]) == int(other[NODE_KEY])
            and one.S == other.S)
