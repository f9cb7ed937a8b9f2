"""What a review sheet marks in a text: the source's hedges, and what changed since the last
approval. Both return escaped HTML (every piece of text escaped, markup only from here).

Hedges ("may", "tend to", "should"…) and firm words ("must", "always"…) come from
`pipeline/data/hedges.toml`, per source language. Changes are a word-by-word diff
(difflib) for texts that put spaces between words, and character by character for those
that do not (Chinese, Japanese).
"""

from __future__ import annotations

import difflib
import functools
import re
import tomllib
from importlib import resources

from markupsafe import Markup, escape

HEDGE_CLASSES = {"hedges": "hedge", "firm": "firm"}


@functools.lru_cache(maxsize=None)
def _lists() -> dict:
    return tomllib.loads(resources.files("pipeline.data").joinpath("hedges.toml").read_text("utf-8"))


@functools.lru_cache(maxsize=None)
def _pattern(language: str) -> re.Pattern | None:
    words = _lists().get(language.split("-")[0], {})
    phrases = [(phrase, kind) for kind in HEDGE_CLASSES for phrase in words.get(kind, [])]
    if not phrases:
        return None
    phrases.sort(key=lambda item: len(item[0]), reverse=True)
    alternatives = "|".join(rf"(?P<{HEDGE_CLASSES[kind]}{n}>{re.escape(phrase)})"
                            for n, (phrase, kind) in enumerate(phrases))
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.IGNORECASE)


def hedges_in(text: str, language: str = "en") -> list[tuple[str, str]]:
    """The hedges and firm words of a text, in order, as (words, 'hedge' or 'firm')."""
    pattern = _pattern(language)
    if pattern is None:
        return []
    return [(match.group(0), _kind(match)) for match in pattern.finditer(text)]


def _kind(match: re.Match) -> str:
    name = next(key for key, value in match.groupdict().items() if value is not None)
    return name.rstrip("0123456789")


def mark_hedges(text: str, language: str = "en") -> Markup:
    """The text, escaped, with each hedge in <mark class="hedge"> and each firm word in
    <mark class="firm">."""
    pattern = _pattern(language)
    if pattern is None:
        return escape(text)
    parts: list[str] = []
    end = 0
    for match in pattern.finditer(text):
        kind = _kind(match)
        label = "hedge" if kind == "hedge" else "obligation or certainty"
        parts += [str(escape(text[end:match.start()])),
                  f'<mark class="{kind}" title="{label}">{escape(match.group(0))}</mark>']
        end = match.end()
    parts.append(str(escape(text[end:])))
    return Markup("".join(parts))


def _tokens(text: str) -> list[str]:
    if " " in text.strip():
        return re.findall(r"\s+|\w+|[^\w\s]", text)
    return list(text)


def diff_html(before: str, after: str) -> Markup:
    """`after` against `before`: removed text in <del>, added text in <ins>."""
    old, new = _tokens(before), _tokens(after)
    parts: list[str] = []
    for operation, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if operation == "equal":
            parts.append(str(escape("".join(old[i1:i2]))))
            continue
        if i2 > i1:
            parts.append(f"<del>{escape(''.join(old[i1:i2]))}</del>")
        if j2 > j1:
            parts.append(f"<ins>{escape(''.join(new[j1:j2]))}</ins>")
    return Markup("".join(parts))
