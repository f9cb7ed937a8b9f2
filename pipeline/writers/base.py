"""What every writer is: a name, the suffixes it writes, a version, and `write(job)`.

Writers are peers (the docutils/Sphinx lesson): adding a format is adding one module
with one registered class; the build looks writers up by name. A writer receives a
`Job` whose article is already translated, and returns bytes per suffix; it never
writes into outputs/ itself (the build does that atomically).
"""

from __future__ import annotations

from typing import ClassVar

from pipeline.core.errors import ConfigError
from pipeline.core.job import Job


class Writer:
    NAME: ClassVar[str] = ""
    SUFFIXES: ClassVar[tuple[str, ...]] = ()
    # Intermediate files other writers use (kept in the cache, never in outputs/).
    ARTIFACTS: ClassVar[tuple[str, ...]] = ()
    VERSION: ClassVar[str] = "1"
    # What the output depends on besides the shared core (globs under pipeline/,
    # pipeline/templates/ and names in pipeline/styles/): the build cache key hashes them.
    DEPENDS: ClassVar[tuple[str, ...]] = ()
    TEMPLATES: ClassVar[tuple[str, ...]] = ()
    STYLES: ClassVar[tuple[str, ...]] = ()
    # Names of writers whose results this one uses when they exist (EPUB uses the narration).
    USES: ClassVar[tuple[str, ...]] = ()

    def write(self, job: Job) -> dict[str, bytes]:
        raise NotImplementedError

    def unavailable_reason(self, job: Job) -> str | None:
        """Why this writer cannot produce this job (None when it can)."""
        return None

    def machine_reason(self) -> str | None:
        """Why this writer can make nothing at all on this machine (a missing library), said
        once per build rather than once per handout; None when it can run."""
        return None

    def notes(self, job: Job) -> list[str]:
        """What the build should tell about this job that is not a failure (a bad voice
        file passed over for another voice, say)."""
        return []

    def key_parts(self, job: Job) -> dict[str, str]:
        """Extra inputs that decide this writer's result, for the build cache key."""
        return {}


REGISTRY: dict[str, type[Writer]] = {}


def register(cls: type[Writer]) -> type[Writer]:
    REGISTRY[cls.NAME] = cls
    return cls


def get_writer(name: str) -> Writer:
    """The writer of an output format, importing only its own module."""
    import importlib

    from pipeline.writers import WRITER_MODULES

    if name not in WRITER_MODULES:
        raise ConfigError(f"unknown output format '{name}'", hint=f"valid formats: {', '.join(WRITER_MODULES)}")
    importlib.import_module(f"pipeline.writers.{name}")
    return REGISTRY[name]()


def upstream_bytes(job: Job, writer_name: str, suffix: str) -> bytes | None:
    """A result of a task this one uses (the build hands over bytes, never paths, so a task
    runs on any worker); None when that task did not run or failed."""
    return job.upstream.get(writer_name, {}).get(suffix)

