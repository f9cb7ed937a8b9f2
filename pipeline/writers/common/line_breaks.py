"""Where a printed line may break in scripts that write no spaces between words.

Pango, which lays out WeasyPrint's lines, finds break opportunities by the Unicode line
breaking rules; for Burmese those allow breaks only at spaces (Burmese puts spaces
between phrases, not words), so a long phrase pushes whole phrases to the next line
and leaves lines half empty. Burmese may break between syllables: this module marks
each syllable boundary with a zero-width space, for print only (e-books and web pages
are laid out by their readers, which have their own dictionaries). A syllable starts at
a consonant that is neither stacked under the previous one (after U+1039, virama) nor
closed by a killer (followed by U+103A, asat, or U+1039, with perhaps the dot below U+1037
stored first, as in န့်), or at an independent vowel,
a digit or a sign that stands alone.
"""

from __future__ import annotations

import re

ZERO_WIDTH_SPACE = "\u200b"
_MYANMAR_SYLLABLE_START = re.compile(
    r"(?<=[\u1000-\u109f])"  # only between two Myanmar characters
    r"(?<!\u1039)"  # not a stacked consonant
    r"(?=[\u1000-\u1021\u1023-\u102a\u103f\u1040-\u1049\u104c-\u104f](?!\u1037?[\u103a\u1039]))"
)
RULES = {"syllables-mymr": _MYANMAR_SYLLABLE_START}


def mark_text(text: str, rule: str) -> str:
    """Plain text with a zero-width space at every allowed break of `rule`."""
    pattern = RULES.get(rule)
    return pattern.sub(ZERO_WIDTH_SPACE, text) if pattern is not None else text


def mark_breaks(html: str, rule: str) -> str:
    """The document with a zero-width space at every allowed break of `rule`, in the text of
    its body only (never inside a tag or an attribute, never in the title the PDF's
    metadata takes)."""
    pattern = RULES.get(rule)
    start = html.find("<body")
    if pattern is None or start < 0:
        return html
    marked: list[str] = []
    in_title = False  # an SVG's <title> is its alternative text, not laid-out text
    for part in re.split(r"(<[^>]*>)", html[start:]):
        if part.startswith("<"):
            in_title = part.startswith("<title") or (in_title and not part.startswith("</title"))
            marked.append(part)
        else:
            marked.append(part if in_title else mark_text(part, rule))
    return html[:start] + "".join(marked)
