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
from pipeline.writers.base import Writer, get_writer

PIPELINE_DIR = Path(__file__).resolve().parents[1]
# Modules of the lower layers that never change what a writer produces.
NOT_OUTPUT_CODE = {"extract.py", "qa.py"}
FONT_CACHES = (Path("/var/cache/fontconfig"), Path.home() / ".cache" / "fontconfig")


def digest(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


@functools.lru_cache(maxsize=None)
def code_fingerprint(writer_name: str) -> str:
    """A hash of the code, data, templates and styles one writer's output depends on: the
    lower layers, the writer's declared modules, templates and styles. Editing the
    download site's template rebuilds no handout; editing print.css rebuilds PDFs only."""
    writer = get_writer(writer_name)
    files = [p for folder in ("core", "inputs") for p in (PIPELINE_DIR / folder).glob("*.py")
             if p.name not in NOT_OUTPUT_CODE]
    files += sorted((PIPELINE_DIR / "data").glob("*.toml"))
    files += [PIPELINE_DIR / "writers" / "base.py", PIPELINE_DIR / "__init__.py"]
    for pattern in writer.DEPENDS:
        files += sorted(PIPELINE_DIR.glob(pattern))
    for pattern in writer.TEMPLATES:
        files += sorted((PIPELINE_DIR / "templates").glob(pattern))
    for name in writer.STYLES:
        files.append(PIPELINE_DIR / "styles" / name)
    hasher = hashlib.sha256()
    for path in sorted(set(files)):
        hasher.update(str(path.relative_to(PIPELINE_DIR)).encode())
        hasher.update(path.read_bytes())
    return hasher.hexdigest()


def task_key(job: Job, writer: Writer, uses_keys: list[str]) -> str:
    return digest(
        code_fingerprint(writer.NAME),
        writer.NAME,
        writer.VERSION,
        repr(job.article),
        repr(job.facts),
        repr(job.review),
        repr(job.notice),
        job.modified,
        job.catalog_version,
        sorted((name, r.media_type, hashlib.sha256(r.data).hexdigest()) for name, r in job.resources.items()),
        sorted(writer.key_parts(job).items()),
        uses_keys,
    )


def pipeline_fingerprint(file_hash: Callable[[Path], str]) -> str:
    """Every file of the pipeline (code, data, templates, styles): a pair planned by other
    code is planned again. Read through the state's metadata cache: no file is read."""
    files = sorted(p for p in PIPELINE_DIR.rglob("*") if p.suffix in (".py", ".toml", ".j2", ".css")
                   and "__pycache__" not in p.parts)
    return digest([(str(p.relative_to(PIPELINE_DIR)), file_hash(p)) for p in files])


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
