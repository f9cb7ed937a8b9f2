"""The lines that say who stands behind a handout: the medical reviewers, authors and date,
and the translation's reviewer. Every format shows them (page, e-book, narration, tags)."""

from __future__ import annotations

from pipeline.core.job import Job
from pipeline.core.uitext import REVIEWER_WITH_CREDENTIAL, TRANSLATION_REVIEWED


def byline(job: Job) -> dict[str, str]:
    """'Medically reviewed by … · By … · Updated on …' as separate, translated parts."""
    meta = job.article.meta
    facts = job.facts
    ui = job.ui
    parts: dict[str, str] = {}
    if meta.reviewers:
        parts["reviewed"] = ui.gettext("Medically reviewed by %(names)s",
                                       names=facts.format_list([r.display for r in meta.reviewers]))
    if meta.authors:
        parts["authors"] = ui.gettext("By %(names)s", names=facts.format_list(list(meta.authors)))
    if meta.updated:
        parts["updated"] = ui.gettext("Updated on %(date)s", date=facts.format_date(meta.updated))
    return parts


def review_date(job: Job) -> str:
    """The translation's review date in the handout's date format (as written if not ISO)."""
    import datetime

    if not job.review or not job.review.date:
        return ""
    try:
        return job.facts.format_date(datetime.date.fromisoformat(job.review.date))
    except ValueError:
        return job.review.date


def translation_review_line(job: Job) -> str:
    """'Translation reviewed by Ana García (CMI, Spanish) on 1 May 2024.' in the handout's
    language, for a fully reviewed translation ('' otherwise). A language that has not yet
    translated the newer word for a reviewer and credential gets them in parentheses
    inside the sentence it has."""
    review = job.review
    if review is None or not review.reviewed or not review.approvers:
        return ""
    ui = job.ui
    names = [ui.optional(REVIEWER_WITH_CREDENTIAL, name=a.name, credential=a.credential) or a.display
             for a in review.approvers]
    return ui.gettext(TRANSLATION_REVIEWED, name=job.facts.format_list(names), date=review_date(job))
