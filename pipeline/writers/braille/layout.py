"""Braille blocks to lines and pages: translation with liblouis, line breaks only where the
code allows them, pages of 40 cells by 25 lines with the braille page number, volumes.

A line breaks at a blank cell (a space of the print) or after the hyphen of a hyphenated
word, never inside a word: a word longer than the line is refused with its place. Blank
lines never start a page; a heading never ends one (it goes over with the line after it).
The first page of each volume is its title page: counted, its number not shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.core.errors import RenderError
from pipeline.writers.braille.louis import BLANK, describe, translate, undefined_characters
from pipeline.writers.braille.transcribe import Block, Piece

CELLS = 40
LINES = 25
TEXT_LINES = LINES - 1  # one line of every page carries the page number
CENTRED_MARGIN = 3  # blank cells at least on each side of a centred line
GAP = 3  # blank cells at least between text and the page number on its line
VOLUME_PAGES = 80  # BANA volumes run to about 70-100 braille pages (single-sided)
HYPHENS = "-\u2010"


@dataclass(frozen=True)
class Line:
    cells: str  # indentation included, no trailing blanks; "" for a blank line
    keep_with_next: bool = False


@dataclass(frozen=True)
class Code:
    """How one language's braille is written: its liblouis table and what the table leaves
    to the transcriber (note indicators, list bullet, where the page number goes)."""

    table: str
    note_marks: tuple[str, str] | None = None
    bullet: str = "•"
    page_number_at_bottom: bool = False


def check_characters(code: Code, blocks: list[Block], stem: str) -> None:
    """Refuse text the table cannot translate, naming the characters and the segment."""
    if code.bullet and undefined_characters(code.table, code.bullet):
        raise RenderError(f"the braille table {code.table} has no sign for the list bullet {code.bullet!r}",
                          file=stem, hint="set its bullet in pipeline/data/languages.toml ([<tag>.braille] bullet)")
    for block in blocks:
        text = "".join(piece.text for line in block.lines for piece in line)
        missing = undefined_characters(code.table, text)
        if missing:
            raise RenderError(f"{block.where}: the braille table {code.table} cannot translate {describe(missing)}",
                              file=stem, hint="write the text without it, or use another table in handouts.toml "
                                              "([language.<tag>] braille_table)")


def _words(code: Code, pieces: tuple[Piece, ...], where: str) -> list[tuple[str, str, bool]]:
    """The translated line cut where it may break: (cells, print text, joined to the next
    without a blank) per unit."""
    text = "".join(piece.text for piece in pieces)
    typeform = [piece.emphasis for piece in pieces for _ in piece.text]
    translation = translate(code.table, text, typeform if any(typeform) else None)
    cells, sources = translation.cells, translation.sources
    units: list[tuple[str, str, bool]] = []
    start = 0
    for index, cell in enumerate(cells):
        source = sources[index] if index < len(sources) else len(text) - 1
        after_hyphen = (text[source] in HYPHENS and index + 1 < len(cells) and cells[index + 1] != BLANK
                        and (index + 1 >= len(sources) or sources[index + 1] != source)
                        and 0 < source < len(text) - 1 and text[source - 1].isalpha() and text[source + 1].isalpha())
        if cell == BLANK or after_hyphen:
            end = index if cell == BLANK else index + 1
            if end > start:
                units.append((cells[start:end], _print_of(text, sources, start, end), cell != BLANK))
            start = index + 1
    if start < len(cells):
        units.append((cells[start:], _print_of(text, sources, start, len(cells)), False))
    if not units:
        raise RenderError(f"{where}: liblouis gave no braille for {text!r}")
    return units


def _print_of(text: str, sources: tuple[int, ...], start: int, end: int) -> str:
    picked = [sources[i] for i in range(start, min(end, len(sources)))]
    return text[min(picked):max(picked) + 1] if picked else ""


def block_lines(code: Code, block: Block, stem: str) -> list[Line]:
    """The lines of one block, indented or centred as its format says."""
    lines: list[Line] = []
    if block.blank_before:
        lines.append(Line(""))
    marks = code.note_marks if block.note else None
    for number, pieces in enumerate(block.lines):
        units = _words(code, pieces, block.where)
        if marks:
            if number == 0:
                units[0] = (marks[0] + units[0][0], units[0][1], units[0][2])
            if number == len(block.lines) - 1:
                units[-1] = (units[-1][0] + marks[1], units[-1][1], units[-1][2])
        first = block.first if number == 0 else block.runover
        lines += _fill(units, block, first, stem)
    if block.heading:
        lines = [Line(line.cells, keep_with_next=bool(line.cells)) for line in lines]
    if block.blank_after:
        lines.append(Line(""))
    return lines


def _fill(units: list[tuple[str, str, bool]], block: Block, first: int, stem: str) -> list[Line]:
    """Greedy filling: as many units on a line as fit; centred lines keep their margins."""
    lines: list[Line] = []
    current, joined = "", True
    indent = first
    for cells, shown, to_next in units:
        width = CELLS - 2 * CENTRED_MARGIN if block.centered else CELLS - (indent - 1)
        if len(cells) > width:
            raise RenderError(f"{block.where}: the word {shown!r} takes {len(cells)} braille cells, more than a "
                              f"line's {width}", file=stem, hint="shorten or hyphenate it in the source or catalog")
        candidate = current + ("" if joined else BLANK) + cells if current else cells
        if len(candidate) > width:
            lines.append(_placed(current, block, indent))
            indent = block.runover
            candidate = cells
        current, joined = candidate, to_next
    if current:
        lines.append(_placed(current, block, indent))
    return lines


def _placed(cells: str, block: Block, indent: int) -> Line:
    if block.centered:
        return Line(BLANK * ((CELLS - len(cells)) // 2) + cells)
    return Line(BLANK * (indent - 1) + cells)


def lines_of(code: Code, blocks: list[Block], stem: str) -> list[Line]:
    """Every line of the blocks; one blank line where a block's blank after meets the next
    one's blank before."""
    check_characters(code, blocks, stem)
    lines: list[Line] = []
    for block in blocks:
        for line in block_lines(code, block, stem):
            # No blank line right after a heading (a list that follows one needs none).
            if line.cells or (lines and lines[-1].cells and not lines[-1].keep_with_next):
                lines.append(line)
    return lines


def paginate(lines: list[Line]) -> list[list[str]]:
    """The text lines of each page (at most TEXT_LINES): no page starts with a blank line,
    a heading goes to the next page rather than end one."""
    pages: list[list[str]] = [[]]
    index = 0
    while index < len(lines):
        line = lines[index]
        page = pages[-1]
        if not line.cells and not page:
            index += 1
            continue
        chain = _kept_together(lines, index)
        if len(page) + chain > TEXT_LINES and page and chain <= TEXT_LINES:
            pages.append([])
            continue
        if len(page) >= TEXT_LINES:
            pages.append([])
            continue
        page.append(line.cells)
        index += 1
    while pages and not any(pages[-1]):
        pages.pop()
    return [[row.rstrip(BLANK) for row in page] for page in pages]


def _kept_together(lines: list[Line], index: int) -> int:
    """How many lines from `index` must share a page: a heading's lines and the first
    text line after them."""
    end = index
    while end < len(lines) and (lines[end].keep_with_next or (end > index and not lines[end].cells)):
        end += 1
    return end - index + 1 if end > index and end < len(lines) else max(1, end - index)


def page_rows(code: Code, text: list[str], number: int | None) -> list[str]:
    """The 25 rows of a page: its text and, at the right margin of the first or last line,
    its braille page number (none on a title page)."""
    rows = text + [""] * (TEXT_LINES - len(text))
    label = ""
    if number is not None:
        label = translate(code.table, str(number)).cells
        label = BLANK * (CELLS - len(label)) + label
    return rows + [label] if code.page_number_at_bottom else [label] + rows


def split_volumes(pages: list[list[str]], title_pages: int, limit: int = VOLUME_PAGES) -> list[list[list[str]]]:
    """The text pages cut into volumes of at most `limit` pages with their title pages."""
    room = max(1, limit - title_pages)
    return [pages[start:start + room] for start in range(0, len(pages), room)] or [[]]
