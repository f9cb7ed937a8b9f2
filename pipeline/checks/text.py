"""Comparing the text of a segment with the text read back from an output.

Extracted text differs from the source in ways that carry no meaning: line breaks and
hyphens where a line was broken, bidi controls, link addresses printed after the link.
These helpers take those away so that "every segment is there, in order" can be
checked the same way on a PDF and on an EPUB.
"""

from __future__ import annotations

import re
import unicodedata

# "(https://…)" printed after a link's text on paper.
_PRINTED_ADDRESS = re.compile(r"\s*\(https?://[^)\s]*\)")


def without_format_characters(text: str) -> str:
    """pdftotext wraps right-to-left runs in bidi embedding controls; drop them."""
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


def compact(text: str) -> str:
    """Text with all white space removed and print-only link addresses dropped, for
    comparing a segment with what the page shows (line breaks fall anywhere)."""
    text = _PRINTED_ADDRESS.sub("", " ".join(text.split()))
    # Hyphens go too: pdftotext drops one at the end of a line ("по-" / "прежнему").
    return re.sub(r"[\s\-\u2010\u2011]+", "", without_format_characters(text))


def digits_only(text: str) -> str:
    """The digits, in any script, as 0-9: what survives of text set in a complex script."""
    return "".join(str(unicodedata.decimal(c)) for c in text if unicodedata.category(c) == "Nd")


def letters_only(text: str) -> str:
    """Letters and digits only: what a right-to-left comparison can rely on."""
    text = _PRINTED_ADDRESS.sub("", text)
    return "".join(c for c in text if unicodedata.category(c)[0] in "LN")


def missing_segments(body_text: str, segments: list[str], *, rtl: bool = False) -> list[str]:
    """The segments not found, in order, in the text (empty when every one is there).
    Right-to-left text is compared by its letters and digits only (see checks.pdf.rtl_body_text)."""
    normalize = letters_only if rtl else compact
    flat = normalize(body_text)
    position = 0
    missing: list[str] = []
    for segment in segments:
        needle = normalize(segment)
        found = flat.find(needle, position)
        if found < 0:
            missing.append(segment)
        else:
            position = found + len(needle)
    return missing
