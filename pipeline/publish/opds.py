"""OPDS 1.2 feeds for reading apps: a navigation feed (`outputs/catalog.xml`) with one
entry per language, each leading to that language's acquisition feed of e-books and
narrations (`outputs/<lang>/catalog.xml`), in pages of PAGE_SIZE entries linked by
`rel="next"`/`"previous"`/`"first"`/`"last"`, with a facet per topic
(`outputs/<lang>/topics/<id>.xml`, paged the same way) so that an app never loads the
whole library at once. A feed is written only when what it shows changed."""

from __future__ import annotations

import functools
import posixpath
import uuid
from typing import Callable

from pipeline.publish.listing import Shelf
from pipeline.publish.pages import Page, PageWriter, by_title, paginate, shelf_digest, topics

FEED = "catalog.xml"
NEVER = "2000-01-01T00:00:00Z"


def write_feeds(pages: PageWriter, shelves: list[Shelf], words_of: Callable[[str], tuple[str, str] | None]) -> None:
    """`words_of(tag)`: the draft-translation notice of a language, for entries' summaries,
    and its word "Topics", the facets' group (asked only for a feed that is written)."""
    by_language: dict[str, list[Shelf]] = {}
    for shelf in shelves:
        if shelf.reading:
            by_language.setdefault(shelf.language, []).append(shelf)
    languages = []
    for tag, language_shelves in by_language.items():
        ordered = by_title(language_shelves)
        updated = max(_updated(shelf) for shelf in ordered)
        groups = topics(ordered)
        facets = [(key, name, f"{tag}/topics/{key}.xml") for key, (name, _) in groups.items()]
        words = functools.partial(words_of, tag)
        _write_sequence(pages, paginate(f"{tag}/catalog", ordered, ".xml"), tag, None, facets, words)
        for key, (name, members) in groups.items():
            _write_sequence(pages, paginate(f"{tag}/topics/{key}", members, ".xml"), tag, (key, name), facets, words)
        languages.append({"tag": tag, "title": ordered[0].facts.display_name, "count": len(ordered),
                          "updated": updated, "id": _feed_id(tag)})
    updated = max((lang["updated"] for lang in languages), default=NEVER)
    pages.page(FEED, ("navigation", languages), lambda: _render(
        "opds-navigation.xml.j2", languages=languages, updated=updated, feed_id=_feed_id("")))


def _write_sequence(pages: PageWriter, sequence: list[Page], tag: str, topic: tuple[str, str] | None,
                    facets: list[tuple[str, str, str]], words: Callable[[], tuple[str, str] | None]) -> None:
    for page in sequence:  # (the words are the template words', which every page's digest includes)
        pages.page(page.path, lambda page=page: ("feed", tag, topic, facets, page.number, page.paths,
                                                 [shelf_digest(s) for s in page.shelves]),
                   lambda page=page: _feed(page, tag, topic, facets, words()), page.shelves)


def _feed(page: Page, tag: str, topic: tuple[str, str] | None, facets: list[tuple[str, str, str]],
          words: tuple[str, str] | None) -> str | None:
    if words is None:  # the language's template words cannot be read (the build says so)
        return None
    from pipeline.writers.epub.writer import book_identifier

    here = posixpath.dirname(page.path)

    def href(path: str) -> str:
        return posixpath.relpath(path, here)

    entries = [{"shelf": shelf, "links": [(href(item.path), item) for item in shelf.reading_app_files],
                "authors": shelf.meta.get("authors", []), "id": book_identifier(shelf.pair.slug, tag),
                "updated": _updated(shelf)} for shelf in page.shelves]
    paging = {"self": page.path, "first": page.paths[0], "last": page.paths[-1],
              "previous": page.neighbour(-1), "next": page.neighbour(1)}
    facts = page.shelves[0].facts
    title = f"Patient handouts: {facts.display_name}" + (f": {topic[1]}" if topic else "")
    return _render("opds-acquisition.xml.j2", entries=entries, title=title,
                   updated=max(entry["updated"] for entry in entries),
                   feed_id=_feed_id(tag + (f"/{topic[0]}" if topic else "") + (f"/{page.number}" if page.number > 1 else "")),
                   links={rel: href(path) for rel, path in paging.items() if path},
                   start=href(FEED), up=href(FEED), draft_words=words[0], facet_group=words[1],
                   facets=[(name, href(path), bool(topic and topic[0] == key)) for key, name, path in facets])


def _render(template: str, **context: object) -> str:
    from pipeline.writers.common.templates import environment

    return environment().get_template(f"site/{template}").render(**context)


def _updated(shelf: Shelf) -> str:
    return f"{shelf.modified}T00:00:00Z"


def _feed_id(tag: str) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'handouts-opds-catalog/' + tag)}"
