"""The order of a build's tasks: each runs after the tasks whose results it uses."""

from __future__ import annotations

import collections

from pipeline.engine.plan import Task


class Schedule:
    """The pending tasks in dependency order: a task is ready once the tasks it uses (among
    the pending ones) have finished. Each finish touches only its own dependents, so the
    cost of scheduling grows with the tasks, not with their square."""

    def __init__(self, pending: list[Task]) -> None:
        names = {task.name for task in pending}
        self.blocking: dict[str, int] = {}
        self.dependents: dict[str, list[Task]] = {}
        self.ready: collections.deque[Task] = collections.deque()
        for task in pending:
            uses = [use for use in task.used_tasks if use in names]
            self.blocking[task.name] = len(uses)
            for use in uses:
                self.dependents.setdefault(use, []).append(task)
            if not uses:
                self.ready.append(task)

    def finish(self, task: Task) -> None:
        for dependent in self.dependents.pop(task.name, []):
            self.blocking[dependent.name] -= 1
            if self.blocking[dependent.name] == 0:
                self.ready.append(dependent)
