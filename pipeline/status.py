"""`handouts status`: per article and language, how much is translated and whether it ships."""

from __future__ import annotations

from pipeline.inputs.project import LanguagePlan, Project
from pipeline.tts import choose_voice
from pipeline.voices import narrator


def status_lines(project: Project) -> list[str]:
    lines: list[str] = []
    spoken = {tag: narrator(choose_voice(project.config, tag)) for tag in dict.fromkeys(p.facts.tag for p in project.plans)}
    for slug in [a.slug for a in project.articles]:
        lines.append(slug)
        for plan in [p for p in project.plans if p.slug == slug]:
            lines.append("  " + _plan_line(plan) + " | " + spoken[plan.facts.tag])
    return lines


def _plan_line(plan: LanguagePlan) -> str:
    facts = plan.facts
    name = f"{facts.tag:<8} {facts.english_name:<22}"
    if plan.is_source:
        text = "source text"
    elif plan.coverage is None:
        text = "no catalog"
    else:
        c = plan.coverage
        text = f"{c.translated}/{c.total} translated, {c.fuzzy} fuzzy, {c.untranslated} untranslated"
    if plan.ui_coverage is not None and not plan.ui_coverage.complete:
        u = plan.ui_coverage
        text += f"; template words {u.translated}/{u.total}"
    review = plan.review.describe() if plan.review else ("reviewed source" if plan.is_source else "")
    verdict = "will be published" if plan.publishable else "NOT published: " + "; ".join(plan.skip_reasons)
    parts = [name, text]
    if review:
        parts.append(review)
    parts.append(verdict)
    return " | ".join(parts)
