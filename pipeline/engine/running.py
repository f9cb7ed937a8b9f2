"""Running a build's tasks and storing their files.

Tasks come pair by pair (a task only ever uses tasks of its own pair: the EPUB reads the
narration and the PDF's page numbers), and a pair is taken up only when the tasks before
it are under way: at most `executor.in_flight` tasks are submitted at a time and their
jobs are made as they go, so neither the time to schedule a task nor the memory of a
build grows with the library.

Only this process writes into outputs/: each file atomically (temporary file, fsync,
rename), then the files of that task are recorded in the build state in one transaction.
"""

from __future__ import annotations

import collections
import io
import json
from typing import TYPE_CHECKING, Callable, Iterator

from pipeline.core import atomic
from pipeline.core.config import Config
from pipeline.core.errors import HandoutsError, RenderError, StorageError
from pipeline.engine.executors import Executor
from pipeline.engine.keys import digest
from pipeline.engine.pairs import Task
from pipeline.engine.plan import BuildPlan
from pipeline.engine.state import BuildState
from pipeline.engine.tasks import Payload
from pipeline.writers.base import NOTES

if TYPE_CHECKING:
    from pipeline.engine.coordinator import BuildReport

Progress = Callable[[int, int, list[str]], None]
Locate = Callable[[str], str]


class Schedule:
    """Tasks in dependency order: a task is ready once the tasks it uses (among those added)
    have finished. Each finish touches only its own dependents."""

    def __init__(self) -> None:
        self.blocking: dict[str, int] = {}
        self.dependents: dict[str, list[Task]] = {}
        self.ready: collections.deque[Task] = collections.deque()

    def add(self, tasks: list[Task]) -> None:
        names = {task.name for task in tasks}
        for task in tasks:
            uses = [use for use in task.used_tasks if use in names]
            self.blocking[task.name] = len(uses)
            for use in uses:
                self.dependents.setdefault(use, []).append(task)
            if not uses:
                self.ready.append(task)

    def finish(self, task: Task) -> None:
        self.blocking.pop(task.name, None)
        for dependent in self.dependents.pop(task.name, []):
            self.blocking[dependent.name] -= 1
            if self.blocking[dependent.name] == 0:
                self.ready.append(dependent)


class Run:
    """One build's tasks on one executor: submit, collect, store."""

    def __init__(self, config: Config, state: BuildState, plan: BuildPlan, executor: Executor,
                 report: "BuildReport", locate: Locate) -> None:
        self.config, self.state, self.plan, self.executor = config, state, plan, executor
        self.report, self.locate = report, locate
        self.schedule = Schedule()
        self.failed: set[str] = set()
        self.running: dict[object, Task] = {}

    def all(self, work: Iterator[list[Task]], progress: Progress | None, after_task: Callable | None,
            done: int, total: int) -> None:
        """Run every task of `work` (each item: one pair's tasks to run), in order."""
        self.report.executor = self.executor.name
        try:
            while True:
                done += self._submit(work)
                if progress:
                    progress(done, total, [t.name for t in self.running.values()])
                if not self.running:
                    if self.schedule.ready:
                        continue
                    break
                for handle, result in self.executor.finished(list(self.running)):
                    task = self.running.pop(handle)
                    done += 1
                    self.report.touched.add((task.slug, task.language))
                    if self._take(task, result) and after_task:
                        after_task(self.state, self.plan, self.report)
                    self.schedule.finish(task)
                    if progress:
                        progress(done, total, [t.name for t in self.running.values()])
        finally:
            self.executor.close()

    def _submit(self, work: Iterator[list[Task]]) -> int:
        """Submit ready tasks up to the executor's limit, taking up pairs as needed; the
        number of tasks that failed before running (their job could not be made)."""
        failed = 0
        while len(self.running) < self.executor.in_flight:
            if not self.schedule.ready:
                tasks = next(work, None)
                if tasks is None:
                    break
                self.schedule.add(tasks)
                continue
            task = self.schedule.ready.popleft()
            try:
                payload = Payload(task.writer, self.plan.job(task.slug, task.language), self._upstream(task))
            except HandoutsError as error:
                self.report.failed.append(error)
                self.report.touched.add((task.slug, task.language))
                self.failed.add(task.name)
                self.schedule.finish(task)
                failed += 1
                continue
            self.running[self.executor.submit(payload)] = task
        return failed

    def _take(self, task: Task, result: dict[str, bytes] | HandoutsError) -> bool:
        """Store a finished task's files, or record why it failed; whether it was stored."""
        report = self.report
        if isinstance(result, StorageError):
            raise result  # the disk refused: every next task would fail the same way
        if isinstance(result, HandoutsError):
            report.failed.append(result)
            self.failed.add(task.name)
            return False
        missing = sorted(set(task.outputs) - set(result))
        if missing:
            report.failed.append(RenderError(f"the {task.writer} writer returned no {missing[0]} file",
                                             file=f"{task.slug}.{task.language}"))
            self.failed.add(task.name)
            return False
        report.note(result.pop(NOTES, b"").decode().splitlines())
        degraded = [use for use in task.used_tasks if use in self.failed]
        self._store(task, result, degraded)
        report.note(_fallback_lines(result))
        report.built.append(task.name)
        return True

    def _upstream(self, task: Task) -> dict[str, dict[str, bytes]]:
        """The bytes of the tasks this one uses (leaving out those that failed in this build)."""
        pair = self.plan.pair(task.slug, task.language)
        upstream: dict[str, dict[str, bytes]] = {}
        for writer, name in zip(task.uses, task.used_tasks):
            if name in self.failed:
                continue
            used = pair.tasks[writer]
            upstream[writer] = {}
            for suffix, relative in used.outputs.items():
                with open(self.locate(relative), "rb") as handle:
                    upstream[writer][suffix] = handle.read()
            upstream[writer]["key"] = used.key.encode()
        return upstream

    def _store(self, task: Task, result: dict[str, bytes], degraded: list[str]) -> None:
        """Write the task's files atomically, then record them in one transaction. A task
        built without a result it uses (that failed) is recorded under another key, so the
        next build makes it again."""
        from pathlib import Path

        job = self.plan.job(task.slug, task.language)
        key = digest(task.key, "without", degraded) if degraded else task.key
        rows = []
        spoken = _spoken_by(result)
        for suffix, relative in task.outputs.items():
            path = Path(self.locate(relative))
            data = result[suffix]
            atomic.atomic_write_bytes(path, data)
            info = {
                "artifact": relative.startswith("cache:"), "slug": task.slug, "language": task.language,
                "format": suffix.lstrip("."), "writer": task.writer, "source_version": job.source_version,
                "catalog_version": job.catalog_version,
                "review": job.review.describe() if job.review else "source", **task.info,
            }
            info |= spoken
            info |= _measured(suffix, data)
            rows.append((relative, path, key, data, info))
        self.state.record_outputs(rows)


def _measured(suffix: str, data: bytes) -> dict:
    """What the manifest says of a file besides its size: a narration's duration, a braille
    edition's pages."""
    if suffix == ".mp3":
        from mutagen.mp3 import MP3

        return {"duration": round(MP3(io.BytesIO(data)).info.length, 3)}
    if suffix in (".brf", ".pef"):
        from pipeline.writers.braille.serialize import page_count

        return {"braille_pages": page_count(suffix, data)}
    return {}


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
