"""What copying and searching get from the PDF: the fonts' ToUnicode maps and the
bookmark titles, fixed after rendering.

In the Indic scripts, Burmese and Nastaliq, a glyph is often not one character: a conjunct
(स्थ), a half form, a vowel sign in one of its widths, a contextual form of a letter.
WeasyPrint maps the first glyph of a cluster to the cluster's whole text and the others
to nothing, once per glyph for the whole document: a consonant that first appeared before
an i-vowel was copied as consonant + vowel everywhere, and the other glyphs not at all.
Screen readers get each block's /ActualText (tags.py); for copying, searching and every
other extractor, each glyph is mapped to the characters it draws, found by shaping the
document's text with HarfBuzz and the same font files (WeasyPrint's subsets keep the
glyph ids): a glyph that is a character's own glyph maps to that character; any other
glyph to the characters its clusters have left once their other glyphs are accounted for.
Not for Nastaliq: its letters are drawn as a dotless stem shared by a dozen letters plus
dot glyphs shared by dozens more, so no map of single glyphs can spell Urdu; glyph_codes.py
gives each glyph drawn there a code of its own instead.
"""

from __future__ import annotations

import collections
import io
import re
import unicodedata

import pikepdf

from pipeline.writers.pdf.structure import is_element, walk

_EMPTY_MAPPING = re.compile(rb"(<[0-9A-Fa-f]+>\s*)<>")
_MAPPING = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]*)>")
ZERO_WIDTH_JOINER = b"<200D>"
ZWJ = "\u200d"


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


def map_glyphs_by_shaping(pdf: pikepdf.Pdf, font_files: list[tuple[str, int]], language: str,
                          extra_texts: list[str]) -> None:
    """Rewrite the ToUnicode map of every embedded TrueType font that is one of
    `font_files` (path, index), from the shaping of the document's text (its blocks'
    /ActualText and `extra_texts`: running title, page numbers)."""
    texts = sorted(set(actual_texts(pdf.Root.get("/StructTreeRoot"))) | set(extra_texts))
    for font, mapping, source in fonts_made_from(pdf, font_files):
        mapping |= _shaped_mapping(source, texts, language, set(mapping))
        font.ToUnicode.write(cmap_bytes(mapping))


def fonts_made_from(pdf: pikepdf.Pdf, font_files: list[tuple[str, int]]):
    """Each embedded TrueType font made from one of `font_files`, once: (the font, its
    Unicode map, (path, index, the installed font))."""
    from fontTools.ttLib import TTFont

    candidates = [(path, index, TTFont(path, fontNumber=index, lazy=True)) for path, index in font_files]
    done: set[tuple[int, int]] = set()
    for page in pdf.pages:
        for font in page.Resources.get("/Font", {}).values():
            if font.get("/Subtype") != "/Type0" or "/ToUnicode" not in font or font.objgen in done:
                continue
            done.add(font.objgen)
            mapping = parse_cmap(font.ToUnicode.read_bytes())
            source = source_file(font, mapping, candidates)
            if source is not None:
                yield font, mapping, source


def shaped(font, text: str, language: str):
    """HarfBuzz's glyphs for `text` (glyph ids and clusters, one cluster per character
    where the font allows) and the run's direction."""
    import uharfbuzz as harfbuzz

    buffer = harfbuzz.Buffer()
    buffer.add_str(text)
    buffer.guess_segment_properties()
    buffer.language = language
    buffer.cluster_level = harfbuzz.BufferClusterLevel.MONOTONE_CHARACTERS
    harfbuzz.shape(font, buffer, {})
    return buffer.glyph_infos, buffer.direction


def harfbuzz_font(path: str, index: int):
    import uharfbuzz as harfbuzz

    with open(path, "rb") as handle:
        return harfbuzz.Font(harfbuzz.Face(handle.read(), index))


def actual_texts(root) -> list[str]:
    """Every structure element's /ActualText, in document order."""
    if root is None:
        return []
    return [str(kid.ActualText) for _, _, kid in walk(root) if is_element(kid) and "/ActualText" in kid]


def parse_cmap(data: bytes) -> dict[int, str]:
    return {int(code, 16): bytes.fromhex(text.decode()).decode("utf-16-be", errors="replace")
            for code, text in _MAPPING.findall(data)}


def source_file(font: pikepdf.Dictionary, mapping: dict[int, str], candidates: list):
    """The installed font file an embedded subset was made from: the one whose glyphs of
    the same ids have the same advance and outline."""
    descriptor = font.DescendantFonts[0].FontDescriptor
    if "/FontFile2" not in descriptor:
        return None
    from fontTools.ttLib import TTFont

    subset = TTFont(io.BytesIO(descriptor.FontFile2.read_bytes()))
    used = sorted(code for code in mapping if code)[:60]
    shape = _shape_of(subset, used)
    for path, index, candidate in candidates:
        if len(candidate.getGlyphOrder()) >= len(subset.getGlyphOrder()) and _shape_of(candidate, used) == shape:
            return path, index, candidate
    return None


def _shape_of(font, glyph_ids: list[int]) -> list:
    order, glyf, metrics = font.getGlyphOrder(), font["glyf"], font["hmtx"].metrics
    found = []
    for gid in glyph_ids:
        if gid >= len(order):
            return []
        glyph = glyf[order[gid]]
        outline = tuple(glyph.getCoordinates(glyf)[0]) if getattr(glyph, "numberOfContours", 0) else ()
        found.append((metrics[order[gid]][0], outline))
    return found


def _shaped_mapping(source, texts: list[str], language: str, used: set[int]) -> dict[int, str]:
    """Each used glyph's characters: its own character for a character's glyph, else what
    its clusters leave once the glyphs already known are accounted for (repeated until
    nothing more is learnt; a cluster of several unknown glyphs shares its rest in order)."""
    path, index, font = source
    clusters = _clusters(path, index, texts, language)
    known = _own_glyphs(font, texts, clusters)
    learnt = True
    while learnt:
        votes: dict[int, collections.Counter] = collections.defaultdict(collections.Counter)
        for glyphs, rest in _unexplained(clusters, known):
            if len(set(glyphs)) == 1 and rest:
                votes[glyphs[0]][rest] += 1
        known |= {gid: counts.most_common(1)[0][0] for gid, counts in votes.items()}
        learnt = bool(votes)
    for glyphs, rest in _unexplained(clusters, known):
        for position, gid in enumerate(glyphs):
            if rest and gid not in known:
                known[gid] = rest if position == len(glyphs) - 1 else rest[0]
                rest = rest[len(known[gid]):]
    return {gid: text for gid, text in known.items() if gid in used and text}


def _own_glyphs(font, texts: list[str], clusters: list[tuple[list[int], str]]) -> dict[int, str]:
    """Each character's own glyph (the font's cmap), mapped back to the character; a glyph
    that several characters share (Arabic kaf and Urdu keheh in a Nastaliq font) to the one
    the document uses most, so that Urdu copies as Urdu. A character's glyph that the
    document only ever uses for other characters (a Nastaliq font draws the initial Urdu yeh
    with the Arabic yeh's glyph) is left to be learnt from its clusters."""
    ids = {name: gid for gid, name in enumerate(font.getGlyphOrder())}
    used = collections.Counter(unicodedata.normalize("NFD", "".join(texts)))
    shared: dict[int, list[int]] = collections.defaultdict(list)
    for codepoint, name in (font.getBestCmap() or {}).items():
        shared[ids[name]].append(codepoint)
    own = {gid: unicodedata.normalize("NFD", chr(min(codepoints, key=lambda c: (-used[chr(c)], c))))
           for gid, codepoints in shared.items()}
    seen_with: dict[int, set[str]] = collections.defaultdict(set)
    for glyphs, characters in clusters:
        for gid in glyphs:
            seen_with[gid] |= set(characters)
    return {gid: text for gid, text in own.items() if gid not in seen_with or set(text) <= seen_with[gid]}


def _clusters(path: str, index: int, texts: list[str], language: str) -> list[tuple[list[int], str]]:
    """(glyph ids, characters) of every cluster HarfBuzz makes of `texts`."""
    font = harfbuzz_font(path, index)
    found = []
    for text in texts:
        glyphs: dict[int, list[int]] = {}
        for info in shaped(font, text, language)[0]:
            glyphs.setdefault(info.cluster, []).append(info.codepoint)
        starts = sorted(glyphs)
        for start, end in zip(starts, starts[1:] + [len(text)]):
            if 0 not in glyphs[start]:  # a character the font lacks: another font drew it
                found.append((glyphs[start], unicodedata.normalize("NFD", text[start:end])))
    return found


def _unexplained(clusters, known: dict[int, str]):
    """For each cluster, its glyphs not known yet and the characters the known ones leave."""
    for glyphs, characters in clusters:
        rest = list(characters)
        for gid in glyphs:
            for character in known.get(gid, ""):
                if character in rest:
                    rest.remove(character)
        unknown = [gid for gid in glyphs if gid not in known]
        if unknown:
            yield unknown, "".join(rest)


def cmap_bytes(mapping: dict[int, str]) -> bytes:
    lines = ["/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap",
             "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
             "/CMapName /Adobe-Identity-UCS def", "/CMapType 2 def",
             "1 begincodespacerange", "<0000> <FFFF>", "endcodespacerange"]
    items = sorted(mapping.items())
    for start in range(0, len(items), 100):
        chunk = items[start:start + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        lines += [f"<{code:04X}> <{text.encode('utf-16-be').hex().upper()}>" for code, text in chunk]
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines).encode("ascii")


def clean_bookmarks(pdf: pikepdf.Pdf) -> None:
    with pdf.open_outline() as outline:
        items = list(outline.root)
        while items:
            item = items.pop()
            if "\u200b" in item.title:
                item.title = item.title.replace("\u200b", "")
            items += list(item.children)
