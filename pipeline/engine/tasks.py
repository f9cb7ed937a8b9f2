"""What a worker does: one writer, one job, the bytes of the tasks it uses in; bytes out.

A pure function of its arguments: it reads nothing of the project folder and writes
nothing into outputs/, so it runs the same in this process, in a local worker process
or on a Dask worker on another machine. (Speech engines keep a synthesis cache in the
worker's own cache folder; that changes how long a task takes, never its result.)
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.core import atomic
from pipeline.core.errors import HandoutsError, RenderError, log_traceback
from pipeline.core.job import Job
from pipeline.writers import get_writer


@dataclass
class Payload:
    writer: str
    job: Job
    upstream: dict[str, dict[str, bytes]]  # writer name -> suffix -> bytes of the tasks it uses


def run_task(payload: Payload) -> dict[str, bytes] | HandoutsError:
    """The task's files, or the problem that stopped it (returned, not raised, so that a
    cluster does not retry a task that failed on its input)."""
    job = payload.job
    job.upstream = payload.upstream
    writer = get_writer(payload.writer)
    try:
        atomic.set_temp_dir(job.config.cache_dir / "tmp")
        return writer.write(job)
    except HandoutsError as error:
        return error
    except Exception as error:  # noqa: BLE001 - a bug: reported in one line, logged, the build goes on
        log = log_traceback(job.config.cache_dir / "errors.log", f"{job.stem}.{payload.writer}")
        return RenderError(f"the {payload.writer} writer failed on {job.stem}: {type(error).__name__}: {error}",
                           hint=f"this is a bug in the pipeline; details in {log}")
