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
import re
from dataclasses import dataclass, field

import pikepdf
from pikepdf import Array, Dictionary, Name

NODE_KEY = "/HandoutsNode"
LINK_TEXT_KEY = "/HandoutsLinkText"
PRINT_FLAG = 4

# Operators that only change the graphics or text state (kept where a moved sequence was).
_STATE_OPERATORS = {"q", "Q", "cm", "w", "J", "j", "M", "d", "ri", "i", "gs", "CS", "cs", "SC", "SCN", "sc", "scn",
                    "G", "g", "RG", "rg", "K", "k", "Tc", "Tw", "Tz", "TL", "Tf", "Tr", "Ts"}
# State parameter each state operator sets (colour operators set colour space and colour together).
_PARAMETER = {"w": "w", "J": "J", "j": "j", "M": "M", "d": "d", "ri": "ri", "i": "i",
              "CS": "stroke", "SC": "stroke", "SCN": "stroke", "G": "stroke", "RG": "stroke", "K": "stroke",
              "cs": "fill", "sc": "fill", "scn": "fill", "g": "fill", "rg": "fill", "k": "fill",
              "Tc": "Tc", "Tw": "Tw", "Tz": "Tz", "TL": "TL", "Tf": "Tf", "Tr": "Tr", "Ts": "Ts"}
_DEFAULTS = {"w": ([1], "w"), "J": ([0], "J"), "j": ([0], "j"), "M": ([10], "M"), "d": ([Array(), 0], "d"),
             "stroke": ([0], "G"), "fill": ([0], "g"), "Tc": ([0], "Tc"), "Tw": ([0], "Tw"), "Tz": ([100], "Tz"),
             "TL": ([0], "TL"), "Tr": ([0], "Tr"), "Ts": ([0], "Ts")}


@dataclass
class GraphicsState:
    """What a content stream has set at one point: the CTM and the last operator per parameter."""

    ctm: pikepdf.Matrix = field(default_factory=pikepdf.Matrix)
    parameters: dict[str, pikepdf.ContentStreamInstruction] = field(default_factory=dict)
    extgstates: tuple[pikepdf.ContentStreamInstruction, ...] = ()

    def copy(self) -> "GraphicsState":
        return GraphicsState(self.ctm, dict(self.parameters), self.extgstates)

    def restore_from(self, current: "GraphicsState") -> list:
        """Operators that turn the state `current` into this one (inside a q … Q pair)."""
        ops: list = []
        if current.ctm.shorthand != self.ctm.shorthand:
            delta = self.ctm @ current.ctm.inverse()
            ops.append(pikepdf.ContentStreamInstruction(list(delta.shorthand), pikepdf.Operator("cm")))
        ops += list(self.extgstates)
        for name in sorted(set(self.parameters) | set(current.parameters)):
            if name in self.parameters:
                ops.append(self.parameters[name])
            elif name in _DEFAULTS:
                operands, operator = _DEFAULTS[name]
                ops.append(pikepdf.ContentStreamInstruction(operands, pikepdf.Operator(operator)))
        return ops


@dataclass
class MarkedSequence:
    """One outermost marked-content sequence of a page: `BDC … EMC` (or `BMC … EMC`)."""

    tag: str
    mcid: int | None
    start: int  # index of the BDC/BMC
    end: int  # index of the EMC
    state: GraphicsState  # before the BDC
    origin: tuple[float, float] | None = None  # where its first text or image is drawn, in page space


def marked_sequences(instructions: list) -> tuple[list[MarkedSequence], list[GraphicsState]]:
    """The outermost marked-content sequences of a content stream, and the graphics state
    before every instruction."""
    sequences: list[MarkedSequence] = []
    states: list[GraphicsState] = []
    stack: list[GraphicsState] = []
    state = GraphicsState()
    depth = 0
    current: MarkedSequence | None = None
    for index, instruction in enumerate(instructions):
        states.append(state)
        if isinstance(instruction, pikepdf.ContentStreamInlineImage):
            continue
        operator = str(instruction.operator)
        operands = instruction.operands
        if operator in ("BDC", "BMC"):
            if depth == 0:
                mcid = None
                if operator == "BDC" and isinstance(operands[1], Dictionary) and "/MCID" in operands[1]:
                    mcid = int(operands[1].MCID)
                current = MarkedSequence(str(operands[0]), mcid, index, index, state)
            depth += 1
        elif operator == "EMC":
            depth -= 1
            if depth == 0 and current is not None:
                current.end = index
                sequences.append(current)
                current = None
        elif operator == "q":
            stack.append(state)
            state = state.copy()
        elif operator == "Q":
            state = stack.pop() if stack else GraphicsState()
        elif operator == "cm":
            state = state.copy()
            state.ctm = pikepdf.Matrix(*[float(v) for v in operands]) @ state.ctm
        elif operator == "gs":
            state = state.copy()
            state.extgstates = state.extgstates + (instruction,)
        elif operator in _PARAMETER:
            state = state.copy()
            state.parameters[_PARAMETER[operator]] = instruction
        elif current is not None and current.origin is None and operator in ("Tm", "Do"):
            matrix = pikepdf.Matrix(*[float(v) for v in operands]) if operator == "Tm" else pikepdf.Matrix()
            placed = matrix @ state.ctm
            current.origin = (placed.e, placed.f)
    return sequences, states


def repair(data: bytes) -> bytes:
    """WeasyPrint's tagged PDF in, the repaired PDF out (same pages, same look)."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        _TreeRepair(pdf).run()
        _fill_empty_unicode_maps(pdf)
        _clean_bookmarks(pdf)
        output = io.BytesIO()
        pdf.save(output, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate,
                 compress_streams=True)
    return output.getvalue()


_EMPTY_MAPPING = re.compile(rb"(<[0-9A-Fa-f]+>\s*)<>")
ZERO_WIDTH_JOINER = b"<200D>"


def _fill_empty_unicode_maps(pdf: pikepdf.Pdf) -> None:
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


def _clean_bookmarks(pdf: pikepdf.Pdf) -> None:
    with pdf.open_outline() as outline:
        items = list(outline.root)
        while items:
            item = items.pop()
            if "\u200b" in item.title:
                item.title = item.title.replace("\u200b", "")
            items += list(item.children)


def is_element(node) -> bool:
    return isinstance(node, Dictionary) and "/S" in node


def kids_of(element) -> list:
    kids = element.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, Array) else [kids]


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

    def _strip_hints(self, element) -> None:
        for key in (NODE_KEY, LINK_TEXT_KEY):
            if key in element:
                del element[key]
        for kid in kids_of(element):
            if is_element(kid):
                self._strip_hints(kid)

    # --- pages: artifacts, paint order, MCIDs, ParentTree ------------------------

    def _tree_order(self, document) -> tuple[dict[int, list[int]], list]:
        """MCIDs per page in the order of the tree, and every (annotation, element) pair."""
        order: dict[int, list[int]] = {number: [] for number in range(len(self.pdf.pages))}
        annotations: list = []

        def walk(element) -> None:
            page = self.page_of.get(element.Pg.objgen) if element.get("/Pg") is not None else None
            for kid in kids_of(element):
                if is_element(kid):
                    walk(kid)
                elif isinstance(kid, int) and page is not None:
                    order[page].append(kid)
                elif isinstance(kid, Dictionary) and kid.get("/Type") == "/MCR":
                    order[self.page_of[kid.Pg.objgen]].append(int(kid.MCID))
                elif isinstance(kid, Dictionary) and kid.get("/Type") == "/OBJR":
                    annotations.append((kid.Obj, element))

        walk(document)
        return order, annotations

    def _rewrite_pages(self, document) -> None:
        order, annotations = self._tree_order(document)
        renumbered: dict[tuple[int, int], int] = {}
        for number, page in enumerate(self.pdf.pages):
            instructions = list(pikepdf.parse_content_stream(page))
            height = float(page.mediabox[3]) - float(page.mediabox[1])
            new_instructions, paint_order = _reorder(instructions, order[number], height)
            page.Contents = self.pdf.make_stream(pikepdf.unparse_content_stream(new_instructions))
            for new, old in enumerate(paint_order):
                renumbered[(number, old)] = new
        parents: dict[int, dict[int, object]] = {number: {} for number in range(len(self.pdf.pages))}

        def renumber(element) -> None:
            page = self.page_of.get(element.Pg.objgen) if element.get("/Pg") is not None else None
            kids = kids_of(element)
            changed = False
            for index, kid in enumerate(kids):
                if is_element(kid):
                    renumber(kid)
                elif isinstance(kid, int) and page is not None:
                    kids[index] = renumbered[(page, kid)]
                    parents[page][kids[index]] = element
                    changed = True
                elif isinstance(kid, Dictionary) and kid.get("/Type") == "/MCR":
                    kid_page = self.page_of[kid.Pg.objgen]
                    kid.MCID = renumbered[(kid_page, int(kid.MCID))]
                    parents[kid_page][int(kid.MCID)] = element
            if changed:
                element.K = Array(kids)

        renumber(document)
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


def _artifact(sequence: MarkedSequence, height: float):
    """The BDC that marks a running title (top half of the page) or page number as an artifact."""
    top = sequence.origin is not None and sequence.origin[1] > height / 2
    properties = Dictionary(Type=Name.Pagination, Subtype=Name.Header if top else Name.Footer,
                            Attached=Array([Name.Top if top else Name.Bottom]))
    return pikepdf.ContentStreamInstruction([Name.Artifact, properties], pikepdf.Operator("BDC"))


def _reorder(instructions: list, wanted: list[int], height: float) -> tuple[list, list[int]]:
    """The page's instructions with the MCIDs that are not in the tree (`wanted`, in tree
    order) made artifacts, and the tagged sequences painted in tree order and renumbered
    0, 1, 2 …; and the old MCIDs in their new paint order."""
    sequences, states = marked_sequences(instructions)
    tagged = set(wanted)
    by_mcid = {s.mcid: s for s in sequences if s.mcid in tagged}
    painted = [s.mcid for s in sequences if s.mcid in by_mcid]
    wanted = [m for m in wanted if m in by_mcid]
    fixed = {s.mcid for s in by_mcid.values() if not _balanced(instructions[s.start:s.end + 1])}
    rank = {m: i for i, m in enumerate(painted)}
    keep = set(_longest_increasing([m for m in wanted if m not in fixed], rank)) | fixed
    # A moved sequence goes before the next kept one in tree order, else after the last kept one.
    insert_before: dict[int, list[int]] = {}
    insert_after: dict[int, list[int]] = {}
    for position, mcid in enumerate(wanted):
        if mcid in keep:
            continue
        following = next((m for m in wanted[position + 1:] if m in keep), None)
        if following is not None:
            insert_before.setdefault(by_mcid[following].start, []).append(mcid)
        else:
            preceding = next(m for m in reversed(wanted[:position]) if m in keep)
            insert_after.setdefault(by_mcid[preceding].end, []).append(mcid)
    moved = {by_mcid[m].start: by_mcid[m] for m in wanted if m not in keep}
    starts = {s.start: s for s in sequences if s.mcid is not None}
    output: list = []
    paint_order: list[int] = []

    def begin(sequence: MarkedSequence):
        properties = Dictionary({k: v for k, v in instructions[sequence.start].operands[1].items()})
        properties.MCID = len(paint_order)
        paint_order.append(sequence.mcid)
        return pikepdf.ContentStreamInstruction([instructions[sequence.start].operands[0], properties],
                                                pikepdf.Operator("BDC"))

    def emit_moved(mcids: list[int], state: GraphicsState) -> None:
        for mcid in mcids:
            sequence = by_mcid[mcid]
            output.append(pikepdf.ContentStreamInstruction([], pikepdf.Operator("q")))
            output.extend(sequence.state.restore_from(state))
            output.append(begin(sequence))
            output.extend(instructions[sequence.start + 1:sequence.end + 1])
            output.append(pikepdf.ContentStreamInstruction([], pikepdf.Operator("Q")))

    index = 0
    while index < len(instructions):
        if index in insert_before:
            emit_moved(insert_before[index], states[index])
        if index in moved:
            sequence = moved[index]
            # The state changes stay where the sequence was: what follows may rely on them.
            output.extend(i for i in instructions[sequence.start + 1:sequence.end]
                          if not isinstance(i, pikepdf.ContentStreamInlineImage)
                          and str(i.operator) in _STATE_OPERATORS)
            index = sequence.end + 1
            continue
        instruction = instructions[index]
        if index in starts:
            sequence = starts[index]
            instruction = begin(sequence) if sequence.mcid in tagged else _artifact(sequence, height)
        output.append(instruction)
        if index in insert_after:
            emit_moved(insert_after[index], states[index + 1] if index + 1 < len(states) else states[index])
        index += 1
    return output, paint_order


def _balanced(instructions: list) -> bool:
    depth = 0
    for instruction in instructions:
        if isinstance(instruction, pikepdf.ContentStreamInlineImage):
            continue
        depth += {"q": 1, "Q": -1}.get(str(instruction.operator), 0)
        if depth < 0:
            return False
    return depth == 0


def _longest_increasing(sequence: list[int], rank: dict[int, int]) -> list[int]:
    """The longest subsequence of `sequence` whose ranks increase (those need not move)."""
    import bisect

    tails: list[int] = []
    tail_index: list[int] = []
    previous = [-1] * len(sequence)
    for position, item in enumerate(sequence):
        value = rank[item]
        slot = bisect.bisect_left(tails, value)
        if slot == len(tails):
            tails.append(value)
            tail_index.append(position)
        else:
            tails[slot] = value
            tail_index[slot] = position
        previous[position] = tail_index[slot - 1] if slot else -1
    result: list[int] = []
    position = tail_index[-1] if tail_index else -1
    while position >= 0:
        result.append(sequence[position])
        position = previous[position]
    return result[::-1]
