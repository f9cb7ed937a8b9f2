"""Segments <-> gettext messages: the template of an article, and translation applied to it.

Translation happens once, right after reading (Sphinx's lesson): `translate()` returns
an `Article` in the target language and no writer ever opens a catalog. A message is
keyed by its text and its role (the gettext context); its source reference and a
comment with the segment id and the meaning of each placeholder tell the translator
where it comes from.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
from dataclasses import dataclass

from babel.messages.catalog import Catalog

from pipeline.inputs.catalogs import PROJECT, ProjectCatalog, update_catalog
from pipeline.core.document import Article, Segment
from pipeline.core.uitext import MARKUP
from pipeline.core.errors import CatalogError
from pipeline.inputs.placeholders import PlaceholderError, describe_placeholders, from_message, to_message

# Markup a translator might paste: it is refused, because only the source decides markup.


def fixed_date(article: Article) -> datetime.datetime:
    """A reproducible timestamp for generated headers: the article's `updated` date."""
    day = article.meta.updated or datetime.date(2000, 1, 1)
    return datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.timezone.utc)


def template_for(article: Article) -> Catalog:
    """The .pot of one article: one message per distinct (text, role), in reading order."""
    template = Catalog(project=PROJECT, version="1", domain=article.slug, charset="utf-8", fuzzy=False,
                       creation_date=fixed_date(article), msgid_bugs_address="")
    for segment in article.segments():
        message_id, spans = to_message(segment.inlines)
        location = (article.source_path, segment.line)
        existing = template.get(message_id, context=segment.role)
        if existing is not None:
            existing.locations.append(location)
            existing.auto_comments.append(f"segment {segment.id}")
            continue
        comments = [f"segment {segment.id}"]
        if spans:
            comments.append("Keep the placeholders: " + describe_placeholders(spans))
        template.add(message_id, locations=[location], auto_comments=comments, context=segment.role)
    return template


def translate(article: Article, catalog: ProjectCatalog, language: str, shown: str) -> Article:
    """The article in `language`. Raises CatalogError at the first segment that cannot be
    translated, so a published handout never silently falls back to the source text."""

    def translated(segment: Segment) -> Segment:
        message_id, spans = to_message(segment.inlines)
        message = catalog.get(message_id, context=segment.role)
        if message is None or not message.string:
            raise CatalogError("no translation for this message", file=shown,
                               line=message.lineno if message is not None else None, msgid=message_id,
                               hint="run 'handouts extract', then translate it")
        if message.fuzzy:
            raise CatalogError("the translation is marked fuzzy (the source changed)", file=shown,
                               line=message.lineno, msgid=message_id,
                               hint="check it against the new source text and remove the fuzzy flag")
        return dataclasses.replace(segment, inlines=parse_translation(message.string, spans, shown, message))

    return article.map_segments(translated).in_language(language)


def parse_translation(text: str, spans: dict, shown: str, message) -> tuple:
    if MARKUP.search(text):
        raise CatalogError(f"the translation contains markup ({MARKUP.search(text).group(0)!r})",
                           file=shown, line=message.lineno, msgid=message.id,
                           hint="write plain text and keep the {1}...{/1} placeholders for formatting")
    try:
        return from_message(text, spans)
    except PlaceholderError as problem:
        raise CatalogError(f"placeholders do not match the source: {problem}", file=shown, line=message.lineno,
                           msgid=message.id, hint="keep every {n}...{/n} of the source exactly once") from None


@dataclass(frozen=True)
class Coverage:
    """How much of a template a catalog translates, as `handouts status` shows it."""

    total: int
    translated: int
    fuzzy: int
    untranslated: int
    obsolete: int

    @property
    def complete(self) -> bool:
        return self.translated == self.total


def coverage(catalog: Catalog, template: Catalog) -> Coverage:
    """Count against the current template, as if `handouts extract` had just run: a message
    whose source changed counts as fuzzy (Babel's fuzzy matching), a new one as untranslated."""
    return _coverage_in_step(catalog, template) or _coverage_after_update(catalog, template)


def _coverage_in_step(catalog: Catalog, template: Catalog) -> Coverage | None:
    """The count Babel's update would give, without copying and updating the catalog, when
    every message of the template is in it as it stands (no fuzzy matching to do, no
    plural forms): the usual case, and a copy per pair was most of a library's planning."""
    counts = {"translated": 0, "fuzzy": 0, "untranslated": 0}
    wanted = set()
    for message in template:
        if not message.id:
            continue
        key = message.id if message.context is None else (message.id, message.context)  # Babel's keys
        found = catalog.get(message.id, context=message.context)
        if found is None or not isinstance(message.id, str) or not isinstance(found.string, str):
            return None
        wanted.add(key)
        state = "untranslated" if not found.string else "fuzzy" if found.fuzzy else "translated"
        counts[state] += 1
    current = {m.id if m.context is None else (m.id, m.context) for m in catalog if m.id}
    obsolete = len(set(catalog.obsolete) | {key for key in current - wanted})
    return Coverage(total=sum(counts.values()), obsolete=obsolete, **counts)


def _coverage_after_update(catalog: Catalog, template: Catalog) -> Coverage:
    updated = copy.deepcopy(catalog)
    update_catalog(updated, template)
    translated = fuzzy = untranslated = 0
    for message in updated:
        if not message.id:
            continue
        if message.fuzzy and message.string:
            fuzzy += 1
        elif message.string:
            translated += 1
        else:
            untranslated += 1
    return Coverage(total=translated + fuzzy + untranslated, translated=translated, fuzzy=fuzzy,
                    untranslated=untranslated, obsolete=len(updated.obsolete))
