"""A planned pair (one article in one language), its tasks, and their stored form.

The build state keeps each pair as JSON (plain data, bound to no module path), and apart
from it the two things a build needs of a pair it does not run: the little it reports
(problems, notes, why it waits: `findings_of`) and the key each output should have
(`expected_of`). A library build decodes only the pairs that changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from pipeline.core.errors import HandoutsError
from pipeline.engine.keys import task_key

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
    tasks: dict[str, Task] = field(default_factory=dict)  # in dependency order
    meta: dict = field(default_factory=dict)  # what the download site shows

    @property
    def waiting(self) -> bool:
        """Not built only because its translation is not ready: a normal state of a library."""
        return not self.publishable and not self.problems

    @property
    def key(self) -> tuple[str, str]:
        return self.slug, self.language


def rekey(pair: PairPlan, bases: dict[str, str]) -> None:
    """New keys for a pair's tasks after a change to writers' code, from the parts stored
    with each task: the same keys a planning would give, without reading the pair."""
    for task in pair.tasks.values():  # in dependency order: a task after those it uses
        task.key = task_key(bases[task.writer], task.writer, task.of_job, task.parts,
                            [pair.tasks[name].key for name in task.uses])


def encoded(value: "PairPlan | dict") -> bytes:
    """A planned pair (or what planning knows of a source) as JSON for the build state."""
    if isinstance(value, PairPlan):
        fields = {**vars(value), "tasks": {name: vars(task) for name, task in value.tasks.items()}}
        return json.dumps({"pair": fields}).encode("utf-8")  # dataclasses.asdict's order, faster
    return json.dumps({"about": value}).encode("utf-8")


def decoded(data: bytes | None) -> "PairPlan | dict | None":
    """What `encoded` stored; None for an entry of another layout (it is planned again)."""
    try:
        value = json.loads(data or b"")
        if "pair" in value:
            fields = dict(value["pair"])
            fields["tasks"] = {name: Task(**task) for name, task in fields["tasks"].items()}
            return PairPlan(**fields)
        return value["about"]
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def findings_of(pair: PairPlan) -> str | None:
    """What a build reports of the pair without running it (None: nothing to report)."""
    if pair.publishable and not pair.problems and not pair.notes:
        return None
    return json.dumps({"publishable": pair.publishable, "problems": pair.problems, "notes": pair.notes,
                       "skip_reasons": pair.skip_reasons, "review_state": pair.review_state}, ensure_ascii=False)


def expected_of(pair: PairPlan) -> list[tuple[str, str, str]]:
    """Each output of the pair's tasks: (path, writer, the key it should have)."""
    return [(path, task.writer, task.key) for task in pair.tasks.values() for path in task.outputs.values()]
