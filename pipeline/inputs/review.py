"""Review bound to the texts it approved: approval records in the catalog, and the review
state computed from them.

A qualified medical translator approves *segments*, not catalogs. Each approved entry of
an article catalog carries one translator comment (the `# ` lines of a PO entry, which
Babel, GNU gettext's msgmerge and msgcat, Poedit and Weblate all keep with the entry):

    # approved 2024-05-01 by Ana García (CMI, Spanish) [4be1c0d2a9f3 7a1b2c9d]

The first hexadecimal number is a digest of what was approved (the entry's context, its
English source and its translation); the second seals the record (catalog, date,
reviewer, credential and the first number), so a record edited by hand or copied from
another catalog is refused instead of believed. A segment is reviewed when its entry is
translated, not fuzzy, and carries a record whose digest matches the texts as they are
now: any change to the source or the translation makes exactly that segment unreviewed.
The digests are not signatures (anyone can compute them); who added a record is for the
project's history (Git) to show.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from dataclasses import dataclass

from babel.messages.catalog import Message

from pipeline.core.document import Article
from pipeline.core.errors import CatalogError
from pipeline.core.job import Approver, ReviewState
from pipeline.inputs.catalogs import ProjectCatalog
from pipeline.inputs.placeholders import to_message

RECORD_START = "approved "
_RECORD = re.compile(r"^approved (\d{4}-\d{2}-\d{2}) by ([^()\[\]]+?) \((.+)\) \[([0-9a-f]{12}) ([0-9a-f]{8})\]$")
# The review headers of the first design: a claim about the whole catalog that no longer
# counts (README, "Review workflow": how an old reviewed catalog is migrated).
LEGACY_HEADERS = ("X-Review-Status", "X-Reviewed-By", "X-Review-Date")
DIGEST_VERSION = "handouts-approval-1"


@dataclass(frozen=True)
class Scope:
    """The catalog a record belongs to: its folder's catalog id and its domain (slug)."""

    catalog_id: str
    domain: str


@dataclass(frozen=True)
class Approval:
    date: str
    approver: Approver
    content: str  # digest of the approved context, source and translation
    seal: str

    def record(self) -> str:
        return (f"{RECORD_START}{self.date} by {self.approver.name} ({self.approver.credential}) "
                f"[{self.content} {self.seal}]")


def _hash(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()


def content_digest(context: str | None, source: str, translation: str) -> str:
    return _hash(DIGEST_VERSION, context or "", source, translation)[:12]


def seal_of(scope: Scope, date: str, approver: Approver, content: str) -> str:
    return _hash(DIGEST_VERSION, "seal", scope.catalog_id, scope.domain, date, approver.name,
                 approver.credential, content)[:8]


def make_approval(scope: Scope, date: str, approver: Approver, context, source: str, translation: str) -> Approval:
    content = content_digest(context, source, translation)
    return Approval(date, approver, content, seal_of(scope, date, approver, content))


def translation_of(message: Message) -> str:
    return message.string if isinstance(message.string, str) else "".join(message.string or ())


# --- reading records ----------------------------------------------------------------


def _record_texts(comments: list[str]) -> tuple[list[str], list[str]]:
    """The records among an entry's translator comments (a long one that a tool wrapped
    over several comment lines is joined again), and the other comments."""
    records: list[str] = []
    others: list[str] = []
    current: list[str] | None = None
    for comment in comments:
        text = comment.strip()
        if current is None and text.startswith(RECORD_START):
            current = [text]
        elif current is not None:
            current.append(text)
        else:
            others.append(comment)
        if current is not None and current[-1].endswith("]"):
            records.append(" ".join(current))
            current = None
    if current is not None:
        records.append(" ".join(current))
    return records, others


def records_of(message: Message, scope: Scope, shown: str) -> list[Approval]:
    """The approval records of one entry. A malformed record, or one whose seal does not
    match this catalog (edited by hand, copied from another catalog), is a CatalogError."""
    found: list[Approval] = []
    for text in _record_texts(message.user_comments)[0]:
        match = _RECORD.match(text)
        problem = None
        if match is None:
            problem = f"the approval record is malformed: {text[:60]!r}"
        else:
            date, name, credential, content, seal = match.groups()
            approval = Approval(date, Approver(name, credential), content, seal)
            if seal_of(scope, date, approval.approver, content) != seal:
                problem = (f"the approval record does not belong to this entry of "
                           f"{scope.catalog_id}/{scope.domain}.po (edited by hand or copied from another catalog)")
            elif not _is_date(date):
                problem = f"the approval record has an impossible date {date}"
        if problem:
            raise CatalogError(problem, file=shown, line=message.lineno, msgid=message.id,
                               hint="delete the record and approve the segment again with 'handouts review' "
                                    "and 'handouts approve'")
        found.append(approval)
    return found


def _is_date(text: str) -> bool:
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True


# --- the state of each segment ------------------------------------------------------


@dataclass(frozen=True)
class SegmentReview:
    """One segment of the article in one catalog, in document order."""

    segment_id: str
    context: str | None
    source: str
    message: Message | None
    status: str  # approved | new | changed | fuzzy | untranslated
    approval: Approval | None  # the record that approves it now, or the one it had before

    @property
    def translation(self) -> str:
        return translation_of(self.message) if self.message is not None else ""

    @property
    def approved(self) -> bool:
        return self.status == "approved"


def segment_reviews(article: Article, catalog: ProjectCatalog, scope: Scope, shown: str) -> list[SegmentReview]:
    """Every segment of the article (the source as it is now) with its review status."""
    reviews: list[SegmentReview] = []
    records: dict[int, list[Approval]] = {}
    for segment in article.segments():
        source, _ = to_message(segment.inlines)
        message = catalog.get(source, context=segment.role)
        if message is not None and id(message) not in records:
            records[id(message)] = records_of(message, scope, shown)
        approvals = records.get(id(message), []) if message is not None else []
        reviews.append(_segment_review(segment.id, segment.role, source, message, approvals))
    return reviews


def _segment_review(segment_id: str, context, source: str, message, approvals: list[Approval]) -> SegmentReview:
    latest = max(approvals, key=lambda a: a.date, default=None)
    if message is None or not translation_of(message):
        return SegmentReview(segment_id, context, source, message, "untranslated", latest)
    if message.fuzzy:
        return SegmentReview(segment_id, context, source, message, "fuzzy", latest)
    digest = content_digest(context, source, translation_of(message))
    matching = [a for a in approvals if a.content == digest]
    if matching:
        return SegmentReview(segment_id, context, source, message, "approved", max(matching, key=lambda a: a.date))
    return SegmentReview(segment_id, context, source, message, "changed" if approvals else "new", latest)


def state_of(reviews: list[SegmentReview]) -> ReviewState:
    """The review state of a catalog from its segments: reviewed only when every one is
    approved as it reads now."""
    approved = [r for r in reviews if r.approved]
    approvers: dict[Approver, int] = {}
    for review in approved:
        approvers[review.approval.approver] = approvers.get(review.approval.approver, 0) + 1
    ordered = tuple(sorted(approvers, key=lambda a: (-approvers[a], a.name)))
    return ReviewState(
        reviewed=bool(reviews) and len(approved) == len(reviews),
        reviewer="; ".join(a.name for a in ordered),
        credential="; ".join(a.credential for a in ordered),
        date=max((r.approval.date for r in approved), default=""),
        approved=len(approved),
        total=len(reviews),
        waiting=tuple(r.segment_id for r in reviews if not r.approved),
        approvers=ordered,
    )


def review_state(article: Article, catalog: ProjectCatalog, scope: Scope, shown: str) -> ReviewState:
    return state_of(segment_reviews(article, catalog, scope, shown))


def legacy_claim(catalog: ProjectCatalog) -> bool:
    """Whether the catalog's header still says 'X-Review-Status: reviewed' (the old design)."""
    headers = {k.lower(): v.strip().lower() for k, v in catalog.extra_headers.items()}
    return headers.get("x-review-status") == "reviewed"


# --- writing records ----------------------------------------------------------------


def add_approval(message: Message, approval: Approval) -> None:
    """Put `approval` on the entry, in place of any record it had (other comments stay)."""
    _, others = _record_texts(message.user_comments)
    message.user_comments = others + [approval.record()]


def drop_legacy_headers(catalog: ProjectCatalog) -> None:
    for name in list(catalog.extra_headers):
        if name.lower() in {h.lower() for h in LEGACY_HEADERS}:
            del catalog.extra_headers[name]
