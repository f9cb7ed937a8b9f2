"""What is there to publish: the files of outputs/ that the build state vouches for.

A file is *current* when the state records it under the key its task has now (same
inputs) and it is on disk unchanged. A language that could not be rebuilt keeps its
last good files, listed as not current: nothing is lost, and nothing stale is offered
on the site or in the feeds. Nothing here parses a source or a catalog: titles and
review states come from the build plan, which keeps them for every pair.
"""

from __future__ import annotations

import hashlib
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
FORMAT_ORDER = ["pdf", "epub", "mp3", "vtt", "html", "brf", "pef"]


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


@dataclass
class Shelf:
    """Everything the site and the feeds show for one article in one language."""

    pair: PairPlan
    facts: LocaleFacts
    files: list[Listed] = field(default_factory=list)
    digest: str | None = None  # what pages show of it (publish/pages.py), made on first use

    @property
    def meta(self) -> dict:
        return self.pair.meta

    def has(self, file_format: str) -> bool:
        return any(item.format == file_format for item in self.files)

    @property
    def reading_app_files(self) -> list[Listed]:
        """What the OPDS feeds offer reading apps: the e-book, the narration and the braille."""
        return [item for item in self.files if item.format in ("epub", "mp3", "brf", "pef")]


def listed_files(config: Config, state: BuildState, plan: BuildPlan) -> list[Listed]:
    """Every output the state records and that is on disk, with its checksum verified."""
    keys = plan.keys()
    listed: list[Listed] = []
    for relative, entry in sorted(state.outputs().items()):
        if entry.get("artifact"):
            continue
        path = config.outputs_dir / relative
        try:
            stat = os.stat(path)
        except FileNotFoundError:
            continue
        checksum = entry["sha256"]
        if (stat.st_size, stat.st_mtime_ns) != (entry["size"], entry["mtime_ns"]):
            checksum = hashlib.sha256(path.read_bytes()).hexdigest()
        listed.append(Listed(
            path=relative, slug=entry["slug"], language=entry["language"], format=entry["format"],
            size=stat.st_size, sha256=checksum,
            current=keys.get(relative) == entry["key"] and checksum == entry["sha256"],
            info=entry | _review_now(plan, entry),
        ))
    return listed


def _review_now(plan: BuildPlan, entry: dict) -> dict:
    """The review state as the catalog says it now, not as it was when the file was built:
    approving some segments of a draft changes no file, but the manifest shows the counts."""
    pair = plan.pair(entry["slug"], entry["language"])
    if pair is None or pair.is_source:
        return {"review_state": None}
    return {"review": pair.review or entry.get("review"), "review_state": pair.review_state}


def shelves(plan: BuildPlan, listed: list[Listed]) -> list[Shelf]:
    """The current files of each publishable pair, in the plan's order (articles, then languages)."""
    by_pair: dict[tuple[str, str], list[Listed]] = {}
    for item in listed:
        if item.current:
            by_pair.setdefault((item.slug, item.language), []).append(item)
    found: list[Shelf] = []
    for pair in plan.pairs:
        files = by_pair.get((pair.slug, pair.language))
        if pair.publishable and files:
            files.sort(key=lambda item: FORMAT_ORDER.index(item.format) if item.format in FORMAT_ORDER else 99)
            found.append(Shelf(pair, facts_for(pair.language), files))
    return found
