"""Progress during a build: a rich bar on a terminal, nothing with --quiet or in a pipe."""

from __future__ import annotations

import contextlib
import sys
from typing import Callable, Iterator


@contextlib.contextmanager
def progress_display(quiet: bool) -> Iterator[Callable[[int, int, list[str]], None] | None]:
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("[bold]building"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("running: {task.description}"),
        transient=True,
    ) as bar:
        task_id = bar.add_task("", total=None)

        def update(done: int, total: int, running: list[str]) -> None:
            shown = ", ".join(name.split(".", 1)[-1] for name in running[:3])
            more = f" +{len(running) - 3}" if len(running) > 3 else ""
            bar.update(task_id, completed=done, total=total, description=(shown + more) or "-")

        yield update
