"""What every writer is: a name, the suffixes it writes, a version, and `write(job)`.

Writers are peers (the docutils/Sphinx lesson): adding a format is adding one module
that exports its class as `WRITER` and one line in `WRITER_MODULES`. A writer receives a
`Job` whose article is already translated, and returns bytes per suffix; it never
writes into outputs/ itself (the build does that atomically).
"""

from __future__ import annotations

from typing import ClassVar

from pipeline.core.job import Job


# A writer's result may carry, under this key, lines to tell the user that arose while
# writing (a damaged cache entry made again): UTF-8, one per line. It is not a file.
NOTES = "notes"
# The PDF writer's page list (where each element starts), which the EPUB's page list uses.
PAGES_SUFFIX = ".pages.json"


class Writer:
    NAME: ClassVar[str] = ""
    SUFFIXES: ClassVar[tuple[str, ...]] = ()
    # Intermediate files other writers use (kept in the cache, never in outputs/).
    ARTIFACTS: ClassVar[tuple[str, ...]] = ()
    VERSION: ClassVar[str] = "1"
    # The code an output depends on is the writer module's imports (engine/imports.py);
    # templates (under pipeline/templates/) and styles (names in pipeline/styles/) are named.
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


def upstream_bytes(job: Job, writer_name: str, suffix: str) -> bytes | None:
    """A result of a task this one uses (the build hands over bytes, never paths, so a task
    runs on any worker); None when that task did not run or failed."""
    return job.upstream.get(writer_name, {}).get(suffix)

