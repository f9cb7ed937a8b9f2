"""Planning: which (article, language) pairs exist, which may be published, and their tasks.

A pair whose input files, configuration, pipeline code and machine environment are all
unchanged since it was last planned is taken from the build state as it was: nothing
is parsed or translated (see keys.py). Any other pair is read, translated and planned
again; its tasks' keys then decide which outputs are rebuilt. A pair's job (the
translated article a writer needs) is made only for tasks that will run.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from pipeline.engine.fingerprints import PLANNED, Fingerprints, only_catalogs_changed
from pipeline.engine.imports import remembered
from pipeline.engine.keys import digest, job_digest, parts_digest, plan_basis, task_key, writer_basis
from pipeline.engine.state import BuildState
from pipeline.core.config import Config
from pipeline.core.errors import HandoutsError
from pipeline.core.job import Job
from pipeline.core.machine import steady
from pipeline.core.locales import to_bcp47
from pipeline.inputs.images import check_clinic_logo
from pipeline.core.layout import catalog_folder_problems, find_sources, orphan_catalogs, source_problems
from pipeline.engine.pairs import (TASK_INFO, PairPlan, StoredProblem, Task, decoded, encoded, expected_of,
                                   findings_of, rekey)
from pipeline.writers import get_writer, writer_names

JOBS_KEPT = 64  # jobs kept for the tasks that use them: a pair's tasks run close together
PAIRS_KEPT = 512  # decoded pairs kept: the pairs a build runs or publishes are asked for again soon
SAVE_EVERY = 500  # planned pairs are stored in batches: a library's plans never all sit in memory


if TYPE_CHECKING:  # the readers are imported only when a pair must be read again
    from pipeline.inputs.project import LanguagePlan, ProjectReader


@dataclass
class BuildPlan:
    """Every pair of the project, in order (articles, then their languages). Pairs are
    decoded from the build state only when asked for: a build of a library where one
    catalog changed decodes that pair, not the thousands of others."""

    config: Config
    problems: list[HandoutsError]  # problems of the whole project (sources, folders)
    state: BuildState | None = None
    order: list[tuple[str, str]] = field(default_factory=list)  # every (slug, language) planned
    changed: set[tuple[str, str]] = field(default_factory=set)  # planned again or re-keyed in this planning
    notes: list[str] = field(default_factory=list)  # of the whole project (catalogs without an article)
    replanned: int = 0  # pairs that were read and translated in this planning
    bases: dict[str, str] = field(default_factory=dict)  # each writer's basis in this build
    plan_bases: dict[str, str] = field(default_factory=dict)
    reader: ProjectReader | None = None
    _jobs: dict[tuple[str, str], Job] = field(default_factory=dict)
    _pairs: dict[tuple[str, str], PairPlan] = field(default_factory=dict)
    _findings: dict[tuple[str, str], str] | None = None

    def pair(self, slug: str, language: str) -> PairPlan | None:
        """One pair, decoded from the build state on first use (a few hundred are kept)."""
        key = (slug, language)
        if key in self._pairs:
            self._pairs[key] = self._pairs.pop(key)  # the most recently used last
            return self._pairs[key]
        found = decoded(self.state.pair_plan(slug, language)) if self.state is not None else None
        if not isinstance(found, PairPlan):
            return None
        self.remember(found)
        return found

    def remember(self, pair: PairPlan) -> None:
        self._pairs[pair.key] = pair
        while len(self._pairs) > PAIRS_KEPT:
            del self._pairs[next(iter(self._pairs))]

    def select(self, slugs: list[str] | None, languages: list[str] | None) -> list[tuple[str, str]]:
        wanted = {to_bcp47(code) for code in languages} if languages else None
        return [(slug, tag) for slug, tag in self.order
                if (not slugs or slug in slugs) and (not wanted or tag in wanted)]

    def pairs(self, keys: list[tuple[str, str]] | None = None) -> Iterator[PairPlan]:
        """The pairs of `keys` (every pair), decoded one at a time."""
        for slug, language in (self.order if keys is None else keys):
            pair = self.pair(slug, language)
            if pair is not None:
                yield pair

    def findings(self, keys: list[tuple[str, str]]) -> list[tuple[PairPlan, list[tuple[str, str]]]]:
        """What the pairs of `keys` have to report (problems, notes, why they wait), as far
        as a report needs them, each with the pairs that report the same (the articles of a
        language mostly do): (a pair that says it, every pair that does), in order."""
        if self._findings is None:
            self._findings = self.state.findings() if self.state is not None else {}
        groups: dict[str, list[tuple[str, str]]] = {}
        for key in keys:
            text = self._findings.get(key)
            if text is not None:
                groups.setdefault(text, []).append(key)
        return [(PairPlan(*same[0], **json.loads(text)), same) for text, same in groups.items()]

    def reader_of(self) -> "ProjectReader":
        """The reader of sources and catalogs, made (and its libraries imported) on first use."""
        if self.reader is None:
            from pipeline.inputs.project import ProjectReader

            self.reader = ProjectReader(self.config, self.problems)
        return self.reader

    def keep_job(self, slug: str, language: str, job: Job) -> None:
        """Keep a pair's job for its tasks; only the last JOBS_KEPT (a library's would fill memory)."""
        self._jobs.pop((slug, language), None)
        self._jobs[(slug, language)] = job
        while len(self._jobs) > JOBS_KEPT:
            del self._jobs[next(iter(self._jobs))]

    def job(self, slug: str, language: str) -> Job:
        """The job of a publishable pair, reading and translating it now if planning did not."""
        if (slug, language) in self._jobs:
            self.keep_job(slug, language, self._jobs[(slug, language)])  # recently used: kept longest
        else:
            reader = self.reader_of()
            path = self.config.sources_dir / f"{slug}.md"
            article = reader.article(path)
            plan = reader.plan(article, language) if article is not None else None
            if plan is None or plan.job is None:
                raise HandoutsError(f"{slug}.{language} could not be read again for building",
                                    hint="its source or catalog changed during the build; build again")
            self.keep_job(slug, language, plan.job)
        return self._jobs[(slug, language)]


def plan_build(config: Config, state: BuildState, jobs: int = 1,
               inputs: dict[str, tuple[int, int, int]] | None = None) -> BuildPlan:
    """Plan every pair of the project, reading only the sources and catalogs whose files
    changed since they were last planned (on `jobs` processes when there are many).
    `inputs`: the files under sources/ and translations/ as a scan just found them (see
    settled.py): when only article catalogs changed, only their pairs are looked at."""
    if inputs is not None:
        state.use_scan([config.sources_dir, config.translations_dir], inputs)
    with steady(), remembered(config.cache_dir / "imports.json"):  # each language asks the same of the
        return _plan_build(config, state, jobs)                       # machine; the code's imports read once


def _plan_build(config: Config, state: BuildState, jobs: int) -> BuildPlan:
    plan = BuildPlan(config, [], state)
    sources = find_sources(config.sources_dir)
    plan.problems += source_problems(config, sources)
    plan.problems += catalog_folder_problems(config)
    check_clinic_logo(config)
    plan.bases = {name: writer_basis(config, name, state.file_hash) for name in writer_names()}
    plan.plan_bases = {name: plan_basis(config, name) for name in writer_names()}
    saver = _Saver(state, digest(plan.plan_bases), digest(plan.bases))
    fingerprints = Fingerprints(plan, state, saver)
    planned_with = digest(fingerprints.base, fingerprints.ui_hashes, saver.plan_bases, saver.bases,
                          [path.name for path in sources])
    affected = only_catalogs_changed(plan, state, planned_with)
    todo: list[tuple[Path, str, str]] = []  # pairs to plan again: (source, language, fingerprint)
    for path, tag, fingerprint in (fingerprints.of(affected) if affected is not None else fingerprints.all(sources)):
        if affected is None:
            plan.order.append((path.stem, tag))
        row = fingerprints.known(path.stem, tag)
        if row and row[:2] == (fingerprint, saver.plan_bases):
            if row[2] == saver.bases:
                continue  # unchanged
            pair = plan.pair(path.stem, tag)  # a writer's code changed: its tasks get new keys, nothing is read
            if pair is not None:
                rekey(pair, plan.bases)
                saver.add(pair, fingerprint)
                continue
        todo.append((path, tag, fingerprint))  # its inputs, or a writer's settings, changed
    for pair, fingerprint in _plan_again(plan, todo, jobs):
        plan.remember(pair)
        saver.add(pair, fingerprint)
    saver.flush()
    plan.changed, plan.replanned = saver.saved, len(todo)
    if sources:  # (with no article at all, that is the one thing to say)
        plan.notes += orphan_catalogs(config, {path.stem for path in sources})
    state.flush_inputs()
    if affected is None:  # (a planning of the changed catalogs only leaves all this as it was)
        state.forget_pairs(set(plan.order) | {(p.stem, "") for p in sources})
        state.set_setting(PLANNED, json.dumps({"with": planned_with, "order": plan.order,
                                               "problems": [p.one_line() for p in plan.problems
                                                            if isinstance(p, StoredProblem)]}))
    return plan


class _Saver:
    """Stores planned pairs in batches, with what a build needs of them without decoding."""

    def __init__(self, state: BuildState, plan_bases: str, bases: str) -> None:
        self.state, self.plan_bases, self.bases = state, plan_bases, bases
        self.rows: list[tuple] = []
        self.saved: set[tuple[str, str]] = set()

    def add(self, pair: PairPlan, fingerprint: str) -> None:
        self.rows.append((pair.slug, pair.language, fingerprint, self.plan_bases, self.bases, encoded(pair),
                          findings_of(pair), expected_of(pair)))
        self.saved.add(pair.key)
        if len(self.rows) >= SAVE_EVERY:
            self.flush()

    def add_about(self, slug: str, about: dict, fingerprint: str) -> None:
        self.rows.append((slug, "", fingerprint, "", "", encoded(about), None, []))

    def flush(self) -> None:
        if self.rows:
            self.state.save_pairs(self.rows)
            self.rows = []


def _plan_again(plan: BuildPlan, todo: list[tuple[Path, str, str]], jobs: int) -> Iterator[tuple[PairPlan, str]]:
    """Plan the pairs whose inputs changed: here, or on local processes when there are many."""
    from pipeline.engine.replan import PARALLEL_FROM, plan_in_parallel

    if jobs > 1 and len(todo) >= PARALLEL_FROM:
        yield from plan_in_parallel(plan.config, (plan.bases, plan.plan_bases), todo, jobs)
        return
    for path, tag, fingerprint in todo:
        yield plan_pair(plan, path, tag), fingerprint


def plan_pair(plan: BuildPlan, path: Path, tag: str) -> PairPlan:
    reader = plan.reader_of()
    article = reader.article(path)
    assert article is not None  # _about_article has read it
    language_plan = reader.plan(article, tag)
    pair = PairPlan(
        slug=article.slug, language=tag, publishable=language_plan.job is not None,
        skip_reasons=list(language_plan.skip_reasons), problems=[p.one_line() for p in language_plan.problems],
        coverage=_numbers(language_plan.coverage), ui_coverage=_numbers(language_plan.ui_coverage),
        review=language_plan.review.describe() if language_plan.review else "", is_source=language_plan.is_source,
        review_state=language_plan.review.as_dict() if language_plan.review else None,
        notes=list(language_plan.notes),
    )
    job = language_plan.job
    if job is None:
        return pair
    plan.keep_job(article.slug, tag, job)
    pair.meta = _site_facts(job, language_plan)
    _plan_tasks(pair, job, plan.bases)
    return pair


def _plan_tasks(pair: PairPlan, job: Job, bases: dict[str, str]) -> None:
    """A task per writer that can make this pair, in dependency order, with its key."""
    writers = sorted((get_writer(name) for name in writer_names()), key=lambda w: 1 if w.USES else 0)
    of_job = job_digest(job)
    for writer in writers:
        pair.notes += [f"{job.facts.tag}: {writer.NAME}: {note}" for note in writer.notes(job)]
        machine = writer.machine_reason()
        if machine:
            pair.notes.append(f"this machine: no {writer.NAME}: {machine}")
            continue
        reason = writer.unavailable_reason(job)
        if reason:
            pair.notes.append(f"{job.facts.tag}: no {writer.NAME}: {reason}")  # said once for the language
            continue
        uses = [pair.tasks[name] for name in writer.USES if name in pair.tasks]
        try:
            parts = parts_digest(job, writer)
        except HandoutsError as error:  # e.g. a font of the language is not installed
            pair.problems.append(error.one_line())
            continue
        key = task_key(bases[writer.NAME], writer.NAME, of_job, parts, [use.key for use in uses])
        outputs = {suffix: f"{job.facts.tag}/{job.stem}{suffix}" for suffix in writer.SUFFIXES}
        outputs |= {suffix: f"cache:artifacts/{job.facts.tag}/{job.stem}{suffix}" for suffix in writer.ARTIFACTS}
        info = {k: v for k, v in writer.key_parts(job).items() if k in TASK_INFO}
        pair.tasks[writer.NAME] = Task(pair.slug, pair.language, writer.NAME, key, outputs,
                                       [use.writer for use in uses], info, of_job, parts)


def _site_facts(job: Job, language_plan: LanguagePlan) -> dict:
    from pipeline.writers.common.byline import translation_review_line

    meta = job.article.meta
    review = job.review
    return {
        "title": meta.title.text,
        "authors": list(meta.authors),
        "reviewers": [r.display for r in meta.reviewers],
        "updated": meta.updated.isoformat() if meta.updated else "",
        "modified": job.modified,
        "source_language": meta.source_language,
        "reviewed": bool(review and review.reviewed),
        "reviewer": review.reviewer if review else "",
        "review_date": review.date if review else "",
        "review_state": review.as_dict() if review else None,
        "review_line": translation_review_line(job),
        "draft": job.notice is not None,
        # [segment id (the same in every language), the category in this language]
        "categories": [[category.id, category.text] for category in meta.categories],
    }


def _numbers(coverage) -> dict | None:
    return dataclasses.asdict(coverage) if coverage is not None else None


