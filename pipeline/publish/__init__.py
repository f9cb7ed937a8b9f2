"""Publishing: what outreach teams download, written from the build state after a build.

`outputs/manifest.json` (every file with its checksum), the download site (pages by
article and by language) and the OPDS feeds. Sits above the build engine, which calls
it back: the manifest is refreshed during a long build, everything at its end, and
nothing at all when a build changed nothing.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from pipeline.engine import BuildPlan, BuildReport, BuildState, build
from pipeline.core.config import Config
from pipeline.core.errors import HandoutsError
from pipeline.core.layout import UI_DOMAIN, catalog_file
from pipeline.core.locales import to_catalog_id
from pipeline.core.uitext import REVIEW_NOTICE, TOPICS_WORD, UiText
from pipeline.publish.listing import listed_files, shelves as make_shelves
from pipeline.publish.manifest import MANIFEST, verify_manifest, write_manifest
from pipeline.publish.opds import write_feeds
from pipeline.publish.pages import PageWriter
from pipeline.publish.site import INDEX, site_words, write_site

__all__ = ["build_and_publish", "publish", "verify_manifest", "MANIFEST", "INDEX"]

PUBLISHING_CODE = Path(__file__).resolve().parent
SITE_TEMPLATES = PUBLISHING_CODE.parent / "templates" / "site"
# During a build the manifest is rewritten at most this often (it lists the whole library).
MANIFEST_INTERVAL_SECONDS = 2.0


def build_and_publish(config: Config, formats: list[str] | None = None, **options) -> BuildReport:
    """Build what is out of date, then publish: the command line's `handouts build`."""
    refresher = _ManifestRefresher(config)
    return build(config, formats, after_task=refresher, finish=lambda state, plan, report: publish(
        config, state, plan, report), **options)


def publish(config: Config, state: BuildState, plan: BuildPlan, report: BuildReport | None = None) -> bool:
    """Rewrite the manifest, the site and the feeds when anything they show changed.
    Returns whether anything was written."""
    fingerprint = _fingerprint(config, state, plan)
    if state.setting("published") == fingerprint and (config.outputs_dir / MANIFEST).exists() \
            and (config.outputs_dir / INDEX).exists():
        return False
    listed = listed_files(config, state, plan)
    shelves = make_shelves(plan, listed)
    write_manifest(config, listed)
    words: dict[str, UiText] = {}
    for shelf in shelves:
        tag = shelf.facts.tag
        if tag in words:
            continue
        try:
            words[tag] = site_words(config, shelf.facts)
        except HandoutsError as error:
            if report is not None:
                report.failed.append(HandoutsError(f"no download page for {tag}: {error.one_line()}"))
    pages = PageWriter(config, state, _code_digest(config, state))
    write_site(config, shelves, words, pages)
    write_feeds(pages, shelves, {tag: ui.gettext(REVIEW_NOTICE) for tag, ui in words.items()},
                {tag: ui.gettext(TOPICS_WORD) for tag, ui in words.items()})
    pages.finish()
    if report is not None:
        report.published = len(pages.written)
    state.set_setting("published", fingerprint)
    return True


def _code_digest(config: Config, state: BuildState) -> str:
    """The publishing code, the site's templates and every language's template words: a
    change to any re-renders every page (rare; an edit to an article re-renders its own)."""
    return hashlib.sha256(repr([state.file_hash(p) for p in _publishing_files(config)]).encode()).hexdigest()


def _publishing_files(config: Config) -> list:
    code = sorted([*PUBLISHING_CODE.glob("*.py"), *SITE_TEMPLATES.glob("*.j2")])
    return [*code, *[catalog_file(str(config.translations_dir), to_catalog_id(tag), UI_DOMAIN) for tag in config.languages]]


def _fingerprint(config: Config, state: BuildState, plan: BuildPlan) -> str:
    """Everything the published files show, cheaply: which outputs were recorded (the
    state's generation), the key every output should have now (current or not), the
    pairs' facts, the publishing code and templates, and every language's template words."""
    digest = hashlib.sha256()
    digest.update(repr((state.generation(), sorted(plan.keys().items()))).encode())
    digest.update(repr(state.files_on_disk(config.outputs_dir)).encode())  # a file deleted by hand
    digest.update(repr([(p.slug, p.language, p.publishable, p.meta) for p in plan.pairs]).encode())
    digest.update(repr([state.file_hash(p) for p in _publishing_files(config)]).encode())
    state.flush_inputs()
    return digest.hexdigest()


class _ManifestRefresher:
    """Keeps the manifest close to what is on disk during a long build, without rewriting
    a whole library's manifest after every one of its thousands of tasks."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.last: float | None = None  # the clock starts with the first task stored
        self.interval = MANIFEST_INTERVAL_SECONDS

    def __call__(self, state: BuildState, plan: BuildPlan) -> None:
        if self.last is None:
            self.last = time.monotonic()
        elif time.monotonic() - self.last >= self.interval:
            started = time.monotonic()
            write_manifest(self.config, listed_files(self.config, state, plan))
            self.last = time.monotonic()
            # a library's manifest takes longer to write: never more than a tenth of the build
            self.interval = max(MANIFEST_INTERVAL_SECONDS, 10 * (self.last - started))
