"""`handouts check`: sources, catalogs and every built output, one line per file.

Each output format has a checker that reads the real file back (see the modules of
this package) and returns its problems; an empty list is a pass.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from pipeline.engine import resolve
from pipeline.core.config import Config
from pipeline.core.errors import HandoutsError
from pipeline.inputs.project import load_project
from pipeline.core.job import Job

Checker = Callable[[Path, Job], tuple[list[str], str]]


def segment_order_problems(text: str, job: Job, *, rtl: bool = False) -> list[str]:
    """Every segment of the reading order must be in the text read back, in order."""
    from pipeline.checks.text import missing_segments

    missing = missing_segments(text, [s.text for s in job.article.reading_order()], rtl=rtl)
    return [f"{len(missing)} segments missing or out of order, first: {missing[0][:50]!r}"] if missing else []


def check_pdf(path: Path, job: Job) -> tuple[list[str], str]:
    from pipeline.checks.pdf import expected_tags, font_family_key, inspect_pdf
    from pipeline.checks.text import compact, digits_only, letters_only
    from pipeline.writers.pdf.writer import handout_html

    report = inspect_pdf(path, rtl=job.facts.is_rtl, expected_tags=expected_tags(handout_html(job)))
    problems = report.problems()
    if report.lang != job.facts.tag:
        problems.append(f"/Lang is {report.lang}, not {job.facts.tag}")
    if report.title != job.article.meta.title.text:
        problems.append("the title is not the article's translated title")
    expected = job.ui.gettext("Page %(page)s of %(pages)s", page=job.facts.format_number(1),
                              pages=job.facts.format_number(report.pages))
    if job.facts.complex_shaping:
        # Glyph order is not text order in this script: the text a screen reader gets is the
        # tag tree's /ActualText, and only the footer's numbers can be read back from glyphs.
        problems += segment_order_problems(report.actual_text, job)
        same = digits_only
    else:
        problems += segment_order_problems(report.body_text, job, rtl=job.facts.is_rtl)
        same = letters_only if job.facts.is_rtl else compact  # extraction shuffles marks in RTL text
    if not report.footer_text or same(expected) != same(report.footer_text[0]):
        problems.append(f"page 1 footer reads {report.footer_text[:1]}, expected {expected!r}")
    family = font_family_key(job.facts.fonts[0])
    if not any(family in font_family_key(name) for name, _ in report.fonts):
        problems.append(f"the {job.facts.fonts[0]} font is not used")
    summary = (f"{report.pages} pages, smallest text {report.min_font_size:g} pt, "
               f"PDF/UA-{report.pdfua_part}, /Lang {report.lang}, {len(report.fonts)} fonts embedded")
    return problems, summary


def check_epub(path: Path, job: Job) -> tuple[list[str], str]:
    from pipeline.checks.epub import XML_LANG, read_package, run_ace, run_epubcheck

    result = run_epubcheck(path)
    problems = [f"EPUBCheck: {m}" for m in result.errors + result.warnings]
    try:
        violations = run_ace(path)
        ace = f"Ace {len(violations)} violations"
    except HandoutsError as error:
        violations = [f"not run: {error.one_line()}"]
        ace = "Ace not run"
    problems += [f"Ace: {v}" for v in violations]
    package = read_package(path)
    if package.opf.get(XML_LANG) != job.facts.tag:
        problems.append("the package has no xml:lang")
    for name, document in package.documents.items():
        if document.get("lang") != job.facts.tag or document.get(XML_LANG) != job.facts.tag:
            problems.append(f"{name} lacks lang/xml:lang {job.facts.tag}")
    problems += segment_order_problems(package.spine_text(), job)
    summary = (f"EPUBCheck {len(result.errors)} errors, {len(result.warnings)} warnings; {ace}; "
               f"{len(package.spine)} documents")
    return problems, summary


def check_mp3(path: Path, job: Job) -> tuple[list[str], str]:
    from pipeline.checks.audio import inspect_mp3, read_webvtt

    report = inspect_mp3(path)
    problems = report.problems(job.facts.iso639_2)
    vtt = path.with_suffix(".vtt")
    if not vtt.exists():
        problems.append("no .vtt captions next to it")
    else:
        try:
            captions = read_webvtt(vtt)
        except ValueError as error:
            problems.append(f"captions: {error}")
            captions = []
        if captions and captions[-1].end > report.duration + 0.05:
            problems.append("captions run past the end of the audio")
    summary = (f"{report.duration / 60:.1f} min, {report.loudness:.1f} LUFS, {report.true_peak:.1f} dBTP, "
               f"{len(report.chapters)} chapters, ID3v2.{report.id3_version[1] if report.id3_version else '?'}")
    return problems, summary


def check_brf(path: Path, job: Job) -> tuple[list[str], str]:
    from pipeline.checks.braille import check_edition
    from pipeline.writers.braille import choice_for

    pef = path.with_suffix(".pef")
    report = check_edition(path.read_bytes(), pef.read_bytes() if pef.exists() else None, job)
    volumes = f"{report.volumes} volume" + ("s" if report.volumes != 1 else "")
    summary = (f"{report.pages} braille pages in {volumes}, {choice_for(job).description}, at most 40 cells × 25 "
               f"lines, PEF valid, every segment found in the back-translation")
    return report.problems, summary


CHECKERS: dict[str, Checker] = {".pdf": check_pdf, ".epub": check_epub, ".mp3": check_mp3, ".brf": check_brf}


def _not_made(suffix: str, job: Job) -> str | None:
    """Why an output is rightly absent (a language no engine speaks, no braille table)."""
    if suffix == ".mp3":
        from pipeline.tts import choose_voice

        choice = choose_voice(job.config, job.facts.tag)
        if choice.engine is None and not choice.missing:
            return f"no narration: {choice.reason}"
    elif suffix == ".brf":
        from pipeline.writers import get_writer

        writer = get_writer("braille")
        reason = writer.machine_reason() or writer.unavailable_reason(job)
        if reason:
            return f"no braille: {reason}"
    return None


def translation_qa(project) -> tuple[list[str], bool]:
    """The QA of `qa.py` on every catalog of every enabled language, one line per catalog
    or per problem."""
    from pipeline.inputs.catalogs import UI_DOMAIN, catalog_path, read_catalog, template_path
    from pipeline.inputs.placeholders import to_message
    from pipeline.inputs.qa import check_catalog
    from pipeline.inputs.translate import template_for

    config = project.config
    lines: list[str] = []
    ok = True
    ui_pot = template_path(config.translations_dir, UI_DOMAIN)
    ui_template = read_catalog(ui_pot, locale=None) if ui_pot.exists() else None
    seen_ui: set[str] = set()
    for article in project.articles:
        spans = dict(to_message(s.inlines) for s in article.segments())
        domains = [(article.slug, template_for(article), spans.get)]
        for plan in [p for p in project.plans if p.slug == article.slug and not p.is_source]:
            for domain, template, spans_of in domains + [(UI_DOMAIN, ui_template, None)]:
                if template is None or (domain == UI_DOMAIN and plan.facts.tag in seen_ui):
                    continue
                path = catalog_path(config.translations_dir, plan.facts.catalog_id, domain)
                if not path.exists():
                    continue
                shown = project.shown(path)
                try:
                    catalog = read_catalog(path, locale=plan.facts.catalog_id, shown=shown)
                except HandoutsError:
                    continue  # already reported by the project loader
                findings = check_catalog(catalog, template, shown, script=plan.facts.script,
                                         published=plan.publishable, spans_of=spans_of)
                if findings:
                    ok = False
                    lines += [f"FAIL {finding.one_line()}" for finding in findings]
                else:
                    count = len([m for m in template if m.id])
                    lines.append(f"ok   {shown}: translation QA clean ({count} messages, "
                                 f"{plan.review.describe() if plan.review else 'review state unknown'})")
            seen_ui.add(plan.facts.tag)
    return lines, ok


def run_checks(config: Config, *, slugs: list[str] | None = None,
               languages: list[str] | None = None) -> tuple[list[str], bool]:
    project = load_project(config, slugs=slugs, languages=languages)
    lines: list[str] = [f"FAIL {problem.one_line()}" for problem in project.problems]
    ok = not project.problems
    qa_lines, qa_ok = translation_qa(project)
    lines += qa_lines
    ok = ok and qa_ok
    for plan in project.plans:
        if plan.job is None:
            lines.append(f"skip {plan.slug} {plan.facts.tag}: {'; '.join(plan.skip_reasons)}")
            continue
        for suffix, checker in CHECKERS.items():
            path = resolve(config, f"{plan.job.facts.tag}/{plan.job.stem}{suffix}")
            absent = _not_made(suffix, plan.job)
            if absent:
                lines.append(f"note {plan.slug} {plan.facts.tag}: {absent}")
                continue
            shown = project.shown(path)
            if not path.exists():
                lines.append(f"FAIL {shown}: not built (run 'handouts build')")
                ok = False
                continue
            try:
                problems, summary = checker(path, plan.job)
            except HandoutsError as error:
                problems, summary = [error.one_line()], ""
            if problems:
                ok = False
                lines.append(f"FAIL {shown}: {'; '.join(problems)}")
            else:
                lines.append(f"ok   {shown}: {summary}")
    from pipeline.publish import verify_manifest

    manifest_problems = verify_manifest(config)
    if manifest_problems:
        ok = False
        lines += [f"FAIL manifest: {problem}" for problem in manifest_problems]
    else:
        lines.append("ok   outputs/manifest.json: every file is on disk with its size and SHA-256")
    return lines, ok
