"""Read `sources/<slug>.md` (YAML front matter + CommonMark) into an `Article`.

The source format is a contract with authors (README, "The source format"). Whatever
breaks it is refused here with one `SourceError` naming the file, the line and the
fix, so that no writer ever sees a half-valid document. Parsing is markdown-it-py's
CommonMark parser; this module only walks its tokens.
"""

from __future__ import annotations

import re
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from pipeline.core import characters
from pipeline.inputs import images
from pipeline.core.document import (
    Article,
    Block,
    Emphasis,
    Figure,
    Heading,
    Inline,
    LineBreak,
    Link,
    ListBlock,
    ListItem,
    Paragraph,
    Quote,
    Segment,
    Strong,
    Text,
)
from pipeline.core.errors import SourceError
from pipeline.core.layout import shown_path
from pipeline.inputs.front_matter import load_front_matter, metadata, split_front_matter
from pipeline.inputs.placeholders import normalize_inlines
from pipeline.inputs.segment_ids import SegmentIds

MAX_SOURCE_BYTES = 1_000_000
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LINK_SCHEMES = ("https://", "http://", "mailto:", "tel:")
ATTRIBUTION_DASH = "—"

def read_article(path: Path, root: Path | None = None) -> Article:
    """Parse and validate one source file. Raises SourceError."""
    shown = shown_path(path, root)
    slug = path.stem
    if not SLUG.match(slug):
        raise SourceError(
            f"'{slug}' is not a usable article name",
            file=shown,
            hint="name the file with lower-case letters, digits and hyphens, e.g. breast-cancer-basics.md",
        )
    size = path.stat().st_size
    if size > MAX_SOURCE_BYTES:
        raise SourceError(
            f"the file is {size:,} bytes; the limit is {MAX_SOURCE_BYTES:,}",
            file=shown,
            hint="split it into several articles",
        )
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise SourceError("the file is not UTF-8 text", file=shown, line=line, hint="save it as UTF-8") from None
    unsafe = characters.problem(text)
    if unsafe:
        index, what, hint = unsafe
        raise SourceError(what, file=shown, line=characters.line_of(text, index), hint=hint)
    return parse_article(text, slug=slug, shown_path=shown, folder=path.parent)


def parse_article(text: str, *, slug: str, shown_path: str, folder: Path | None) -> Article:
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    front, body, body_offset = split_front_matter(text, shown_path)
    fields, lines = load_front_matter(front, shown_path)
    ids = SegmentIds()
    meta = metadata(fields, lines, shown_path, ids)
    reader = _BodyReader(shown_path, body_offset, folder, ids)
    blocks = reader.read(body)
    if not blocks:
        raise SourceError("the article has no body text", file=shown_path, line=body_offset + 1,
                          hint="write the article below the closing --- of the front matter")
    return Article(slug=slug, source_path=shown_path, meta=meta, blocks=tuple(blocks))


# --- body ---------------------------------------------------------------------------


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark")
    # Let every link through the parser so that a forbidden one is refused with a
    # message instead of silently turning into literal text.
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    return md


class _BodyReader:
    def __init__(self, shown: str, offset: int, folder: Path | None, ids: SegmentIds) -> None:
        self.shown = shown
        self.offset = offset
        self.folder = folder
        self.ids = ids
        self.last_heading_level = 1

    def read(self, body: str) -> list[Block]:
        tokens = _markdown().parse(body)
        blocks, _ = self._blocks(tokens, 0, None, role="paragraph")
        return blocks

    def error(self, what: str, token: Token | None, hint: str | None = None) -> SourceError:
        line = self.offset + token.map[0] + 1 if token is not None and token.map else None
        return SourceError(what, file=self.shown, line=line, hint=hint)

    def _blocks(self, tokens: list[Token], index: int, closing: str | None, role: str) -> tuple[list[Block], int]:
        blocks: list[Block] = []
        while index < len(tokens):
            token = tokens[index]
            if closing is not None and token.type == closing:
                return blocks, index + 1
            kind = token.type
            if kind == "heading_open":
                if role != "paragraph":
                    raise self.error("a heading cannot sit inside a list or a quote", token)
                blocks.append(self._heading(token, tokens[index + 1]))
                index += 3
            elif kind == "paragraph_open":
                blocks.append(self._paragraph(token, tokens[index + 1], role))
                index += 3
            elif kind in ("bullet_list_open", "ordered_list_open"):
                block, index = self._list(tokens, index)
                blocks.append(block)
            elif kind == "blockquote_open":
                block, index = self._quote(tokens, index)
                blocks.append(block)
            elif kind in ("html_block",):
                raise self.error("raw HTML is not allowed", token,
                                 hint="use Markdown only: **bold**, *emphasis*, [links](https://...), lists, > quotes")
            elif kind in ("code_block", "fence"):
                raise self.error("code blocks are not part of the source format", token,
                                 hint="remove the indentation or the ``` fence; indented lines become code")
            elif kind == "hr":
                raise self.error("a thematic break (---, ***) is not part of the source format", token,
                                 hint="start a new section with a ## heading instead")
            else:
                raise self.error(f"'{kind}' is not part of the source format", token)
        return blocks, index

    def _heading(self, token: Token, inline: Token) -> Heading:
        level = int(token.tag[1])
        if level == 1:
            raise self.error("a level-1 heading in the body", token,
                             hint="the title is set by 'title:' in the front matter; start sections with ##")
        if level > 4:
            raise self.error(f"a level-{level} heading; the source format goes down to #### only", token)
        if level > self.last_heading_level + 1:
            raise self.error(
                f"the heading level skips from {'#' * self.last_heading_level} to {'#' * level}",
                token,
                hint=f"use {'#' * (self.last_heading_level + 1)} here, or add the missing level above",
            )
        self.last_heading_level = level
        inlines = self._inlines(inline)
        if not inlines:
            raise self.error("an empty heading", token)
        return Heading(level, self.ids.make("heading", inlines, self._line(token)))

    def _paragraph(self, token: Token, inline: Token, role: str) -> Paragraph | Figure:
        children = [c for c in inline.children or [] if not (c.type == "text" and not c.content.strip())]
        images_here = [c for c in children if c.type == "image"]
        if images_here:
            if len(children) != 1:
                raise self.error("an image must stand alone in its own paragraph", token,
                                 hint="put a blank line before and after ![alt text](file.png)")
            return self._figure(token, images_here[0])
        inlines = self._inlines(inline)
        if role == "quotation" and inlines and isinstance(inlines[0], Text) and inlines[0].text.startswith(ATTRIBUTION_DASH):
            role = "attribution"
        return Paragraph(self.ids.make(role, inlines, self._line(token)))

    def _figure(self, token: Token, image: Token) -> Figure:
        alt = " ".join((image.content or "").split())
        unsafe = characters.problem(alt)
        if unsafe:
            raise self.error(f"the alt text has {unsafe[1]}", token, hint=unsafe[2])
        if not alt:
            raise self.error("an image without alt text", token,
                             hint="describe the image for readers who cannot see it: ![what it shows](file.png)")
        src = str(image.attrs.get("src", ""))
        if self.folder is not None:
            try:
                images.check_image(src, self.folder)
            except images.ImageProblem as problem:
                raise self.error(str(problem), token, hint=problem.hint) from None
        caption_text = " ".join(str(image.attrs.get("title") or "").split())
        line = self._line(token)
        caption = self.ids.make("image caption", (Text(caption_text),), line) if caption_text else None
        return Figure(src=src, alt=self.ids.make("image description", (Text(alt),), line), caption=caption)

    def _list(self, tokens: list[Token], index: int) -> tuple[ListBlock, int]:
        opening = tokens[index]
        ordered = opening.type == "ordered_list_open"
        closing = "ordered_list_close" if ordered else "bullet_list_close"
        start = int(opening.attrs.get("start", 1)) if ordered else 1
        items: list[ListItem] = []
        index += 1
        while tokens[index].type != closing:
            if tokens[index].type != "list_item_open":
                raise self.error(f"unexpected '{tokens[index].type}' in a list", tokens[index])
            blocks, index = self._blocks(tokens, index + 1, "list_item_close", role="list item")
            if not blocks:
                raise self.error("an empty list item", opening)
            items.append(ListItem(tuple(blocks)))
        return ListBlock(ordered=ordered, items=tuple(items), start=start), index + 1

    def _quote(self, tokens: list[Token], index: int) -> tuple[Quote, int]:
        opening = tokens[index]
        blocks, index = self._blocks(tokens, index + 1, "blockquote_close", role="quotation")
        quoted: list[Block] = []
        attribution: list[Paragraph] = []
        for block in blocks:
            is_attribution = isinstance(block, Paragraph) and block.segment.role == "attribution"
            if (is_attribution or attribution) and quoted:
                if not isinstance(block, Paragraph):
                    raise self.error("only paragraphs may follow a quote's attribution line", opening)
                if block.segment.role != "attribution":
                    block = Paragraph(self._retag(block.segment, "attribution"))
                attribution.append(block)
            else:
                if is_attribution:
                    block = Paragraph(self._retag(block.segment, "quotation"))
                quoted.append(block)
        if not quoted:
            raise self.error("an empty quote", opening)
        return Quote(tuple(quoted), tuple(attribution)), index

    def _retag(self, segment: Segment, role: str) -> Segment:
        return self.ids.make(role, segment.inlines, segment.line)

    def _line(self, token: Token) -> int:
        return self.offset + (token.map[0] if token.map else 0) + 1

    # inline spans

    def _inlines(self, inline: Token) -> tuple[Inline, ...]:
        children = inline.children or []
        result, index = self._spans(children, 0, None, inline)
        return _trim(normalize_inlines(tuple(result)))

    def _spans(self, tokens: list[Token], index: int, closing: str | None, owner: Token) -> tuple[list[Inline], int]:
        spans: list[Inline] = []
        while index < len(tokens):
            token = tokens[index]
            kind = token.type
            if closing is not None and kind == closing:
                return spans, index + 1
            if kind == "text":  # after Markdown's character references (&#x202E;) are decoded
                unsafe = characters.problem(token.content)
                if unsafe:
                    raise self.error(unsafe[1], owner, hint=unsafe[2])
                spans.append(Text(token.content))
                index += 1
            elif kind == "softbreak":
                spans.append(Text(" "))
                index += 1
            elif kind == "hardbreak":
                spans.append(LineBreak())
                index += 1
            elif kind in ("strong_open", "em_open"):
                children, index = self._spans(tokens, index + 1, kind.replace("_open", "_close"), owner)
                spans.append((Strong if kind == "strong_open" else Emphasis)(tuple(children)))
            elif kind == "link_open":
                href = str(token.attrs.get("href", ""))
                if not href.lower().startswith(LINK_SCHEMES):
                    raise self.error(f"the link address {href!r} is not allowed", owner,
                                     hint="links must start with https://, http://, mailto: or tel:")
                children, index = self._spans(tokens, index + 1, "link_close", owner)
                spans.append(Link(href, tuple(children)))
            elif kind == "html_inline":
                raise self.error(f"raw HTML is not allowed: {token.content!r}", owner,
                                 hint="use Markdown only: **bold**, *emphasis*, [links](https://...)")
            elif kind == "code_inline":
                raise self.error(f"code spans (`{token.content}`) are not part of the source format", owner,
                                 hint="remove the backticks")
            elif kind == "image":
                raise self.error("an image must stand alone in its own paragraph", owner)
            else:
                raise self.error(f"'{kind}' is not part of the source format", owner)
        return spans, index


def _trim(inlines: tuple[Inline, ...]) -> tuple[Inline, ...]:
    """Drop whitespace at the very start and end (a hard break at the end is dropped too)."""
    items = list(inlines)
    while items and isinstance(items[-1], LineBreak):
        items.pop()
    if items and isinstance(items[0], Text):
        items[0] = Text(items[0].text.lstrip())
    if items and isinstance(items[-1], Text):
        items[-1] = Text(items[-1].text.rstrip())
    return normalize_inlines(tuple(items))

