"""Where tasks run: peers behind one small interface, like writers and speech engines.

- `InlineExecutor`: in this process, one task at a time (`--jobs 1`);
- `ProcessExecutor`: local worker processes (`--jobs N`, the default);
- `DaskExecutor`: a Dask distributed cluster, started on this machine
  (`--scheduler local`, a `LocalCluster`) or already running (`--scheduler tcp://host:8786`).

An executor only runs `tasks.run_task(payload)` and hands back its result; it never
touches outputs/. A worker that dies mid-task: the process pool fails that task with
one line (the build goes on and the next build retries it); Dask's scheduler runs it
again on another worker, up to its `allowed-failures` limit.
"""

from __future__ import annotations

import concurrent.futures
import logging
from typing import Any, Iterator

from pipeline.engine.tasks import Payload, run_task
from pipeline.core.errors import ConfigError, DependencyError, HandoutsError, RenderError


class Executor:
    """Submit payloads; collect (handle, result) pairs as tasks finish."""

    name = ""
    # How many tasks to keep submitted at once: enough to keep every worker busy, few
    # enough that the payloads waiting (each a translated article) never fill memory.
    in_flight = 1

    def submit(self, payload: Payload) -> Any:
        raise NotImplementedError

    def finished(self, handles: list[Any]) -> Iterator[tuple[Any, dict[str, bytes] | HandoutsError]]:
        """Wait for at least one of `handles` and yield every finished one with its result."""
        raise NotImplementedError

    def close(self) -> None:
        pass


class _Done:
    """A task run at once, in this process: its handle holds its result."""

    def __init__(self, result: dict[str, bytes] | HandoutsError) -> None:
        self.result = result


class InlineExecutor(Executor):
    name = "this process"

    def submit(self, payload: Payload) -> Any:
        return _Done(run_task(payload))

    def finished(self, handles):
        for handle in handles:
            yield handle, handle.result


def die_with(coordinator: int) -> None:
    """Run in each local worker process as it starts: end it when the coordinator ends,
    however it ends (`kill -9`, the out-of-memory killer, a closed terminal). Linux's
    parent-death signal where there is one, else a thread that watches the parent."""
    import ctypes
    import os
    import signal
    import sys
    import threading
    import time

    if sys.platform.startswith("linux"):
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    else:  # pragma: no cover - the build machines are Linux
        def watch() -> None:
            while os.getppid() == coordinator:
                time.sleep(1)
            os._exit(1)

        threading.Thread(target=watch, daemon=True).start()
    if os.getppid() != coordinator:  # it ended before the signal was asked for
        os._exit(1)


class ProcessExecutor(Executor):
    def __init__(self, jobs: int) -> None:
        self.name = f"{jobs} local processes"
        self.jobs = jobs
        self.in_flight = 2 * jobs
        self.pool = self._new_pool()

    def _new_pool(self) -> concurrent.futures.ProcessPoolExecutor:
        import os

        return concurrent.futures.ProcessPoolExecutor(max_workers=self.jobs, initializer=die_with,
                                                      initargs=(os.getpid(),))

    def submit(self, payload: Payload) -> Any:
        return self.pool.submit(run_task, payload)

    def finished(self, handles):
        done, _ = concurrent.futures.wait(handles, return_when=concurrent.futures.FIRST_COMPLETED)
        for future in done:
            try:
                yield future, future.result()
            except concurrent.futures.process.BrokenProcessPool:
                # The tasks of the broken pool fail; a new pool runs the rest of the build.
                if self.pool._broken:  # noqa: SLF001 - the standard library's own flag
                    self.pool = self._new_pool()
                yield future, RenderError("a worker process died while building this output",
                                          hint="build again; the outputs already built are kept")

    def close(self) -> None:
        self.pool.shutdown(cancel_futures=True)


class DaskExecutor(Executor):
    """Tasks on a Dask cluster: the same pure task function, its payload shipped to a worker."""

    def __init__(self, address: str, jobs: int, timeout: float = 30.0) -> None:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - dask is a dependency
            raise ConfigError("Dask is not installed", hint="run 'make setup'") from None
        self.cluster = None
        if address == "local":
            try:
                self.cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                                            dashboard_address=None, silence_logs=logging.ERROR)
            except (OSError, RuntimeError, TimeoutError) as error:
                raise DependencyError(f"could not start a Dask LocalCluster: {error}",
                                      hint="build without --scheduler, or check memory and open files") from None
            self.client = Client(self.cluster)
            self.name = f"a Dask LocalCluster of {jobs} workers"
        else:
            if not address.startswith(("tcp://", "tls://")):
                raise ConfigError(f"--scheduler {address!r} is not a scheduler address",
                                  hint="use 'local' or an address such as tcp://host:8786")
            hint = "start it with 'dask scheduler' and workers with 'dask worker " + address + "'"
            _ask_scheduler(address, timeout, hint)
            try:
                self.client = Client(address, timeout=f"{timeout}s")
            except (OSError, TimeoutError) as error:
                raise ConfigError(f"cannot reach the Dask scheduler at {address}: {error}", hint=hint) from None
            self.name = f"the Dask cluster at {address}"
        self.in_flight = 2 * max(jobs, sum(self.client.nthreads().values()))

    def submit(self, payload: Payload) -> Any:
        return self.client.submit(run_task, payload, pure=False)

    def finished(self, handles):
        from dask.distributed import wait

        done, _ = wait(handles, return_when="FIRST_COMPLETED")
        for future in done:
            try:
                yield future, future.result()
            except Exception as error:  # noqa: BLE001 - e.g. KilledWorker: the task killed every worker it ran on
                yield future, RenderError(f"the Dask cluster could not run this task: {type(error).__name__}: {error}",
                                          hint="check the workers' logs; build again to retry")

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _ask_scheduler(address: str, timeout: float, hint: str) -> None:
    """Ask the scheduler who it is, within `timeout` seconds, before handing it any work.
    Dask's Client waits forever for an answer from an address where something accepts
    connections but never speaks Dask (its own timeout covers only the connection)."""
    import asyncio

    from distributed.core import rpc

    async def identity() -> dict:
        async with rpc(address) as scheduler:
            return await scheduler.identity()

    def ask() -> dict:
        return asyncio.run(asyncio.wait_for(identity(), timeout))

    try:
        answer = _outside_any_event_loop(ask)
    except (TimeoutError, asyncio.TimeoutError):
        raise ConfigError(f"the Dask scheduler at {address} did not answer within {timeout:g} s",
                          hint=f"check that a Dask scheduler listens there ({hint}), or wait longer with "
                               f"--scheduler-timeout") from None
    except (OSError, ValueError, TypeError) as error:
        raise ConfigError(f"cannot reach the Dask scheduler at {address}: {error}", hint=hint) from None
    if not isinstance(answer, dict) or answer.get("type") != "Scheduler":
        raise ConfigError(f"{address} answered, but not as a Dask scheduler", hint=hint)


def _outside_any_event_loop(call):
    """`call()` in this thread, or in a new one when this thread already runs an event loop
    (a program that embeds the build may), since asyncio.run refuses to nest."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return call()
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(call).result()


def make_executor(scheduler: str | None, jobs: int, pending: int, timeout: float = 30.0) -> Executor:
    if scheduler:
        return DaskExecutor(scheduler, max(1, jobs), timeout)
    if jobs <= 1 or pending <= 1:
        return InlineExecutor()
    return ProcessExecutor(jobs)
