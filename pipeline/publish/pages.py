"""The pages of a library that scales: lists cut into pages of at most PAGE_SIZE entries,
grouped by topic (the categories of the front matter), and written only when what they
show changed.

A thousand articles in two dozen languages make thousands of pages and feeds; one edited
sentence changes a handful of them. Each page is described by a digest of exactly what it
shows (its entries' titles, files and checksums, its place in the sequence, the templates
and the words of its language); the digests of the last publication are kept in the build
state, and a page whose digest did not change is neither rendered nor written.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Callable

from pipeline.core import atomic
from pipeline.core.config import Config
from pipeline.engine import BuildState
from pipeline.publish.listing import Shelf

PAGE_SIZE = 50
SETTING = "published pages"


@dataclass
class Page:
    """One page of a list: its entries and its place among its sibling pages."""

    path: str  # relative to outputs/
    number: int  # from 1
    paths: tuple[str, ...]  # every page of the sequence, in order
    shelves: list[Shelf]

    @property
    def count(self) -> int:
        return len(self.paths)

    def neighbour(self, step: int) -> str | None:
        """The path of the previous (-1) or next (+1) page, or None at an end."""
        index = self.number - 1 + step
        return self.paths[index] if 0 <= index < len(self.paths) else None


def paginate(first: str, shelves: list[Shelf], suffix: str = ".html", size: int | None = None) -> list[Page]:
    """`es/index` -> es/index.html, es/index-2.html …: the first page keeps the plain name,
    so that links to a small library's page never change when it grows."""
    size = size or PAGE_SIZE
    chunks = [shelves[start:start + size] for start in range(0, len(shelves), size)] or [[]]
    paths = tuple(f"{first}{suffix}" if n == 1 else f"{first}-{n}{suffix}" for n in range(1, len(chunks) + 1))
    return [Page(paths[n], n + 1, paths, chunk) for n, chunk in enumerate(chunks)]


def topics(shelves: list[Shelf]) -> dict[str, tuple[str, list[Shelf]]]:
    """{topic id: (its name in the shelves' language, its shelves)} from each article's
    categories; the id is the category's segment id, the same in every language."""
    found: dict[str, tuple[str, list[Shelf]]] = {}
    for shelf in shelves:
        for key, name in shelf.categories:
            found.setdefault(key, (name, []))[1].append(shelf)
    return dict(sorted(found.items(), key=lambda item: item[1][0].casefold()))


def by_title(shelves: list[Shelf]) -> list[Shelf]:
    return sorted(shelves, key=lambda shelf: (shelf.title.casefold(), shelf.slug))


def shelf_digest(shelf: Shelf) -> str:
    """What a page shows of one article in one language (listing.shown_of)."""
    return shelf.digest


class PageWriter:
    """Writes pages whose digest changed since the last publication, removes pages of the
    last publication that are gone, and records the digests when the publication ends."""

    def __init__(self, config: Config, state: BuildState, code: str,
                 changed: set[tuple[str, str]] | None = None) -> None:
        """`changed`: when the pages keep their order and cuts, the pairs whose shelves
        changed (a page that shows none of them is as it was); None otherwise."""
        self.config = config
        self.state = state
        self.code = code  # a digest of the publishing code and templates
        self.changed = changed
        self.before: dict[str, str] = json.loads(state.setting(SETTING) or "{}")
        self.now: dict[str, str] = {}
        self.written: list[str] = []

    def page(self, path: str, shows: object, render: Callable[[], str | None], entries: list[Shelf] | None = None) -> None:
        """`shows`: what the page shows (digests and plain values; a callable making them);
        `render` makes its text (None: it cannot be made now; the page is left as it was, and
        tried again next time). `entries`: the shelves it lists, when the page shows nothing
        else that can change without the pages' order and cuts changing."""
        if self.changed is not None and entries is not None and path in self.before and \
                not any((shelf.slug, shelf.language) in self.changed for shelf in entries):
            self.now[path] = self.before[path]  # none of its entries changed: as it was
            return
        digest = hashlib.sha256(repr((self.code, shows() if callable(shows) else shows)).encode()).hexdigest()
        target = self.config.outputs_dir / path
        if self.before.get(path) == digest and target.exists():
            self.now[path] = digest
            return
        text = render()
        if text is None:
            if path in self.before:
                self.now[path] = "not written"
            return
        atomic.atomic_write_text(target, text)
        self.now[path] = digest
        self.written.append(path)

    def finish(self) -> None:
        for path in sorted(set(self.before) - set(self.now)):
            atomic.remove(self.config.outputs_dir / path)
        self.state.set_setting(SETTING, json.dumps(self.now, sort_keys=True))
