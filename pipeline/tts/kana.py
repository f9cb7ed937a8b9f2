"""Japanese text as kana, for a voice that cannot read kanji.

espeak-ng's Japanese voice reads hiragana and katakana only: given kanji it says
"Chinese letter" for each one. pykakasi (a dictionary of readings) rewrites the text in
hiragana before that voice speaks it; captions and the EPUB keep the text as written.
"""

from __future__ import annotations

import functools


@functools.lru_cache(maxsize=1)
def _converter():
    import pykakasi  # its dictionary takes a second to load: once per process

    return pykakasi.kakasi()


def to_kana(text: str) -> str:
    """'非浸潤性乳管がん' -> 'ひしんじゅんせいにゅうかんがん'; letters, digits and punctuation kept."""
    return "".join(part["hira"] if part["orig"] != part["hira"] else part["orig"]
                   for part in _converter().convert(text))
