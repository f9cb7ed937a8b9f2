"""What every writer is: a name, the suffixes it writes, a version, and `write(job)`.

Writers are peers (the docutils/Sphinx lesson): adding a format is adding one module
with one registered class; the build looks writers up by name. A writer receives a
`Job` whose article is already translated, and returns bytes per suffix; it never
writes into outputs/ itself (the build does that atomically).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from ..catalogs import ReviewState
from ..config import Config
from ..document import Article
from ..errors import ConfigError
from ..locales import LocaleFacts
from ..uitext import UiText


@dataclass(frozen=True)
class Notice:
    """The 'unreviewed translation' notice, in the handout's language and in English."""

    native: str
    english: str


@dataclass
class Job:
    """Everything one writer needs to produce one article in one language."""

    article: Article
    facts: LocaleFacts
    ui: UiText
    config: Config
    source_folder: Path
    review: ReviewState | None = None
    notice: Notice | None = None
    upstream: dict[str, Any] = field(default_factory=dict)
    source_version: str = ""
    catalog_version: str = ""
    modified: str = ""  # ISO date of the last change to source or translation

    @property
    def stem(self) -> str:
        """`<slug>.<lang>`: the file name of every output of this job, before the suffix."""
        return f"{self.article.slug}.{self.facts.tag}"


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
    from . import load_all

    load_all()
    if name not in REGISTRY:
        raise ConfigError(f"unknown output format '{name}'", hint=f"valid formats: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[name]()
