"""The build graph: one task per (article, language, output format), cached, parallel, safe.

A task's key is a hash of everything that decides its result: the translated
article and its locale facts, the review state, the pipeline's code, templates,
styles and data (one fingerprint), the writer's own inputs (paper, fonts, engine and
voice) and the keys of the tasks it uses. A task whose key and output files are
unchanged is not run. Tasks run in worker processes; only this process writes into
outputs/, each file atomically, and records what it wrote in the build state, from
which the manifest is made.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import fcntl
import functools
import hashlib
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from pipeline.core import atomic
from pipeline.core.config import Config
from pipeline.core.errors import HandoutsError, RenderError, log_traceback
from pipeline.inputs.project import Project
from pipeline.core.job import Job
from pipeline.writers.base import Writer, get_writer

STATE_NAME = "state.json"
PIPELINE_DIR = Path(__file__).resolve().parent


@dataclass
class Task:
    job: Job
    writer: Writer
    key: str
    outputs: dict[str, Path]
    uses: list["Task"] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.job.stem}.{self.writer.NAME}"


@dataclass
class BuildReport:
    built: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    failed: list[HandoutsError] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    seconds: float = 0.0


# --- keys ---------------------------------------------------------------------------


# Modules that never change what a writer produces (the command line, checks, publishing).
NOT_OUTPUT_CODE = {"extract.py", "qa.py"}


@functools.lru_cache(maxsize=None)
def code_fingerprint(writer_name: str) -> str:
    """A hash of the code, data, templates and styles one writer's output depends on: the
    shared core, the writer's declared modules, templates and styles. Editing the
    download page's template rebuilds no handout; editing print.css rebuilds PDFs only."""
    writer = get_writer(writer_name)
    files = [p for folder in ("core", "inputs") for p in (PIPELINE_DIR / folder).glob("*.py")
             if p.name not in NOT_OUTPUT_CODE]
    files += sorted((PIPELINE_DIR / "data").glob("*.toml"))
    files += [PIPELINE_DIR / "writers" / "base.py", PIPELINE_DIR / "__init__.py"]
    for pattern in writer.DEPENDS:
        files += sorted(PIPELINE_DIR.glob(pattern))
    for pattern in writer.TEMPLATES:
        files += sorted((PIPELINE_DIR / "templates").glob(pattern))
    for name in writer.STYLES:
        files.append(PIPELINE_DIR / "styles" / name)
    digest = hashlib.sha256()
    for path in sorted(set(files)):
        digest.update(str(path.relative_to(PIPELINE_DIR)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def task_key(job: Job, writer: Writer, uses: list[Task]) -> str:
    parts = (
        code_fingerprint(writer.NAME),
        writer.NAME,
        writer.VERSION,
        repr(job.article),
        repr(job.facts),
        repr(job.review),
        repr(job.notice),
        job.modified,
        job.catalog_version,
        sorted(writer.key_parts(job).items()),
        [use.key for use in uses],
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()


# --- state --------------------------------------------------------------------------


class BuildState:
    """What the last builds wrote: for each output file, its task key, size, time and checksum."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[str, dict] = {}
        if path.exists():
            try:
                self.entries = json.loads(path.read_text("utf-8")).get("outputs", {})
            except (ValueError, OSError):
                self.entries = {}

    def is_current(self, relative: str, path: Path, key: str) -> bool:
        entry = self.entries.get(relative)
        if not entry or entry.get("key") != key:
            return False
        try:
            stat = path.stat()
        except FileNotFoundError:
            return False
        return stat.st_size == entry.get("size") and stat.st_mtime_ns == entry.get("mtime_ns")

    def record(self, relative: str, path: Path, key: str, data: bytes, info: dict) -> None:
        stat = path.stat()
        self.entries[relative] = {
            **info,
            "key": key,
            "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
            "sha256": hashlib.sha256(data).hexdigest(),
        }

    def save(self) -> None:
        atomic.atomic_write_text(self.path, json.dumps({"outputs": self.entries}, indent=1, sort_keys=True))


# --- the lock -----------------------------------------------------------------------


@contextlib.contextmanager
def build_lock(cache_dir: Path, wait: bool, say: Callable[[str], None]) -> Iterator[None]:
    """One build at a time per tree: a second one waits (or refuses with --no-wait)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    with open(cache_dir / "build.lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                raise HandoutsError("another build is running in this folder",
                                    hint="wait for it to finish, or run without --no-wait to queue") from None
            say("another build is running in this folder; waiting for it to finish")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- planning -----------------------------------------------------------------------


def plan_tasks(project: Project, formats: list[str], report: BuildReport) -> list[Task]:
    """Tasks in dependency order (a writer after the writers it uses)."""
    config = project.config
    writers = [get_writer(name) for name in formats]
    writers.sort(key=lambda w: 1 if w.USES else 0)
    tasks: list[Task] = []
    for plan in project.plans:
        if plan.job is None:
            continue
        by_name: dict[str, Task] = {}
        for writer in writers:
            reason = writer.unavailable_reason(plan.job)
            if reason:
                report.notices.append(f"{plan.job.stem}: no {writer.NAME}: {reason}")
                continue
            uses = [by_name[name] for name in writer.USES if name in by_name]
            try:
                key = task_key(plan.job, writer, uses)
            except HandoutsError as error:  # e.g. a font of the language is not installed
                if error.one_line() not in {e.one_line() for e in report.failed}:
                    report.failed.append(error)
                continue
            outputs = {suffix: output_path(config, plan.job, suffix) for suffix in writer.SUFFIXES}
            outputs |= {suffix: artifact_path(config, plan.job, suffix) for suffix in writer.ARTIFACTS}
            task = Task(plan.job, writer, key, outputs, uses)
            by_name[writer.NAME] = task
            tasks.append(task)
    return tasks


def output_path(config: Config, job: Job, suffix: str) -> Path:
    path = (config.outputs_dir / job.facts.tag / f"{job.stem}{suffix}").resolve()
    if config.outputs_dir.resolve() not in path.parents:
        raise RenderError(f"refusing to write outside outputs/: {path}")
    return path


def artifact_path(config: Config, job: Job, suffix: str) -> Path:
    return config.cache_dir / "artifacts" / job.facts.tag / f"{job.stem}{suffix}"


# --- running ------------------------------------------------------------------------


def run_writer(writer_name: str, job: Job, upstream: dict) -> dict[str, bytes]:
    """What a worker process does: one writer, one job, bytes back.

    An unexpected exception is a bug in the pipeline, not in the user's input: it
    becomes one line naming the output, and the traceback goes to a log file.
    """
    writer = get_writer(writer_name)
    job.upstream = upstream
    try:
        return writer.write(job)
    except HandoutsError:
        raise
    except Exception as error:  # noqa: BLE001 - reported, logged, and the build goes on
        log = log_traceback(job.config.cache_dir / "errors.log", f"{job.stem}.{writer_name}")
        raise RenderError(f"the {writer_name} writer failed on {job.stem}: {type(error).__name__}: {error}",
                          hint=f"this is a bug in the pipeline; details in {log}") from None


def _worker_init(temp_dir: str) -> None:
    atomic.set_temp_dir(Path(temp_dir))


def build(
    project: Project,
    formats: list[str],
    *,
    jobs: int = 1,
    wait: bool = True,
    progress: Callable[[int, int, list[str]], None] | None = None,
    say: Callable[[str], None] = lambda text: print(text, file=sys.stderr),
) -> BuildReport:
    config = project.config
    report = BuildReport()
    clock_start = time.perf_counter()
    with build_lock(config.cache_dir, wait, say):
        atomic.set_temp_dir(config.cache_dir / "tmp")
        atomic.clean_temp_dir()
        state = BuildState(config.cache_dir / STATE_NAME)
        tasks = plan_tasks(project, formats, report)
        pending: list[Task] = []
        for task in tasks:
            if all(state.is_current(_relative(config, p), p, task.key) for p in task.outputs.values()):
                report.cached.append(task.name)
            else:
                pending.append(task)
        failed: set[str] = set()
        done = len(report.cached)
        total = len(tasks)
        running: list[str] = []

        def started(task: Task) -> None:
            running.append(task.name)
            if progress:
                progress(done, total, running)

        from pipeline.publish import collect, current_plan, publish, write_manifest

        plan = current_plan(config) if pending else None

        def finish(task: Task, result: dict[str, bytes] | HandoutsError) -> None:
            nonlocal done
            done += 1
            running.remove(task.name)
            if isinstance(result, HandoutsError):
                report.failed.append(result)
                failed.add(task.name)
            else:
                _store(config, state, task, result)
                report.built.append(task.name)
                # Record and list each finished file at once: a build killed later leaves a
                # state to resume from and a manifest that matches what is on disk.
                state.save()
                write_manifest(config, collect(config, state, plan))
            if progress:
                progress(done, total, running)

        if progress:
            progress(done, total, running)
        if jobs <= 1 or len(pending) <= 1:
            for task in pending:
                started(task)
                finish(task, _run_inline(task, failed))
        else:
            _run_parallel(pending, jobs, config, failed, started, finish)
        state.save()
        publish(config, plan)
    report.seconds = time.perf_counter() - clock_start
    return report


def _upstream(task: Task, failed: set[str]) -> dict:
    """The files of the tasks this one uses, leaving out those that failed in this build."""
    return {use.writer.NAME: {suffix: str(path) for suffix, path in use.outputs.items()} | {"key": use.key}
            for use in task.uses if use.name not in failed}


def _run_inline(task: Task, failed: set[str]) -> dict[str, bytes] | HandoutsError:
    try:
        return run_writer(task.writer.NAME, task.job, _upstream(task, failed))
    except HandoutsError as error:
        return error


def _run_parallel(pending: list[Task], jobs: int, config: Config, failed: set[str],
                  started: Callable[[Task], None],
                  finish: Callable[[Task, dict[str, bytes] | HandoutsError], None]) -> None:
    waiting = list(pending)
    running: dict[concurrent.futures.Future, Task] = {}
    names = {task.name for task in pending}
    finished: set[str] = set()
    with concurrent.futures.ProcessPoolExecutor(
        max_workers=jobs, initializer=_worker_init, initargs=(str(config.cache_dir / "tmp"),)
    ) as pool:
        while waiting or running:
            for task in list(waiting):
                blockers = [use.name for use in task.uses if use.name in names and use.name not in finished]
                if blockers:
                    continue
                waiting.remove(task)
                running[pool.submit(run_writer, task.writer.NAME, task.job, _upstream(task, failed))] = task
                started(task)
            if not running:
                break
            done, _ = concurrent.futures.wait(running, return_when=concurrent.futures.FIRST_COMPLETED)
            for future in done:
                task = running.pop(future)
                try:
                    result: dict[str, bytes] | HandoutsError = future.result()
                except HandoutsError as error:
                    result = error
                finished.add(task.name)
                finish(task, result)


def _store(config: Config, state: BuildState, task: Task, result: dict[str, bytes]) -> None:
    job = task.job
    for suffix, path in task.outputs.items():
        if suffix not in result:
            raise RenderError(f"the {task.writer.NAME} writer returned no {suffix} file for {job.stem}")
        data = result[suffix]
        atomic.atomic_write_bytes(path, data)
        info = {
            "artifact": suffix in task.writer.ARTIFACTS,
            "slug": job.article.slug,
            "language": job.facts.tag,
            "format": suffix.lstrip("."),
            "writer": task.writer.NAME,
            "source_version": job.source_version,
            "catalog_version": job.catalog_version,
            "review": job.review.describe() if job.review else "source",
            **{k: v for k, v in task.writer.key_parts(job).items() if k in ("engine", "voice")},
        }
        state.record(_relative(config, path), path, task.key, data, info)


def _relative(config: Config, path: Path) -> str:
    """The state key of a file: its path under outputs/, or 'cache:' and its path in the cache."""
    outputs = config.outputs_dir.resolve()
    if path.resolve().is_relative_to(outputs):
        return str(path.resolve().relative_to(outputs))
    return "cache:" + str(path.resolve().relative_to(config.cache_dir.resolve()))
