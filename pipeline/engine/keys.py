"""What decides whether work must be done again: fingerprints and task keys.

Two levels, as in make and ninja:
- a *pair fingerprint* hashes the files one (article, language) is made from (source,
  its images, both catalogs, the template-words template, the pronunciation list), the
  configuration, the pipeline's own code and data, and the machine's fonts, speech
  engines and libraries. All of it is read from file metadata and recorded hashes, so
  an unchanged pair is recognized without parsing anything;
- a *task key* hashes what one writer's output depends on once the pair is parsed: the
  translated article and its language facts, the writer's code, templates and styles,
  its own inputs (paper, fonts, voice) and the keys of the tasks it uses. A pair that is
  re-planned (its catalog was touched, a code file edited) reruns only the tasks whose
  key really changed.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path
from typing import Callable

from pipeline.core.config import Config
from pipeline.core.job import Job
from pipeline.engine.imports import dependencies
from pipeline.writers import writer_class, writer_module
from pipeline.writers.base import Writer

PIPELINE_DIR = Path(__file__).resolve().parents[1]
# Modules of the lower layers that never change what a writer produces.
# (review.py computes the review state, which enters a key by its value: job.review.)
NOT_OUTPUT_CODE = {"qa.py", "review.py", "hedges.toml"}
FONT_CACHES = (Path("/var/cache/fontconfig"), Path.home() / ".cache" / "fontconfig")


def digest(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


@functools.lru_cache(maxsize=None)
def code_fingerprint(writer_name: str, file_hash: Callable[[Path], str] | None = None) -> str:
    """A hash of the code, data, templates and styles one writer's output depends on: the
    modules its module imports (engine/imports.py), the language data, its templates and
    styles. Editing the download site's template rebuilds no handout; editing print.css
    rebuilds PDFs only; editing the PDF writer re-keys no MP3. `file_hash`: the build
    state's (a file is read only when its metadata changed)."""
    writer = writer_class(writer_name)
    files = [p for p in dependencies(writer_module(writer_name), PIPELINE_DIR) if p.name not in NOT_OUTPUT_CODE]
    files += sorted(p for p in (PIPELINE_DIR / "data").glob("*.toml") if p.name not in NOT_OUTPUT_CODE)
    for pattern in writer.TEMPLATES:
        files += sorted((PIPELINE_DIR / "templates").glob(pattern))
    for name in writer.STYLES:
        files.append(PIPELINE_DIR / "styles" / name)
    hasher = hashlib.sha256()
    for path in sorted(set(files)):
        hasher.update(str(path.relative_to(PIPELINE_DIR)).encode())
        hasher.update(file_hash(path).encode() if file_hash else hashlib.sha256(path.read_bytes()).digest())
    return hasher.hexdigest()


def writer_basis(config: Config, writer_name: str, file_hash: Callable[[Path], str] | None = None) -> str:
    """What every output of a writer rests on besides its job: its code, data, templates and
    styles, and the settings declared to change it (`Config.settings_for`)."""
    return digest(code_fingerprint(writer_name, file_hash), config.settings_for(writer_name))


def job_digest(job: Job) -> str:
    """What every output of a job depends on, whichever writer makes it: the translated
    article, its language facts, review state and notice, dates and images. Computed once
    per pair, for all its writers (the article's repr is the costly part)."""
    return digest(
        repr(job.article),
        repr(job.facts),
        repr(job.review.shown() if job.review else None),
        repr(job.notice),
        job.modified,
        job.catalog_version,
        sorted((name, r.media_type, hashlib.sha256(r.data).hexdigest()) for name, r in job.resources.items()),
    )


def plan_basis(config: Config, writer_name: str) -> str:
    """What decides, besides a pair's inputs, whether a writer makes the pair's outputs and
    with which engine, voice or table: the writer's VERSION and its settings. A change
    plans every pair again; a change to the writer's code alone only re-keys its tasks
    (`task_key` from what was stored), without reading any pair again. A change to the code
    that decides which pairs a writer makes raises the writer's VERSION."""
    return digest(writer_class(writer_name).VERSION, config.settings_for(writer_name))


def parts_digest(job: Job, writer: Writer) -> str:
    """The writer's own inputs for this job (fonts, engine and voice, braille table)."""
    return digest(sorted(writer.key_parts(job).items()))


def task_key(basis: str, writer_name: str, of_job: str, parts: str, uses_keys: list[str]) -> str:
    """A task's key: the writer's basis, the job's digest, the writer's own inputs and the
    keys of the tasks it uses. Each part is kept with the task, so a new basis re-keys it."""
    return digest(basis, writer_name, of_job, parts, uses_keys)


def planning_fingerprint(file_hash: Callable[[Path], str]) -> str:
    """The code and data that decide which pairs exist and what their jobs hold: reading,
    translating, review, planning (the imports of the planner, without the writers and
    engines, whose code enters each writer's basis instead). Read through the state's
    metadata cache: no file is read."""
    files = [p for p in dependencies("pipeline.engine.plan", PIPELINE_DIR)
             if p.parent.name not in ("writers", "tts") and "writers" not in p.parts[len(PIPELINE_DIR.parts):]]
    files += sorted((PIPELINE_DIR / "data").glob("*.toml"))
    return digest([(str(p.relative_to(PIPELINE_DIR)), file_hash(p)) for p in sorted(set(files))])


def environment_fingerprint(config: Config) -> str:
    """The machine's part of every output: installed fonts (fontconfig's caches change when
    fonts are added or removed), speech engines, voices and every installed package (see
    tts/environment.py), liblouis and its tables. Only metadata is read: this runs on every build, including one
    with nothing to do."""
    from pipeline.tts import environment_fingerprint as speech_environment
    from pipeline.writers.braille.louis import environment as braille_environment

    fonts = []
    for folder in FONT_CACHES:
        if folder.is_dir():
            fonts += sorted((entry.name, entry.stat().st_mtime_ns, entry.stat().st_size)
                            for entry in os.scandir(folder))
    return digest(fonts, speech_environment(config), braille_environment())
