"""Re-planning many pairs on local worker processes.

Planning a pair reads and translates it (a few milliseconds); a cold library of a
thousand articles in two dozen languages, or a change to the reading code, re-plans
tens of thousands of pairs. Those are spread over local processes, an article's
languages together (its source is parsed once). Planning reads the project folder, which
only this machine has, so it stays here even when the tasks run on a Dask cluster.
Workers send back each pair's plan as stored in the build state; the jobs they made are
not sent (a job is a whole translated article): the coordinator makes a job again when
one of its tasks runs.
"""

from __future__ import annotations

import concurrent.futures
import os
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from pipeline.core.config import Config

if TYPE_CHECKING:
    from pipeline.engine.pairs import PairPlan

# Fewer pairs than this are planned in this process: starting workers costs more, and the
# jobs made while planning serve the tasks that follow.
PARALLEL_FROM = 200


def plan_in_parallel(config: Config, bases: tuple[dict[str, str], dict[str, str]], todo: list[tuple[Path, str, str]],
                     jobs: int) -> Iterator[tuple["PairPlan", str]]:
    """(plan, fingerprint) of each (source, language, fingerprint) of `todo`, planned on
    `jobs` processes, as each article's languages are done."""
    from pipeline.engine.pairs import decoded

    by_article: dict[Path, list[tuple[str, str]]] = {}
    for path, tag, fingerprint in todo:
        by_article.setdefault(path, []).append((tag, fingerprint))
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, initializer=_start_worker,
                                                initargs=(os.getpid(),)) as pool:
        futures = {pool.submit(plan_article, config, bases, path, pairs) for path, pairs in by_article.items()}
        for future in concurrent.futures.as_completed(futures):
            futures.discard(future)  # (its result is not kept: a library's plans would fill memory)
            for data, fingerprint in future.result():
                yield decoded(data), fingerprint


def _start_worker(coordinator: int) -> None:
    """A planning worker ends with its coordinator, and keeps the machine's answers (the voice
    of each language…) for its whole life, which is one planning."""
    from pipeline.core.machine import hold_steady
    from pipeline.engine.executors import die_with

    die_with(coordinator)
    hold_steady()


def plan_article(config: Config, bases: tuple[dict[str, str], dict[str, str]], path: Path,
                 pairs: list[tuple[str, str]]) -> list[tuple[bytes, str]]:
    """Plan the languages of one article (in a worker): each pair's plan, encoded, with its
    fingerprint. `bases`: each writer's basis and plan basis (see keys.py)."""
    from pipeline.engine.pairs import encoded
    from pipeline.engine.plan import BuildPlan, plan_pair

    plan = BuildPlan(config, [], bases=bases[0], plan_bases=bases[1])
    return [(encoded(plan_pair(plan, path, tag)), fingerprint) for tag, fingerprint in pairs]
