"""`handouts review`: review sheets for a qualified medical translator, per article and language.

A sheet shows, in document order, each segment's id, context and source line, the
English source (its hedges and firm words marked) beside the translation, every QA
warning of the entry, and on a re-review only the segments not approved as they read
now, with what changed since their approval as a diff of source and translation. It
carries the digest of exactly the texts it shows; `handouts approve --sheet` records the
approval of those texts (inputs/approve.py).

Three files per sheet, written atomically to `review/<lang>/` (never published): the
HTML for the browser, a large-print PDF (18 pt and up, the language's typeface, landscape
so that the two texts stand side by side) and the JSON the approval reads.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.core import atomic
from pipeline.core.config import Config
from pipeline.core.errors import HandoutsError
from pipeline.core.layout import catalog_path, shown_path
from pipeline.core.locales import LocaleFacts, facts_for, to_bcp47
from pipeline.inputs.approve import SHEET_VERSION, read_ledger, segment_digests, sheet_digest
from pipeline.inputs.catalogs import ProjectCatalog
from pipeline.inputs.placeholders import to_message
from pipeline.inputs.project import ProjectReader
from pipeline.inputs.review import Scope, SegmentReview, content_digest, segment_reviews, state_of
from pipeline.inputs.translate import template_for

SUFFIXES = (".html", ".pdf", ".json")
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
REQUIRED = ("language", "catalog_id", "article", "digest")
STATUS_WORDS = {
    "new": "not yet approved",
    "changed": "changed since its approval",
    "fuzzy": "the source changed: the translation is marked fuzzy",
    "untranslated": "not translated",
    "approved": "approved as it reads now",
}


@dataclass
class SheetReport:
    """One line of `handouts review`'s answer."""

    language: str
    slug: str
    files: list[str] = field(default_factory=list)
    shown: int = 0
    total: int = 0
    approvable: bool = True
    digest: str = ""
    skipped: str = ""  # why no sheet was written


def make_sheets(config: Config, *, slugs: list[str] | None = None, languages: list[str] | None = None,
                every_segment: bool = False) -> tuple[list[SheetReport], list[HandoutsError]]:
    """Write the sheets of the selected articles and languages; problems are returned."""
    reader = ProjectReader(config)
    wanted = {to_bcp47(code) for code in languages} if languages else None
    reports: list[SheetReport] = []
    for path in reader.sources(slugs):
        article = reader.article(path)
        if article is None:
            continue
        for tag in config.languages_for(article.meta.source_language):
            if tag == article.meta.source_language or (wanted and tag not in wanted):
                continue
            report = _one_sheet(config, reader, article, config.facts(tag), every_segment)
            if report is not None:
                reports.append(report)
    return reports, reader.problems


def _one_sheet(config: Config, reader: ProjectReader, article, facts: LocaleFacts,
               every_segment: bool) -> SheetReport | None:
    report = SheetReport(facts.tag, article.slug)
    path = catalog_path(config.translations_dir, facts.catalog_id, article.slug)
    if not path.exists():
        report.skipped = f"no catalog {shown_path(path, config.root)} (run 'handouts extract', then translate it)"
        return report
    catalog = reader.catalog(path, facts.catalog_id)
    if isinstance(catalog, HandoutsError):
        reader.problems.append(catalog)
        return None
    shown = shown_path(path, config.root)
    try:
        reviews = segment_reviews(article, catalog, Scope(facts.catalog_id, article.slug), shown)
    except HandoutsError as error:
        reader.problems.append(error)
        return None
    state = state_of(reviews)
    chosen = reviews if every_segment or not state.approved else [r for r in reviews if not r.approved]
    report.total = len(reviews)
    if not chosen:
        report.skipped = (f"every one of its {len(reviews)} segments is approved as it reads now "
                          f"(--all makes a sheet of them all)")
        return report
    sheet = sheet_data(config, article, catalog, facts, reviews, chosen, shown)
    report.shown, report.digest = len(chosen), sheet["digest"]
    report.approvable = not any(s["status"] in ("fuzzy", "untranslated") for s in sheet["segments"])
    report.files = write_sheet(config, sheet, facts)
    return report


def sheet_data(config: Config, article, catalog: ProjectCatalog, facts: LocaleFacts, reviews: list[SegmentReview],
               chosen: list[SegmentReview], shown: str) -> dict:
    """What one sheet shows, as plain data (the JSON file), with its digest."""
    from pipeline.inputs.qa import check_catalog

    ledger = read_ledger(config, facts.tag, article.slug)
    spans = dict(to_message(s.inlines) for s in article.segments())
    warnings: dict[str, list[str]] = {}
    for finding in check_catalog(catalog, template_for(article), shown, script=facts.script, published=True,
                                 spans_of=spans.get):
        warnings.setdefault(finding.msgid or "", []).append(finding.what)
    lines = {s.id: s.line for s in article.segments()}
    segments = []
    for review in chosen:
        previous_source, previous_translation = _previous(review, ledger)
        segments.append({
            "id": review.segment_id, "context": review.context, "line": lines.get(review.segment_id),
            "source": review.source, "translation": review.translation, "status": review.status,
            "previous_source": previous_source, "previous_translation": previous_translation,
            "approved_by": _approved_by(review), "warnings": warnings.get(review.source, []),
        })
    state = state_of(reviews)
    sheet = {
        "sheet": SHEET_VERSION, "language": facts.tag, "catalog_id": facts.catalog_id, "article": article.slug,
        "title": article.meta.title.text, "source_language": article.meta.source_language, "catalog": shown,
        "source": article.source_path, "made": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "kind": "re-review" if state.approved and len(chosen) < len(reviews) else "full review",
        "approved_before": state.approved, "total": len(reviews), "catalog_segments": segment_digests(reviews),
        "segments": segments,
    }
    sheet["digest"] = sheet_digest(sheet)
    return sheet


def _previous(review: SegmentReview, ledger: dict[str, dict]) -> tuple[str | None, str | None]:
    """The source and translation as they read when this segment was last approved, as far
    as they are known: the ledger has both; a fuzzy entry keeps its previous source."""
    message = review.message
    kept_source = "".join(message.previous_id) if message is not None and message.previous_id else None
    if review.status == "approved" or review.approval is None:
        return (kept_source, None) if review.status == "fuzzy" else (None, None)
    earlier = ledger.get(review.approval.content)
    if earlier is not None:
        return earlier["source"], earlier["translation"]
    if kept_source is not None and content_digest(review.context, kept_source, review.translation) \
            == review.approval.content:
        return kept_source, review.translation  # only the source changed
    return kept_source, None


def _approved_by(review: SegmentReview) -> str | None:
    if review.approval is None:
        return None
    return f"{review.approval.approver.display}, {review.approval.date}"


def write_sheet(config: Config, sheet: dict, facts: LocaleFacts) -> list[str]:
    from pipeline.publish.review_render import sheet_html, sheet_pdf

    folder = config.review_dir / facts.tag
    stem = f"{sheet['article']}.{facts.tag}"
    html = sheet_html(sheet, facts, media="screen")
    pdf = sheet_pdf(sheet_html(sheet, facts, media="print"), facts, f"{stem}.pdf")
    written = []
    for suffix, data in ((".json", (json.dumps(sheet, ensure_ascii=False, indent=1) + "\n").encode("utf-8")),
                         (".html", html.encode("utf-8")), (".pdf", pdf)):
        path = folder / f"{stem}{suffix}"
        atomic.atomic_write_bytes(path, data)
        written.append(shown_path(path, config.root))
    return written


# --- finding a sheet again ----------------------------------------------------------


def find_sheet(config: Config, wanted: str) -> tuple[dict, str]:
    """The sheet named by a file (its .html, .pdf or .json; a relative path from here or from
    the project folder) or by its digest (at least its first 8 characters), and how to name
    it in messages."""
    path = Path(wanted)
    if path.suffix in SUFFIXES:
        if not path.with_suffix(".json").exists() and not path.is_absolute():
            path = config.root / path  # a path as the project's messages show it
        if path.exists() or path.with_suffix(".json").exists():
            return _read_sheet(path.with_suffix(".json"), config)
        raise HandoutsError(f"no review sheet {wanted}", hint="run 'handouts review' to make it")
    digest = wanted.strip().lower()
    if len(digest) < 8 or any(c not in "0123456789abcdef" for c in digest):
        raise HandoutsError(f"no sheet {wanted!r}: give a sheet's file (review/<lang>/<slug>.<lang>.html) "
                            f"or at least 8 characters of its digest")
    found = []
    for candidate in sorted(config.review_dir.glob("*/*.json")):
        sheet, shown = _read_sheet(candidate, config, quiet=True)
        if sheet and sheet.get("digest", "").startswith(digest):
            found.append((sheet, shown))
    if len(found) != 1:
        where = shown_path(config.review_dir, config.root)
        raise HandoutsError(f"{'no' if not found else len(found)} review sheets in {where}/ have the digest {wanted}",
                            hint="run 'handouts review' to make the sheets, or give more of the digest")
    return found[0]


def _read_sheet(path: Path, config: Config, quiet: bool = False) -> tuple[dict, str]:
    shown = shown_path(path, config.root)
    try:
        sheet = json.loads(path.read_text("utf-8"))
        if not isinstance(sheet, dict) or sheet.get("sheet") != SHEET_VERSION or not isinstance(
                sheet.get("segments"), list):
            raise ValueError("not a review sheet of this version")
        missing = [key for key in REQUIRED if not isinstance(sheet.get(key), str)]
        missing += [key for s in sheet["segments"] for key in ("id", "source", "translation")
                    if not isinstance(s, dict) or not isinstance(s.get(key), str)]
        if missing:
            raise ValueError(f"{missing[0]} is missing")
        if facts_for(sheet["language"]).catalog_id != sheet["catalog_id"] or not SLUG.fullmatch(sheet["article"]):
            raise ValueError("its language, catalog or article is not one of this project's names")
    except (OSError, ValueError, KeyError, HandoutsError) as error:
        if quiet:
            return {}, shown
        raise HandoutsError(f"{shown}: cannot read the review sheet ({error})",
                            hint="make it again with 'handouts review'") from None
    return sheet, shown
