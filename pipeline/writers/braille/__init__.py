"""The braille edition: `<slug>.<lang>.brf` for embossers and `<slug>.<lang>.pef`.

The translated article is laid out as a transcriber would (`transcribe.py`), translated
to cells with liblouis and set in pages of 40 cells by 25 lines (`layout.py`), and
written as BRF and PEF from the same pages (`serialize.py`). Which table and grade a
language gets is language data (`[<tag>.braille]` in `pipeline/data/languages.toml`),
only for tables verified by back-translation; `[language.<tag>] braille_grade` (and
`braille_table`, an explicit stand-in) in handouts.toml change it. A language without a
verified table, or a machine without liblouis, gets no braille and one line saying so.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.errors import DependencyError
from pipeline.core.job import Job
from pipeline.core.uitext import BRAILLE_WORDS, UI_SOURCE_LANGUAGE
from pipeline.writers.base import Writer
from pipeline.writers.braille import louis



@dataclass(frozen=True)
class Choice:
    """The braille code of one language on this project: a table and its grade, or why none."""

    table: str = ""
    grade: str = ""
    system: str = ""  # the code's name where it has one (UEB)
    reason: str = ""
    note_marks: tuple[str, str] | None = None
    bullet: str = "•"
    page_number_at_bottom: bool = False

    @property
    def description(self) -> str:
        name = f"{self.system} grade {self.grade}" if self.system else f"grade {self.grade}"
        return f"{name} ({self.table})"


def choice_for(job: Job) -> Choice:
    """The table and grade of the job's language: handouts.toml's choice, else the data's."""
    data = job.facts.own_data.get("braille", {})
    options = job.config.language_options.get(job.facts.tag)
    style = dict(note_marks=tuple(data["note"]) if "note" in data else None, bullet=data.get("bullet", "•"),
                 page_number_at_bottom=data.get("page_number") == "bottom", system=data.get("system", ""))
    if options and options.braille_table:
        grade = str(options.braille_grade or "") or _table_grade(options.braille_table)
        return Choice(table=options.braille_table, grade=grade, **style)
    if "tables" not in data:
        why = data.get("none", f"no braille table for {job.facts.english_name} has been verified here "
                               f"(pipeline/data/languages.toml)")
        return Choice(reason=why)
    grade = str(options.braille_grade) if options and options.braille_grade else str(data["grade"])
    return Choice(table=data["tables"][grade], grade=grade, **style)


def _table_grade(table: str) -> str:
    """The `#+grade:` a liblouis table declares about itself ('' when it does not)."""
    path = table_path(table)
    try:
        for line in path.read_text("utf-8", "replace").splitlines()[:80] if path else []:
            if line.replace(" ", "").startswith("#+grade:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def table_path(table: str) -> Path | None:
    """The file of a table in liblouis-data's folder (None when it is not there)."""
    path = louis.TABLES / table
    return path if path.is_file() else None


def missing_words(job: Job) -> list[str]:
    if job.facts.language == UI_SOURCE_LANGUAGE:
        return []
    return [word for word in BRAILLE_WORDS if not job.ui.has(word)]


class BrailleWriter(Writer):
    NAME = "braille"
    SUFFIXES = (".brf", ".pef")
    VERSION = "1"

    def machine_reason(self) -> str | None:
        if louis.binding() is None:
            return f"liblouis (the braille translator) is not installed; {louis.INSTALL_HINT}"
        return None

    def unavailable_reason(self, job: Job) -> str | None:
        choice = choice_for(job)
        if choice.reason:
            return choice.reason
        missing = missing_words(job)
        if missing:
            return (f"the braille words of {job.ui.shown or 'ui.po'} are not translated yet "
                    f"({', '.join(repr(w) for w in missing)}); run 'handouts extract' and translate them")
        return None

    def key_parts(self, job: Job) -> dict[str, str]:
        choice = choice_for(job)
        path = table_path(choice.table) if choice.table else None
        stat = os.stat(path) if path else None
        return {"braille_table": choice.table, "braille_grade": choice.grade, "liblouis": louis.version(),
                "table_file": f"{stat.st_size}:{stat.st_mtime_ns}" if stat else "", "clinic": repr(job.config.clinic)}

    def write(self, job: Job) -> dict[str, bytes]:
        from pipeline.writers.braille.edition import volumes_of
        from pipeline.writers.braille.serialize import brf, pef

        choice = choice_for(job)
        louis.require()
        problem = louis.table_problem(choice.table)
        if problem:
            raise DependencyError(problem, file=job.stem, hint="reinstall liblouis-data, or choose another table "
                                                                "in handouts.toml ([language.<tag>] braille_table)")
        volumes = volumes_of(job, choice)
        return {".brf": brf(volumes), ".pef": pef(volumes, job, grade=choice.description)}


WRITER = BrailleWriter
