"""OPDS 1.2 feeds for reading apps: a navigation feed (`outputs/catalog.xml`) with one
entry per language, each leading to that language's acquisition feed
(`outputs/<lang>/catalog.xml`) of e-books and narrations."""

from __future__ import annotations

import uuid

from pipeline.core import atomic
from pipeline.core.config import Config
from pipeline.publish.listing import Shelf

FEED = "catalog.xml"
NEVER = "2000-01-01T00:00:00Z"


def write_feeds(config: Config, shelves: list[Shelf], draft_words: dict[str, str]) -> None:
    """`draft_words`: the draft-translation notice per language, for entries' summaries."""
    from pipeline.writers.epub.writer import book_identifier
    from pipeline.writers.common.templates import environment

    env = environment()
    by_language: dict[str, list[Shelf]] = {}
    for shelf in shelves:
        by_language.setdefault(shelf.facts.tag, []).append(shelf)
    languages = []
    for tag, language_shelves in by_language.items():
        entries = []
        for shelf in language_shelves:
            links = shelf.reading_app_files
            if links:
                entries.append({"shelf": shelf, "links": links, "authors": shelf.meta.get("authors", []),
                                "id": book_identifier(shelf.pair.slug, tag),
                                "updated": f"{shelf.meta['modified']}T00:00:00Z"})
        if not entries:
            continue
        updated = max(entry["updated"] for entry in entries)
        facts = language_shelves[0].facts
        atomic.atomic_write_text(config.outputs_dir / tag / FEED, env.get_template("site/opds-acquisition.xml.j2").render(
            entries=entries, updated=updated, title=f"Patient handouts: {facts.display_name}",
            feed_id=_feed_id(tag), draft_words=draft_words.get(tag, "")))
        languages.append({"tag": tag, "title": facts.display_name, "count": len(entries), "updated": updated,
                          "id": _feed_id(tag)})
    atomic.atomic_write_text(config.outputs_dir / FEED, env.get_template("site/opds-navigation.xml.j2").render(
        languages=languages, updated=max((lang["updated"] for lang in languages), default=NEVER),
        feed_id=_feed_id("")))


def _feed_id(tag: str) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'handouts-opds-catalog/' + tag)}"
