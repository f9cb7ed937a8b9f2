"""Planning: which (article, language) pairs exist, which may be published, and their tasks.

A pair whose input files, configuration, pipeline code and machine environment are all
unchanged since it was last planned is taken from the build state as it was: nothing
is parsed or translated (see keys.py). Any other pair is read, translated and planned
again; its tasks' keys then decide which outputs are rebuilt. A pair's job (the
translated article a writer needs) is made only for tasks that will run.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from pipeline.engine.keys import (digest, environment_fingerprint, job_digest, parts_digest, plan_basis,
                                  planning_fingerprint, task_key, writer_basis)
from pipeline.engine.state import BuildState
from pipeline.core.config import Config
from pipeline.core.errors import HandoutsError
from pipeline.core.job import Job
from pipeline.core.machine import steady
from pipeline.core.locales import to_bcp47, to_catalog_id
from pipeline.inputs.images import check_clinic_logo
from pipeline.core.layout import (UI_DOMAIN, catalog_file, catalog_folder_problems, find_sources, orphan_catalogs,
                                  pronunciation_file, source_problems, template_path)
from pipeline.writers import writer_names
from pipeline.writers import get_writer

PLAN_VERSION = "4"
JOBS_KEPT = 64  # jobs kept for the tasks that use them: a pair's tasks run close together
# What of a task's key parts the manifest and the site show.
TASK_INFO = ("engine", "voice", "voice_licence", "voice_note", "braille_table", "braille_grade")


class StoredProblem(HandoutsError):
    """A problem found when a pair was last planned, reported again without re-reading."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def one_line(self) -> str:
        return self.text


@dataclass
class Task:
    slug: str
    language: str
    writer: str
    key: str
    outputs: dict[str, str]  # suffix -> path relative to outputs/ ('cache:' + path for artifacts)
    uses: list[str]  # the writers of this pair whose results this task reads
    info: dict[str, str]  # engine and voice, for the manifest
    of_job: str = ""  # the parts of its key (keys.task_key), kept to re-key it without reading the pair
    parts: str = ""

    @property
    def name(self) -> str:
        return task_name(self.slug, self.language, self.writer)

    @property
    def used_tasks(self) -> list[str]:
        """The names of the tasks this one reads the results of (same pair)."""
        return [task_name(self.slug, self.language, writer) for writer in self.uses]


def task_name(slug: str, language: str, writer: str) -> str:
    """'invasive-vs-metastatic-breast-cancer.es.pdf': how a task is named to the user."""
    return f"{slug}.{language}.{writer}"


@dataclass
class PairPlan:
    """What planning concluded about one article in one language (kept in the build state)."""

    slug: str
    language: str
    publishable: bool
    skip_reasons: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. no narration: no voice for the language
    coverage: dict | None = None
    ui_coverage: dict | None = None
    review: str = ""
    review_state: dict | None = None  # ReviewState.as_dict(): counts, reviewers, segments waiting
    is_source: bool = False
    tasks: dict[str, Task] = field(default_factory=dict)
    meta: dict = field(default_factory=dict)  # what the download site shows
    # Each writer's basis (keys.writer_basis) and plan basis (keys.plan_basis) when planned:
    # a writer's settings or VERSION changed since plans the pair again; its code alone
    # re-keys its tasks (and those using them) from their stored parts, reading nothing.
    bases: dict[str, str] = field(default_factory=dict)
    plan_bases: dict[str, str] = field(default_factory=dict)

    @property
    def waiting(self) -> bool:
        """Not built only because its translation is not ready: a normal state of a library."""
        return not self.publishable and not self.problems



if TYPE_CHECKING:  # the readers are imported only when a pair must be read again
    from pipeline.inputs.project import LanguagePlan, ProjectReader


@dataclass
class BuildPlan:
    config: Config
    pairs: list[PairPlan]
    problems: list[HandoutsError]  # problems of the whole project (sources, folders)
    notes: list[str] = field(default_factory=list)  # of the whole project (catalogs without an article)
    replanned: int = 0  # pairs that were read and translated in this planning
    bases: dict[str, str] = field(default_factory=dict)  # each writer's basis in this build
    plan_bases: dict[str, str] = field(default_factory=dict)
    reader: ProjectReader | None = None
    _jobs: dict[tuple[str, str], Job] = field(default_factory=dict)

    # Indexes of the finished plan, made on first use (the build asks for a pair per task,
    # publishing for every output's key: a scan each time would grow with the library).
    @functools.cached_property
    def _by_pair(self) -> dict[tuple[str, str], PairPlan]:
        return {(p.slug, p.language): p for p in self.pairs}

    @functools.cached_property
    def _keys(self) -> dict[str, str]:
        return {path: task.key for pair in self.pairs for task in pair.tasks.values()
                for path in task.outputs.values()}

    def pair(self, slug: str, language: str) -> PairPlan | None:
        return self._by_pair.get((slug, language))

    def select(self, slugs: list[str] | None, languages: list[str] | None) -> list[PairPlan]:
        wanted = {to_bcp47(code) for code in languages} if languages else None
        return [p for p in self.pairs if (not slugs or p.slug in slugs) and (not wanted or p.language in wanted)]

    def keys(self) -> dict[str, str]:
        """The key every output of the project would have now, by its relative path."""
        return self._keys

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


def plan_build(config: Config, state: BuildState, jobs: int = 1) -> BuildPlan:
    """Plan every pair of the project, reading only the sources and catalogs whose files
    changed since they were last planned (on `jobs` processes when there are many)."""
    with steady():  # each language asks the same of the machine (its voice, package versions)
        return _plan_build(config, state, jobs)


def _plan_build(config: Config, state: BuildState, jobs: int) -> BuildPlan:
    plan = BuildPlan(config, [], [])
    sources = find_sources(config.sources_dir)
    plan.problems += source_problems(config, sources)
    plan.problems += catalog_folder_problems(config)
    check_clinic_logo(config)
    file_hash = state.file_hash
    logo = config.clinic.logo if config.clinic and config.clinic.logo else None
    base = digest(PLAN_VERSION, planning_fingerprint(file_hash), config.settings_for("plan"),
                  environment_fingerprint(config), file_hash(logo) if logo else "")
    ui_hashes = (file_hash(template_path(config.translations_dir, UI_DOMAIN)),)
    bases = {name: writer_basis(config, name) for name in writer_names()}
    plan.bases = bases
    plan.plan_bases = plan_bases = {name: plan_basis(config, name) for name in writer_names()}
    known = state.pairs()
    translations = str(config.translations_dir)  # paths as strings: this loop runs for every pair
    fresh: list[tuple[str, str, str, dict]] = []
    todo: list[tuple[int, Path, str]] = []  # pairs to plan again: (place in plan.pairs, source, language)
    fingerprints: dict[int, str] = {}
    for path in sources:
        slug = path.stem
        source_hash = file_hash(path)
        source_fp = digest(base, source_hash)
        article_row = known.get((slug, ""))
        about = _decoded(article_row[1]) if article_row and article_row[0] == source_fp else None
        if about is None:
            about = _about_article(plan.reader_of(), path)
            fresh.append((slug, "", source_fp, about))
        if about.get("problem"):
            plan.problems.append(StoredProblem(about["problem"]))
            continue
        images = [file_hash(os.path.join(config.sources_dir, name)) for name in about["images"]]
        for tag in config.languages_for(about["language"]):
            catalog_id = to_catalog_id(tag)
            inputs = (
                base, tag, source_hash, images, ui_hashes,
                file_hash(catalog_file(translations, catalog_id, slug)),
                file_hash(catalog_file(translations, catalog_id, UI_DOMAIN)),
                file_hash(pronunciation_file(translations, catalog_id)),
            )
            fingerprint = digest(*inputs)
            row = known.get((slug, tag))
            pair = _decoded(row[1]) if row and row[0] == fingerprint else None
            if not isinstance(pair, PairPlan) or pair.plan_bases != plan_bases:  # its inputs, or a writer, changed
                fingerprints[len(plan.pairs)] = fingerprint
                todo.append((len(plan.pairs), path, tag))
            elif pair.bases != bases:  # a writer's code changed: its tasks get new keys
                rekey(pair, bases)
                fresh.append((slug, tag, fingerprint, pair))
            plan.pairs.append(pair)
    for index, pair in _plan_again(plan, todo, jobs):
        plan.pairs[index] = pair
        fresh.append((pair.slug, pair.language, fingerprints[index], pair))
    plan.replanned = len(todo)
    plan.notes += orphan_catalogs(config, {path.stem for path in sources})
    state.flush_inputs()
    if fresh:
        state.save_pairs((slug, tag, fingerprint, encoded(value)) for slug, tag, fingerprint, value in fresh)
    state.forget_pairs({(p.slug, p.language) for p in plan.pairs} | {(p.stem, "") for p in sources})
    return plan


def rekey(pair: PairPlan, bases: dict[str, str]) -> None:
    """New keys for a pair's tasks after a change to writers' code, from the parts stored
    with each task: the same keys a planning would give, without reading the pair."""
    for task in pair.tasks.values():  # in dependency order: a task after those it uses
        task.key = task_key(bases[task.writer], task.writer, task.of_job, task.parts,
                            [pair.tasks[name].key for name in task.uses])
    pair.bases = bases


def _plan_again(plan: BuildPlan, todo: list[tuple[int, Path, str]], jobs: int) -> Iterator[tuple[int, PairPlan]]:
    """Plan the pairs whose inputs changed: here, or on local processes when there are many."""
    from pipeline.engine.replan import PARALLEL_FROM, plan_in_parallel

    if jobs > 1 and len(todo) >= PARALLEL_FROM:
        yield from plan_in_parallel(plan.config, (plan.bases, plan.plan_bases), todo, jobs)
        return
    for index, path, tag in todo:
        yield index, plan_pair(plan, path, tag)


def decoded_pair(data: bytes) -> PairPlan:
    pair = _decoded(data)
    assert isinstance(pair, PairPlan)
    return pair


def encoded(value: "PairPlan | dict") -> bytes:
    """A planned pair (or what planning knows of a source) as JSON for the build state:
    plain data, readable by any version that knows the fields, bound to no module path."""
    if isinstance(value, PairPlan):
        fields = {**vars(value), "tasks": {name: vars(task) for name, task in value.tasks.items()}}
        return json.dumps({"pair": fields}).encode("utf-8")  # keys in their order (dataclasses.asdict's, faster)
    return json.dumps({"about": value}).encode("utf-8")


def _decoded(data: bytes) -> "PairPlan | dict | None":
    """What `_encoded` stored; None for an entry of another layout (it is planned again)."""
    try:
        value = json.loads(data)
        if "pair" in value:
            fields = dict(value["pair"])
            fields["tasks"] = {name: Task(**task) for name, task in fields["tasks"].items()}
            return PairPlan(**fields)
        return value["about"]
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def _about_article(reader: ProjectReader, path: Path) -> dict:
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


def plan_pair(plan: BuildPlan, path: Path, tag: str) -> PairPlan:
    reader = plan.reader_of()
    article = reader.article(path)
    assert article is not None  # _about_article has read it
    language_plan = reader.plan(article, tag)
    pair = PairPlan(
        slug=article.slug, language=tag, publishable=language_plan.job is not None, bases=plan.bases,
        plan_bases=plan.plan_bases,
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
            pair.notes.append(f"{job.stem}: no {writer.NAME}: {reason}")
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


