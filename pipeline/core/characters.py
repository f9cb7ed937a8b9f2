"""Characters no text of a handout may carry, refused where the text is read.

- Control characters (C0 but tab and line ends, DEL, C1): XML, and so EPUB, OPDS and
  the web pages, cannot carry them, and no reader can see them.
- Bidi embeddings and overrides (U+202A-U+202E): they reorder the text around them in
  every output that shows it (a title in the site's `<title>`, a feed entry). Each output
  sets the direction of its language itself, and marks (U+200E, U+200F, U+061C) stay
  allowed.
- Bidi isolates (U+2066-U+2069) only when each is closed on its own line: an isolate
  cannot reorder anything outside it.
"""

from __future__ import annotations

import re
import unicodedata

CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
OVERRIDE = re.compile("[\u202a-\u202e]")
ISOLATE_OPEN = "\u2066\u2067\u2068"
ISOLATE_CLOSE = "\u2069"


def _name(character: str) -> str:
    return f"U+{ord(character):04X}" + (f" ({unicodedata.name(character)})" if unicodedata.name(character, "") else "")


def problem(text: str) -> tuple[int, str, str] | None:
    """The first unsafe character of `text`: (its index, what is wrong, what to do)."""
    found = []
    control = CONTROL.search(text)
    if control:
        found.append((control.start(), f"a control character {_name(control.group())}",
                      "delete it (it cannot be shown, and XML cannot carry it)"))
    override = OVERRIDE.search(text)
    if override:
        found.append((override.start(), f"a bidi control {_name(override.group())}, which reorders the text around it",
                      "delete it: each output sets the direction of its language itself"))
    isolate = _unbalanced_isolate(text)
    if isolate is not None:
        found.append((isolate, f"a bidi isolate {_name(text[isolate])} that is not closed on its line",
                      "close it with U+2069 (POP DIRECTIONAL ISOLATE) on the same line, or delete it"))
    return min(found) if found else None


ANY_ISOLATE = re.compile("[\u2066-\u2069]")


def _unbalanced_isolate(text: str) -> int | None:
    if not ANY_ISOLATE.search(text):  # the usual case, found without a loop over a whole catalog
        return None
    opened: list[int] = []
    for index, character in enumerate(text):
        if character == "\n":
            if opened:
                return opened[0]
        elif character in ISOLATE_OPEN:
            opened.append(index)
        elif character == ISOLATE_CLOSE:
            if not opened:
                return index
            opened.pop()
    return opened[0] if opened else None


def line_of(text: str, index: int, first_line: int = 1) -> int:
    return first_line + text.count("\n", 0, index)
