"""Inline markup across a gettext catalog as numbered placeholders.

A translator sees `Call {1}your doctor{/1} today.` instead of Markdown or HTML: the
spans are numbered in the order they open, `{n/}` stands for a line break, and a
literal brace is written twice (`{{`, `}}`). A translation may move or nest the
placeholders differently, but must use each exactly once and keep them well formed;
what a placeholder *is* (bold, a link and its address) comes from the source, so a
translation can never add markup of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.core.document import CONTAINER_SPANS, Emphasis, Inline, LineBreak, Link, Strong, Text

_TOKEN = re.compile(r"\{\{|\}\}|\{(/?)(\d+)(/?)\}|[{}]")


class PlaceholderError(ValueError):
    """A translation's placeholders do not match its source."""


@dataclass(frozen=True)
class SpanTemplate:
    """What placeholder n stands for, taken from the source message."""

    kind: type
    href: str = ""

    def describe(self) -> str:
        if self.kind is Strong:
            return "bold text"
        if self.kind is Emphasis:
            return "emphasized text"
        if self.kind is Link:
            return f"link to {self.href}"
        return "line break"


def to_message(inlines: tuple[Inline, ...]) -> tuple[str, dict[int, SpanTemplate]]:
    """Serialize inlines as message text; return it with the meaning of each placeholder."""
    spans: dict[int, SpanTemplate] = {}
    parts: list[str] = []

    def walk(items: tuple[Inline, ...]) -> None:
        for span in items:
            if isinstance(span, Text):
                parts.append(span.text.replace("{", "{{").replace("}", "}}"))
            elif isinstance(span, LineBreak):
                number = len(spans) + 1
                spans[number] = SpanTemplate(LineBreak)
                parts.append(f"{{{number}/}}")
            else:
                number = len(spans) + 1
                spans[number] = SpanTemplate(type(span), getattr(span, "href", ""))
                parts.append(f"{{{number}}}")
                walk(span.children)
                parts.append(f"{{/{number}}}")

    walk(inlines)
    return "".join(parts), spans


def from_message(text: str, spans: dict[int, SpanTemplate]) -> tuple[Inline, ...]:
    """Parse a (translated) message back into inlines, using the source's span meanings.

    Raises PlaceholderError naming the first problem: an unknown, missing, repeated or
    badly nested placeholder, or a lone brace.
    """
    stack: list[tuple[int | None, list[Inline]]] = [(None, [])]
    used: set[int] = set()
    buffer: list[str] = []

    def flush() -> None:
        if buffer:
            stack[-1][1].append(Text("".join(buffer)))
            buffer.clear()

    position = 0
    for match in _TOKEN.finditer(text):
        buffer.append(text[position : match.start()])
        position = match.end()
        token = match.group(0)
        if token in ("{{", "}}"):
            buffer.append(token[0])
            continue
        if match.group(2) is None:
            raise PlaceholderError(
                f"lone '{token}' at character {match.start() + 1}: write '{token}{token}' for a literal brace"
            )
        closing, number, self_closing = match.group(1), int(match.group(2)), match.group(3)
        if number not in spans:
            raise PlaceholderError(f"placeholder {{{number}}} is not in the source text")
        template = spans[number]
        is_break = template.kind is LineBreak
        if closing:
            if is_break:
                raise PlaceholderError(f"{{/{number}}} closes a line break; write {{{number}/}}")
            if stack[-1][0] != number:
                raise PlaceholderError(f"{{/{number}}} closes a placeholder that is not open")
            flush()
            _, children = stack.pop()
            stack[-1][1].append(_build(template, tuple(children)))
            continue
        if number in used:
            raise PlaceholderError(f"placeholder {{{number}}} is used twice")
        used.add(number)
        flush()
        if is_break:
            if not self_closing:
                raise PlaceholderError(f"placeholder {{{number}}} is a line break; write {{{number}/}}")
            stack[-1][1].append(LineBreak())
        elif self_closing:
            raise PlaceholderError(f"placeholder {{{number}}} must enclose text: {{{number}}}...{{/{number}}}")
        else:
            stack.append((number, []))
    buffer.append(text[position:])
    _check_complete(stack, used, spans)
    flush()
    return _merge_text(tuple(stack[0][1]))


def _check_complete(stack: list, used: set[int], spans: dict[int, SpanTemplate]) -> None:
    """At the end of a message: every placeholder closed, none of the source's left out."""
    if len(stack) > 1:
        raise PlaceholderError(f"placeholder {{{stack[-1][0]}}} is never closed with {{/{stack[-1][0]}}}")
    missing = sorted(set(spans) - used)
    if missing:
        listed = ", ".join(f"{{{n}}} ({spans[n].describe()})" for n in missing)
        raise PlaceholderError(f"placeholder {listed} from the source is missing")


def describe_placeholders(spans: dict[int, SpanTemplate]) -> str:
    """A translator's note: what each placeholder stands for."""
    return "; ".join(f"{{{n}}} = {spans[n].describe()}" for n in sorted(spans))


def _build(template: SpanTemplate, children: tuple[Inline, ...]) -> Inline:
    children = _merge_text(children)
    if template.kind is Link:
        return Link(template.href, children)
    assert template.kind in CONTAINER_SPANS
    return template.kind(children)


def _merge_text(items: tuple[Inline, ...]) -> tuple[Inline, ...]:
    """Join neighbouring Text spans and drop empty ones, so equal text compares equal."""
    merged: list[Inline] = []
    for span in items:
        if isinstance(span, Text):
            if not span.text:
                continue
            if merged and isinstance(merged[-1], Text):
                merged[-1] = Text(merged[-1].text + span.text)
                continue
        merged.append(span)
    return tuple(merged)


def normalize_inlines(items: tuple[Inline, ...]) -> tuple[Inline, ...]:
    """The canonical form of a run of inlines (text merged, empties dropped), recursively."""
    result: list[Inline] = []
    for span in items:
        if isinstance(span, Link):
            span = Link(span.href, normalize_inlines(span.children))
        elif isinstance(span, (Strong, Emphasis)):
            span = type(span)(normalize_inlines(span.children))
        result.append(span)
    return _merge_text(tuple(result))
