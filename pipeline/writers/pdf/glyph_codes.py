"""Copying and searching Nastaliq: a code per glyph *and* the characters it draws there.

A Nastaliq font draws a letter as a stem that a dozen letters share plus dots that dozens
share, so a font's Unicode map, one entry per glyph, cannot spell Urdu (text_maps.py maps
the other scripts that way). A PDF font's codes need not be its glyph ids, though: each
code names a glyph through the font's CIDToGIDMap, and several codes may name the same
glyph. So each word is shaped with HarfBuzz and the same font file (as Pango shaped it for
WeasyPrint), its occurrences are found in the pages' text, and every glyph there is
rewritten to a code that draws the same glyph and maps to the characters that glyph
stands for in that word: the stem to its letter, a dot or a second glyph of the same
letter to an invisible joiner. The pages look the same; pdftotext, pdf.js and every other
extractor read the words. Screen readers keep each block's /ActualText.
"""

from __future__ import annotations

import unicodedata

import pikepdf

from pipeline.writers.pdf.text_maps import ZWJ, actual_texts, cmap_bytes, fonts_made_from, harfbuzz_font, shaped

MARK_CLASS = 3  # GDEF: a mark glyph (dots, vowel signs) that sits on a base
LAST_CODE = 0xFFFF  # WeasyPrint's fonts use two-byte codes (Identity-H)


def spell_each_occurrence(pdf: pikepdf.Pdf, font_files: list[tuple[str, int]], language: str,
                          extra_texts: list[str]) -> None:
    """Give every glyph of the embedded fonts made from `font_files` that is part of a word
    of the document's text (its blocks' /ActualText and `extra_texts`: running title, page
    numbers) a code whose Unicode map is what it draws in that word."""
    texts = actual_texts(pdf.Root.get("/StructTreeRoot")) + list(extra_texts)
    words = sorted({word for text in texts for word in text.split()})
    for font, mapping, source in fonts_made_from(pdf, font_files):
        _Recoder(pdf, font, mapping, _spellings(source, words, language)).run()


def _spellings(source, words: list[str], language: str) -> dict[tuple[int, ...], list[str]]:
    """Each word's glyphs in drawing order, with what each glyph stands for."""
    path, index, font = source
    classes = font["GDEF"].table.GlyphClassDef.classDefs if "GDEF" in font else {}
    order = font.getGlyphOrder()
    shaper = harfbuzz_font(path, index)
    found: dict[tuple[int, ...], list[str]] = {}
    for word in words:
        infos, direction = shaped(shaper, word, language)
        glyphs = [info.codepoint for info in infos]
        if glyphs and 0 not in glyphs:
            clusters = [info.cluster for info in infos]
            marks = [classes.get(order[gid]) == MARK_CLASS for gid in glyphs]
            found.setdefault(tuple(glyphs), _spell(word, clusters, marks, direction == "rtl"))
    return found


def _spell(word: str, clusters: list[int], marks: list[bool], rtl: bool) -> list[str]:
    """What each glyph (in drawing order) stands for: in each cluster, a letter goes to a
    base glyph, a combining mark to a mark glyph, in logical order; a glyph left over is
    an invisible joiner, a character left over joins the last glyph given one."""
    spelled = [""] * len(clusters)
    starts = sorted(set(clusters))
    for start, end in zip(starts, starts[1:] + [len(word)]):
        positions = [i for i, cluster in enumerate(clusters) if cluster == start]
        if rtl:
            positions.reverse()  # drawn left to right: the logical first glyph is drawn last
        last = positions[0]
        for character in word[start:end]:
            is_mark = unicodedata.category(character) == "Mn"
            free = [i for i in positions if not spelled[i] and marks[i] == is_mark] or \
                [i for i in positions if not spelled[i]]
            last = free[0] if free else last
            spelled[last] += character
    return [text or ZWJ for text in spelled]


class _Recoder:
    """Rewrites one font's codes on every page: each (glyph, spelling) gets its own code."""

    def __init__(self, pdf: pikepdf.Pdf, font: pikepdf.Dictionary, mapping: dict[int, str],
                 spellings: dict[tuple[int, ...], list[str]]) -> None:
        self.pdf, self.font, self.mapping, self.spellings = pdf, font, mapping, spellings
        self.longest = max((len(glyphs) for glyphs in spellings), default=0)
        self.codes: dict[tuple[int, str | None], int] = {}
        self.next_code = max(mapping, default=0) + 1
        self.glyph_of: dict[int, int] = {}

    def run(self) -> None:
        if not self.spellings:
            return
        for page in self.pdf.pages:
            names = {name for name, font in page.Resources.get("/Font", {}).items() if font.objgen == self.font.objgen}
            if names:
                self._recode_page(page, names)
        self._write_font()

    def _recode_page(self, page: pikepdf.Page, names: set[str]) -> None:
        """`names`: what this page's resources call the font."""
        instructions = list(pikepdf.parse_content_stream(page))
        places = _glyph_places(instructions, names)
        glyphs = [code for _, _, _, code in places]
        new_codes = list(glyphs)
        position = 0
        while position < len(glyphs):
            length = self._match(glyphs, position)
            if length:
                spelled = self.spellings[tuple(glyphs[position:position + length])]
                for offset, text in enumerate(spelled):
                    new_codes[position + offset] = self._code(glyphs[position + offset], text)
                position += length
            else:
                position += 1
        if new_codes != glyphs:
            _write_places(instructions, places, new_codes)
            page.Contents = self.pdf.make_stream(pikepdf.unparse_content_stream(instructions))

    def _match(self, glyphs: list[int], position: int) -> int:
        for length in range(min(self.longest, len(glyphs) - position), 0, -1):
            if tuple(glyphs[position:position + length]) in self.spellings:
                return length
        return 0

    def _code(self, glyph: int, text: str) -> int:
        """The glyph's own code when its map already says `text` or nobody claimed it yet,
        else a new code that draws the same glyph."""
        key = (glyph, text)
        if key not in self.codes and self.next_code > LAST_CODE:
            return glyph  # two-byte codes all taken: this glyph keeps its own code and map
        if key not in self.codes:
            if self.mapping.get(glyph) == text or (glyph, None) not in self.codes:
                self.codes[(glyph, None)] = glyph
                self.mapping[glyph] = text
                self.codes[key] = glyph
            else:
                self.codes[key] = self.next_code
                self.mapping[self.next_code] = text
                self.glyph_of[self.next_code] = glyph
                self.next_code += 1
        return self.codes[key]

    def _write_font(self) -> None:
        """The new codes' glyphs (CIDToGIDMap), widths and Unicode map."""
        descendant = self.font.DescendantFonts[0]
        table = bytearray()
        for code in range(self.next_code):
            glyph = self.glyph_of.get(code, code)
            table += glyph.to_bytes(2, "big")
        descendant.CIDToGIDMap = self.pdf.make_stream(bytes(table))
        widths = _widths(descendant)
        extra = pikepdf.Array()
        for code in sorted(self.glyph_of):
            extra.extend([code, pikepdf.Array([widths.get(self.glyph_of[code], descendant.get("/DW", 1000))])])
        descendant.W = pikepdf.Array(list(descendant.get("/W", pikepdf.Array())) + list(extra))
        self.font.ToUnicode.write(cmap_bytes(self.mapping))


def _glyph_places(instructions, names: set[str]) -> list[tuple[int, int | None, int, int]]:
    """Every glyph drawn in one of the fonts `names`: (instruction, array item or None,
    byte offset, code), in drawing order."""
    places = []
    current = None
    for number, (operands, operator) in enumerate(instructions):
        operator = str(operator)
        if operator == "Tf":
            current = str(operands[0])
        elif operator in ("Tj", "TJ", "'", '"') and current in names:
            strings = [(None, operands[-1])] if operator != "TJ" else list(enumerate(operands[0]))
            for item, value in strings:
                if isinstance(value, pikepdf.String):
                    data = bytes(value)
                    places += [(number, item, offset, int.from_bytes(data[offset:offset + 2], "big"))
                               for offset in range(0, len(data) - 1, 2)]
    return places


def _write_places(instructions, places, codes: list[int]) -> None:
    edits: dict[tuple[int, int | None], bytearray] = {}
    for (number, item, offset, _), code in zip(places, codes):
        operands = instructions[number].operands
        key = (number, item)
        if key not in edits:
            edits[key] = bytearray(bytes(operands[-1] if item is None else operands[0][item]))
        edits[key][offset:offset + 2] = code.to_bytes(2, "big")
    for (number, item), data in edits.items():
        operands = list(instructions[number].operands)
        if item is None:
            operands[-1] = pikepdf.String(bytes(data))
        else:
            array = list(operands[0])
            array[item] = pikepdf.String(bytes(data))
            operands[0] = pikepdf.Array(array)
        instructions[number] = pikepdf.ContentStreamInstruction(operands, instructions[number].operator)


def _widths(descendant: pikepdf.Dictionary) -> dict[int, float]:
    """The CIDFont's /W array as {code: width}."""
    found: dict[int, float] = {}
    items = list(descendant.get("/W", pikepdf.Array()))
    position = 0
    while position < len(items):
        first = int(items[position])
        if isinstance(items[position + 1], pikepdf.Array):
            found |= {first + n: float(w) for n, w in enumerate(items[position + 1])}
            position += 2
        else:
            found |= {code: float(items[position + 2]) for code in range(first, int(items[position + 1]) + 1)}
            position += 3
    return found

