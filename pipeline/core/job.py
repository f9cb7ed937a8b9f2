"""A job: everything one writer needs to produce one article in one language.

The bottom layer with the document model: a job carries the translated article, its
language facts, its template words, the settings and the review state, all plain data
that pickles to a worker process or a Dask worker. Nothing here reads files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: a job is plain data
    from pipeline.core.config import Config
    from pipeline.core.document import Article
    from pipeline.core.locales import LocaleFacts
    from pipeline.core.uitext import UiText


@dataclass(frozen=True)
class Approver:
    """A qualified medical translator who approved segments, with the credential they gave."""

    name: str
    credential: str

    @property
    def display(self) -> str:
        return f"{self.name} ({self.credential})"


@dataclass(frozen=True)
class ReviewState:
    """Where the review of one translated article stands, computed from the approval
    records of its catalog (inputs/review.py): `approved` of its `total` segments are
    approved exactly as they read now; `waiting` names the others (segment ids).
    Only a catalog whose every segment is approved is `reviewed`."""

    reviewed: bool
    reviewer: str = ""  # the reviewers' names, as `describe` and the manifest show them
    date: str = ""  # the latest approval among the segments, YYYY-MM-DD
    credential: str = ""
    approved: int = 0
    total: int = 0
    waiting: tuple[str, ...] = ()
    approvers: tuple[Approver, ...] = ()

    @property
    def state(self) -> str:
        """'reviewed', 'partly reviewed' or 'unreviewed'."""
        if self.reviewed:
            return "reviewed"
        return "partly reviewed" if self.approved else "unreviewed"

    @property
    def counts(self) -> str:
        return f"{self.approved}/{self.total} segments reviewed"

    def describe(self) -> str:
        if self.reviewed:
            by = f" by {'; '.join(a.display for a in self.approvers)}" if self.approvers else ""
            on = f" on {self.date}" if self.date else ""
            return f"reviewed{by}{on}"
        if self.approved:
            return f"partly reviewed: {self.approved} of {self.total} segments"
        return "unreviewed draft"

    def shown(self) -> tuple:
        """What the outputs print of the review (the part of a task's key): a partly
        reviewed draft reads like any draft, so approving some segments rebuilds nothing."""
        if not self.reviewed:
            return ("draft",)
        return ("reviewed", self.approvers, self.date)

    def as_dict(self) -> dict:
        """For the manifest, the OPDS feeds and `handouts status --json`."""
        return {"state": self.state, "approved": self.approved, "total": self.total, "date": self.date or None,
                "reviewers": [{"name": a.name, "credential": a.credential} for a in self.approvers],
                "waiting": list(self.waiting)}


@dataclass(frozen=True)
class Notice:
    """The 'unreviewed translation' notice, in the handout's language and in English."""

    native: str
    english: str


# The name of the clinic's logo among a job's resources (an article's image names start
# with a letter or digit, so they cannot be this).
CLINIC_LOGO_RESOURCE = "@clinic-logo"


@dataclass(frozen=True)
class Resource:
    """A file the article uses (an image), read and checked once at planning: writers take
    its bytes from the job and never read the source folder, so a task runs anywhere."""

    media_type: str
    data: bytes


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
    resources: dict[str, Resource] = field(default_factory=dict)  # by the name the article uses
    pronunciation: dict[str, str] = field(default_factory=dict)  # written -> spoken, narration only

    @property
    def stem(self) -> str:
        """`<slug>.<lang>`: the file name of every output of this job, before the suffix."""
        return f"{self.article.slug}.{self.facts.tag}"
