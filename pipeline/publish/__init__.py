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

from pipeline.engine import BuildPlan, BuildReport, BuildState, build, resolve
from pipeline.core.config import Config
from pipeline.core.layout import UI_DOMAIN, catalog_file
from pipeline.core.locales import to_catalog_id
from pipeline.publish.listing import listed_of, shelf_files, shelves as make_shelves, shown_of
from pipeline.publish.manifest import MANIFEST, manifest_line, verify_manifest, write_manifest
from pipeline.publish.opds import write_feeds
from pipeline.publish.pages import PageWriter
from pipeline.publish.site import INDEX, SiteWords, write_site

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
    """Bring the manifest, the site and the feeds up to date with what changed since the
    last publication (everything, when the publishing code, templates or template words
    changed). Returns whether anything was written."""
    code = _code_digest(config, state)
    everything = state.setting("published code") != code or not (config.outputs_dir / MANIFEST).exists() \
        or not (config.outputs_dir / INDEX).exists()
    changed = _changed_pairs(config, state, plan, report, everything)
    if not changed and not everything:
        state.published()
        return False
    in_place = _update_shelves(config, state, plan, changed) and not everything
    write_manifest(config, state.manifest_lines())
    shelves = make_shelves(config, state, plan)
    words = SiteWords(config)
    pages = PageWriter(config, state, code, changed if in_place else None)
    write_site(config, shelves, words, pages)
    write_feeds(pages, shelves, words.feed_words)
    pages.finish()
    if report is not None:
        report.published = len(pages.written)
        report.failed += words.failed
    state.set_setting("published code", code)
    state.published()
    return True


def _changed_pairs(config: Config, state: BuildState, plan: BuildPlan, report: BuildReport | None,
                   everything: bool) -> set[tuple[str, str]]:
    """The pairs whose files or shelf may show differently than at the last publication:
    planned again, built, changed on disk, or gone from the project."""
    if everything:
        return state.recorded_pairs() | state.shelf_keys() | set(plan.order)
    changed = state.unpublished_pairs() | state.gone_pairs() | (report.touched if report is not None else set())
    if report is None:  # published on its own: see what changed on disk
        changed |= set(state.changed_on_disk(lambda relative: str(resolve(config, relative))).values())
    else:  # found by the build before it ran anything; what it wrote since is in `touched`
        changed |= set(report.changed_on_disk.values())
    return changed


def _update_shelves(config: Config, state: BuildState, plan: BuildPlan, changed: set[tuple[str, str]]) -> bool:
    """Work out again, for each changed pair, its manifest lines and its shelf; whether the
    pages keep their order and cuts (no changed pair came, went, or changed its title,
    topics or files for reading apps: only the pages showing a changed pair can differ)."""
    before = state.shelves_of(changed)
    shown: dict[tuple[str, str], tuple | None] = {}
    lines: dict[str, str | None] = {}
    gone: list[str] = []
    for slug, language in changed:
        listed = listed_of(config, state, plan, slug, language)
        recorded = state.outputs_of(slug, language)
        gone += [path for path, entry in recorded.items() if not entry.get("artifact")
                 and path not in {item.path for item in listed}]  # deleted by hand: vouched for no more
        lines |= {item.path: manifest_line(item) for item in listed}
        pair = plan.pair(slug, language)
        files = shelf_files(pair, listed)
        shown[(slug, language)] = shown_of(pair, files) if files else None
    state.save_shelves(shown, lines, gone)
    return all((before.get(key) is None) == (now is None) and (now is None or (*now[:4],) == (*before[key][:4],))
               for key, now in shown.items())


def _code_digest(config: Config, state: BuildState) -> str:
    """The publishing code, the site's templates and every language's template words: a
    change to any re-renders every page (rare; an edit to an article re-renders its own)."""
    digest = hashlib.sha256(repr([state.file_hash(p) for p in _publishing_files(config)]).encode()).hexdigest()
    state.flush_inputs()
    return digest


def _publishing_files(config: Config) -> list:
    code = sorted([*PUBLISHING_CODE.glob("*.py"), *SITE_TEMPLATES.glob("*.j2")])
    return [*code, *[catalog_file(str(config.translations_dir), to_catalog_id(tag), UI_DOMAIN) for tag in config.languages]]


class _ManifestRefresher:
    """Keeps the manifest close to what is on disk during a long build, without rewriting
    a whole library's manifest after every one of its thousands of tasks."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.last: float | None = None  # the clock starts with the first task stored
        self.interval = MANIFEST_INTERVAL_SECONDS
        self.done: set[tuple[str, str]] = set()  # the pairs whose lines are up to date

    def __call__(self, state: BuildState, plan: BuildPlan, report: BuildReport) -> None:
        if self.last is None:
            self.last = time.monotonic()
        elif time.monotonic() - self.last >= self.interval:
            started = time.monotonic()
            _update_shelves(self.config, state, plan, report.touched - self.done)
            self.done |= report.touched
            write_manifest(self.config, state.manifest_lines())
            self.last = time.monotonic()
            # a library's manifest takes longer to write: never more than a tenth of the build
            self.interval = max(MANIFEST_INTERVAL_SECONDS, 10 * (self.last - started))
