"""Translation QA: what a reviewer would catch first, checked by machine on every catalog.

- placeholders intact: `{1}…{/1}` spans (article catalogs) and `%(name)s` (template words,
  with Babel's own python-format checker);
- every number of the source present in the translation (in any digits: ٤ counts as 4);
- no entry identical to the English source, unless its translator marked it with the
  flag `unchanged` (for example a drug name);
- no empty and no fuzzy entry in a language that is published;
- the translation's length within sane bounds of the source's (a cut-off or a pasted
  paragraph shows up);
- no markup.
Each problem is a CatalogError: one line with the file, the line and the message.
"""

from __future__ import annotations

import re
import unicodedata

from babel.messages.catalog import Catalog, TranslationError
from babel.messages.checkers import python_format

from pipeline.inputs.catalogs import ProjectCatalog
from pipeline.core.errors import CatalogError
from pipeline.inputs.placeholders import PlaceholderError, from_message
from pipeline.core.uitext import MARKUP, OPTIONAL_WORDS

UNCHANGED_FLAG = "unchanged"
_PLACEHOLDER = re.compile(r"\{/?\d+/?\}|%\([a-z_]+\)s")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# Length of a translation relative to its source (characters), for sources of 25+ characters.
RATIO_BOUNDS = {"wide": (0.15, 1.5), "other": (0.45, 3.0)}
WIDE_SCRIPTS = {"Hans", "Hant", "Jpan", "Kore"}


def ascii_digits(text: str) -> str:
    """Any decimal digits (Arabic-Indic, Persian, full-width…) as 0-9."""
    return "".join(str(unicodedata.decimal(c)) if unicodedata.category(c) == "Nd" else c for c in text)


def numbers_in(text: str) -> list[str]:
    return sorted(_NUMBER.findall(ascii_digits(_PLACEHOLDER.sub(" ", text))))


def check_catalog(catalog: ProjectCatalog, template: Catalog, shown: str, *, script: str,
                  published: bool, spans_of=None, optional: frozenset[str] = frozenset()) -> list[CatalogError]:
    """Every problem of one catalog against its template. `spans_of(msgid)` gives the
    placeholder meanings of an article message (None for the template-words domain);
    `optional` words may be left empty (see uitext.OPTIONAL_WORDS).
    Each problem is a CatalogError (file, line, message), returned, not raised."""
    findings: list[CatalogError] = []
    low, high = RATIO_BOUNDS["wide" if script in WIDE_SCRIPTS else "other"]

    def found(message, problem: str) -> None:
        findings.append(CatalogError(problem, file=shown, line=message.lineno, msgid=message.id))

    wanted = {(m.id, m.context) for m in template if m.id}
    for message in catalog:
        if not message.id or (message.id, message.context) not in wanted:
            continue
        translation = message.string if isinstance(message.string, str) else "".join(message.string)
        required = published and message.id not in OPTIONAL_WORDS  # an optional word may wait
        if not translation:
            if required:
                found(message, "empty translation in a published language")
            continue
        if message.fuzzy:
            if required:
                found(message, "fuzzy translation in a published language")
            continue
        if MARKUP.search(translation):
            found(message, f"markup in the translation ({MARKUP.search(translation).group(0)!r})")
        if spans_of is not None:
            try:
                from_message(translation, spans_of(message.id))
            except PlaceholderError as problem:
                found(message, f"placeholders: {problem}")
        else:
            try:
                python_format(catalog, message)
            except TranslationError as problem:
                found(message, f"placeholders: {problem}")
        missing = [n for n in numbers_in(message.id) if n not in numbers_in(translation)]
        if missing:
            found(message, f"number {', '.join(missing)} of the source is missing")
        if translation.strip() == message.id.strip() and UNCHANGED_FLAG not in message.flags:
            found(message, f"identical to the English source (flag it '{UNCHANGED_FLAG}' if that is intended)")
        source_length = len(_PLACEHOLDER.sub("", message.id))
        if source_length >= 25:
            ratio = len(_PLACEHOLDER.sub("", translation)) / source_length
            if not low <= ratio <= high:
                found(message, f"length is {ratio:.2f} times the source's (expected {low}–{high})")
    return findings
