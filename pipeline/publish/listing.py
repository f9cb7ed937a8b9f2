"""What there is to publish: the files of outputs/ that the build state vouches for, and
what the site shows of each article in each language.

A file is *current* when the state records it under the key its task has now (same
inputs) and it is on disk unchanged. A language that could not be rebuilt keeps its
last good files, listed as not current: nothing is lost, and nothing stale is offered
on the site or in the feeds. Nothing here parses a source or a catalog: titles and
review states come from the build plan, which keeps them for every pair.

A library has tens of thousands of files. What the site shows of a pair (a *shelf*) is
worked out when the pair changes and kept in the build state: its title, topics and a
digest of everything its entries show. The pages are ordered and cut from those, and the
pair's full plan and files are read only for a page that must be written again.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field

from pipeline.engine import BuildPlan, BuildState, PairPlan
from pipeline.core.config import Config
from pipeline.core.locales import LocaleFacts, facts_for

MEDIA_TYPES = {
    "pdf": "application/pdf",
    "epub": "application/epub+zip",
    "mp3": "audio/mpeg",
    "vtt": "text/vtt",
    "html": "text/html",
    "brf": "application/x-brf",
    "pef": "application/x-pef+xml",
}
SHELVES_KEPT = 512
FORMAT_ORDER = {name: n for n, name in enumerate(["pdf", "epub", "mp3", "vtt", "html", "brf", "pef"])}


@dataclass
class Listed:
    path: str  # relative to outputs/
    slug: str
    language: str
    format: str
    size: int
    sha256: str
    current: bool
    info: dict

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES.get(self.format, "application/octet-stream")

    @property
    def duration(self) -> float | None:
        return self.info.get("duration")

    @property
    def braille_pages(self) -> int | None:
        return self.info.get("braille_pages")


class Shelf:
    """Everything the site and the feeds show for one article in one language: the facts
    pages are ordered and grouped by, and the pair and its files, read when first needed."""

    __slots__ = ("slug", "language", "title", "is_source", "categories", "reading", "modified", "digest", "_source")

    def __init__(self, slug: str, language: str, shown: tuple, source: "ShelfSource") -> None:
        self.slug, self.language = slug, language
        self.title: str = shown[0]
        self.is_source: bool = bool(shown[1])
        self.categories: list[list[str]] = shown[2]  # [topic id, its name in this language]
        self.reading: bool = bool(shown[3])  # has files for reading apps (the feeds list it)
        self.modified: str = shown[4]
        self.digest: str = shown[5]
        self._source = source

    @property
    def _loaded(self) -> tuple[PairPlan, list[Listed]]:
        return self._source.load(self.slug, self.language)

    @property
    def pair(self) -> PairPlan:
        return self._loaded[0]

    @property
    def files(self) -> list[Listed]:
        return self._loaded[1]

    @property
    def meta(self) -> dict:
        return self.pair.meta

    @property
    def facts(self) -> LocaleFacts:
        return facts_for(self.language)

    def has(self, file_format: str) -> bool:
        return any(item.format == file_format for item in self.files)

    @property
    def reading_app_files(self) -> list[Listed]:
        """What the OPDS feeds offer reading apps: the e-book, the narration and the braille."""
        return [item for item in self.files if item.format in ("epub", "mp3", "brf", "pef")]


def listed_of(config: Config, state: BuildState, plan: BuildPlan, slug: str, language: str) -> list[Listed]:
    """Every output of a pair that the state records and that is on disk, checksum verified."""
    expected = state.expected_keys(slug, language)
    pair = plan.pair(slug, language)
    listed: list[Listed] = []
    for relative, entry in sorted(state.outputs_of(slug, language).items()):
        if entry.get("artifact"):
            continue
        path = os.path.join(config.outputs_dir, relative)
        try:
            stat = os.stat(path)
        except FileNotFoundError:
            continue
        checksum = entry["sha256"]
        if (stat.st_size, stat.st_mtime_ns) != (entry["size"], entry["mtime_ns"]):
            with open(path, "rb") as handle:
                checksum = hashlib.sha256(handle.read()).hexdigest()
        listed.append(Listed(
            path=relative, slug=slug, language=language, format=entry["format"], size=stat.st_size, sha256=checksum,
            current=expected.get(relative) == entry["key"] and checksum == entry["sha256"],
            info=entry | _review_now(pair),
        ))
    return listed


def _review_now(pair: PairPlan | None) -> dict:
    """The review state as the catalog says it now, not as it was when the file was built:
    approving some segments of a draft changes no file, but the manifest shows the counts."""
    if pair is None or pair.is_source:
        return {"review_state": None}
    return {"review": pair.review, "review_state": pair.review_state} if pair.review else {
        "review_state": pair.review_state}


def shelf_files(pair: PairPlan | None, listed: list[Listed]) -> list[Listed] | None:
    """The current files a pair's shelf shows, in format order (None: the site shows nothing)."""
    files = [item for item in listed if item.current]
    if pair is None or not pair.publishable or not files:
        return None
    return sorted(files, key=lambda item: FORMAT_ORDER.get(item.format, 99))


def shown_of(pair: PairPlan, files: list[Listed]) -> tuple:
    """What the state keeps of a shelf: what pages are ordered and grouped by, and a digest
    of everything its entries show (a page showing it is written again when it changes)."""
    shown = [(item.path, item.size, item.sha256, item.info.get("duration"), item.info.get("engine"),
              item.info.get("voice"), item.info.get("voice_licence"), item.info.get("voice_note")) for item in files]
    digest = hashlib.sha256(repr((pair.slug, pair.language, pair.is_source, sorted(pair.meta.items()),
                                  shown)).encode()).hexdigest()
    return (pair.meta.get("title", ""), pair.is_source, json.dumps(pair.meta.get("categories", []), ensure_ascii=False),
            any(item.format in ("epub", "mp3", "brf", "pef") for item in files), pair.meta.get("modified", ""), digest)


@dataclass
class ShelfSource:
    """Where a shelf's pair and files are read from when a page shows them; the last few
    hundred are kept (a page asks for each of its entries several times; a whole library's,
    kept, would fill memory when every page is written)."""

    config: Config
    state: BuildState
    plan: BuildPlan
    kept: dict = field(default_factory=dict)

    def load(self, slug: str, language: str) -> tuple[PairPlan, list[Listed]]:
        key = (slug, language)
        if key in self.kept:
            self.kept[key] = self.kept.pop(key)
            return self.kept[key]
        pair = self.plan.pair(slug, language)
        self.kept[key] = pair, shelf_files(pair, listed_of(self.config, self.state, self.plan, slug, language)) or []
        while len(self.kept) > SHELVES_KEPT:
            del self.kept[next(iter(self.kept))]
        return self.kept[key]


def shelves(config: Config, state: BuildState, plan: BuildPlan,
            stored: dict[tuple[str, str], tuple] | None = None) -> list[Shelf]:
    """Every shelf the site shows, in the plan's order (articles, then languages)."""
    stored = state.shelves() if stored is None else stored
    source = ShelfSource(config, state, plan)
    categories: dict[str, list] = {}  # the articles of a language mostly share their topics: parsed once
    found = []
    for key in plan.order:
        shown = stored.get(key)
        if shown is not None:
            if shown[2] not in categories:
                categories[shown[2]] = json.loads(shown[2])
            found.append(Shelf(key[0], key[1], (shown[0], shown[1], categories[shown[2]], *shown[3:]), source))
    return found
