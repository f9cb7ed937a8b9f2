"""The coordinator of a build: plan, decide what is out of date, run it, store it.

Only this process writes into outputs/: each file atomically (temporary file, fsync,
rename), then the files of that task are recorded in the build state in one
transaction. A build killed at any moment leaves complete files and a state that never
vouches for a file it did not see written; the next build resumes from there.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import sqlite3
import sys
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from pipeline.engine.executors import Executor, make_executor
from pipeline.engine.keys import digest
from pipeline.engine.plan import BuildPlan, PairPlan, StoredProblem, Task, plan_build
from pipeline.engine.schedule import Schedule
from pipeline.engine.settled import Settled, SettledRecord, selection_key
from pipeline.engine.state import BuildState
from pipeline.engine.tasks import Payload
from pipeline.core import atomic
from pipeline.core.config import Config
from pipeline.core.layout import find_sources, source_problems
from pipeline.core.errors import ConfigError, HandoutsError, RenderError, StorageError
from pipeline.writers import writer_names
from pipeline.writers.base import NOTES

Progress = Callable[[int, int, list[str]], None]


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
    seconds: float = 0.0
    published: int = 0  # pages and feeds of the site written (the others showed nothing new)


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


def with_dependencies(formats: list[str], pairs: list[PairPlan]) -> list[str]:
    """The writers to run for `formats`, with the writers their tasks use (the EPUB uses
    the narration), in dependency order; from the plan, without importing a writer."""
    unknown = [name for name in formats if name not in writer_names()]
    if unknown:
        raise ConfigError(f"unknown output format '{unknown[0]}'", hint=f"valid formats: {', '.join(writer_names())}")
    wanted = set(formats)
    for pair in pairs:
        for name in formats:
            task = pair.tasks.get(name)
            wanted |= set(task.uses) if task else set()
    return [name for name in writer_names() if name in wanted]


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
    after_task: Callable[[BuildState, BuildPlan], None] | None = None,
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
            report.seconds = time.perf_counter() - clock
            return report
        atomic.set_temp_dir(config.cache_dir / "tmp")
        atomic.clean_temp_dir()
        state = BuildState(config.cache_dir)
        try:
            plan = _plan_with(config, state, report, jobs)
            report.plan = plan
            selected = plan.select(slugs, languages)
            names = with_dependencies(formats or writer_names(), selected)
            _collect_findings(plan, selected, names, report, slugs)
            findings = _findings(report, state)
            tasks = [pair.tasks[name] for pair in selected if pair.publishable
                     for name in names if name in pair.tasks]
            pending = _out_of_date(config, state, tasks, report)
            if pending:
                executor = make_executor(scheduler, jobs, len(pending), scheduler_timeout)
                _run(config, state, plan, pending, executor, report, progress, after_task, len(report.cached),
                     len(tasks))
            if finish:
                finish(state, plan, report)
            if report.built or not state.has_record():
                state.write_record()
        finally:
            state.close()
        if not report.failed:  # complete: the next build with nothing changed is answered from here
            findings.cached = [task.name for task in tasks]
            record.save(findings)
    report.seconds = time.perf_counter() - clock
    return report


def _out_of_date(config: Config, state: BuildState, tasks: list[Task], report: BuildReport) -> list[Task]:
    """The tasks whose files are missing, changed, or were made under another key."""
    pending = []
    for task in tasks:
        if all(state.is_current(rel, _resolved(config, rel), task.key) for rel in task.outputs.values()):
            report.cached.append(task.name)
        else:
            pending.append(task)
    return pending


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


def _plan_with(config: Config, state: BuildState, report: BuildReport, jobs: int) -> BuildPlan:
    """Plan from the state; a state found damaged is made anew from the files on disk first."""
    try:
        if not state.recovered:
            return plan_build(config, state, jobs)
    except sqlite3.DatabaseError as error:
        state.reset(error)
    report.notices.append(state.recovered)
    state.restore_outputs(lambda relative: _resolved(config, relative))
    return plan_build(config, state, jobs)


def _collect_findings(plan: BuildPlan, selected: list[PairPlan], names: list[str], report: BuildReport,
                      slugs: list[str] | None) -> None:
    seen: set[str] = set()
    report.notices += [note for note in plan.notes if note not in report.notices]
    for problem in plan.problems:
        if problem.one_line() not in seen:
            seen.add(problem.one_line())
            report.problems.append(problem)
    for pair in selected:
        for text in pair.problems:
            if text not in seen:
                seen.add(text)
                report.problems.append(HandoutsError(text))
        report.notices += [note for note in pair.notes if (note.startswith("review: ") or any(
            f": no {name}:" in note or f": {name}: " in note for name in names)) and note not in report.notices]
        if pair.waiting:
            report.waiting.append(pair)
    report.problems += [problem for problem in source_problems(plan.config, find_sources(plan.config.sources_dir), slugs)
                        if problem.one_line() not in seen]


def _run(config: Config, state: BuildState, plan: BuildPlan, pending: list[Task], executor: Executor,
         report: BuildReport, progress: Progress | None,
         after_task: Callable[[BuildState, BuildPlan], None] | None, done: int, total: int) -> None:
    """Run the pending tasks, each after the tasks it uses, and store each result. At most
    `executor.in_flight` are submitted at a time: their jobs are made as they go, so the
    memory of a build does not grow with the library."""
    report.executor = executor.name
    schedule = Schedule(pending)
    failed: set[str] = set()
    running: dict[object, Task] = {}
    try:
        while schedule.ready or running:
            while schedule.ready and len(running) < executor.in_flight:
                task = schedule.ready.popleft()
                try:
                    payload = Payload(task.writer, plan.job(task.slug, task.language),
                                      _upstream(config, plan, task, failed))
                except HandoutsError as error:
                    report.failed.append(error)
                    failed.add(task.name)
                    schedule.finish(task)
                    done += 1
                    continue
                running[executor.submit(payload)] = task
            if progress:
                progress(done, total, [t.name for t in running.values()])
            if not running:
                continue
            for handle, result in executor.finished(list(running)):
                task = running.pop(handle)
                done += 1
                if _take(config, state, plan, task, result, report, failed) and after_task:
                    after_task(state, plan)
                schedule.finish(task)
                if progress:
                    progress(done, total, [t.name for t in running.values()])
    finally:
        executor.close()


def _take(config: Config, state: BuildState, plan: BuildPlan, task: Task, result: dict[str, bytes] | HandoutsError,
          report: BuildReport, failed: set[str]) -> bool:
    """Store a finished task's files, or record why it failed; whether it was stored."""
    if isinstance(result, StorageError):
        raise result  # the disk refused: every next task would fail the same way
    if isinstance(result, HandoutsError):
        report.failed.append(result)
        failed.add(task.name)
        return False
    missing = sorted(set(task.outputs) - set(result))
    if missing:
        report.failed.append(RenderError(f"the {task.writer} writer returned no {missing[0]} file",
                                         file=f"{task.slug}.{task.language}"))
        failed.add(task.name)
        return False
    report.notices += [line for line in result.pop(NOTES, b"").decode().splitlines() if line not in report.notices]
    degraded = [use for use in task.used_tasks if use in failed]
    _store(config, state, plan, task, result, degraded)
    report.notices += [line for line in _fallback_lines(result) if line not in report.notices]
    report.built.append(task.name)
    return True


def _upstream(config: Config, plan: BuildPlan, task: Task, failed: set[str]) -> dict[str, dict[str, bytes]]:
    """The bytes of the tasks this one uses (leaving out those that failed in this build)."""
    pair = plan.pair(task.slug, task.language)
    upstream: dict[str, dict[str, bytes]] = {}
    for writer, name in zip(task.uses, task.used_tasks):
        if name in failed:
            continue
        used = pair.tasks[writer]
        upstream[used.writer] = {suffix: resolve(config, rel).read_bytes() for suffix, rel in used.outputs.items()}
        upstream[used.writer]["key"] = used.key.encode()
    return upstream


def _store(config: Config, state: BuildState, plan: BuildPlan, task: Task, result: dict[str, bytes],
           degraded: list[str]) -> None:
    """Write the task's files atomically, then record them in one transaction. A task built
    without a result it uses (that failed) is recorded under another key, so the next
    build makes it again."""
    job = plan.job(task.slug, task.language)
    key = digest(task.key, "without", degraded) if degraded else task.key
    rows = []
    spoken = _spoken_by(result)
    for suffix, relative in task.outputs.items():
        path = resolve(config, relative)
        data = result[suffix]
        atomic.atomic_write_bytes(path, data)
        info = {
            "artifact": relative.startswith("cache:"),
            "slug": task.slug,
            "language": task.language,
            "format": suffix.lstrip("."),
            "writer": task.writer,
            "source_version": job.source_version,
            "catalog_version": job.catalog_version,
            "review": job.review.describe() if job.review else "source",
            **task.info,
        }
        info |= spoken
        if suffix == ".mp3":
            info["duration"] = _duration(data)
        elif suffix in (".brf", ".pef"):
            from pipeline.writers.braille.serialize import page_count

            info["braille_pages"] = page_count(suffix, data)
        rows.append((relative, path, key, data, info))
    state.record_outputs(rows)


def _timeline(result: dict[str, bytes]) -> dict:
    try:
        return json.loads(result[".timeline.json"]) if ".timeline.json" in result else {}
    except ValueError:
        return {}


def _spoken_by(result: dict[str, bytes]) -> dict[str, str]:
    """Who really spoke a narration (another engine when the chosen one failed on a sentence)."""
    timeline = _timeline(result)
    return {key: timeline[key] or "" for key in ("engine", "voice", "voice_licence", "voice_note") if key in timeline}


def _fallback_lines(result: dict[str, bytes]) -> list[str]:
    return [str(line) for line in _timeline(result).get("fallback_from", [])]


def _duration(mp3: bytes) -> float:
    import io

    from mutagen.mp3 import MP3

    return round(MP3(io.BytesIO(mp3)).info.length, 3)
