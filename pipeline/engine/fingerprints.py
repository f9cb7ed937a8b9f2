"""Which pairs' inputs changed: the fingerprint of each pair's input files, from their
metadata (keys.py says what goes in), and, when only article catalogs changed since the
last planning (a translator's day in a library), just the pairs of those catalogs.

A library of a thousand articles in two dozen languages has tens of thousands of pairs:
fingerprinting each costs a stat per input and a digest, a second or so in all. A build
that starts from a scan of sources/ and translations/ (settled.py) knows which files
changed since they were last hashed; when those are article catalogs only, and the code,
settings, machine and list of sources are the ones the last planning was made with, the
other pairs are as they were planned.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from pipeline.core.layout import UI_DOMAIN, catalog_file, pronunciation_file, template_path
from pipeline.core.locales import to_catalog_id
from pipeline.engine.keys import digest, environment_fingerprint, planning_fingerprint
from pipeline.engine.pairs import StoredProblem, decoded
from pipeline.engine.state import BuildState

if TYPE_CHECKING:
    from pipeline.engine.plan import BuildPlan, _Saver
    from pipeline.inputs.project import ProjectReader

PLANNED = "planned"  # the setting that keeps what the last planning was made with, its order and problems
PLAN_VERSION = "5"  # a change to what planning concludes, or how it is stored


def only_catalogs_changed(plan: BuildPlan, state: BuildState, planned_with: str) -> list[tuple[str, str]] | None:
    """When the last planning was made with the same code, settings, machine and sources
    and since then only article catalogs changed (a translator's day), the pairs of those
    catalogs, and the plan's order and the sources' problems as last planned; else None
    (every pair is looked at)."""
    changed = state.inputs_changed()
    stored = json.loads(state.setting(PLANNED) or "{}")
    if changed is None or stored.get("with") != planned_with:
        return None
    order = [tuple(key) for key in stored["order"]]
    pairs = set(order)
    languages = {to_catalog_id(tag): tag for tag in plan.config.languages}
    translations = str(plan.config.translations_dir) + os.sep
    affected = []
    for path in changed:
        if not path.startswith(translations):
            return None  # a source or an image
        parts = path[len(translations):].split(os.sep)
        if parts == [f"{UI_DOMAIN}.pot"] or parts[-1] == "pronunciation.toml":
            return None  # the template words' template, a language's pronunciation list
        if len(parts) != 3 or parts[1] != "LC_MESSAGES" or not parts[2].endswith(".po"):
            continue  # an article's template, a compiled .mo, an editor's backup: no pair's input
        slug = parts[2].removesuffix(".po")
        if slug == UI_DOMAIN and parts[0] in languages:
            return None  # a language's template words
        if (slug, languages.get(parts[0], "")) in pairs:
            affected.append((slug, languages[parts[0]]))
    plan.order = order
    plan.problems += [StoredProblem(text) for text in stored["problems"]]
    return affected


class Fingerprints:
    """The fingerprint of each pair's inputs, from file metadata (see keys.py)."""

    def __init__(self, plan: BuildPlan, state: BuildState, saver: "_Saver") -> None:
        config, file_hash = plan.config, state.file_hash
        self.plan, self.state, self.saver, self.file_hash = plan, state, saver, file_hash
        logo = config.clinic.logo if config.clinic and config.clinic.logo else None
        self.base = digest(PLAN_VERSION, planning_fingerprint(file_hash), config.settings_for("plan"),
                           environment_fingerprint(config), file_hash(logo) if logo else "")
        self.ui_hashes = (file_hash(template_path(config.translations_dir, UI_DOMAIN)),)
        self.translations = str(config.translations_dir)  # paths as strings: this runs for every pair
        self.shared: dict[str, tuple[str, str]] = {}  # per language: its template words and pronunciation list
        self._known: dict | None = None

    def known(self, slug: str, language: str) -> tuple[str, str, str] | None:
        """The pair's fingerprint and bases digests as last planned (all read at once when
        every pair is looked at)."""
        if self._known is None:
            return self.state.pair_row(slug, language)
        return self._known.get((slug, language))

    def all(self, sources: list[Path]) -> Iterator[tuple[Path, str, str]]:
        """(source, language, fingerprint) of every pair."""
        self._known = self.state.pair_rows()
        for path in sources:
            about = self._about(path)
            if about.get("problem"):
                self.plan.problems.append(StoredProblem(about["problem"]))
                continue
            for tag in self.plan.config.languages_for(about["language"]):
                yield path, tag, self.fingerprint(path, tag, about)

    def of(self, keys: list[tuple[str, str]]) -> Iterator[tuple[Path, str, str]]:
        for slug, tag in keys:
            path = self.plan.config.sources_dir / f"{slug}.md"
            yield path, tag, self.fingerprint(path, tag, self._about(path))

    def fingerprint(self, path: Path, tag: str, about: dict) -> str:
        file_hash, catalog_id = self.file_hash, to_catalog_id(tag)
        if catalog_id not in self.shared:
            self.shared[catalog_id] = (file_hash(catalog_file(self.translations, catalog_id, UI_DOMAIN)),
                                       file_hash(pronunciation_file(self.translations, catalog_id)))
        images = [file_hash(os.path.join(self.plan.config.sources_dir, name)) for name in about["images"]]
        article_catalog = file_hash(catalog_file(self.translations, catalog_id, path.stem))
        return digest(self.base, tag, file_hash(path), images, self.ui_hashes, article_catalog, *self.shared[catalog_id])

    def _about(self, path: Path) -> dict:
        """What planning knows of a source (its language, images, or its problem), read again
        only when the source changed."""
        fingerprint = digest(self.base, self.file_hash(path))
        row = self.known(path.stem, "")
        about = decoded(self.state.pair_plan(path.stem, "")) if row and row[0] == fingerprint else None
        if not isinstance(about, dict):
            about = about_article(self.plan.reader_of(), path)
            self.saver.add_about(path.stem, about, fingerprint)
        return about


def about_article(reader: ProjectReader, path: Path) -> dict:
    """What planning needs to know of a source without reading it again: its language and
    the images it uses (their hashes join the fingerprint of its pairs), or its problem."""
    before = len(reader.problems)
    article = reader.article(path)
    if article is None:
        problem = reader.problems.pop(before)
        return {"problem": problem.one_line()}
    from pipeline.core.document import Figure, walk_blocks

    images = sorted({b.src for b in walk_blocks(article.blocks) if isinstance(b, Figure)})
    return {"language": article.meta.source_language, "images": images}
