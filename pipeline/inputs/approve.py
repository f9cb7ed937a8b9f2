"""`handouts approve`: record a reviewer's approval of exactly the texts of one review sheet.

The sheet (made by `handouts review`) lists segments with their context, source and
translation, and a digest of those texts. Approving it writes one approval record on
each of those entries of the catalog (see review.py), after checking, each with one
line naming the file, line and message: the sheet is the one it claims to be (its digest
matches its texts), the catalog still reads exactly as the sheet shows it, the catalog
has no fuzzy or untranslated entry, and the reviewer gave a name and a credential.

The texts approved are also kept in the approval ledger (`review/approved/<lang>/
<slug>.<lang>.json`), keyed by the digest of each record, so that the next sheet can show
what changed since, as a diff of both source and translation. The ledger only serves
those diffs; the review state is the catalog's records alone.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from pathlib import Path

from pipeline.core import atomic
from pipeline.core.config import Config
from pipeline.core.errors import CatalogError, HandoutsError
from pipeline.core.job import Approver
from pipeline.core.layout import catalog_path, shown_path
from pipeline.inputs.catalogs import ProjectCatalog, read_catalog, render_catalog
from pipeline.inputs.review import (Scope, SegmentReview, add_approval, drop_legacy_headers, make_approval,
                                    segment_reviews)
from pipeline.inputs.sources import read_article

SHEET_VERSION = 1


@dataclass(frozen=True)
class Approved:
    """What `approve` did: the catalog written, how many segments it approved."""

    catalog: str
    segments: int
    already: bool = False


def sheet_digest(sheet: dict) -> str:
    """The digest of exactly the texts a sheet shows (ids, contexts, sources, translations and,
    on a re-review, the earlier texts it compares them with)."""
    import hashlib

    shown = [(s["id"], s["context"], s["source"], s["translation"], s.get("previous_source"),
              s.get("previous_translation")) for s in sheet["segments"]]
    data = json.dumps(["handouts-sheet-1", sheet["language"], sheet["catalog_id"], sheet["article"], shown],
                      ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def segment_digests(reviews: list[SegmentReview]) -> dict[str, str]:
    """A short digest of every segment of the catalog as the article uses it (texts and
    whether it is finished): any change after a sheet was made makes that sheet stale, and
    the one that changed can be named."""
    import hashlib

    return {r.segment_id: hashlib.sha256(json.dumps(
        [r.context, r.source, r.translation, r.status in ("fuzzy", "untranslated")], ensure_ascii=False
    ).encode("utf-8")).hexdigest()[:16] for r in reviews}


def check_approver(name: str, credential: str, date: str | None) -> tuple[Approver, str]:
    """The reviewer as a record names them, and the date (today by default); one line
    naming the option when one is not usable."""
    name, credential = " ".join((name or "").split()), " ".join((credential or "").split())
    if not name:
        raise HandoutsError("the reviewer has no name", hint='give --reviewer "Name Surname"')
    if not credential:
        raise HandoutsError(f"the reviewer {name} has no credential: a review is by a qualified medical translator",
                            hint='give --credential, e.g. --credential "CMI, Spanish"')
    if set(name) & set("()[]") or set(credential) & set("[]"):
        raise HandoutsError(f"--reviewer {name!r} or --credential {credential!r} contains a bracket the approval "
                            f"record uses", hint="write the name without ( ) [ ] and the credential without [ ]")
    day = date or datetime.date.today().isoformat()
    try:
        future = datetime.date.fromisoformat(day) > datetime.date.today()
    except ValueError:
        raise HandoutsError(f"--date {day!r} is not a date", hint="write it as YYYY-MM-DD") from None
    if future:
        raise HandoutsError(f"--date {day} is in the future", hint="give the day the review was done")
    return Approver(name, credential), day


def approve(config: Config, sheet: dict, sheet_file: str, approver: Approver, date: str) -> Approved:
    """Write the approval of the sheet's segments into their catalog (atomically)."""
    if sheet_digest(sheet) != sheet.get("digest"):
        raise HandoutsError(f"{sheet_file}: the sheet's texts do not match its digest (edited by hand?)",
                            hint="make a new sheet with 'handouts review'")
    path = catalog_path(config.translations_dir, sheet["catalog_id"], sheet["article"])
    shown = shown_path(path, config.root)
    source = config.sources_dir / f"{sheet['article']}.md"
    if not source.exists() or not path.exists():
        raise HandoutsError(f"{sheet_file}: the sheet is of {sheet['article']} in {sheet['language']}, "
                            f"but {shown_path(source, config.root)} or {shown} does not exist")
    article = read_article(source, config.root)
    catalog = read_catalog(path, locale=sheet["catalog_id"], shown=shown)
    scope = Scope(sheet["catalog_id"], sheet["article"])
    reviews = segment_reviews(article, catalog, scope, shown)
    _check_complete(reviews, shown)
    by_id = {r.segment_id: r for r in reviews}
    _check_unchanged(sheet, by_id, reviews, shown, sheet_file)
    chosen = [by_id[s["id"]] for s in sheet["segments"]]
    if all(r.approved for r in chosen) and all(r.approval.approver == approver for r in chosen):
        return Approved(shown, len(chosen), already=True)
    approvals = _record(catalog, chosen, scope, approver, date)
    drop_legacy_headers(catalog)
    atomic.atomic_write_text(path, render_catalog(catalog))
    _remember(config, sheet, approvals)
    return Approved(shown, len({id(r.message) for r in chosen}))


def _check_complete(reviews: list[SegmentReview], shown: str) -> None:
    for review in reviews:
        if review.status in ("fuzzy", "untranslated"):
            raise CatalogError(f"the catalog has a{'' if review.status == 'fuzzy' else 'n'} {review.status} entry: "
                               f"only a complete translation can be approved", file=shown,
                               line=review.message.lineno if review.message is not None else None,
                               msgid=review.source, hint="finish the translation, run 'handouts review' again")


def _check_unchanged(sheet: dict, by_id: dict, reviews: list[SegmentReview], shown: str, sheet_file: str) -> None:
    for segment in sheet["segments"]:
        now = by_id.get(segment["id"])
        if now is None or (now.context, now.source, now.translation) != (
                segment["context"], segment["source"], segment["translation"]):
            message = now.message if now is not None else None
            raise CatalogError(f"the catalog changed since the sheet {sheet_file} was made (segment {segment['id']})",
                               file=shown, line=message.lineno if message is not None else None,
                               msgid=segment["source"], hint="make a new sheet with 'handouts review' and review it")
    then = sheet.get("catalog_segments")
    now = segment_digests(reviews)
    if now != then:
        changed = next((r for r in reviews if not isinstance(then, dict) or then.get(r.segment_id) != now[r.segment_id]),
                       None)
        message = changed.message if changed is not None else None
        raise CatalogError(f"the catalog or its source changed since the sheet {sheet_file} was made"
                           + (f" (segment {changed.segment_id})" if changed is not None else ""), file=shown,
                           line=message.lineno if message is not None else None,
                           msgid=changed.source if changed is not None else None,
                           hint="make a new sheet with 'handouts review' and review it")


def _record(catalog: ProjectCatalog, chosen: list[SegmentReview], scope: Scope, approver: Approver,
            date: str) -> dict[str, dict]:
    approvals: dict[str, dict] = {}
    for review in chosen:
        approval = make_approval(scope, date, approver, review.context, review.source, review.translation)
        add_approval(review.message, approval)
        approvals[approval.content] = {"context": review.context, "source": review.source,
                                       "translation": review.translation, "date": date,
                                       "reviewer": approver.name, "credential": approver.credential}
    return approvals


# --- the ledger of approved texts ---------------------------------------------------


def ledger_path(config: Config, language: str, slug: str) -> Path:
    return config.review_dir / "approved" / language / f"{slug}.{language}.json"


def read_ledger(config: Config, language: str, slug: str) -> dict[str, dict]:
    """The texts approved earlier, by record digest (empty when there is no ledger, or it
    cannot be read: the sheet then shows what changed without the earlier text)."""
    path = ledger_path(config, language, slug)
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data.get("approved", {}) if isinstance(data, dict) else {}


def _remember(config: Config, sheet: dict, approvals: dict[str, dict]) -> None:
    entries = read_ledger(config, sheet["language"], sheet["article"]) | approvals
    data = {"catalog": f"{sheet['catalog_id']}/{sheet['article']}.po", "approved": dict(sorted(entries.items()))}
    atomic.atomic_write_text(ledger_path(config, sheet["language"], sheet["article"]),
                             json.dumps(data, ensure_ascii=False, indent=1) + "\n")
