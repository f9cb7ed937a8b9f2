"""The coordinator of a build: plan, decide what is out of date, run it, store it.

Only this process writes into outputs/: each file atomically (temporary file, fsync,
rename), then the files of that task are recorded in the build state in one
transaction. A build killed at any moment leaves complete files and a state that never
vouches for a file it did not see written; the next build resumes from there.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import fcntl
import os
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from pipeline.engine.executors import make_executor
from pipeline.engine.pairs import PairPlan, StoredProblem, Task, task_name
from pipeline.engine.plan import BuildPlan, plan_build
from pipeline.engine.running import Progress, Run
from pipeline.engine.settled import Settled, SettledRecord, selection_key
from pipeline.engine.state import BuildState
from pipeline.core import atomic
from pipeline.core.config import Config
from pipeline.core.layout import find_sources, source_problems
from pipeline.core.errors import ConfigError, HandoutsError, RenderError
from pipeline.writers import writer_class, writer_names


@dataclass
class BuildReport:
    built: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    failed: list[HandoutsError] = field(default_factory=list)
    problems: list[HandoutsError] = field(default_factory=list)  # sources and catalogs that cannot be read
    notices: list[str] = field(default_factory=list)
    waiting: list[PairPlan] = field(default_factory=list)  # translations not ready yet
    executor: str = ""
    plan: BuildPlan | None = None
    replanned: int = 0  # pairs read and translated again
    touched: set[tuple[str, str]] = field(default_factory=set)  # pairs whose tasks ran (built or failed)
    changed_on_disk: dict[str, tuple[str, str]] = field(default_factory=dict)  # recorded files changed by hand
    seconds: float = 0.0
    published: int = 0  # pages and feeds of the site written (the others showed nothing new)

    def note(self, lines: list[str]) -> None:
        known = set(self.notices)
        self.notices += [line for line in dict.fromkeys(lines) if line not in known]


@contextlib.contextmanager
def build_lock(cache_dir: Path, wait: bool, say: Callable[[str], None]) -> Iterator[None]:
    """One build at a time per tree: a second one waits (or refuses with --no-wait).

    A POSIX record lock (`lockf`), not `flock`: it belongs to this process alone, is not
    inherited by worker processes, and the kernel drops it the moment this process ends,
    however it ends. A killed build never leaves a lock that makes the next one wait."""
    atomic.make_folder(cache_dir)
    try:
        handle = open(cache_dir / "build.lock", "a+")
    except OSError as error:
        raise atomic.storage_error(error, cache_dir, name="build.lock") from None
    with handle:
        try:
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno not in (errno.EACCES, errno.EAGAIN):
                raise atomic.storage_error(error, cache_dir) from None
            if not wait:
                raise HandoutsError("another build is running in this folder",
                                    hint="wait for it to finish, or run without --no-wait to queue") from None
            say("another build is running in this folder; waiting for it to finish")
            fcntl.lockf(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.lockf(handle, fcntl.LOCK_UN)


def resolve(config: Config, relative: str) -> Path:
    """The file behind a state path: under outputs/, or 'cache:...' under the cache folder.
    State paths are made of language tags and article slugs, which cannot climb out of
    their folder; one that tries is refused."""
    return Path(_resolved(config, relative))


def _resolved(config: Config, relative: str) -> str:
    if ".." in relative.split("/") or relative.startswith("/"):
        raise RenderError(f"refusing to write outside outputs/: {relative}")
    if relative.startswith("cache:"):
        return os.path.join(config.cache_dir, relative.removeprefix("cache:"))
    return os.path.join(config.outputs_dir, relative)


def with_dependencies(formats: list[str]) -> list[str]:
    """The writers to run for `formats`, with the writers they use (the EPUB uses the
    narration and the PDF), in dependency order."""
    unknown = [name for name in formats if name not in writer_names()]
    if unknown:
        raise ConfigError(f"unknown output format '{unknown[0]}'", hint=f"valid formats: {', '.join(writer_names())}")
    wanted = set(formats)
    while True:
        more = {used for name in wanted for used in writer_class(name).USES} - wanted
        if not more:
            return [name for name in writer_names() if name in wanted]
        wanted |= more


def build(
    config: Config,
    formats: list[str] | None = None,
    *,
    slugs: list[str] | None = None,
    languages: list[str] | None = None,
    jobs: int = 1,
    scheduler: str | None = None,
    wait: bool = True,
    scheduler_timeout: float = 30.0,
    progress: Progress | None = None,
    say: Callable[[str], None] = lambda text: print(text, file=sys.stderr),
    after_task: Callable[[BuildState, BuildPlan, "BuildReport"], None] | None = None,
    finish: Callable[[BuildState, BuildPlan, "BuildReport"], None] | None = None,
) -> BuildReport:
    """Build what is out of date among the selected pairs and formats. `after_task` runs
    after each stored task and `finish` at the end, both inside the build lock (the
    publishing layer passes its manifest and site writers)."""
    report = BuildReport()
    clock = time.perf_counter()
    with build_lock(config.cache_dir, wait, say):
        record = SettledRecord(config, selection_key(formats, slugs, languages, finish is not None))
        settled = record.lookup()
        if settled is not None:  # nothing changed since the last complete build
            _replay(settled, report)
        else:
            atomic.keep_journal()
            try:
                findings = _build(config, formats, slugs, languages, (jobs, scheduler, scheduler_timeout), progress,
                                  after_task, finish, report, record)
            finally:
                written = atomic.journal()
            if not report.failed:  # complete: the next build with nothing changed is answered from here
                record.save(findings, written)
    report.seconds = time.perf_counter() - clock
    return report


def _build(config: Config, formats: list[str] | None, slugs: list[str] | None, languages: list[str] | None,
           running: tuple[int, str | None, float], progress: Progress | None, after_task: Callable | None,
           finish: Callable | None, report: BuildReport, record: SettledRecord) -> Settled:
    """Plan, find what is out of date, run it, publish; what a build with nothing to do says."""
    jobs, scheduler, scheduler_timeout = running
    atomic.set_temp_dir(config.cache_dir / "tmp")
    atomic.clean_temp_dir()
    state = BuildState(config.cache_dir)
    try:
        plan = _plan_with(config, state, report, jobs, record.inputs)
        report.plan, report.replanned = plan, plan.replanned
        selected = plan.select(slugs, languages)
        names = with_dependencies(formats or writer_names())
        _collect_findings(plan, selected, names, report, slugs)
        findings = _findings(report, state)
        if not record.outputs_untouched():
            report.changed_on_disk = state.changed_on_disk(lambda relative: _resolved(config, relative), record.outputs)
        report.cached, stale = _task_status(state, selected, names, report.changed_on_disk)
        findings.cached = report.cached + [task_name(*key, writer) for key, writers in stale.items()
                                           for writer in writers]
        if stale:
            executor = make_executor(scheduler, jobs, sum(map(len, stale.values())), scheduler_timeout)
            work = _work(plan, [key for key in selected if key in stale], stale, names)
            Run(config, state, plan, executor, report, lambda rel: _resolved(config, rel)).all(
                work, progress, after_task, len(report.cached), len(findings.cached))
        if finish:
            finish(state, plan, report)
        state.write_record()
    finally:
        state.close()
    return findings


def _task_status(state: BuildState, selected: list[tuple[str, str]], names: list[str],
                 changed: dict[str, tuple[str, str]]) -> tuple[list[str], dict[tuple[str, str], set[str]]]:
    """(the selected tasks whose files are all current, {pair: its writers out of date}):
    a task is out of date when one of its files was not recorded under the key it should
    have, or is not on disk as recorded (`changed`). Queries, no plan decoded."""
    chosen = set(selected)
    stale: dict[tuple[str, str], set[str]] = {}
    for path, slug, language, writer in state.task_outputs(names, only_stale=True):
        if (slug, language) in chosen:
            stale.setdefault((slug, language), set()).add(writer)
    for path, slug, language, writer in state.task_outputs(names) if changed else ():
        if path in changed and (slug, language) in chosen:
            stale.setdefault((slug, language), set()).add(writer)
    cached = [name for slug, language, writer, name in state.planned_tasks(names)
              if (slug, language) in chosen and writer not in stale.get((slug, language), ())]
    return cached, stale


def _work(plan: BuildPlan, keys: list[tuple[str, str]], stale: dict[tuple[str, str], set[str]],
          names: list[str]) -> Iterator[list[Task]]:
    """Each pair's tasks to run, in the plan's order, decoded as the run takes them up."""
    for key in keys:
        pair = plan.pair(*key)
        if pair is not None:
            yield [pair.tasks[name] for name in names if name in pair.tasks and name in stale[key]]


def _findings(report: BuildReport, state: BuildState) -> Settled:
    """What this build found before running anything: what a build with nothing to do says."""
    return Settled(problems=[p.one_line() for p in report.problems],
                   notices=[n for n in report.notices if n != state.recovered],
                   waiting=[_waiting_entry(p) for p in report.waiting])


def _waiting_entry(pair: PairPlan) -> dict:
    return {"slug": pair.slug, "language": pair.language, "skip_reasons": pair.skip_reasons,
            "review_state": pair.review_state}


def _replay(settled: Settled, report: BuildReport) -> None:
    """What a build with nothing to do reports, from the record of the last complete one."""
    report.cached = list(settled.cached)
    report.problems = [StoredProblem(text) for text in settled.problems]
    report.notices = list(settled.notices)
    report.waiting = [PairPlan(publishable=False, **entry) for entry in settled.waiting]


def _plan_with(config: Config, state: BuildState, report: BuildReport, jobs: int,
               inputs: dict[str, tuple[int, int, int]]) -> BuildPlan:
    """Plan from the state; a state found damaged is made anew from the files on disk first.
    `inputs`: the files under sources/ and translations/ as this build found them."""
    try:
        if not state.recovered:
            return plan_build(config, state, jobs, inputs)
    except sqlite3.DatabaseError as error:
        state.reset(error)
    report.notices.append(state.recovered)
    state.restore_outputs(lambda relative: _resolved(config, relative))
    return plan_build(config, state, jobs, inputs)


def _collect_findings(plan: BuildPlan, selected: list[tuple[str, str]], names: list[str], report: BuildReport,
                      slugs: list[str] | None) -> None:
    """The problems, notes and waiting pairs of the selection, from what planning stored."""
    seen: set[str] = set()
    report.note(plan.notes)
    for problem in plan.problems:
        if problem.one_line() not in seen:
            seen.add(problem.one_line())
            report.problems.append(problem)
    notes: list[str] = []
    for found, keys in plan.findings(selected):
        for text in found.problems:
            if text not in seen:
                seen.add(text)
                report.problems.append(HandoutsError(text))
        notes += [note for note in found.notes if note.startswith("review: ") or any(
            f": no {name}:" in note or f": {name}: " in note for name in names)]
        if found.waiting:
            report.waiting += [dataclasses.replace(found, slug=slug, language=language) for slug, language in keys]
    report.note(notes)
    report.problems += [problem for problem in source_problems(plan.config, find_sources(plan.config.sources_dir), slugs)
                        if problem.one_line() not in seen]


