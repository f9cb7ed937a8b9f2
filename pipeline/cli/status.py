"""`handouts status`: where the translations of a library stand.

One row per language by default (articles complete, in progress, not started, published,
and the engine that narrates it); `--article` / `--lang` drill down to one line per
article and language; `--json` gives the same for scripts. It reads the build plan,
which is cached: a library of hundreds of articles answers at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.engine import BuildPlan, PairPlan
from pipeline.core.locales import facts_for
from pipeline.tts import choose_voice
from pipeline.cli.voices import narrator


@dataclass
class LanguageRow:
    tag: str
    name: str
    source: int = 0
    complete: int = 0
    in_progress: int = 0
    not_started: int = 0
    published: int = 0
    segments_reviewed: int = 0  # segments approved as they read now, over every article
    segments: int = 0
    narration: str = ""
    waiting: list[str] = field(default_factory=list)


def state_of(pair: PairPlan) -> str:
    """'source', 'complete', 'in progress' or 'not started'."""
    if pair.is_source:
        return "source"
    numbers = [c for c in (pair.coverage, pair.ui_coverage) if c is not None]
    if pair.coverage is None or not any(c["translated"] for c in numbers):
        return "not started"
    if all(c["translated"] == c["total"] for c in numbers):
        return "complete"
    return "in progress"


def language_rows(plan: BuildPlan, pairs: list[PairPlan]) -> list[LanguageRow]:
    rows: dict[str, LanguageRow] = {}
    for pair in pairs:
        row = rows.get(pair.language)
        if row is None:
            facts = facts_for(pair.language)
            choice = choose_voice(plan.config, pair.language)
            rows[pair.language] = row = LanguageRow(
                pair.language, facts.english_name,
                narration=f"{choice.engine} {choice.voice}" if choice.engine else "none")
        state = state_of(pair)
        setattr(row, state.replace(" ", "_"), getattr(row, state.replace(" ", "_")) + 1)
        if pair.review_state:
            row.segments_reviewed += pair.review_state["approved"]
            row.segments += pair.review_state["total"]
        if pair.publishable:
            row.published += 1
        elif pair.waiting:
            row.waiting.append(pair.slug)
    return list(rows.values())


def summary_lines(plan: BuildPlan, pairs: list[PairPlan]) -> list[str]:
    articles = len({p.slug for p in pairs})
    rows = language_rows(plan, pairs)
    lines = [f"{articles} article{'s' if articles != 1 else ''}, {len(rows)} languages",
             f"{'language':<9}{'name':<24}{'complete':>9}{'in progress':>13}{'not started':>13}{'published':>11}"
             f"{'reviewed':>11}  narration"]
    for row in rows:
        complete = f"{row.source} source" if row.source else str(row.complete)
        reviewed = "source" if row.source else f"{row.segments_reviewed}/{row.segments}"
        lines.append(f"{row.tag:<9}{row.name[:23]:<24}{complete:>9}{row.in_progress:>13}{row.not_started:>13}"
                     f"{row.published:>11}{reviewed:>11}  {row.narration}")
    return lines


def pair_lines(plan: BuildPlan, pairs: list[PairPlan]) -> list[str]:
    """One line per article and language, grouped by article, with who narrates it."""
    spoken = {tag: narrator(choose_voice(plan.config, tag)) for tag in dict.fromkeys(p.language for p in pairs)}
    lines: list[str] = []
    for slug in dict.fromkeys(p.slug for p in pairs):
        lines.append(slug)
        for pair in (p for p in pairs if p.slug == slug):
            lines.append("  " + _pair_line(pair) + " | " + spoken[pair.language])
    return lines


def _pair_line(pair: PairPlan) -> str:
    facts = facts_for(pair.language)
    parts = [f"{pair.language:<8} {facts.english_name:<22}"]
    if pair.is_source:
        parts.append("source text")
    elif pair.coverage is None:
        parts.append("no catalog")
    else:
        c = pair.coverage
        parts.append(f"{c['translated']}/{c['total']} translated, {c['fuzzy']} fuzzy, {c['untranslated']} untranslated")
    u = pair.ui_coverage
    if u is not None and u["translated"] != u["total"]:
        parts[-1] += f"; template words {u['translated']}/{u['total']}"
    review = pair.review or ("reviewed source" if pair.is_source else "")
    if pair.review_state:
        review = f"{pair.review_state['approved']}/{pair.review_state['total']} segments reviewed ({review})"
    if review:
        parts.append(review)
    parts.append("will be published" if pair.publishable else "NOT published: " + "; ".join(pair.skip_reasons))
    return " | ".join(parts)


def as_json(plan: BuildPlan, pairs: list[PairPlan]) -> dict:
    return {
        "languages": [row.__dict__ for row in language_rows(plan, pairs)],
        "pairs": [{"article": p.slug, "language": p.language, "state": state_of(p), "published": p.publishable,
                   "coverage": p.coverage, "template_words": p.ui_coverage, "review": p.review, "review_state": p.review_state,
                   "skip_reasons": p.skip_reasons, "problems": p.problems} for p in pairs],
    }
