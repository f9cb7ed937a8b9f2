"""Reading a braille edition back: the BRF and the PEF of one handout, and what is wrong.

- BRF: only North American Braille ASCII, lines ending CR LF, at most 40 cells a line and
  25 lines a page, pages separated by form feeds;
- PEF: valid against the PEF 2008-1 RelaxNG schema shipped in Debian's
  `libbrailleutils-java` (read from its jar), and its rules that rows fit the page;
- both hold the same cells, every text page shows its braille page number where the
  code puts it (title pages none), and the back-translation of the text (liblouis, the
  language's table) contains every segment of the handout in reading order.
"""

from __future__ import annotations

import functools
import glob
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field

from pipeline.core.job import Job
from pipeline.writers.braille import choice_for
from pipeline.writers.braille.layout import CELLS, LINES
from pipeline.writers.braille.louis import BLANK, back_translate, translate
from pipeline.writers.braille.serialize import BRF_CHARACTERS, PEF_NS, from_brf_text

SCHEMA_NAME = "pef-2008-1-full.rng"
SCHEMA_PLACES = ("/usr/share/java/brailleUtils-core*.jar", "/usr/share/**/" + SCHEMA_NAME)


@functools.lru_cache(maxsize=1)
def pef_schema_text() -> bytes | None:
    """The PEF RelaxNG schema as libbrailleutils-java ships it (inside its jar)."""
    for pattern in SCHEMA_PLACES:
        for path in sorted(glob.glob(pattern, recursive=True)):
            if path.endswith(".jar"):
                with zipfile.ZipFile(path) as jar:
                    names = [n for n in jar.namelist() if n.endswith("/" + SCHEMA_NAME)]
                    if names:
                        return jar.read(names[0])
            else:
                with open(path, "rb") as handle:
                    return handle.read()
    return None


def brf_pages(data: bytes) -> tuple[list[list[str]], list[str]]:
    """The lines of each page of a BRF, and what breaks the format."""
    problems: list[str] = []
    stray = sorted({chr(b) for b in data if chr(b) not in BRF_CHARACTERS and b not in b"\r\n\f"})
    if stray:
        problems.append(f"characters outside North American Braille ASCII: {stray[:10]}")
    text = data.decode("latin-1")
    pages = []
    for number, page in enumerate(text.split("\f"), start=1):
        if page and not page.endswith("\r\n") or re.search(r"(?<!\r)\n|\r(?!\n)", page):
            problems.append(f"page {number}: lines do not end in CR LF")
        lines = page.split("\r\n")[:-1] if page.endswith("\r\n") else page.split("\r\n")
        if len(lines) > LINES:
            problems.append(f"page {number} has {len(lines)} lines (at most {LINES})")
        for row, line in enumerate(lines, start=1):
            if len(line) > CELLS:
                problems.append(f"page {number} line {row} has {len(line)} cells (at most {CELLS})")
        pages.append(lines)
    return pages, problems


def pef_pages(data: bytes) -> tuple[list[list[list[str]]], list[str]]:
    """The rows of each page of each volume of a PEF, and what breaks the schema."""
    from lxml import etree

    try:
        document = etree.fromstring(data)
    except etree.XMLSyntaxError as error:
        return [], [f"PEF is not well-formed XML: {error}"]
    problems: list[str] = []
    schema = pef_schema_text()
    if schema is None:
        problems.append(f"the PEF schema {SCHEMA_NAME} was not found (install libbrailleutils-java)")
    else:
        validator = etree.RelaxNG(etree.fromstring(schema))
        if not validator.validate(document):
            problems += [f"PEF schema: line {e.line}: {e.message}" for e in list(validator.error_log)[:5]]
    ns = {"p": PEF_NS}
    volumes = []
    for volume in document.findall("p:body/p:volume", ns):
        cols, rows = int(volume.get("cols", 0)), int(volume.get("rows", 0))
        pages = []
        for page in volume.findall(".//p:page", ns):
            texts = [row.text or "" for row in page.findall("p:row", ns)]
            if len(texts) > rows or any(len(t) > cols for t in texts):
                problems.append(f"PEF page {len(pages) + 1}: rows do not fit the page ({cols}×{rows})")
            pages.append(texts)
        volumes.append(pages)
    return volumes, problems


def words_of(text: str, *, marks: bool = True) -> list[str]:
    """The words of a text as letters only (with their marks, unless `marks` is False), in
    lower case: what a back-translation can be trusted to give back (liblouis reads some
    punctuation of some codes as digits, and emphasis indicators as escapes; Arabic braille
    puts the shadda before its letter)."""
    text = unicodedata.normalize("NFC", text).casefold()
    if not marks:
        text = "".join(c for c in text if unicodedata.category(c)[0] != "M")
    return "".join(c if unicodedata.category(c)[0] in "LM" else " " for c in text).split()


def _foreign(word: str, script: str) -> bool:
    """A word of another script than the language's (Latin abbreviations in Russian or
    Arabic text): liblouis reads it back in the language's own letters."""
    return script != "Latn" and any("LATIN" in unicodedata.name(c, "") for c in word)


def find_words(haystack: list[str], needle: list[str], start: int, script: str) -> int:
    """Where `needle` begins in `haystack` from `start` (-1 if nowhere). A word of another
    script matches one to three words (its braille is the table's; its reading back is
    not: Arabic braille reads "DCIS" back in Arabic letters and digits); in Arabic script a
    word may carry the conjunction و written onto it (a list joined by the language's "and")."""
    if not needle:
        return start
    for at in range(start, len(haystack)):
        if _matches(haystack, at, needle, 0, script):
            return at
    return -1


def _matches(haystack: list[str], at: int, needle: list[str], k: int, script: str) -> bool:
    while k < len(needle):
        word = needle[k]
        if _foreign(word, script):
            return any(_matches(haystack, at + width, needle, k + 1, script) for width in (1, 2, 3)
                       if at + width <= len(haystack))
        if at >= len(haystack) or not _same_word(haystack[at], word, script):
            return False
        at, k = at + 1, k + 1
    return True


def _same_word(read: str, word: str, script: str) -> bool:
    return read == word or (script == "Arab" and read == "و" + word)


@dataclass
class BrailleReport:
    pages: int = 0
    volumes: int = 0
    problems: list[str] = field(default_factory=list)
    back_translation: str = ""


def check_edition(brf: bytes, pef: bytes | None, job: Job) -> BrailleReport:
    """Everything `handouts check` and the tests ask of one braille edition."""
    report = BrailleReport()
    pages, report.problems = brf_pages(brf)
    report.pages = len(pages)
    cells = [[from_brf_text(line) for line in page] for page in pages]
    choice = choice_for(job)
    table = choice.table
    if pef is None:
        report.problems.append("no .pef next to it")
        volumes = [cells]
    else:
        volumes, problems = pef_pages(pef)
        report.problems += problems
        flat = [[row.rstrip(BLANK) for row in page] for volume in volumes for page in volume]
        if flat != [[row.rstrip(BLANK) for row in page + [""] * (LINES - len(page))] for page in cells]:
            report.problems.append("the BRF and the PEF do not hold the same braille")
    report.volumes = len(volumes)
    report.problems += page_number_problems(volumes, table, choice.page_number_at_bottom)
    back = back_translate(table, text_cells(volumes, choice.page_number_at_bottom))
    # Signs the code writes with the same cells as letters, read back as the letters (language data).
    for sign, letters in job.facts.own_data.get("braille", {}).get("reads_back", {}).items():
        back = back.replace(sign, letters)
    report.back_translation = back
    report.problems += segment_problems(report.back_translation, job)
    return report


def text_cells(volumes: list[list[list[str]]], bottom: bool) -> str:
    """The text of every page without its page-number line, lines joined by a blank cell
    (a line only ever breaks between words or after a hyphen)."""
    rows = []
    for volume in volumes:
        for page in volume:
            page = page + [""] * (LINES - len(page))
            rows += [row.strip(BLANK) for row in (page[:-1] if bottom else page[1:]) if row.strip(BLANK)]
    return BLANK.join(rows)


def page_number_problems(volumes: list[list[list[str]]], table: str, bottom: bool) -> list[str]:
    """Every page but a volume's first (its title page) carries its number at the right
    margin of the line the code says; numbers run on through the volumes."""
    problems = []
    number = 0
    for volume in volumes:
        for index, page in enumerate(volume):
            number += 1
            page = page + [""] * (LINES - len(page))
            row = page[-1] if bottom else page[0]
            expected = "" if index == 0 else translate(table, str(number)).cells
            if row.strip(BLANK) != expected or (expected and not row.rstrip(BLANK).endswith(expected)):
                where = "line 25" if bottom else "line 1"
                problems.append(f"page {number}: {where} reads {row.strip(BLANK)!r}, expected the braille page "
                                f"number {expected!r} at the right margin" if expected else
                                f"page {number} (a title page) has something on {where}")
            elif expected and len(row.rstrip(BLANK)) != CELLS:
                problems.append(f"page {number}: the page number is not at the right margin")
    return problems


def segment_problems(back: str, job: Job) -> list[str]:
    """Every segment of the reading order, found in order in the back-translation."""
    marks = not job.facts.is_rtl
    haystack = words_of(back, marks=marks)
    script = job.facts.script
    position = 0
    missing = []
    for segment in job.article.reading_order():
        needle = words_of(segment.text, marks=marks)
        found = find_words(haystack, needle, position, script)
        if found < 0:
            missing.append(segment)
        else:
            position = found + len(needle)
    if missing:
        first = missing[0]
        return [f"back-translation: {len(missing)} segments missing or out of order, first: segment {first.id} "
                f"{first.text[:50]!r}"]
    return []
