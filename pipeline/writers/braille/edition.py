"""The whole braille edition: text pages, volumes, each volume's title page, page numbers.

The title page says how many braille pages its volume has, and is itself one of them:
it is laid out again until the count it states is the count it makes (a longer number
could push a line over). Pages are numbered through the edition; a title page is
counted but shows no number.
"""

from __future__ import annotations

from pipeline.core.errors import RenderError
from pipeline.core.job import Job
from pipeline.writers.braille import transcribe
from pipeline.writers.braille.layout import Code, VOLUME_PAGES, lines_of, page_rows, paginate, split_volumes


def volumes_of(job: Job, choice, *, volume_pages: int = VOLUME_PAGES) -> list[list[list[str]]]:
    """Every volume as pages of 25 rows of Unicode braille cells."""
    code = Code(table=choice.table, note_marks=choice.note_marks, bullet=choice.bullet,
                page_number_at_bottom=choice.page_number_at_bottom)
    text_pages = paginate(lines_of(code, transcribe.body(job, choice.note_marks, choice.bullet), job.stem))
    title_guess = len(_title_pages(job, code, pages=len(text_pages) + 1, volume=1, volumes=1))
    parts = split_volumes(text_pages, title_guess, volume_pages)
    volumes: list[list[list[str]]] = []
    number = 1
    for index, part in enumerate(parts, start=1):
        title = _settled_title_pages(job, code, part, index, len(parts))
        pages = []
        for offset, text in enumerate(title + part):
            pages.append(page_rows(code, text, None if offset == 0 else number))
            number += 1
        volumes.append(pages)
    return volumes


def _title_pages(job: Job, code: Code, *, pages: int, volume: int, volumes: int) -> list[list[str]]:
    blocks = transcribe.title_page(job, pages=pages, volume=volume, volumes=volumes)
    return paginate(lines_of(code, blocks, job.stem))


def _settled_title_pages(job: Job, code: Code, part: list[list[str]], volume: int, volumes: int) -> list[list[str]]:
    count = len(part) + 1
    for _ in range(4):
        title = _title_pages(job, code, pages=count, volume=volume, volumes=volumes)
        if len(title) + len(part) == count:
            return title
        count = len(title) + len(part)
    raise RenderError("the braille title page does not settle on its own page count", file=job.stem)
