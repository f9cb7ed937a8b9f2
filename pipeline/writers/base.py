"""What every writer is: a name, the suffixes it writes, a version, and `write(job)`.

Writers are peers (the docutils/Sphinx lesson): adding a format is adding one module
with one registered class; the build looks writers up by name. A writer receives a
`Job` whose article is already translated, and returns bytes per suffix; it never
writes into outputs/ itself (the build does that atomically).
"""

from __future__ import annotations

from pathlib import Path
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

    def key_parts(self, job: Job) -> dict[str, str]:
        """Extra inputs that decide this writer's result, for the build cache key."""
        return {}


REGISTRY: dict[str, type[Writer]] = {}


def register(cls: type[Writer]) -> type[Writer]:
    REGISTRY[cls.NAME] = cls
    return cls


def get_writer(name: str) -> Writer:
    from pipeline.writers import load_all

    load_all()
    if name not in REGISTRY:
        raise ConfigError(f"unknown output format '{name}'", hint=f"valid formats: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[name]()


def upstream_bytes(job: Job, writer_name: str, suffix: str) -> bytes | None:
    """What a writer this one USES produced for the same job (an output or an artifact), or
    None when it did not run in this build. The only way writers read upstream results:
    the build passes a file path today and may pass the bytes themselves; both work."""
    value = (job.upstream.get(writer_name) or {}).get(suffix)
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    return Path(value).read_bytes()
